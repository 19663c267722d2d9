"""Migrations build exactly the schema the models describe, on both backends, from anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, inspect

from bot.store import migrate
from bot.store.db import create_sync_engine
from bot.store.models import Base
from tests.conftest import sqlite_url


def schema_diff(url: str, metadata: MetaData) -> list[object]:
    engine = create_sync_engine(url)
    try:
        with engine.connect() as connection:
            return list(compare_metadata(MigrationContext.configure(connection), metadata))
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = create_sync_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_from_empty_builds_every_table(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)

    assert table_names(empty_database_url) == {*Base.metadata.tables, "alembic_version"}


def test_is_up_to_date_flips_once_upgraded(empty_database_url: str) -> None:
    before = (migrate.current(empty_database_url), migrate.is_up_to_date(empty_database_url))

    migrate.upgrade(empty_database_url)

    assert before == (None, False)
    assert migrate.current(empty_database_url) == migrate.head()
    assert migrate.is_up_to_date(empty_database_url)


def test_upgrading_an_up_to_date_database_changes_nothing(database_url: str) -> None:
    migrate.upgrade(database_url)

    assert migrate.is_up_to_date(database_url)
    assert schema_diff(database_url, Base.metadata) == []


def test_models_and_migrations_agree(database_url: str) -> None:
    assert schema_diff(database_url, Base.metadata) == []
    command.check(migrate.alembic_config(database_url))


def test_a_model_change_without_a_migration_is_caught(database_url: str) -> None:
    drifted = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["chats"].append_column(Column("muted_until", Integer))

    diff = schema_diff(database_url, drifted)

    assert [(op[0], op[2], op[3].name) for op in diff] == [("add_column", "chats", "muted_until")]  # type: ignore[index]


def test_downgrade_to_base_leaves_only_alembics_own_table(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)

    command.downgrade(migrate.alembic_config(empty_database_url), "base")

    assert table_names(empty_database_url) == {"alembic_version"}
    assert migrate.current(empty_database_url) is None


def test_migrations_do_not_depend_on_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = sqlite_url(tmp_path / "data" / "paperbell.db")

    migrate.upgrade(url)

    assert migrate.is_up_to_date(url)


def test_alembic_command_line_migrates_the_database_in_database_url(tmp_path: Path) -> None:
    path = tmp_path / "cli.db"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}"}

    subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(migrate.ALEMBIC_INI), "upgrade", "head"],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
    )

    assert migrate.current(sqlite_url(path)) == migrate.head()
