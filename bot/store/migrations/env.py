"""Alembic's entry point: migrate the database named by `bot.store.migrate` or DATABASE_URL."""

from __future__ import annotations

from alembic import context

from bot.store.db import create_sync_engine
from bot.store.models import Base
from bot.support.config import load_settings

if context.is_offline_mode():
    raise SystemExit("paperbell migrations run against a live database; --sql is not supported")

url = context.config.attributes.get("database_url") or load_settings().DATABASE_URL
engine = create_sync_engine(url)
try:
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            # SQLite alters a table by copying it; autogenerate must write migrations that way.
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
finally:
    engine.dispose()
