"""`paperbell run` with Slack: as a real process it serves signed requests at POST
/slack/events and stops cleanly on SIGTERM; what it cannot fix itself (a refused token, a
taken port) stops it with one clear line, and a Slack that does not answer yet is waited for."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot import app
from bot.support.config import Settings
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.block_kit import block_texts
from tests.fakes.papers import SEED_PAPER
from tests.fakes.running_bot import free_port
from tests.fakes.slack_app import SIGNING_SECRET, slack_settings
from tests.fakes.slack_server import (
    BOT_TOKEN,
    CHANNEL_ID,
    FakeSlack,
    signed_headers,
    slash_command_body,
)
from tests.fakes.slack_socket_mode import FakeSocketMode

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 20


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack.start_in_thread(rate_limit=None) as fake:
        yield fake


def wait_until_serving(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"paperbell exited early:\n{process.communicate()[1]}")
        try:
            requests.get(url, timeout=1)
        except requests.ConnectionError:
            time.sleep(0.05)
        else:
            return
    pytest.fail("paperbell did not start listening")


def test_paperbell_run_serves_slack_and_stops_on_sigterm(tmp_path: Path, slack: FakeSlack) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/slack/events"
    with FakeArxiv() as arxiv:
        arxiv.add(SEED_PAPER)
        env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
        env.update(
            PYTHONPATH=str(ROOT),
            DATABASE_URL=f"sqlite:///{tmp_path / 'paperbell.db'}",
            ARXIV_API_URL=arxiv.api_url,
            ARXIV_RSS_URL=arxiv.rss_url,
            ARXIV_REQUEST_INTERVAL="0",
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.url + "/api/",
            SLACK_HTTP_HOST="127.0.0.1",
            SLACK_HTTP_PORT=str(port),
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_until_serving(url, process)
            body = slash_command_body(
                text="paper 2508.08189", response_url=slack.new_response_url()
            )
            answer = requests.post(url, data=body, headers=signed_headers(SIGNING_SECRET, body))
            forged = requests.post(url, data=body, headers=signed_headers("not the secret", body))
            deadline = time.monotonic() + 10
            while not slack.posts and time.monotonic() < deadline:
                time.sleep(0.05)

            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()

    assert answer.status_code == 200
    assert forged.status_code == 401
    assert slack.posts[0].channel == CHANNEL_ID
    assert SEED_PAPER.title in block_texts(slack.posts[0].blocks or [])
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr


async def run_until_it_stops(settings: Settings) -> None:
    await asyncio.wait_for(app.run(settings, asyncio.Event()), 10)


def slack_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name.startswith("handlers.slack") and r.levelno >= logging.ERROR
    ]


async def test_a_bot_token_slack_refuses_stops_paperbell_with_one_clear_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with FakeSlack() as slack, FakeArxiv() as arxiv:
        settings = slack_settings(tmp_path, slack, arxiv, SLACK_BOT_TOKEN="xoxb-wrong")

        await run_until_it_stops(settings)

    assert slack_errors(caplog) == [
        "Slack refused SLACK_BOT_TOKEN (invalid_auth); copy the Bot User OAuth Token (xoxb-…) "
        "from the app's OAuth & Permissions page"
    ]


async def test_an_app_token_slack_refuses_stops_paperbell_with_one_clear_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with (
        FakeSlack() as slack,
        FakeSocketMode(slack) as socket_mode,
        FakeArxiv() as arxiv,
    ):
        settings = slack_settings(
            tmp_path,
            slack,
            arxiv,
            SLACK_API_URL=socket_mode.url + "/api/",
            SLACK_APP_TOKEN="xapp-wrong",
        )

        await run_until_it_stops(settings)

    (error,) = slack_errors(caplog)
    assert error.startswith("Slack refused SLACK_APP_TOKEN (invalid_auth)")


async def test_a_taken_port_stops_paperbell_with_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with FakeSlack() as slack, FakeArxiv() as arxiv:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            settings = slack_settings(tmp_path, slack, arxiv, SLACK_HTTP_PORT=port)

            await run_until_it_stops(settings)

    (error,) = slack_errors(caplog)
    assert f"cannot listen on 127.0.0.1:{port}" in error


async def test_while_slack_is_unreachable_start_up_keeps_trying_until_stopped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    nowhere = FakeSlack()
    nowhere.url = f"http://127.0.0.1:{free_port()}"
    with FakeArxiv() as arxiv:
        settings = slack_settings(tmp_path, nowhere, arxiv)
        stop = asyncio.Event()
        running = asyncio.create_task(app.run(settings, stop))

        while not any("Slack does not answer" in r.getMessage() for r in caplog.records):
            assert not running.done()
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.wait_for(running, 5)

    assert slack_errors(caplog) == []


async def test_http_mode_without_a_signing_secret_refuses_to_run(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with FakeSlack() as slack, FakeArxiv() as arxiv:
        settings = slack_settings(tmp_path, slack, arxiv, SLACK_SIGNING_SECRET="")

        await run_until_it_stops(settings)

        assert slack.calls == []
    (error,) = slack_errors(caplog)
    assert "SLACK_SIGNING_SECRET" in error
