"""Three `paperbell run` replicas on one PostgreSQL database, one mailing of 1,000 cards
to 300 Telegram chats (30 of them groups), through the fake Bot API, which enforces 30
messages a second overall, one a second per chat and 20 a minute per group with 429s.

First run: all three replicas live. Prints the overall rate (target ≥ 0.9 × 30), 429
answers (target 0), lost and duplicated cards (target 0). Second run: the replica holding
the poll lease is killed with SIGKILL a third of the way through the fan-out. Prints how
long until another replica holds the poll lease (target ≤ 120 s), lost cards (target 0)
and duplicates (target: at most one per chat that was being sent to at the kill).

    .venv/bin/python bench/replicas.py          # PostgreSQL at 127.0.0.1:5432, user postgres

PAPERBELL_TEST_POSTGRES_URL points it at another server. Each run makes and drops its
own database; the replicas use the default lease (REPLICA_LEASE_SECONDS=60).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy.engine import make_url

from bot.store import Store, migrate
from bot.store.cluster import POLL_LEASE
from tests.conftest import POSTGRES_URL, throwaway_postgres_database
from tests.fakes.mailings import DailyArxiv
from tests.fakes.outbox import execute, subscribe
from tests.fakes.papers import make_paper
from tests.fakes.replicas import Replica, holder
from tests.fakes.running_bot import environment
from tests.fakes.telegram_harness import eventually
from tests.fakes.telegram_server import FakeTelegram

REPLICAS = 3
CHATS = 300
GROUPS = 30
CARDS = 1_000
OVERALL_LIMIT = 30.0
TARGET_FRACTION = 0.9
TAKEOVER_LIMIT = 120.0
KILL_AFTER = CARDS // 3


async def seed(database_url: str, arxiv: DailyArxiv) -> list[str]:
    """300 chats follow cs.CV (three new papers), 100 of them cs.LG too (one): 1,000 cards."""
    since = datetime.now(UTC) - timedelta(days=30)
    store = Store.connect(database_url)
    chat_ids = [str(-1_000_000 - n) for n in range(GROUPS)]
    chat_ids += [str(100_000 + n) for n in range(CHATS - GROUPS)]
    try:
        for n, chat_id in enumerate(chat_ids):
            chat = await store.ensure_chat("telegram", chat_id, language="en")
            categories = ["cs.CV", "cs.LG"] if n % 3 == 0 else ["cs.CV"]
            await subscribe(store, database_url, chat, categories, since=since)
    finally:
        await store.close()
    today = datetime.now(UTC)
    yesterday = today - timedelta(days=1)
    papers = [
        make_paper(
            arxiv_id=f"2511.{n:05d}",
            published=yesterday,
            primary_category="cs.CV",
            categories=("cs.CV",),
        )
        for n in range(1, 4)
    ]
    papers.append(
        make_paper(
            arxiv_id="2511.00004",
            published=yesterday,
            primary_category="cs.LG",
            categories=("cs.LG",),
        )
    )
    arxiv.mailing(today.date(), *papers)
    return chat_ids


async def in_flight(database_url: str, replica: str) -> set[str]:
    """The chats `replica` (host:pid) had a card in flight to: the only ones that may
    receive a card twice after it dies."""
    rows = await execute(
        database_url,
        "SELECT c.external_id FROM deliveries d JOIN chats c ON c.id = d.chat_id "
        "WHERE d.state = 'sending' AND c.claimed_by LIKE :owner",
        owner=f"{replica}:%",
    )
    return {external_id for (external_id,) in rows}


async def fan_out(kill: bool) -> None:
    server = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    with (
        throwaway_postgres_database(server) as database_url,
        tempfile.TemporaryDirectory() as folder,
        FakeTelegram.start_in_thread() as telegram,
    ):
        migrate.upgrade(database_url)
        async with DailyArxiv() as arxiv:
            await seed(database_url, arxiv)
            env = environment(database_url, telegram, arxiv, LOG_LEVEL="INFO")
            replicas = [Replica(env, Path(folder), f"r{n}") for n in range(REPLICAS)]
            takeover = None
            mid_send: set[str] = set()
            try:
                if kill:
                    await telegram.wait_for(lambda: len(telegram.sent) >= KILL_AFTER, 120)
                    leader_name = await holder(database_url, POLL_LEASE)
                    [leader] = [r for r in replicas if r.name == leader_name]
                    leader.kill()
                    killed_at = time.monotonic()
                    mid_send = await in_flight(database_url, leader.name)

                    async def successor() -> str | None:
                        name = await holder(database_url, POLL_LEASE)
                        return None if name == leader_name else name

                    await eventually(successor, timeout=300)
                    takeover = time.monotonic() - killed_at
                await asyncio.to_thread(_wait_for_every_card, telegram, 600)
            finally:
                for replica in replicas:
                    replica.terminate()
    report(telegram, kill, takeover, mid_send)


def _wait_for_every_card(telegram: FakeTelegram, timeout: float) -> None:
    # Counting distinct cards reads every message: only worth it once enough have arrived.
    def complete() -> bool:
        return len(telegram.sent) >= CARDS and len(_received(telegram)) >= CARDS

    asyncio.run(telegram.wait_for(complete, timeout))


def _received(telegram: FakeTelegram) -> Counter[tuple[int, str]]:
    received: Counter[tuple[int, str]] = Counter()
    for message in telegram.sent:
        for n in range(1, 5):
            if f"arxiv.org/abs/2511.{n:05d}" in str(message.reply_markup):
                received[(message.chat_id, f"2511.{n:05d}")] += 1
    return received


def report(telegram: FakeTelegram, kill: bool, takeover: float | None, mid_send: set[str]) -> None:
    received = _received(telegram)
    sends = [c for c in telegram.calls_to("sendMessage") if c.status == 200]
    elapsed = sends[-1].at - sends[0].at
    rate = len(sends) / elapsed
    lost = CARDS - len(received)
    doubled = Counter(chat for (chat, _), count in received.items() for _ in range(count - 1))
    print(
        f"bench/replicas.py — {REPLICAS} replicas, {CARDS:,} cards to {CHATS} chats "
        f"({GROUPS} groups){', SIGKILL of the poll-lease holder mid-fan-out' if kill else ''}"
    )
    print(f"  {'first to last card':<28}{elapsed:8.2f} s")
    if not kill:
        fraction = rate / OVERALL_LIMIT
        print(
            f"  {'overall rate':<28}{rate:8.2f} msg/s = {fraction:.3f} of {OVERALL_LIMIT:g}"
            f"   target ≥ {TARGET_FRACTION}   {'OK' if fraction >= TARGET_FRACTION else 'UNDER'}"
        )
    print(
        f"  {'429 answers':<28}{telegram.throttled:8d}         target 0"
        f"   {'OK' if telegram.throttled == 0 else 'OVER'}"
    )
    print(f"  {'lost':<28}{lost:8d}         target 0   {'OK' if lost == 0 else 'FAIL'}")
    if kill:
        assert takeover is not None
        print(
            f"  {'poll lease taken over after':<28}{takeover:8.1f} s       target ≤ "
            f"{TAKEOVER_LIMIT:g}   {'OK' if takeover <= TAKEOVER_LIMIT else 'SLOW'}"
        )
        within = all(str(chat) in mid_send and n <= 1 for chat, n in doubled.items())
        print(
            f"  {'duplicates':<28}{sum(doubled.values()):8d}         target ≤ 1 per chat "
            f"mid-send (the killed replica's: {len(mid_send)})   {'OK' if within else 'FAIL'}"
        )
    else:
        dups = sum(doubled.values())
        print(f"  {'duplicates':<28}{dups:8d}         target 0   {'OK' if dups == 0 else 'FAIL'}")


async def main() -> None:
    os.environ.pop("DATABASE_URL", None)
    await fan_out(kill=False)
    await fan_out(kill=True)


if __name__ == "__main__":
    asyncio.run(main())
