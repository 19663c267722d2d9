"""Socket Mode: with SLACK_APP_TOKEN set, `paperbell run` needs no public URL.

The real `bot.app.run` connects over a WebSocket to the fake Socket Mode endpoint, which
sends it Slack's envelopes and passes Web API calls through to the fake Slack.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import aiohttp
import pytest

from bot import app
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.block_kit import block_texts
from tests.fakes.papers import SEED_PAPER
from tests.fakes.running_bot import free_port
from tests.fakes.slack_app import slack_settings
from tests.fakes.slack_server import USER_ID, FakeSlack, slash_command_body
from tests.fakes.slack_socket_mode import APP_TOKEN, FakeSocketMode


@dataclass
class Running:
    slack: FakeSlack
    socket: FakeSocketMode
    http_port: int

    def command(self, text: str) -> dict[str, Any]:
        body = slash_command_body(text=text, response_url=self.slack.new_response_url())
        return dict(parse_qsl(body.decode(), keep_blank_values=True))


@pytest.fixture
async def running(tmp_path: Path) -> AsyncIterator[Running]:
    async with FakeSlack(rate_limit=None) as slack, FakeSocketMode(slack) as socket:
        with FakeArxiv() as arxiv:
            arxiv.add(SEED_PAPER)
            port = free_port()
            settings = slack_settings(
                tmp_path,
                slack,
                arxiv,
                SLACK_API_URL=socket.url + "/api/",
                SLACK_APP_TOKEN=APP_TOKEN,
                SLACK_SIGNING_SECRET="",
                SLACK_HTTP_PORT=port,
            )
            stop = asyncio.Event()
            task = asyncio.create_task(app.run(settings, stop))
            try:
                await socket.wait_connected()
                yield Running(slack, socket, port)
            finally:
                stop.set()
                await asyncio.wait_for(task, 10)


async def test_help_comes_back_in_the_socket_acknowledgement(running: Running) -> None:
    ack = await running.socket.send("slash_commands", running.command("help"))

    assert ack["response_type"] == "ephemeral"
    assert "/paperbell subscribe" in "\n".join(block_texts(ack["blocks"]))


async def test_a_paper_command_over_the_socket_posts_the_card(running: Running) -> None:
    ack = await running.socket.send("slash_commands", running.command("paper 2508.08189"))

    await running.slack.wait_for(lambda: running.slack.posts)
    assert ack == {}
    assert SEED_PAPER.title in block_texts(running.slack.posts[0].blocks or [])


async def test_socket_mode_opens_no_http_port(running: Running) -> None:
    await running.socket.send("slash_commands", running.command("help"))

    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as session:
            await session.post(f"http://127.0.0.1:{running.http_port}/slack/events")


async def test_an_event_retried_by_slack_is_processed_once(running: Running) -> None:
    event = {
        "type": "event_callback",
        "team_id": "T0PAPERBL",
        "event_id": "Ev0SOCKET",
        "event": {"type": "app_home_opened", "user": USER_ID, "tab": "home"},
    }

    await running.socket.send("events_api", event)
    await running.slack.wait_for(lambda: USER_ID in running.slack.views)
    await running.socket.send("events_api", json.loads(json.dumps(event)))
    await running.socket.send("slash_commands", running.command("help"))

    publishes = [c for c in running.slack.calls if c.method == "views.publish"]
    assert len(publishes) == 1
