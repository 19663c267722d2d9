"""Several `paperbell run` processes on one PostgreSQL database behave as one bot.

Real processes, as a Deployment with two replicas runs them, against the fake Bot API
(served from a thread of this process, enforcing Telegram's 30 messages a second, one a
second per chat and 20 a minute per group with 429s) and the fake arXiv. Short leases
(REPLICA_LEASE_SECONDS) keep takeovers quick; nothing is timed.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.delivery.delivery import Dispatcher
from bot.schedule.leader import Cluster
from bot.schedule.scheduler import DIGEST_JOB, Scheduler
from bot.store import Store
from bot.store.cluster import POLL_LEASE
from handlers.telegram.polling import UPDATES_LEASE
from tests.fakes.mailings import DailyArxiv
from tests.fakes.outbox import StaticSummarizer, execute, library, queue
from tests.fakes.papers import make_paper
from tests.fakes.platform import InMemoryPlatform
from tests.fakes.replicas import Replica, holder
from tests.fakes.running_bot import announce, cards_by_chat, environment, followers
from tests.fakes.telegram_harness import eventually
from tests.fakes.telegram_server import FakeTelegram

LEASE_SECONDS = "1.5"
ALICE = 1001


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram.start_in_thread() as fake:
        yield fake


@pytest.fixture
async def arxiv() -> AsyncIterator[DailyArxiv]:
    async with DailyArxiv() as fake:
        yield fake


@pytest.fixture
def replicas(
    postgres_url: str, telegram: FakeTelegram, arxiv: DailyArxiv, tmp_path: Path
) -> Iterator[Callable[[int], list[Replica]]]:
    started: list[Replica] = []

    def start(count: int) -> list[Replica]:
        env = environment(
            postgres_url, telegram, arxiv, REPLICA_LEASE_SECONDS=LEASE_SECONDS, LOG_LEVEL="INFO"
        )
        new = [Replica(env, tmp_path / "replicas", f"r{len(started) + n}") for n in range(count)]
        started.extend(new)
        return new

    yield start
    for replica in started:
        replica.terminate()


@pytest.mark.postgres
async def test_two_dispatchers_in_separate_processes_share_one_telegram_budget(
    postgres_url: str,
    telegram: FakeTelegram,
    arxiv: DailyArxiv,
    replicas: Callable[[int], list[Replica]],
) -> None:
    chats = await followers(postgres_url, 60)
    papers = announce(arxiv, 4)

    first, second = replicas(2)
    await telegram.wait_for(lambda: len(telegram.sent) >= len(chats) * len(papers), timeout=120)
    logs = [first.terminate(), second.terminate()]

    received = cards_by_chat(telegram, papers)
    assert set(received) == {(chat, paper) for chat in chats for paper in papers}
    assert set(received.values()) == {1}
    assert telegram.throttled == 0
    # Both sent (each logs what it delivered), and one of them queued the mailing.
    assert all(delivered(log) > 0 for log in logs), logs
    assert sum(delivered(log) for log in logs) == len(chats) * len(papers)
    assert sum(log.count(f"new={len(papers)} ") for log in logs) == 1


def delivered(log: str) -> int:
    """Cards a replica's log says it delivered, in poll cycles and in its dispatch loop."""
    return sum(int(n) for n in re.findall(r"(?:cycle|dispatch) .*?delivered=(\d+)", log))


@pytest.mark.postgres
async def test_the_poll_lease_moves_to_the_survivor_when_its_holder_is_killed(
    postgres_url: str, replicas: Callable[[int], list[Replica]]
) -> None:
    pair = replicas(2)

    async def held() -> bool:
        return await holder(postgres_url, POLL_LEASE) in {r.name for r in pair}

    await eventually(held, timeout=60)
    leader_name = await holder(postgres_url, POLL_LEASE)
    [leader] = [r for r in pair if r.name == leader_name]
    [survivor] = [r for r in pair if r is not leader]
    polled_before = "cycle discovered=" in survivor.log()
    leader.kill()

    async def taken_over() -> bool:
        return await holder(postgres_url, POLL_LEASE) == survivor.name

    await eventually(taken_over, timeout=60)

    async def survivor_polled() -> bool:
        return "cycle discovered=" in survivor.log()

    await eventually(survivor_polled, timeout=60)
    assert not polled_before
    [(count,)] = await execute(postgres_url, "SELECT COUNT(*) FROM cluster_leases")
    assert count <= 2  # one row per role (poll, Telegram updates), never one per replica


