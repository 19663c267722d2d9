"""SIGTERM in the middle of a fan-out: `paperbell run` stops taking work, lets the sends in
flight finish, hands its chats back and exits; the next run sends the rest. Nothing is
lost, nothing is sent twice. Runs on SQLite (a file) and PostgreSQL. How soon it exits
(the limit is 10 s) is printed by bench/shutdown.py; here a long guard only stops a hang."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.fakes.mailings import DailyArxiv
from tests.fakes.running_bot import (
    announce,
    cards_by_chat,
    claimed_chats,
    delivery_states,
    environment,
    followers,
    start,
    terminate,
)
from tests.fakes.telegram_server import FakeTelegram

CHATS = 30
PAPERS = 2
ANSWER_DELAY = 0.2  # each card is answered this late, so a fan-out takes a few seconds


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def arxiv() -> AsyncIterator[DailyArxiv]:
    async with DailyArxiv() as fake:
        yield fake


async def test_sigterm_mid_fan_out_loses_nothing_and_sends_nothing_twice(
    database_url: str, telegram: FakeTelegram, arxiv: DailyArxiv, tmp_path: Path
) -> None:
    chats = await followers(database_url, CHATS)
    papers = announce(arxiv, PAPERS)
    for _ in range(CHATS * PAPERS):
        telegram.delay_next("sendMessage", ANSWER_DELAY)
    env = environment(database_url, telegram, arxiv)

    bot = await start("run", env, tmp_path)
    await telegram.wait_for(lambda: len(telegram.sent) >= 10, timeout=60)
    _, log = await terminate(bot, within=30)

    assert bot.returncode == 0, log
    states = await delivery_states(database_url)
    assert set(states) <= {"pending", "sent"}, states
    assert 0 < states["sent"] < CHATS * PAPERS, "SIGTERM did not land mid-fan-out"
    assert await claimed_chats(database_url) == 0
    received = cards_by_chat(telegram, papers)
    assert sum(received.values()) == states["sent"]

    rest = await start("poll", env, tmp_path)
    _, poll_log = await asyncio.wait_for(rest.communicate(), 60)

    assert rest.returncode == 0, poll_log.decode()
    received = cards_by_chat(telegram, papers)
    assert received == {(chat, paper): 1 for chat in chats for paper in papers}
    assert await delivery_states(database_url) == {"sent": CHATS * PAPERS}
