"""Bring a database to the schema this code expects, from any async or sync URL.

Migrations run on a blocking engine (see `db.create_sync_engine`), so these functions may
be called from inside a running event loop, e.g. at start-up, without nesting loops.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL

from bot.store.db import create_sync_engine

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")


def alembic_config(url: str | URL) -> Config:
    """Alembic's configuration for one database.

    The URL travels in `attributes`, not in the ini options, because configparser would
    read a `%` in a URL-encoded password as interpolation.
    """
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = url
    return config


def upgrade(url: str | URL) -> None:
    command.upgrade(alembic_config(url), "head")


def head() -> str:
    revision = ScriptDirectory.from_config(Config(str(ALEMBIC_INI))).get_current_head()
    assert revision is not None, "bot/store/migrations/versions holds no migration"
    return revision


def current(url: str | URL) -> str | None:
    """The revision the database is at; None for a database never migrated."""
    engine = create_sync_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def is_up_to_date(url: str | URL) -> bool:
    return current(url) == head()
