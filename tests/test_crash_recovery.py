"""`kill -9` in the middle of a fan-out, then a restart: nothing lost, duplicates bounded.

The dispatcher runs in a subprocess with the real Telegram adapter, sending to the fake
Bot API served from this process; the fake answers each card a little late, so that at
the kill several cards have been posted but not yet recorded as sent. The promise under
test is `bot.delivery.delivery`'s: after a restart every queued card is delivered, and the only
duplicates are deliveries that were in flight (`sending`) at the kill, at most one per
chat. Runs on SQLite (a file) and PostgreSQL.

The restarted dispatcher reads its clock one lease ahead: the restart comes after the dead
process's leases ran out, without the test waiting a lease in real time, and the lease can
stay long enough that a loaded machine never lets a live dispatcher's lease lapse.

Run as a script, this module is that subprocess:
`python -m tests.test_crash_recovery URL API [--after-lease]`.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from bot.chat.service import Service
from bot.delivery.delivery import Dispatcher
from bot.store import Store
from bot.support.clock import utcnow
from bot.support.config import Settings, load_settings
from tests.fakes.outbox import StaticSummarizer, execute, library, queue
from tests.fakes.papers import make_paper
from tests.fakes.telegram_server import TOKEN, FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
CHATS = 30
PAPERS = 3
LEASE = timedelta(minutes=1)
AFTER_LEASE = "--after-lease"
ANSWER_DELAY = 0.3  # the fake posts each card at once and answers this much later


def papers() -> list[str]:
    return [f"2511.{n:05d}" for n in range(1, PAPERS + 1)]


async def seed(database_url: str) -> None:
    store = Store.connect(database_url)
    try:
        stored = [make_paper(arxiv_id=arxiv_id) for arxiv_id in papers()]
        for n in range(CHATS):
            chat = await store.ensure_chat("telegram", str(1000 + n), language="en")
            await queue(store, chat, stored)
    finally:
        await store.close()


def dispatcher_process(
    database_url: str, api_url: str, cwd: Path, *options: str
) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.test_crash_recovery", database_url, api_url, *options],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def in_flight(database_url: str) -> set[tuple[str, str]]:
    rows = await execute(
        database_url,
        text(
            "SELECT c.external_id, d.paper_id FROM deliveries d JOIN chats c ON c.id = d.chat_id "
            "WHERE d.state = 'sending'"
        ),
    )
    return {(external_id, paper_id) for external_id, paper_id in rows}


async def test_kill_9_mid_fan_out_loses_nothing_and_resends_only_what_was_in_flight(
    database_url: str, tmp_path: Path
) -> None:
    await seed(database_url)
    with FakeTelegram.start_in_thread() as telegram:
        for _ in range(CHATS * PAPERS * 2):
            telegram.delay_next("sendMessage", ANSWER_DELAY)
        first = dispatcher_process(database_url, telegram.url, tmp_path)
        try:
            await telegram.wait_for(lambda: len(telegram.sent) >= CHATS, timeout=60)
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=10)
        interrupted = await in_flight(database_url)
        posted_before_kill = len(telegram.sent)

        second = dispatcher_process(database_url, telegram.url, tmp_path, AFTER_LEASE)
        output, _ = await asyncio.to_thread(second.communicate, timeout=120)
        sent = [(str(m.chat_id), arxiv_id_of(m.text)) for m in telegram.sent]

    assert first.returncode == -signal.SIGKILL
    assert second.returncode == 0, output
    assert 0 < posted_before_kill < CHATS * PAPERS
    assert interrupted, "the kill should catch some cards in flight"
    assert len({chat for chat, _ in interrupted}) == len(interrupted)  # at most one per chat
    counts = Counter(sent)
    expected = {(str(1000 + n), arxiv_id) for n in range(CHATS) for arxiv_id in papers()}
    assert set(counts) == expected
    duplicated = {pair for pair, count in counts.items() if count > 1}
    assert duplicated <= interrupted
    assert max(counts.values()) <= 2
    for n in range(CHATS):
        received = [arxiv_id for chat, arxiv_id in sent if chat == str(1000 + n)]
        assert list(dict.fromkeys(received)) == papers()
    states = await execute(database_url, "SELECT DISTINCT state FROM deliveries")
    assert states == [("sent",)]


def arxiv_id_of(html: str) -> str:
    return next(arxiv_id for arxiv_id in papers() if f"arxiv.org/abs/{arxiv_id}" in html)


def _lease_later() -> datetime:
    return utcnow() + LEASE


async def _dispatch(database_url: str, api_url: str, after_lease: bool) -> None:
    """The dispatcher as `paperbell run` would drive it; `after_lease`: as if restarted
    only once every lease of the killed one had run out."""
    from handlers.telegram.adapter import TelegramAdapter

    settings = load_settings(
        DATABASE_URL=database_url, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api_url
    )
    store = Store.connect(database_url)
    try:
        books = library(store, StaticSummarizer())
        telegram = TelegramAdapter(settings, Service(store, books, "en"), asyncio.Event())
        dispatcher = Dispatcher(
            store,
            books,
            [telegram],
            now=_lease_later if after_lease else utcnow,
            lease=LEASE,
            concurrency=16,
        )
        report = await dispatcher.drain(wait=timedelta(seconds=30))
        print(f"delivered={report.delivered} failed={report.failed} 429s={report.throttled}")
    finally:
        await store.close()


if __name__ == "__main__":
    asyncio.run(_dispatch(sys.argv[1], sys.argv[2], AFTER_LEASE in sys.argv[3:]))