@pytest.mark.postgres
async def test_long_polling_on_two_replicas_never_conflicts_and_survives_the_poller(
    postgres_url: str, telegram: FakeTelegram, replicas: Callable[[int], list[Replica]]
) -> None:
    pair = replicas(2)
    alice = telegram.user(ALICE)
    chat = telegram.private_chat(alice)

    async def polling() -> bool:
        leases = [await holder(postgres_url, name) for name in (UPDATES_LEASE, POLL_LEASE)]
        [(live,)] = await execute(postgres_url, "SELECT COUNT(*) FROM replicas")
        return telegram.is_polling and None not in leases and live == len(pair)

    await eventually(polling, timeout=60)
    telegram.send_text(chat, alice, "/status")
    [status] = await telegram.wait_for(lambda: telegram.messages_in(ALICE), timeout=30)
    poller_name = await holder(postgres_url, UPDATES_LEASE)
    [poller] = [r for r in pair if r.name == poller_name]
    [standby] = [r for r in pair if r is not poller]
    poller.kill()

    async def taken_over() -> bool:
        return await holder(postgres_url, UPDATES_LEASE) == standby.name

    await eventually(taken_over, timeout=60)
    telegram.send_text(chat, alice, "/help")
    await telegram.wait_for(lambda: len(telegram.messages_in(ALICE)) == 2, timeout=30)

    assert [c for c in telegram.calls_to("getUpdates") if c.status == 409] == []
    # PTB names a 409 `Conflict` ("terminated by other getUpdates request"); a bare "409"
    # would also match a log line's milliseconds.
    assert "Conflict" not in standby.terminate()
    leader = next(r.name for r in pair if r.name in status.plain_text)
    assert f"Polling arXiv: replica {leader}; dispatchers live: 2." in status.plain_text


async def test_a_second_run_on_one_sqlite_file_is_refused_with_one_line(
    tmp_path: Path, telegram: FakeTelegram, arxiv: DailyArxiv
) -> None:
    database_url = f"sqlite:///{tmp_path / 'data' / 'paperbell.db'}"
    env = environment(database_url, telegram, arxiv)
    first = Replica(env, tmp_path / "one", "first")
    try:
        await telegram.wait_for(lambda: telegram.is_polling, timeout=60)
        second = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path / "one",
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        first.terminate()

    assert second.returncode == 1
    [line] = second.stderr.strip().splitlines()
    assert "DATABASE_URL" in line and "PostgreSQL" in line and "paperbell.db" in line
    assert first.process.returncode == 0


@pytest.mark.postgres
async def test_a_digest_due_once_is_sent_once_by_two_schedulers(postgres_url: str) -> None:
    now = datetime.now(UTC)
    platform = InMemoryPlatform()
    stores = [Store.connect(postgres_url) for _ in range(2)]
    chat = await stores[0].ensure_chat("memory", "1", language="en")
    an_hour_ago = (now - timedelta(hours=1)).strftime("%H:%M")
    await stores[0].set_digest(chat.id, an_hour_ago, "UTC", now=now - timedelta(days=1))
    await queue(stores[0], chat, [make_paper(arxiv_id="2511.00001")])
    every = timedelta(seconds=0.2)
    schedulers = []
    for n, store in enumerate(stores):
        dispatcher = Dispatcher(store, library(store, StaticSummarizer()), [platform])
        cluster = Cluster(store, name=f"replica-{n}", lease=timedelta(seconds=5))
        schedulers.append(
            Scheduler(_no_cycle, dispatcher, poll_minutes=30, digest_every=every, cluster=cluster)
        )
    for scheduler in schedulers:
        scheduler.start()
    try:

        async def ran_a_few_times() -> bool:
            rows = await execute(postgres_url, "SELECT runner FROM job_runs")
            return len(rows) >= 4

        await eventually(ran_a_few_times, timeout=30)
    finally:
        for scheduler in schedulers:
            await scheduler.stop()
        for store in stores:
            await store.close()

    runs = await execute(
        postgres_url, "SELECT due_at, runner FROM job_runs WHERE job = :job", job=DIGEST_JOB
    )
    assert len({due for due, _ in runs}) == len(runs)  # one runner per due time
    (digest,) = platform.sent
    assert digest.arxiv_ids == ("2511.00001",)


async def _no_cycle() -> object:
    raise AssertionError("no poll is due in this test")
