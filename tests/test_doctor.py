"""`paperbell doctor` against the fakes: all ✓ when everything works, and for each broken
piece one ✗ line that names it and says what to change."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text

from bot.doctor import diagnose
from bot.store import migrate
from bot.store.db import create_sync_engine
from bot.support.checks import MARKS, CheckResult
from bot.support.config import Settings, load_settings
from tests.conftest import sqlite_url
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.openai_server import API_KEY, MODEL, FakeOpenAI
from tests.fakes.papers import SEED_PAPER
from tests.fakes.slack_server import BOT_TOKEN, FakeSlack
from tests.fakes.telegram_server import BOT_USERNAME, TOKEN, FakeTelegram

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def arxiv() -> Iterator[FakeArxiv]:
    with FakeArxiv() as server:
        server.add(SEED_PAPER)
        yield server


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        yield server


@pytest.fixture
async def llm() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


@pytest.fixture
def sqlite_database(migrated_sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "paperbell.db"
    shutil.copyfile(migrated_sqlite_template, path)
    return sqlite_url(path)


@pytest.fixture
def working(
    sqlite_database: str,
    arxiv: FakeArxiv,
    telegram: FakeTelegram,
    slack: FakeSlack,
    llm: FakeOpenAI,
) -> dict[str, str]:
    """Settings under which every check passes (the database tests swap the database)."""
    return {
        "DATABASE_URL": sqlite_database,
        "ARXIV_API_URL": arxiv.api_url,
        "ARXIV_RSS_URL": arxiv.rss_url,
        "ARXIV_REQUEST_INTERVAL": "0",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": telegram.url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": "xapp-1-A0PAPERBELL-1-secret",
        "SLACK_API_URL": slack.url + "/api/",
        "LLM_BASE_URL": llm.base_url,
        "LLM_API_KEY": API_KEY,
        "LLM_MODEL": MODEL,
    }


def settings_from(env: dict[str, str], **changes: str | None) -> Settings:
    values: dict[str, Any] = {**env, **changes}
    return load_settings(_env_file=None, **values)


async def doctor(env: dict[str, str], **changes: str | None) -> dict[str, CheckResult]:
    lines: list[str] = []
    results = await diagnose(settings_from(env, **changes), lines.append)
    assert lines == [result.line() for result in results]
    return {result.name: result for result in results}


def closed_port() -> int:
    """A port nothing listens on: connections to it are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def failures(results: dict[str, CheckResult]) -> list[str]:
    return [name for name, result in results.items() if result.status == "fail"]


async def test_every_check_passes_against_working_services(
    working: dict[str, str], database_url: str
) -> None:
    results = await doctor(working, DATABASE_URL=database_url)

    assert failures(results) == []
    assert set(results) == {
        "database",
        "arXiv mailings",
        "arXiv API",
        "arXiv feed",
        "Telegram",
        "Slack",
        "LLM",
    }
    assert f"@{BOT_USERNAME}" in results["Telegram"].detail
    assert "latest migration" in results["database"].detail


async def test_the_command_prints_one_line_per_check_and_exits_0(
    working: dict[str, str], tmp_path: Path
) -> None:
    result = await paperbell_doctor(working, tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == [MARKS["ok"]] * 8
    assert lines[0].startswith("✓ settings")


async def test_a_bad_setting_is_one_failed_line_and_exit_1(
    working: dict[str, str], tmp_path: Path
) -> None:
    result = await paperbell_doctor({**working, "POLL_INTERVAL_MINUTES": "often"}, tmp_path)

    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        line for line in result.stdout.splitlines() if line.startswith("✗ settings")
    ]
    assert "POLL_INTERVAL_MINUTES" in result.stdout
    assert "fix:" in result.stdout


async def test_a_refused_telegram_token_fails_without_printing_the_token(
    working: dict[str, str], tmp_path: Path
) -> None:
    wrong = "123456:WRONG-token"
    result = await paperbell_doctor({**working, "TELEGRAM_BOT_TOKEN": wrong}, tmp_path)

    assert result.returncode == 1
    [line] = [line for line in result.stdout.splitlines() if line.startswith("✗")]
    assert line.startswith("✗ Telegram:")
    assert "@BotFather" in line
    assert wrong not in result.stdout + result.stderr


async def test_a_revoked_slack_token_fails_naming_slacks_error(
    working: dict[str, str], slack: FakeSlack
) -> None:
    slack.revoke_token()

    results = await doctor(working)

    assert failures(results) == ["Slack"]
    assert "token_revoked" in results["Slack"].detail
    assert results["Slack"].fix is not None and "xoxb-" in results["Slack"].fix


async def test_slack_without_socket_mode_or_signing_secret_fails(working: dict[str, str]) -> None:
    results = await doctor(working, SLACK_APP_TOKEN=None, SLACK_SIGNING_SECRET=None)

    assert failures(results) == ["Slack"]
    assert "SLACK_SIGNING_SECRET" in results["Slack"].detail


