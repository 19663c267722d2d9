"""Whole cycles (fake arXiv → store → in-memory platform), the APScheduler jobs, the
dispatch loop, `paperbell poll` as a subprocess, and the /digest, /cap and /status commands."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.interval import IntervalTrigger

from bot.cards.library import Library
from bot.chat.replies import Notice, Reply
from bot.chat.service import Caller, Service
from bot.delivery.delivery import Dispatcher
from bot.delivery.platforms import RetryLater
from bot.schedule.discovery import Discovery
from bot.schedule.scheduler import DIGEST_JOB, POLL_JOB, CycleReport, Scheduler, run_cycle
from bot.source.arxiv_source import ArxivSource
from bot.store import Chat, Store, migrate
from bot.support.config import Settings
from tests.conftest import sqlite_url
from tests.fakes.mailings import DailyArxiv
from tests.fakes.outbox import StaticSummarizer, TestClock, library, queue, subscribe
from tests.fakes.papers import make_paper
from tests.fakes.platform import InMemoryPlatform
from tests.fakes.telegram_server import TOKEN, FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
LONG_AGO = datetime(2025, 11, 1, tzinfo=UTC)
TUESDAY = datetime(2025, 11, 25, 15, 0, tzinfo=UTC)
GROUP = Caller("memory", "-1", "group", "42", "Lab")


@pytest.fixture
async def arxiv() -> AsyncIterator[DailyArxiv]:
    async with DailyArxiv() as fake:
        yield fake


@pytest.fixture
def clock() -> TestClock:
    return TestClock(TUESDAY)


@pytest.fixture
def summarizer() -> StaticSummarizer:
    return StaticSummarizer()


@pytest.fixture
def platform() -> InMemoryPlatform:
    return InMemoryPlatform()


@pytest.fixture
def source(arxiv: DailyArxiv) -> ArxivSource:
    return ArxivSource(arxiv.api_url, 0.0, 2.0, rss_url=arxiv.rss_url, backoff=0.01)


@pytest.fixture
def books(store: Store, summarizer: StaticSummarizer, source: ArxivSource) -> Library:
    return library(store, summarizer, source)


@pytest.fixture
def dispatcher(
    store: Store, books: Library, platform: InMemoryPlatform, clock: TestClock
) -> Dispatcher:
    return Dispatcher(store, books, [platform], now=clock, backoff=timedelta(milliseconds=50))


async def cycle(
    store: Store, source: ArxivSource, books: Library, dispatcher: Dispatcher, clock: TestClock
) -> CycleReport:
    discovery = Discovery(store, source, now=clock)
    return await run_cycle(store, discovery, books, dispatcher, wait=timedelta(seconds=5))


def paper(n: int, **fields: object) -> object:
    when = datetime(2025, 11, 24, 15, 0, tzinfo=UTC)
    return make_paper(
        arxiv_id=f"2511.{n:05d}", title=f"Paper {n}", published=when, updated=when, **fields
    )


async def follower(
    store: Store, database_url: str, name: str, language: str = "en", since: datetime = LONG_AGO
) -> Chat:
    chat = await store.ensure_chat("memory", name, language=language)  # type: ignore[arg-type]
    await subscribe(store, database_url, chat, ["cs.CV"], since=since)
    return chat


# Cycles


async def test_a_cycle_delivers_each_new_paper_once_and_a_second_sends_nothing(
    store: Store,
    source: ArxivSource,
    books: Library,
    dispatcher: Dispatcher,
    clock: TestClock,
    arxiv: DailyArxiv,
    platform: InMemoryPlatform,
    database_url: str,
) -> None:
    await follower(store, database_url, "1")
    await follower(store, database_url, "2")
    arxiv.mailing(date(2025, 11, 25), paper(1), paper(2))  # type: ignore[arg-type]

    first = await cycle(store, source, books, dispatcher, clock)
    second = await cycle(store, source, books, dispatcher, clock)

    assert platform.papers_to("1") == platform.papers_to("2") == ["2511.00001", "2511.00002"]
    assert (first.discovered, first.new, first.matched, first.delivered) == (2, 2, 4, 4)
    assert (second.new, second.matched, second.delivered) == (0, 0, 0)


async def test_each_paper_is_summarized_once_per_language_its_chats_read(
    store: Store,
    source: ArxivSource,
    books: Library,
    dispatcher: Dispatcher,
    clock: TestClock,
    arxiv: DailyArxiv,
    summarizer: StaticSummarizer,
    platform: InMemoryPlatform,
    database_url: str,
) -> None:
    for name, language in [("1", "en"), ("2", "en"), ("3", "zh"), ("4", "zh"), ("5", "en")]:
        await follower(store, database_url, name, language)
    arxiv.mailing(date(2025, 11, 25), paper(1), paper(2))  # type: ignore[arg-type]

    report = await cycle(store, source, books, dispatcher, clock)

    assert sorted(summarizer.calls) == [
        ("2511.00001", "en"),
        ("2511.00001", "zh"),
        ("2511.00002", "en"),
        ("2511.00002", "zh"),
    ]
    assert report.summarized == 4
    assert len(platform.sent) == 10


async def test_a_cycle_logs_one_line_with_its_figures(
    store: Store,
    source: ArxivSource,
    books: Library,
    dispatcher: Dispatcher,
    clock: TestClock,
    arxiv: DailyArxiv,
    platform: InMemoryPlatform,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await follower(store, database_url, "1")
    arxiv.mailing(date(2025, 11, 25), paper(1), paper(2), paper(3))  # type: ignore[arg-type]
    platform.fail("1", RetryLater(0.1))

    with caplog.at_level(logging.INFO, logger="bot.schedule.scheduler"):
        report = await cycle(store, source, books, dispatcher, clock)

    (record,) = [r for r in caplog.records if r.getMessage().startswith("cycle ")]
    assert record.getMessage().startswith(
        "cycle discovered=3 new=3 summarized=3 matched=3 delivered=3 failed=0 429s=1 duration="
    )
    assert record.cycle == {  # type: ignore[attr-defined]
        "discovered": 3,
        "new": 3,
        "summarized": 3,
        "matched": 3,
        "delivered": 3,
        "failed": 0,
        "throttled": 1,
        "duration": report.duration,
        "error": None,
        "settled": date(2025, 11, 25),
    }


async def test_deliveries_left_queued_by_an_earlier_cycle_go_out_with_the_next(
    store: Store,
    source: ArxivSource,
    books: Library,
    dispatcher: Dispatcher,
    clock: TestClock,
    platform: InMemoryPlatform,
    database_url: str,
) -> None:
    chat = await follower(store, database_url, "1")
    clock.jump(datetime.now(UTC))
    await queue(store, chat, [make_paper(arxiv_id="2511.00009")])

    report = await cycle(store, source, books, dispatcher, clock)

    assert platform.papers_to("1") == ["2511.00009"]
    assert report.delivered == 1


# The scheduler


class CountingCycle:
    def __init__(self) -> None:
        self.runs = 0
        self.ran = asyncio.Event()

    async def __call__(self) -> CycleReport:
        self.runs += 1
        self.ran.set()
        return CycleReport(0, 0, 0, 0, 0, 0, 0, 0.0)


async def test_the_first_poll_runs_at_start_and_the_jobs_are_configured_for_restarts(
    dispatcher: Dispatcher,
) -> None:
    counting = CountingCycle()
    scheduler = Scheduler(counting, dispatcher, poll_minutes=30)
    scheduler.start()
    try:
        await asyncio.wait_for(counting.ran.wait(), 5)
        jobs = {job.id: job for job in scheduler._scheduler.get_jobs()}
    finally:
        await scheduler.stop()

    assert set(jobs) == {POLL_JOB, DIGEST_JOB}
    poll = jobs[POLL_JOB]
    assert isinstance(poll.trigger, IntervalTrigger)
    assert poll.trigger.interval == timedelta(minutes=30)
    assert str(poll.trigger.timezone) == "UTC"
    assert (poll.coalesce, poll.max_instances, poll.misfire_grace_time) == (True, 1, 30 * 60)
    assert jobs[DIGEST_JOB].coalesce
    assert counting.runs == 1


async def test_starting_again_replaces_the_jobs_instead_of_adding_more(
    dispatcher: Dispatcher,
) -> None:
    scheduler = Scheduler(CountingCycle(), dispatcher, poll_minutes=30)
    scheduler.start()
    try:
        for job_id in (POLL_JOB, DIGEST_JOB):
            scheduler._scheduler.add_job(
                print, "interval", minutes=1, id=job_id, replace_existing=True
            )
        ids = [job.id for job in scheduler._scheduler.get_jobs()]
        next_poll = scheduler.next_poll()
    finally:
        await scheduler.stop()

    assert sorted(ids) == sorted([POLL_JOB, DIGEST_JOB])
    assert next_poll is not None and next_poll.tzinfo is not None


async def test_the_dispatch_loop_sends_retries_when_they_fall_due(
    store: Store, dispatcher: Dispatcher, platform: InMemoryPlatform, clock: TestClock
) -> None:
    clock.jump(datetime.now(UTC))
    chat = await store.ensure_chat("memory", "1", language="en")
    platform.fail("1", RetryLater(0.3))
    scheduler = Scheduler(
        CountingCycle(), dispatcher, poll_minutes=30, dispatch_idle=timedelta(seconds=30)
    )
    scheduler.start()
    try:
        await queue(store, chat, [make_paper(arxiv_id="2511.00001")])
        dispatcher.wake()
        for _ in range(100):
            if platform.sent:
                break
            await asyncio.sleep(0.05)
    finally:
        await scheduler.stop()

    first, second = platform.attempts
    assert platform.papers_to("1") == ["2511.00001"]
    assert second.at - first.at >= 0.3


async def test_the_digest_job_sends_digests_when_their_time_comes(
    store: Store, dispatcher: Dispatcher, platform: InMemoryPlatform, clock: TestClock
) -> None:
    now = datetime.now(UTC)
    clock.jump(now)
    chat = await store.ensure_chat("memory", "1", language="en")
    an_hour_ago = (now - timedelta(hours=1)).strftime("%H:%M")
    await store.set_digest(chat.id, an_hour_ago, "UTC", now=now - timedelta(days=1))
    await queue(store, chat, [make_paper(arxiv_id="2511.00001")])
    scheduler = Scheduler(
        CountingCycle(), dispatcher, poll_minutes=30, digest_every=timedelta(seconds=0.2)
    )
    scheduler.start()
    try:
        for _ in range(100):
            if platform.sent:
                break
            await asyncio.sleep(0.05)
    finally:
        await scheduler.stop()

    (digest,) = platform.sent
    assert digest.arxiv_ids == ("2511.00001",)


# paperbell poll


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram.start_in_thread() as fake:
        yield fake


async def test_paperbell_poll_delivers_through_telegram_and_a_second_run_sends_nothing(
    tmp_path: Path, telegram: FakeTelegram, arxiv: DailyArxiv
) -> None:
    url = sqlite_url(tmp_path / "paperbell.db")
    migrate.upgrade(url)
    store = Store.connect(url)
    try:
        chat = await store.ensure_chat("telegram", "4242", language="en")
        await subscribe(store, url, chat, ["cs.CV"], since=datetime.now(UTC) - timedelta(days=30))
    finally:
        await store.close()
    today = datetime.now(UTC)
    arxiv.mailing(
        today.date(),
        make_paper(arxiv_id="2511.00001", published=today - timedelta(days=1)),
        make_paper(arxiv_id="2511.00002", published=today - timedelta(days=1)),
    )
    env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=url,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=telegram.url,
        ARXIV_API_URL=arxiv.api_url,
        ARXIV_RSS_URL=arxiv.rss_url,
        ARXIV_REQUEST_INTERVAL="0",
    )

    def poll() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "poll"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    first = await asyncio.to_thread(poll)
    second = await asyncio.to_thread(poll)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    sent = [m for m in telegram.sent if m.chat_id == 4242]
    assert len(sent) == 2
    assert all("arxiv.org/abs/2511.0000" in str(m.reply_markup) for m in sent)
    assert "cycle discovered=2 new=2" in first.stderr
    assert "delivered=0" in second.stderr


# Commands


@pytest.fixture
def service(store: Store, books: Library, clock: TestClock) -> Service:
    return Service(store, books, "en", poll_interval=timedelta(minutes=30), now=clock)


async def allowed() -> bool:
    return True


async def refused() -> bool:
    return False


async def ask(service: Service, command: str, args: str = "", can_manage: object = allowed) -> str:
    replies: list[Reply] = await service.handle(GROUP, command, args, can_manage=can_manage)  # type: ignore[arg-type]
    return "\n".join(r.text for r in replies if isinstance(r, Notice))


async def test_digest_takes_a_time_and_a_time_zone_and_off_undoes_it(
    service: Service, store: Store
) -> None:
    on = await ask(service, "digest", "8:30 Asia/Shanghai")
    chat = await store.get_chat("memory", "-1")
    off = await ask(service, "digest", "off")
    after = await store.get_chat("memory", "-1")

    assert "08:30 (Asia/Shanghai)" in on
    assert chat is not None and (chat.digest_time, chat.timezone) == ("08:30", "Asia/Shanghai")
    assert "Digest off" in off
    assert after is not None and after.digest_time is None and after.timezone == "Asia/Shanghai"


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        ("", "Give a time like 08:30"),
        ("25:00", "Give a time like 08:30"),
        ("08:30 Mars/Olympus", "Unknown time zone Mars/Olympus"),
        ("08:30 UTC extra", "Give a time like 08:30"),
    ],
)
async def test_a_malformed_digest_command_explains_itself_and_changes_nothing(
    service: Service, store: Store, args: str, complaint: str
) -> None:
    reply = await ask(service, "digest", args)

    assert complaint in reply and "Usage: /digest" in reply
    assert await store.get_chat("memory", "-1") is None


async def test_only_administrators_change_a_groups_digest_or_cap(
    service: Service, store: Store
) -> None:
    digest = await ask(service, "digest", "08:00", can_manage=refused)
    cap = await ask(service, "cap", "5", can_manage=refused)

    assert "Only chat administrators" in digest and "Only chat administrators" in cap
    assert await store.get_chat("memory", "-1") is None


async def test_cap_sets_and_clears_the_daily_limit(service: Service, store: Store) -> None:
    on = await ask(service, "cap", "20")
    chat = await store.get_chat("memory", "-1")
    bad = await ask(service, "cap", "0")
    off = await ask(service, "cap", "off")
    after = await store.get_chat("memory", "-1")

    assert "At most 20 cards a day" in on and chat is not None and chat.daily_cap == 20
    assert "from 1 to 1000" in bad
    assert "No daily limit" in off and after is not None and after.daily_cap is None


async def test_status_of_a_new_chat_says_how_to_start_and_when_arxiv_is_next(
    service: Service, clock: TestClock
) -> None:
    clock.jump(datetime(2025, 11, 28, 15, 0, tzinfo=UTC))  # a Friday

    status = await ask(service, "status")

    assert "Follows nothing yet: /subscribe CATEGORY" in status
    assert "Not polled arXiv yet." in status
    assert "Next arXiv announcement: Mon 01 Dec 01:00 UTC" in status  # Sunday 20:00 in New York


async def test_status_after_a_cycle_shows_subscriptions_deliveries_and_announcements(
    service: Service,
    store: Store,
    source: ArxivSource,
    books: Library,
    dispatcher: Dispatcher,
    clock: TestClock,
    arxiv: DailyArxiv,
    database_url: str,
) -> None:
    chat = await store.ensure_chat("memory", "-1", language="en")
    await subscribe(store, database_url, chat, ["cs.CV"], since=LONG_AGO, include=("video",))
    await ask(service, "digest", "09:00 Europe/Berlin")
    await ask(service, "digest", "off")
    arxiv.mailing(date(2025, 11, 25), paper(1, abstract="About video."))  # type: ignore[arg-type]
    await cycle(store, source, books, dispatcher, clock)

    status = await ask(service, "status")

    assert "Follows: cs.CV (only video)" in status
    assert "Delivery: one card per paper." in status
    assert "Last delivery: Tue 25 Nov 16:00 CET." in status
    assert "Last poll of arXiv: Tue 25 Nov 16:00 CET; next about Tue 25 Nov 16:30 CET." in status
    assert "Last arXiv announcement: Tue 25 Nov 02:00 CET, received Tue 25 Nov 16:00 CET." in status
    assert "Next arXiv announcement: Wed 26 Nov 02:00 CET" in status


async def test_help_lists_the_new_commands(service: Service) -> None:
    text = await ask(service, "help")

    for usage in ("/digest HH:MM [TIMEZONE]|off", "/cap N|off", "/status"):
        assert usage in text
