"""Engines for both backends, configured so that concurrent bot tasks do not trip over each other.

SQLite needs the most care: WAL lets readers run beside a writer, `busy_timeout` makes a
second writer wait instead of failing at once, and `foreign_keys` is off unless asked for on
every connection. The sqlite3 driver's own transaction handling is switched off so that
writing transactions can start with `BEGIN IMMEDIATE`: a transaction that reads first and
writes later would otherwise fail with "database is locked" when another writer got in
between, and no timeout helps with that.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy import Engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 5000
WRITE_OPTION = "paperbell_write"
"""Execution option marking a connection whose transaction will write (see `Store`)."""

_SYNC_DRIVERS = {"sqlite+aiosqlite": "sqlite", "postgresql+psycopg": "postgresql+psycopg"}


def create_engine(url: str | URL) -> AsyncEngine:
    """The application's engine for an async URL (`sqlite+aiosqlite` or `postgresql+psycopg`)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _make_sqlite_folder(parsed)
        engine = create_async_engine(parsed)
        _configure_sqlite(engine.sync_engine)
        return engine
    return create_async_engine(
        parsed, pool_size=5, max_overflow=5, pool_pre_ping=True, pool_recycle=1800
    )


def create_sync_engine(url: str | URL) -> Engine:
    """A blocking engine for the same database, for migrations.

    Alembic and its comparisons are synchronous; psycopg speaks both ways and sqlite3 is
    what aiosqlite wraps, so the same URL works with the driver swapped.
    """
    parsed = make_url(url)
    parsed = parsed.set(drivername=_SYNC_DRIVERS.get(parsed.drivername, parsed.drivername))
    if parsed.get_backend_name() == "sqlite":
        _make_sqlite_folder(parsed)
        engine = sqlalchemy.create_engine(parsed)
        _configure_sqlite(engine)
        return engine
    return sqlalchemy.create_engine(parsed, pool_pre_ping=True)


def _make_sqlite_folder(url: URL) -> None:
    """First start with `sqlite:///data/paperbell.db` must not fail on a missing `data/`."""
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
