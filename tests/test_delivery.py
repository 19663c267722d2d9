"""The outbox dispatcher, on SQLite and PostgreSQL, through an in-memory platform.

Network behaviour (the real Bot API's 429s, a killed process) is covered by
`test_crash_recovery.py` and the benchmarks; these tests pin down the dispatcher's rules.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.chat.service import Service
from bot.delivery.delivery import Dispatcher
from bot.delivery.platforms import OutcomeUnknown, RateLimits, Rejected, RetryLater
from bot.source.papers import Paper
from bot.store import Chat, Store
from bot.support.config import load_settings
from tests.fakes.outbox import StaticSummarizer, TestClock, execute, library, queue, states
from tests.fakes.papers import make_paper
from tests.fakes.platform import Flaky, InMemoryPlatform
from tests.fakes.telegram_server import TOKEN, FakeTelegram


def coming(hour: int, minute: int = 0) -> datetime:
    """A moment at least a day ahead at this UTC time: queued rows are due by then."""
    day = datetime.now(UTC) + timedelta(days=2)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0)


@pytest.fixture
def platform() -> InMemoryPlatform:
    return InMemoryPlatform()


@pytest.fixture
def summarizer() -> StaticSummarizer:
    return StaticSummarizer()


@pytest.fixture
def clock() -> TestClock:
    return TestClock(datetime.now(UTC))


@pytest.fixture
def dispatcher(
    store: Store, platform: InMemoryPlatform, summarizer: StaticSummarizer, clock: TestClock
) -> Dispatcher:
    return make_dispatcher(store, platform, summarizer, clock)


@pytest.fixture
async def other_store(database_url: str) -> AsyncIterator[Store]:
    """A second connection pool on the same database, as a second process would have."""
    store = Store.connect(database_url)
    yield store
    await store.close()


def make_dispatcher(
    store: Store,
    platform: InMemoryPlatform,
    summarizer: StaticSummarizer,
    clock: TestClock,
    **options: object,
) -> Dispatcher:
    settings: dict[str, object] = {"concurrency": 8, "backoff": timedelta(milliseconds=50)}
    settings.update(options)
    return Dispatcher(store, library(store, summarizer), [platform], now=clock, **settings)  # type: ignore[arg-type]


async def new_chat(store: Store, external_id: str, language: str = "en") -> Chat:
    return await store.ensure_chat("memory", external_id, language=language)  # type: ignore[arg-type]


def papers(count: int, first: int = 1) -> list[Paper]:
    return [
        make_paper(arxiv_id=f"2511.{n:05d}", title=f"Paper number {n}")
        for n in range(first, first + count)
    ]


def ids(items: list[Paper]) -> list[str]:
    return [p.arxiv_id for p in items]


# Order, idempotence, bookkeeping


async def test_each_chat_gets_its_papers_once_in_the_order_they_were_queued(
    store: Store, dispatcher: Dispatcher, platform: InMemoryPlatform, database_url: str
) -> None:
    alice, bob = await new_chat(store, "1"), await new_chat(store, "2")
    first, second = papers(4), papers(3, first=10)
    await queue(store, alice, first)
    await queue(store, bob, second)
    await queue(store, alice, second)

    report = await dispatcher.drain()

    assert platform.papers_to("1") == ids(first) + ids(second)
    assert platform.papers_to("2") == ids(second)
    assert report.delivered == report.messages == 10
    assert set((await states(database_url)).values()) == {"sent"}


async def test_a_second_drain_sends_nothing_again(
    store: Store, dispatcher: Dispatcher, platform: InMemoryPlatform
) -> None:
    await queue(store, await new_chat(store, "1"), papers(3))
    await dispatcher.drain()

    again = await dispatcher.drain()

    assert len(platform.sent) == 3
    assert again.messages == 0


async def test_the_platform_message_id_and_time_are_recorded(
    store: Store, dispatcher: Dispatcher, platform: InMemoryPlatform, database_url: str
) -> None:
    await queue(store, await new_chat(store, "1"), papers(2))

    await dispatcher.drain()

    rows = await execute(
        database_url, "SELECT paper_id, platform_message_id, sent_at FROM deliveries ORDER BY id"
    )
    assert [(r[0], r[1]) for r in rows] == [(s.arxiv_ids[0], s.message_id) for s in platform.sent]
    assert all(r[2] is not None for r in rows)


async def test_cards_carry_the_chats_language_and_its_matched_topics(
    store: Store, dispatcher: Dispatcher, platform: InMemoryPlatform
) -> None:
    chat = await new_chat(store, "1", language="zh")
    await store.set_topic(chat.id, "Robots", ["robot"])
    await store.set_topic(chat.id, "Speech", ["speech"])
    await queue(store, chat, [make_paper(arxiv_id="2511.00001", abstract="A robot arm.")])

    await dispatcher.drain()

    (sent,) = platform.sent
    assert sent.card is not None
    assert sent.card.language == "zh"
    topics = sent.card.section("topics")
    assert topics is not None and topics.items == ("Robots",)


async def test_chats_of_platforms_the_dispatcher_does_not_serve_are_left_queued(
    store: Store, dispatcher: Dispatcher, database_url: str
) -> None:
    slack = await store.ensure_chat("slack", "C1", language="en")
    await queue(store, slack, papers(1))

    await dispatcher.drain()

    assert await states(database_url, slack) == {"2511.00001": "pending"}


# What the platform answers


async def test_rate_limited_sends_wait_exactly_retry_after_and_nothing_is_lost(
    store: Store, platform: InMemoryPlatform, summarizer: StaticSummarizer, database_url: str
) -> None:
    chats = [await new_chat(store, str(n)) for n in range(1, 5)]
    for chat in chats:
        # One card each: a chat whose later card is due while its first waits is claimed
        # again at once, over and over until the clock moves, which here it does not.
        await queue(store, chat, papers(1))
        platform.fail(chat.external_id, RetryLater(0.3), RetryLater(0.2))
    # Stopped after queueing: each drain sends what is due at the moment the test sets.
    clock = TestClock(datetime.now(UTC), running=False)
    start = clock()
    dispatcher = make_dispatcher(store, platform, summarizer, clock, hold=timedelta(0))

    async def retries_at() -> set[datetime]:
        entries = [await store.next_in_outbox(chat.id) for chat in chats]
        return {entry.next_attempt_at for entry in entries if entry is not None}

    throttled = (await dispatcher.drain()).throttled
    assert await retries_at() == {start + timedelta(seconds=0.3)}  # nothing piled on top
    clock.advance(timedelta(seconds=0.3) - timedelta(microseconds=1))
    throttled += (await dispatcher.drain()).throttled
    assert len(platform.attempts) == 4, "nothing goes sooner than Retry-After asks"
    clock.advance(timedelta(microseconds=1))
    throttled += (await dispatcher.drain()).throttled
    assert await retries_at() == {start + timedelta(seconds=0.5)}
    clock.advance(timedelta(seconds=0.2))
    throttled += (await dispatcher.drain()).throttled

    for chat in chats:
        assert platform.papers_to(chat.external_id) == ids(papers(1))
    assert throttled == 8
    assert set((await states(database_url)).values()) == {"sent"}
    attempts = await execute(database_url, "SELECT DISTINCT attempts FROM deliveries")
    assert attempts == [(0,)]


async def test_a_long_retry_after_frees_the_sender_and_the_drain_comes_back_for_it(
    store: Store,
    platform: InMemoryPlatform,
    summarizer: StaticSummarizer,
    clock: TestClock,
) -> None:
    # One sender: chat 2 gets it only if chat 1's sender is freed rather than kept waiting.
    dispatcher = make_dispatcher(
        store, platform, summarizer, clock, hold=timedelta(seconds=0.1), concurrency=1
    )
    await queue(store, await new_chat(store, "1"), papers(1))
    await queue(store, await new_chat(store, "2"), papers(2))
    platform.fail("1", RetryLater(0.6))

    await dispatcher.drain(wait=timedelta(seconds=5))

    first, second = [a.at for a in platform.attempts if a.chat_id == "1"][:2]
    assert second - first >= 0.6
    assert platform.papers_to("1") == ids(papers(1))
    assert platform.papers_to("2") == ids(papers(2))
    assert [s.chat_id for s in platform.sent] == ["2", "2", "1"]


async def test_a_drain_without_wait_leaves_later_retries_queued(
    store: Store, dispatcher: Dispatcher, platform: InMemoryPlatform, database_url: str
) -> None:
    await queue(store, await new_chat(store, "1"), papers(1))
    platform.fail("1", RetryLater(30))

    report = await dispatcher.drain()

    assert report.throttled == 1
    assert platform.sent == []
    assert await states(database_url) == {"1:2511.00001": "pending"}


async def test_a_blocked_chat_is_deactivated_and_its_queue_failed_in_one_go(
    store: Store, dispatcher: Dispatcher, platform: InMemoryPlatform, database_url: str
) -> None:
    blocked, fine = await new_chat(store, "1"), await new_chat(store, "2")
    await queue(store, blocked, papers(5))
    await queue(store, fine, papers(5))
    platform.gone("1")

    report = await dispatcher.drain(wait=timedelta(seconds=5))

    assert len([a for a in platform.attempts if a.chat_id == "1"]) == 1
    assert platform.papers_to("2") == ids(papers(5))
    assert set((await states(database_url, blocked)).values()) == {"failed"}
    assert report.failed == 5
    chat = await store.get_chat("memory", "1")
    assert chat is not None and not chat.active
    assert chat.inactive_reason == "Forbidden: bot was blocked by the user"
    assert [s.category for s in await store.list_subscriptions(chat.id)] == []


async def test_a_migrated_group_gets_its_papers_at_its_new_id_in_order(
    store: Store, dispatcher: Dispatcher, platform: InMemoryPlatform
) -> None:
    group = await new_chat(store, "-5001")
    await store.subscribe(group.id, ["cs.CV"])
    await queue(store, group, papers(3))
    platform.move("-5001", "-1005001")

    await dispatcher.drain()

    assert platform.papers_to("-1005001") == ids(papers(3))
    moved = await store.get_chat("memory", "-1005001")
    assert moved is not None and moved.id == group.id
    assert [s.category for s in await store.list_subscriptions(moved.id)] == ["cs.CV"]


async def test_a_send_without_an_answer_is_marked_unknown_and_never_resent(
    store: Store, dispatcher: Dispatcher, platform: InMemoryPlatform, database_url: str
) -> None:
    chat = await new_chat(store, "1")
    await queue(store, chat, papers(3))
    platform.fail("1", OutcomeUnknown("no answer within 30 s"))

    first = await dispatcher.drain()
    await dispatcher.drain()

    assert first.unknown == 1
    assert platform.papers_to("1") == ids(papers(3))[1:]
    assert await states(database_url, chat) == {
        "2511.00001": "unknown",
        "2511.00002": "sent",
        "2511.00003": "sent",
    }


async def test_transient_failures_are_retried_with_growing_backoff(
    store: Store, dispatcher: Dispatcher, platform: InMemoryPlatform
) -> None:
    await queue(store, await new_chat(store, "1"), papers(2))
    platform.fail("1", Flaky("HTTP 502"), Flaky("HTTP 502"))

    report = await dispatcher.drain(wait=timedelta(seconds=5))

    tries = [a.at for a in platform.attempts if a.chat_id == "1"]
    assert platform.papers_to("1") == ids(papers(2))
    assert tries[1] - tries[0] >= 0.05
    assert tries[2] - tries[1] >= 0.1
    assert report.retried == 2


async def test_a_delivery_that_keeps_failing_is_given_up_and_the_chat_moves_on(
    store: Store,
    platform: InMemoryPlatform,
    summarizer: StaticSummarizer,
    clock: TestClock,
    database_url: str,
) -> None:
    dispatcher = make_dispatcher(
        store, platform, summarizer, clock, max_attempts=3, backoff=timedelta(milliseconds=10)
    )
    chat = await new_chat(store, "1")
    await queue(store, chat, papers(2))
    platform.fail("1", Flaky("reset"), Flaky("reset"), Flaky("reset"))

    report = await dispatcher.drain(wait=timedelta(seconds=5))

    assert len([a for a in platform.attempts if a.error == "Flaky"]) == 3
    assert await states(database_url, chat) == {"2511.00001": "failed", "2511.00002": "sent"}
    assert report.failed == 1


async def test_a_refused_card_fails_at_once_without_retry(
    store: Store, dispatcher: Dispatcher, platform: InMemoryPlatform, database_url: str
) -> None:
    chat = await new_chat(store, "1")
    await queue(store, chat, papers(2))
    platform.fail("1", Rejected("Bad Request: message is too long"))

    await dispatcher.drain(wait=timedelta(seconds=5))

    assert len(platform.refusals(Rejected)) == 1
    assert await states(database_url, chat) == {"2511.00001": "failed", "2511.00002": "sent"}


# Concurrency and limits


async def test_one_slow_chat_does_not_hold_up_the_others(
    store: Store, dispatcher: Dispatcher, platform: InMemoryPlatform
) -> None:
    slow = await new_chat(store, "slow")
    others = [await new_chat(store, str(n)) for n in range(1, 7)]
    await queue(store, slow, papers(2))
    for chat in others:
        await queue(store, chat, papers(3))
    release = platform.hold("slow")

    drain = asyncio.create_task(dispatcher.drain())
    for _ in range(600):
        if len([s for s in platform.sent if s.chat_id != "slow"]) == 18 or drain.done():
            break
        await asyncio.sleep(0.05)

    assert len([s for s in platform.sent if s.chat_id != "slow"]) == 18
    assert platform.sent_to("slow") == []
    release.set()
    await drain
    assert platform.papers_to("slow") == ids(papers(2))


async def test_sends_keep_to_the_platforms_limits_per_chat_and_per_group(
    store: Store, summarizer: StaticSummarizer, clock: TestClock
) -> None:
    limits = RateLimits(global_per_second=40, per_chat_per_second=10, per_group_per_minute=300)
    platform = InMemoryPlatform(limits=limits, groups={"-1"}, enforce=True)
    dispatcher = make_dispatcher(store, platform, summarizer, clock)
    await queue(store, await new_chat(store, "-1"), papers(4))
    for n in range(1, 5):
        await queue(store, await new_chat(store, str(n)), papers(4))

    await dispatcher.drain(wait=timedelta(seconds=5))

    assert platform.refusals(RetryLater) == []
    assert len(platform.sent) == 20
    group = [s.at for s in platform.sent_to("-1")]
    assert min(b - a for a, b in itertools.pairwise(group)) >= 0.2
    private = [s.at for s in platform.sent_to("1")]
    assert min(b - a for a, b in itertools.pairwise(private)) >= 0.1
    overall = sorted(s.at for s in platform.sent)
    assert overall[-1] - overall[0] >= 19 / 40 - 0.01


async def test_two_dispatchers_on_one_database_never_send_the_same_delivery(
    store: Store, other_store: Store, summarizer: StaticSummarizer, clock: TestClock
) -> None:
    chats = [await new_chat(store, str(n)) for n in range(1, 31)]
    for chat in chats:
        await queue(store, chat, papers(5))
    one, two = InMemoryPlatform(latency=0.005), InMemoryPlatform(latency=0.005)
    first = make_dispatcher(store, one, summarizer, clock, concurrency=4)
    second = make_dispatcher(other_store, two, summarizer, clock, concurrency=4)

    await asyncio.gather(first.drain(), second.drain())

    sent = Counter((s.chat_id, s.arxiv_ids[0]) for s in one.sent + two.sent)
    assert len(sent) == 150
    assert set(sent.values()) == {1}
    assert one.sent and two.sent
    for chat in chats:
        in_order = [s for s in one.sent + two.sent if s.chat_id == chat.external_id]
        assert [s.arxiv_ids[0] for s in sorted(in_order, key=lambda s: s.at)] == ids(papers(5))


async def test_two_claims_at_once_never_share_a_chat(store: Store, other_store: Store) -> None:
    for n in range(1, 41):
        await queue(store, await new_chat(store, str(n)), papers(1))
    now = datetime.now(UTC)

    first, second = await asyncio.gather(
        store.claim_chats("a", ["memory"], now=now, lease=timedelta(minutes=1), limit=25),
        other_store.claim_chats("b", ["memory"], now=now, lease=timedelta(minutes=1), limit=25),
    )

    assert not {c.id for c in first} & {c.id for c in second}
    assert len(first) + len(second) == 40


async def test_a_chat_whose_first_card_waits_out_a_retry_is_not_claimed_for_its_later_cards(
    store: Store, clock: TestClock
) -> None:
    chat = await new_chat(store, "1")
    await queue(store, chat, papers(3))
    first = await store.next_in_outbox(chat.id)
    assert first is not None
    now = clock()
    await store.reschedule([first.id], at=now + timedelta(hours=1), error="429", counts=False)

    early = await store.claim_chats("a", ["memory"], now=now, lease=timedelta(minutes=1), limit=5)
    on_time = await store.claim_chats(
        "a", ["memory"], now=now + timedelta(hours=1), lease=timedelta(minutes=1), limit=5
    )

    assert early == []
    assert [c.id for c in on_time] == [chat.id]
    assert await store.next_due_at("a", ["memory"], now=now) == now + timedelta(hours=1)


async def test_a_delivery_left_mid_send_by_a_dead_dispatcher_goes_again_after_its_lease(
    store: Store,
    dispatcher: Dispatcher,
    platform: InMemoryPlatform,
    database_url: str,
    clock: TestClock,
) -> None:
    chat = await new_chat(store, "1")
    await queue(store, chat, papers(3))
    lease = timedelta(minutes=5)
    now = clock()
    (held,) = await store.claim_chats("dead", ["memory"], now=now, lease=lease, limit=1)
    entry = await store.next_in_outbox(held.id)
    assert entry is not None
    assert await store.start_sending([entry.id], held.id, "dead", now=now, lease=lease)

    while_leased = await dispatcher.drain()
    clock.advance(lease)
    after = await dispatcher.drain()

    assert while_leased.messages == 0
    assert after.messages == 3
    assert platform.papers_to("1") == ids(papers(3))
    assert set((await states(database_url, chat)).values()) == {"sent"}


# Volume control


async def test_over_the_daily_cap_the_rest_of_the_day_arrives_as_one_digest(
    store: Store, dispatcher: Dispatcher, platform: InMemoryPlatform, database_url: str
) -> None:
    chat = await new_chat(store, "1")
    await store.set_daily_cap(chat.id, 2)
    await queue(store, chat, papers(5))

    await dispatcher.drain()
    await queue(store, chat, papers(2, first=20))
    await dispatcher.drain()

    cards = [s for s in platform.sent if s.card is not None]
    digests = [s for s in platform.sent if s.card is None]
    assert [s.arxiv_ids for s in cards] == [("2511.00001",), ("2511.00002",)]
    assert [s.arxiv_ids for s in digests] == [
        ("2511.00003", "2511.00004", "2511.00005"),
        ("2511.00020", "2511.00021"),
    ]
    assert digests[0].title is not None and "3 more new papers" in digests[0].title
    assert set((await states(database_url, chat)).values()) == {"sent"}


async def test_the_cap_starts_again_at_midnight_in_the_chats_time_zone(
    store: Store, dispatcher: Dispatcher, platform: InMemoryPlatform, clock: TestClock
) -> None:
    chat = await new_chat(store, "1")
    await store.set_daily_cap(chat.id, 1)
    await store.set_digest(chat.id, None, "Asia/Tokyo", now=clock())
    clock.jump(coming(14, 30))  # 23:30 in Tokyo
    await queue(store, chat, papers(1))
    await dispatcher.drain()
    clock.advance(timedelta(hours=1))  # 00:30 the next day in Tokyo
    await queue(store, chat, papers(1, first=2))

    await dispatcher.drain()

    assert [s.card is not None for s in platform.sent] == [True, True]


async def test_a_digest_chat_gets_nothing_until_its_digest_time_then_one_message(
    store: Store,
    dispatcher: Dispatcher,
    platform: InMemoryPlatform,
    clock: TestClock,
    database_url: str,
) -> None:
    chat = await new_chat(store, "1")
    clock.jump(coming(23))  # 07:00 in Shanghai
    await store.set_digest(chat.id, "08:00", "Asia/Shanghai", now=clock())
    await queue(store, chat, papers(3))

    await dispatcher.drain()
    early = await dispatcher.send_digests()
    clock.advance(timedelta(hours=1, minutes=1))
    on_time = await dispatcher.send_digests()
    again = await dispatcher.send_digests()

    assert (early.messages, on_time.messages, again.messages) == (0, 1, 0)
    (digest,) = platform.sent
    assert digest.arxiv_ids == tuple(ids(papers(3)))
    shanghai_day = (clock() + timedelta(hours=8)).date().isoformat()
    assert digest.title == f"arXiv digest, {shanghai_day}: 3 new papers"
    assert [e.takeaway for e in digest.digest] == [
        f"Takeaway of Paper number {n}." for n in (1, 2, 3)
    ]
    assert set((await states(database_url, chat)).values()) == {"sent"}


async def test_a_quiet_day_sends_no_digest(
    store: Store, dispatcher: Dispatcher, platform: InMemoryPlatform, clock: TestClock
) -> None:
    chat = await new_chat(store, "1")
    await store.set_digest(chat.id, "08:00", "UTC", now=clock())
    clock.advance(timedelta(days=1))

    report = await dispatcher.send_digests()

    assert report.messages == 0
    assert platform.attempts == []


async def test_a_large_digest_is_split_into_several_messages(
    store: Store,
    platform: InMemoryPlatform,
    summarizer: StaticSummarizer,
    clock: TestClock,
) -> None:
    dispatcher = make_dispatcher(store, platform, summarizer, clock, digest_size=4)
    chat = await new_chat(store, "1")
    clock.jump(coming(12))
    await store.set_digest(chat.id, "13:00", "UTC", now=clock())
    await queue(store, chat, papers(10))
    clock.advance(timedelta(hours=2))

    report = await dispatcher.send_digests()

    assert [len(s.arxiv_ids) for s in platform.sent] == [4, 4, 2]
    assert report.delivered == 10


# Through the real Telegram adapter and the fake Bot API


async def test_a_429_storm_from_telegram_is_waited_out_exactly_and_nothing_is_lost(
    store: Store,
    summarizer: StaticSummarizer,
    clock: TestClock,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from handlers.telegram.adapter import TelegramAdapter

    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # python-telegram-bot's future retry_after type
    async with FakeTelegram() as telegram:
        settings = load_settings(
            DATABASE_URL=database_url, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=telegram.url
        )
        books = library(store, summarizer)
        adapter = TelegramAdapter(settings, Service(store, books, "en"), asyncio.Event())
        dispatcher = Dispatcher(store, books, [adapter], now=clock)
        for n in range(1, 6):
            chat = await store.ensure_chat("telegram", str(n), language="en")
            await queue(store, chat, papers(2))
        for _ in range(5):
            telegram.fail_next(
                "sendMessage", 429, "Too Many Requests: retry after 1", {"retry_after": 1}
            )

        report = await dispatcher.drain(wait=timedelta(seconds=10))
        calls = telegram.calls_to("sendMessage")

    assert report.throttled == 5 and telegram.throttled == 5
    assert report.delivered == 10
    assert Counter(m.chat_id for m in telegram.sent) == {n: 2 for n in range(1, 6)}
    for n in range(1, 6):
        to_chat = [c for c in calls if c.params["chat_id"] == n]
        refused = [i for i, c in enumerate(to_chat) if c.status == 429]
        for i in refused:
            assert to_chat[i + 1].at - to_chat[i].at >= 1.0
    assert set((await states(database_url)).values()) == {"sent"}