async def test_arxiv_out_of_reach_fails_both_arxiv_lines(working: dict[str, str]) -> None:
    down = f"http://127.0.0.1:{closed_port()}"

    results = await doctor(working, ARXIV_API_URL=f"{down}/api/query", ARXIV_RSS_URL=f"{down}/rss/")

    assert failures(results) == ["arXiv API", "arXiv feed"]
    assert results["arXiv API"].fix is not None and "ARXIV_API_URL" in results["arXiv API"].fix
    assert results["arXiv feed"].fix is not None and "ARXIV_RSS_URL" in results["arXiv feed"].fix


async def test_an_arxiv_error_answer_fails_the_api_line(
    working: dict[str, str], arxiv: FakeArxiv
) -> None:
    arxiv.fail_next(1, status=503)

    results = await doctor(working)

    assert failures(results) == ["arXiv API"]
    assert "503" in results["arXiv API"].detail


async def test_a_database_that_does_not_answer_fails_with_the_url_but_not_its_password(
    working: dict[str, str],
) -> None:
    port = closed_port()

    results = await doctor(
        working, DATABASE_URL=f"postgresql://paperbell:s3cret@127.0.0.1:{port}/paperbell"
    )

    assert failures(results) == ["database"]
    assert f"127.0.0.1:{port}/paperbell does not answer" in results["database"].detail
    assert "s3cret" not in results["database"].line()


async def test_a_database_migrated_by_a_newer_paperbell_fails(
    working: dict[str, str], empty_database_url: str
) -> None:
    await asyncio.to_thread(migrate.upgrade, empty_database_url)
    await asyncio.to_thread(_stamp, empty_database_url, "9999_from_the_future")

    results = await doctor(working, DATABASE_URL=empty_database_url)

    assert failures(results) == ["database"]
    assert "9999_from_the_future" in results["database"].detail
    assert "backup" in (results["database"].fix or "")


async def test_pending_migrations_pass_because_run_applies_them(
    working: dict[str, str], empty_database_url: str
) -> None:
    await asyncio.to_thread(migrate.upgrade, empty_database_url)
    config = migrate.alembic_config(empty_database_url)
    await asyncio.to_thread(command.downgrade, config, "-1")

    results = await doctor(working, DATABASE_URL=empty_database_url)

    assert failures(results) == []
    assert "1 to apply" in results["database"].detail


async def test_a_sqlite_file_not_created_yet_passes_and_is_not_created(
    working: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "data" / "paperbell.db"

    results = await doctor(working, DATABASE_URL=f"sqlite:///{path}")

    assert failures(results) == []
    assert "does not exist yet" in results["database"].detail
    assert not path.exists()


async def test_a_sqlite_file_that_cannot_be_created_fails(
    working: dict[str, str], tmp_path: Path
) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the database folder should be")

    results = await doctor(working, DATABASE_URL=f"sqlite:///{blocker / 'paperbell.db'}")

    assert failures(results) == ["database"]
    assert "cannot create" in results["database"].detail


async def test_a_refused_llm_key_fails(working: dict[str, str]) -> None:
    results = await doctor(working, LLM_API_KEY="sk-wrong")

    assert failures(results) == ["LLM"]
    assert "401" in results["LLM"].detail
    assert "sk-wrong" not in results["LLM"].line()


async def test_an_llm_model_the_endpoint_lacks_fails(working: dict[str, str]) -> None:
    results = await doctor(working, LLM_MODEL="gpt-nonexistent")

    assert failures(results) == ["LLM"]
    assert "gpt-nonexistent" in results["LLM"].detail


async def test_half_an_llm_configuration_fails(working: dict[str, str]) -> None:
    results = await doctor(working, LLM_MODEL=None)

    assert failures(results) == ["LLM"]
    assert "LLM_MODEL" in results["LLM"].detail


async def test_no_llm_is_a_skip_not_a_failure(working: dict[str, str]) -> None:
    results = await doctor(working, LLM_BASE_URL=None, LLM_MODEL=None, LLM_API_KEY=None)

    assert failures(results) == []
    assert results["LLM"].status == "skip"


async def test_no_chat_platform_at_all_fails(working: dict[str, str]) -> None:
    results = await doctor(working, TELEGRAM_BOT_TOKEN=None, SLACK_BOT_TOKEN=None)

    assert failures(results) == ["chat platforms"]
    assert results["Telegram"].status == results["Slack"].status == "skip"


def _stamp(url: str, revision: str) -> None:
    engine = create_sync_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :rev"), {"rev": revision})
    engine.dispose()


@dataclass(frozen=True)
class Completed:
    returncode: int | None
    stdout: str
    stderr: str


async def paperbell_doctor(env: dict[str, str], cwd: Path) -> Completed:
    """`paperbell doctor` in a subprocess, while this test's event loop serves the fakes."""
    clean = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
    clean.update(PYTHONPATH=str(ROOT), **env)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "doctor",
        cwd=cwd,
        env=clean,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    return Completed(process.returncode, stdout.decode(), stderr.decode())
