"""`paperbell run` as a subprocess against the fakes, with chats already following cs.CV.

The operations tests need the real process: signals reach it as they would under Docker,
systemd or Kubernetes, and its health server is what a probe or Prometheus would ask.
The fakes run in the test's own event loop, so a test awaits the bot while they serve.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.store import Store
from bot.support.config import Settings
from tests.fakes.mailings import DailyArxiv
from tests.fakes.outbox import execute, subscribe
from tests.fakes.papers import make_paper
from tests.fakes.telegram_server import TOKEN, FakeTelegram

ROOT = Path(__file__).resolve().parent.parent.parent
FIRST_CHAT = 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def followers(database_url: str, count: int) -> list[int]:
    """`count` private Telegram chats following cs.CV since a month ago; their IDs."""
    store = Store.connect(database_url)
    since = datetime.now(UTC) - timedelta(days=30)
    try:
        for n in range(count):
            chat = await store.ensure_chat("telegram", str(FIRST_CHAT + n), language="en")
            await subscribe(store, database_url, chat, ["cs.CV"], since=since)
    finally:
        await store.close()
    return [FIRST_CHAT + n for n in range(count)]


def announce(arxiv: DailyArxiv, count: int) -> list[str]:
    """Today's mailing announces `count` new cs.CV papers; their IDs."""
    today = datetime.now(UTC)
    papers = [
        make_paper(arxiv_id=f"2511.{n:05d}", published=today - timedelta(days=1))
        for n in range(1, count + 1)
    ]
    arxiv.mailing(today.date(), *papers)
    return [paper.arxiv_id for paper in papers]


def environment(
    database_url: str, telegram: FakeTelegram, arxiv: DailyArxiv, **settings: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=database_url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=telegram.url,
        ARXIV_API_URL=arxiv.api_url,
        ARXIV_RSS_URL=arxiv.rss_url,
        ARXIV_REQUEST_INTERVAL="0",
        **settings,
    )
    return env


async def start(command: str, env: dict[str, str], cwd: Path) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        command,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def terminate(process: asyncio.subprocess.Process, within: float) -> tuple[float, str]:
    """SIGTERM, then how long the process took to exit and what it logged."""
    sent = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), within)
    except TimeoutError:
        process.kill()
        _, stderr = await process.communicate()
        raise AssertionError(f"no exit {within:g} s after SIGTERM:\n{stderr.decode()}") from None
    return time.monotonic() - sent, stderr.decode()


def cards_by_chat(telegram: FakeTelegram, papers: list[str]) -> Counter[tuple[int, str]]:
    """How many cards of each paper each chat received."""
    received: Counter[tuple[int, str]] = Counter()
    for message in telegram.sent:
        buttons = str(message.reply_markup)
        for paper in papers:
            if f"arxiv.org/abs/{paper}" in buttons:
                received[(message.chat_id, paper)] += 1
    return received


async def delivery_states(database_url: str) -> Counter[str]:
    rows = await execute(database_url, "SELECT state FROM deliveries")
    return Counter(state for (state,) in rows)


async def claimed_chats(database_url: str) -> int:
    rows = await execute(database_url, "SELECT COUNT(*) FROM chats WHERE claimed_by IS NOT NULL")
    return int(rows[0][0])
