"""1,000 cards to 300 private chats through the fake Bot API, which enforces Telegram's
flood limits (30 messages a second overall, about one a second per chat) with 429s.

The dispatcher sends through the real Telegram adapter (python-telegram-bot) and the
shared rate limiter. Prints the achieved rate as a fraction of 30 messages a second
(target ≥ 0.9), the number of 429 answers (target 0), and whether every card arrived
exactly once (target: nothing lost, nothing doubled).

    .venv/bin/python bench/fanout.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.chat.service import Service
from bot.delivery.delivery import Dispatcher
from bot.store import Store, migrate
from bot.support.config import load_settings
from handlers.telegram.adapter import TelegramAdapter
from tests.fakes.outbox import StaticSummarizer, library
from tests.fakes.papers import make_paper
from tests.fakes.telegram_server import TOKEN, FakeTelegram

CHATS = 300
CARDS = 1_000
OVERALL_LIMIT = 30.0
TARGET_FRACTION = 0.9


async def main() -> None:
    papers = [make_paper(arxiv_id=f"2511.{n:05d}", title=f"Paper {n}") for n in range(1, 5)]
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        migrate.upgrade(url)
        store = Store.connect(url)
        await store.save_papers(papers)
        chats = [
            await store.ensure_chat("telegram", str(100_000 + n), language="en")
            for n in range(CHATS)
        ]
        pairs = [(chats[n % CHATS].id, papers[n // CHATS].arxiv_id) for n in range(CARDS)]
        await store.enqueue_deliveries(sorted(pairs, key=lambda pair: pair[0]))
        books = library(store, StaticSummarizer())
        for paper in papers:
            await books.card(paper, "en")  # summarized once, before the clock starts

        async with FakeTelegram() as telegram:
            settings = load_settings(
                DATABASE_URL=url, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=telegram.url
            )
            adapter = TelegramAdapter(settings, Service(store, books, "en"), asyncio.Event())
            dispatcher = Dispatcher(store, books, [adapter])
            started = time.monotonic()
            report = await dispatcher.drain()
            elapsed = time.monotonic() - started
            sent = Counter((m.chat_id, m.text) for m in telegram.sent)
            throttled = telegram.throttled
        await store.close()

    rate = len(telegram.sent) / elapsed
    fraction = rate / OVERALL_LIMIT
    exactly_once = len(sent) == CARDS and set(sent.values()) == {1}
    print(f"bench/fanout.py — {CARDS:,} cards to {CHATS} private chats, fake Bot API at 30 msg/s")
    print(f"  {'elapsed':<28}{elapsed:8.2f} s")
    print(
        f"  {'achieved rate':<28}{rate:8.2f} msg/s = {fraction:.3f} of {OVERALL_LIMIT:g}"
        f"   target ≥ {TARGET_FRACTION}   {'OK' if fraction >= TARGET_FRACTION else 'UNDER'}"
    )
    print(
        f"  {'429 answers':<28}{throttled:8d}         target 0"
        f"   {'OK' if throttled == 0 else 'OVER'}"
    )
    print(
        f"  {'delivered exactly once':<28}{len(sent):8d} / {CARDS}"
        f"   lost {CARDS - len(sent)}, doubled {sum(c - 1 for c in sent.values())}"
        f"   {'OK' if exactly_once else 'FAIL'}"
    )
    print(f"  {'dispatcher report':<28}delivered={report.delivered} failed={report.failed}")


if __name__ == "__main__":
    asyncio.run(main())
