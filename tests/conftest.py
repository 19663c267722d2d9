"""Shared database fixtures: anything that takes `database_url` or `store` runs on both backends.

SQLite gets a fresh file per test, copied from one migrated template. PostgreSQL gets one
throwaway database per session (migrated once, emptied before each test, dropped at the
end), made on the server named by PAPERBELL_TEST_POSTGRES_URL. An unreachable server
fails the PostgreSQL half of the suite: a skipped backend would look like a passing one.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy.engine import URL, make_url

from bot.store import Store, migrate
from bot.store.models import Base

# CI replays the same generated examples every run, so a red build can be reproduced rather
# than drawn by lot; `HYPOTHESIS_PROFILE=explore` searches wider on a developer's machine.
hypothesis_settings.register_profile("ci", derandomize=True)
hypothesis_settings.register_profile("explore", max_examples=2000)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default")
)

POSTGRES_URL = os.environ.get(
    "PAPERBELL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def _libpq(url: URL) -> str:
    """The URL as psycopg itself takes it, without SQLAlchemy's driver suffix."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_server() -> URL:
    """The server's maintenance URL, checked once; every PostgreSQL test fails if it is down."""
    url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    try:
        psycopg.connect(_libpq(url), connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        problem = str(exc)
    else:
        return url
    shown = url.render_as_string(hide_password=True)
    pytest.fail(
        f"PostgreSQL is unreachable at {shown} (set PAPERBELL_TEST_POSTGRES_URL): {problem}",
        pytrace=False,
    )


@contextmanager
def throwaway_postgres_database(server: URL) -> Iterator[str]:
    """A new, empty database on the server, dropped afterwards even if connections linger."""
    name = f"paperbell_test_{secrets.token_hex(6)}"
    with psycopg.connect(_libpq(server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(server), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def migrated_postgres(postgres_server: URL) -> Iterator[str]:
    with throwaway_postgres_database(postgres_server) as url:
        migrate.upgrade(url)
        yield url


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "paperbell.db"
    migrate.upgrade(sqlite_url(path))
    return path


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database holding no rows."""
    if request.param == "sqlite":
        path = tmp_path / "paperbell.db"
        shutil.copyfile(request.getfixturevalue("migrated_sqlite_template"), path)
        return sqlite_url(path)
    return _emptied(request.getfixturevalue("migrated_postgres"))


@pytest.fixture
def postgres_url(migrated_postgres: str) -> str:
    """A migrated PostgreSQL database holding no rows, for what only PostgreSQL does:
    replicas sharing leases and the sending budget."""
    return _emptied(migrated_postgres)


def _emptied(url: str) -> str:
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with psycopg.connect(_libpq(make_url(url)), autocommit=True) as conn:
        conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    return url


@pytest.fixture(params=BACKENDS)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database no migration has touched, for tests of the migrations themselves."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "new" / "paperbell.db")
        return
    with throwaway_postgres_database(request.getfixturevalue("postgres_server")) as url:
        yield url


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = Store.connect(database_url)
    yield store
    await store.close()
