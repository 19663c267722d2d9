"""A database that does not answer, as a person meets it: every `paperbell` command says so in
one line naming DATABASE_URL (password hidden) and exits 1; `paperbell run` first waits for
it, since containers start in any order."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import URL, make_url

from bot.store.reach import DatabaseUnreachable, wait_for_database
from tests.conftest import POSTGRES_URL
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.cli import paperbell
from tests.fakes.papers import SEED_PAPER

PASSWORD = "s3cret-pw"
COMMANDS = [("db", "upgrade"), ("poll",), ("run",), ("doctor",), ("export-favorites",)]


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql://paperbell:{PASSWORD}@127.0.0.1:{port}/paperbell"


def unknown_user_url() -> str:
    server = make_url(POSTGRES_URL)
    user = f"paperbell_nobody_{secrets.token_hex(4)}"
    return server.set(username=user, password=PASSWORD).render_as_string(hide_password=False)


@pytest.fixture
def arxiv() -> Iterator[FakeArxiv]:
    with FakeArxiv() as server:
        server.add(SEED_PAPER)
        yield server


def run_with(database_url: str, command: tuple[str, ...], cwd: Path, arxiv: FakeArxiv) -> str:
    """`paperbell COMMAND` with a platform configured (so `run` gets as far as the database)
    and no time to wait; returns stderr after the checks every command shares."""
    result = paperbell(
        *command,
        cwd=cwd,
        DATABASE_URL=database_url,
        DATABASE_WAIT_SECONDS="0",
        TELEGRAM_BOT_TOKEN="123456:not-contacted",
        TELEGRAM_API_URL="http://127.0.0.1:9",
        ARXIV_API_URL=arxiv.api_url,
        ARXIV_RSS_URL=arxiv.rss_url,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    if command == ("doctor",):
        (database,) = [line for line in result.stdout.splitlines() if "database:" in line]
        assert database.startswith("✗") and "DATABASE_URL" in database
        assert "database" in result.stderr
    else:
        assert result.stderr.startswith("paperbell: cannot use the database DATABASE_URL=")
    return result.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_closed_port_is_one_line_naming_database_url_and_exit_1(
    command: tuple[str, ...], tmp_path: Path, arxiv: FakeArxiv
) -> None:
    url = closed_port_url()
    stderr = run_with(url, command, tmp_path, arxiv)
    if command != ("doctor",):
        assert "Connection refused" in stderr
        assert make_url(url).render_as_string(hide_password=True).split("://")[1] in stderr


@pytest.mark.postgres
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_user_postgresql_does_not_know_is_one_line_and_exit_1(
    command: tuple[str, ...], tmp_path: Path, arxiv: FakeArxiv, postgres_server: URL
) -> None:
    url = unknown_user_url()
    stderr = run_with(url, command, tmp_path, arxiv)
    if command != ("doctor",):
        assert f'role "{make_url(url).username}" does not exist' in stderr


def test_run_tries_the_database_again_until_its_wait_runs_out(
    tmp_path: Path, arxiv: FakeArxiv
) -> None:
    result = paperbell(
        "run",
        cwd=tmp_path,
        DATABASE_URL=closed_port_url(),
        DATABASE_WAIT_SECONDS="0.5",
        TELEGRAM_BOT_TOKEN="123456:not-contacted",
        ARXIV_API_URL=arxiv.api_url,
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr and PASSWORD not in result.stderr
    *waiting, last = result.stderr.splitlines()
    assert waiting, "each failed attempt that is tried again gets its own line"
    for n, line in enumerate(waiting, 1):
        assert "DATABASE_URL=" in line and line.endswith(f"(attempt {n})")
    assert last.endswith(f"(gave up after {len(waiting) + 1} attempts)")


class SimulatedTime:
    """A clock that moves only when the waiting code sleeps, recording each pause."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        self.pauses: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += timedelta(seconds=seconds)


async def test_the_wait_doubles_its_pause_up_to_ten_seconds_and_stops_at_its_bound() -> None:
    time = SimulatedTime()
    lines: list[str] = []

    with pytest.raises(DatabaseUnreachable, match=r"gave up after 7 attempts") as gave_up:
        await wait_for_database(
            closed_port_url(), timedelta(seconds=30), lines.append, now=time, sleep=time.sleep
        )

    assert time.pauses == [1, 2, 4, 8, 10, 5]
    assert len(lines) == 6
    assert PASSWORD not in str(gave_up.value) + "".join(lines)


@pytest.mark.postgres
async def test_a_database_that_comes_up_during_the_wait_is_used(postgres_server: URL) -> None:
    """The database is created while the bot pauses between its second and third attempts."""
    name = f"paperbell_test_{secrets.token_hex(6)}"
    maintenance = postgres_server.set(drivername="postgresql")
    time = SimulatedTime()

    async def pause_while_the_database_starts(seconds: float) -> None:
        await time.sleep(seconds)
        if len(time.pauses) == 2:
            libpq = maintenance.render_as_string(hide_password=False)
            with psycopg.connect(libpq, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')

    lines: list[str] = []
    try:
        await wait_for_database(
            postgres_server.set(database=name),
            timedelta(seconds=60),
            lines.append,
            now=time,
            sleep=pause_while_the_database_starts,
        )
    finally:
        with psycopg.connect(maintenance.render_as_string(hide_password=False)) as conn:
            conn.autocommit = True
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    assert time.pauses == [1, 2]
    assert len(lines) == 2 and all(f'database "{name}" does not exist' in line for line in lines)
