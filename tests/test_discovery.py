"""Discovery against the fake arXiv (feed and API), on a calendar the test controls.

The dates are real: the week of US Thanksgiving 2025. Mailings are dated Monday to Friday
and go public at 20:00 US Eastern the evening before (01:00 UTC); the mailing dated
Thursday 27 November is a holiday.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.schedule.discovery import Discovered, Discovery
from bot.source.arxiv_source import ArxivSource
from bot.source.papers import Paper
from bot.store import Chat, Store
from tests.fakes.arxiv_server import rss_feed
from tests.fakes.mailings import DailyArxiv
from tests.fakes.outbox import TestClock, states, subscribe
from tests.fakes.papers import make_paper

LONG_AGO = datetime(2025, 11, 1, tzinfo=UTC)
FRIDAY_21 = datetime(2025, 11, 21, 15, 0, tzinfo=UTC)
MONDAY = datetime(2025, 11, 24, 15, 0, tzinfo=UTC)
TUESDAY = datetime(2025, 11, 25, 15, 0, tzinfo=UTC)
WEDNESDAY = datetime(2025, 11, 26, 15, 0, tzinfo=UTC)
THANKSGIVING = datetime(2025, 11, 27, 15, 0, tzinfo=UTC)
FRIDAY = datetime(2025, 11, 28, 15, 0, tzinfo=UTC)
SATURDAY = datetime(2025, 11, 29, 15, 0, tzinfo=UTC)


@pytest.fixture
async def arxiv() -> AsyncIterator[DailyArxiv]:
    async with DailyArxiv() as fake:
        yield fake


@pytest.fixture
def clock() -> TestClock:
    return TestClock(TUESDAY)


@pytest.fixture
def discovery(store: Store, arxiv: DailyArxiv, clock: TestClock) -> Discovery:
    source = ArxivSource(
        arxiv.api_url, 0.0, 2.0, rss_url=arxiv.rss_url, max_retries=2, backoff=0.01
    )
    return Discovery(store, source, now=clock)


def paper(n: int, *categories: str, submitted: datetime | None = None, **fields: object) -> Paper:
    """A paper submitted on the morning (US Eastern) before the given mailing's evening."""
    when = submitted or datetime(2025, 11, 24, 15, 0, tzinfo=UTC)
    cats = categories or ("cs.CV",)
    return make_paper(
        arxiv_id=f"2511.{n:05d}",
        version=1,
        title=f"Paper {n}",
        primary_category=cats[0],
        categories=cats,
        published=when,
        updated=when,
        **fields,
    )


async def chat_following(
    store: Store, database_url: str, name: str, *categories: str, since: datetime = LONG_AGO
) -> Chat:
    chat = await store.ensure_chat("telegram", name, language="en")
    await subscribe(store, database_url, chat, list(categories), since=since)
    return chat


async def poll_at(discovery: Discovery, clock: TestClock, moment: datetime) -> Discovered:
    clock.jump(moment)
    return await discovery.poll()


def searches(arxiv: DailyArxiv) -> list[str]:
    return [r.query["search_query"] for r in arxiv.api_requests() if "search_query" in r.query]


# A normal day


async def test_new_papers_are_stored_and_queued_once_for_each_chat_following_them(
    store: Store, discovery: Discovery, arxiv: DailyArxiv, database_url: str
) -> None:
    vision = await chat_following(store, database_url, "1", "cs.CV")
    both = await chat_following(store, database_url, "2", "cs.CV", "cs.LG")
    algebra = await chat_following(store, database_url, "3", "math.AG")
    arxiv.mailing(date(2025, 11, 25), paper(1), paper(2, "cs.LG", "cs.CV"), paper(3, "cs.LG"))

    found = await discovery.poll()

    assert (found.announced, found.new, found.queued) == (3, 3, 5)
    assert list(await states(database_url, vision)) == ["2511.00001", "2511.00002"]
    assert list(await states(database_url, both)) == ["2511.00001", "2511.00002", "2511.00003"]
    assert await states(database_url, algebra) == {}
    stored = await store.get_paper("2511.00002")
    assert stored is not None and stored.categories == ("cs.LG", "cs.CV")


async def test_one_feed_request_for_every_category_and_metadata_a_hundred_at_a_time(
    store: Store, discovery: Discovery, arxiv: DailyArxiv, database_url: str
) -> None:
    await chat_following(store, database_url, "1", "cs.LG", "cs.CV")
    arxiv.mailing(date(2025, 11, 25), *(paper(n) for n in range(1, 151)))

    found = await discovery.poll()

    feeds = [r.path for r in arxiv.requests if r.path.startswith("/rss/")]
    id_lists = [
        r.query["id_list"].count(",") + 1 for r in arxiv.api_requests() if r.query["id_list"]
    ]
    assert feeds == ["/rss/cs.CV+cs.LG"]
    assert id_lists == [100, 50]
    assert found.queued == 150


async def test_polling_the_same_mailing_again_queues_nothing_and_asks_the_api_nothing(
    store: Store, discovery: Discovery, arxiv: DailyArxiv, clock: TestClock, database_url: str
) -> None:
    await chat_following(store, database_url, "1", "cs.CV")
    arxiv.mailing(date(2025, 11, 25), paper(1), paper(2))
    await discovery.poll()
    api_before = len(arxiv.api_requests())

    again = await poll_at(discovery, clock, TUESDAY + timedelta(minutes=30))

    assert again.queued == 0
    assert len(arxiv.api_requests()) == api_before


async def test_keyword_filters_decide_what_is_queued(
    store: Store, discovery: Discovery, arxiv: DailyArxiv, database_url: str
) -> None:
    chat = await store.ensure_chat("telegram", "1", language="en")
    await subscribe(store, database_url, chat, ["cs.CV"], since=LONG_AGO, include=("diffusion",))
    arxiv.mailing(
        date(2025, 11, 25),
        paper(1, abstract="A diffusion model for video."),
        paper(2, abstract="A transformer for video."),
    )

    await discovery.poll()

    assert list(await states(database_url, chat)) == ["2511.00001"]


# Versions and cross-lists


async def test_a_new_version_of_an_announced_paper_is_not_sent_again(
    store: Store, discovery: Discovery, arxiv: DailyArxiv, clock: TestClock, database_url: str
) -> None:
    chat = await chat_following(store, database_url, "1", "cs.CV")
    first = paper(1)
    arxiv.mailing(date(2025, 11, 25), first)
    await discovery.poll()
    arxiv.mailing(date(2025, 11, 26), (dataclasses.replace(first, version=2), "replace"))

    found = await poll_at(discovery, clock, WEDNESDAY)

    assert found.queued == 0
    assert await states(database_url, chat) == {"2511.00001": "pending"}


async def test_a_cross_list_reaches_the_cross_listed_categorys_subscribers_only(
    store: Store, discovery: Discovery, arxiv: DailyArxiv, clock: TestClock, database_url: str
) -> None:
    learning = await chat_following(store, database_url, "1", "cs.LG")
    vision = await chat_following(store, database_url, "2", "cs.CV")
    arxiv.mailing(date(2025, 11, 25), paper(1, "cs.LG"))
    await discovery.poll()
    late_learner = await chat_following(store, database_url, "3", "cs.LG", since=TUESDAY)
    arxiv.mailing(date(2025, 11, 26), (paper(1, "cs.LG", "cs.CV"), "cross"))

    found = await poll_at(discovery, clock, WEDNESDAY)

    assert found.queued == 1
    assert list(await states(database_url, learning)) == ["2511.00001"]
    assert list(await states(database_url, vision)) == ["2511.00001"]
    assert await states(database_url, late_learner) == {}
    stored = await store.get_paper("2511.00001")
    assert stored is not None and stored.categories == ("cs.LG", "cs.CV")


async def test_a_replaced_cross_list_is_not_announced(
    store: Store, discovery: Discovery, arxiv: DailyArxiv, database_url: str
) -> None:
    chat = await chat_following(store, database_url, "1", "cs.CV")
    revised = dataclasses.replace(paper(1, "cs.LG", "cs.CV", submitted=LONG_AGO), version=2)
    arxiv.mailing(date(2025, 11, 25), (revised, "replace-cross"))

    found = await discovery.poll()

    assert found.announced == 0
    assert await states(database_url, chat) == {}


# New subscribers


async def test_a_new_subscriber_starts_with_the_next_mailing(
    store: Store, discovery: Discovery, arxiv: DailyArxiv, clock: TestClock, database_url: str
) -> None:
    veteran = await chat_following(store, database_url, "1", "cs.CV")
    newcomer = await chat_following(store, database_url, "2", "cs.CV", since=TUESDAY)
    arxiv.mailing(date(2025, 11, 25), paper(1))
    await discovery.poll()
    arxiv.mailing(date(2025, 11, 26), paper(2, submitted=TUESDAY))

    await poll_at(discovery, clock, WEDNESDAY)

    assert list(await states(database_url, veteran)) == ["2511.00001", "2511.00002"]
    assert list(await states(database_url, newcomer)) == ["2511.00002"]


async def test_the_first_poll_catches_up_without_flooding_a_new_subscriber(
    store: Store, discovery: Discovery, arxiv: DailyArxiv, database_url: str
) -> None:
    newcomer = await chat_following(store, database_url, "1", "cs.CV", since=TUESDAY)
    arxiv.publish(paper(1, submitted=FRIDAY_21), paper(2, submitted=MONDAY - timedelta(days=1)))
    arxiv.mailing(date(2025, 11, 25), paper(3))

    found = await discovery.poll()

    assert found.caught_up
    assert searches(arxiv)
    assert await states(database_url, newcomer) == {}
    assert len(await store.get_papers(["2511.00001", "2511.00002", "2511.00003"])) == 3


# Quiet days and missing mailings


async def test_saturday_is_quiet_without_a_warning_or_an_api_query(
    store: Store,
    discovery: Discovery,
    arxiv: DailyArxiv,
    clock: TestClock,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await chat_following(store, database_url, "1", "cs.CV")
    arxiv.mailing(date(2025, 11, 28), paper(1, submitted=THANKSGIVING - timedelta(days=1)))
    await poll_at(discovery, clock, FRIDAY)
    arxiv.quiet(date(2025, 11, 29))
    api_before = len(arxiv.api_requests())

    with caplog.at_level(logging.WARNING, logger="bot.schedule.discovery"):
        found = await poll_at(discovery, clock, SATURDAY)

    assert not found.suspicious
    assert caplog.records == []
    assert len(arxiv.api_requests()) == api_before


async def test_a_holiday_is_quiet_too(
    store: Store,
    discovery: Discovery,
    arxiv: DailyArxiv,
    clock: TestClock,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await chat_following(store, database_url, "1", "cs.CV")
    arxiv.mailing(date(2025, 11, 26), paper(1, submitted=TUESDAY - timedelta(hours=6)))
    await poll_at(discovery, clock, WEDNESDAY)
    arxiv.quiet(date(2025, 11, 27))
    searched = len(searches(arxiv))

    with caplog.at_level(logging.WARNING, logger="bot.schedule.discovery"):
        found = await poll_at(discovery, clock, THANKSGIVING)

    assert not found.suspicious
    assert caplog.records == []
    assert len(searches(arxiv)) == searched


async def test_an_empty_feed_when_a_mailing_is_due_is_a_warning_and_the_api_catches_up(
    store: Store,
    discovery: Discovery,
    arxiv: DailyArxiv,
    clock: TestClock,
    database_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    chat = await chat_following(store, database_url, "1", "cs.CV")
    arxiv.mailing(date(2025, 11, 24), paper(1, submitted=FRIDAY_21 - timedelta(hours=1)))
    await poll_at(discovery, clock, MONDAY)
    arxiv.quiet(date(2025, 11, 25))
    arxiv.publish(paper(2), paper(3))

    with caplog.at_level(logging.WARNING, logger="bot.schedule.discovery"):
        found = await poll_at(discovery, clock, TUESDAY)
    warnings = [r.getMessage() for r in caplog.records]
    arxiv.mailing(date(2025, 11, 25), paper(2), paper(3))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.schedule.discovery"):
        later = await poll_at(discovery, clock, TUESDAY + timedelta(minutes=30))

    assert found.suspicious and found.caught_up
    assert len(warnings) == 1 and "2025-11-25 is due" in warnings[0]
    assert list(await states(database_url, chat)) == ["2511.00001", "2511.00002", "2511.00003"]
    assert not later.suspicious and later.queued == 0
    assert caplog.records == []


async def test_a_stale_feed_when_a_mailing_is_due_counts_as_missing(
    store: Store, discovery: Discovery, arxiv: DailyArxiv, clock: TestClock, database_url: str
) -> None:
    chat = await chat_following(store, database_url, "1", "cs.CV")
    arxiv.mailing(date(2025, 11, 24), paper(1, submitted=FRIDAY_21 - timedelta(hours=1)))
    await poll_at(discovery, clock, MONDAY)
    arxiv.publish(paper(2))

    found = await poll_at(discovery, clock, TUESDAY)

    assert found.suspicious
    assert list(await states(database_url, chat)) == ["2511.00001", "2511.00002"]


async def test_mailings_missed_while_the_bot_was_down_arrive_oldest_first(
    store: Store, discovery: Discovery, arxiv: DailyArxiv, clock: TestClock, database_url: str
) -> None:
    chat = await chat_following(store, database_url, "1", "cs.CV")
    arxiv.mailing(date(2025, 11, 21), paper(1, submitted=FRIDAY_21 - timedelta(days=1)))
    await poll_at(discovery, clock, FRIDAY_21)
    arxiv.publish(
        paper(2, submitted=FRIDAY_21 - timedelta(hours=1)),  # the mailing of Monday 24
        paper(3, submitted=MONDAY),  # the mailing of Tuesday 25
    )
    arxiv.mailing(date(2025, 11, 26), paper(4, submitted=TUESDAY))

    found = await poll_at(discovery, clock, WEDNESDAY)

    assert found.caught_up and not found.suspicious
    assert list(await states(database_url, chat)) == [f"2511.0000{n}" for n in (1, 2, 3, 4)]


# arXiv misbehaving


async def test_arxiv_answering_503_twice_is_retried_within_the_poll(
    store: Store, discovery: Discovery, arxiv: DailyArxiv, database_url: str
) -> None:
    await chat_following(store, database_url, "1", "cs.CV")
    arxiv.mailing(date(2025, 11, 25), paper(1))
    arxiv.fail_next(2, status=503)

    found = await discovery.poll()

    assert found.error is None and found.queued == 1


async def test_arxiv_down_for_a_whole_poll_loses_nothing(
    store: Store, discovery: Discovery, arxiv: DailyArxiv, clock: TestClock, database_url: str
) -> None:
    chat = await chat_following(store, database_url, "1", "cs.CV")
    arxiv.mailing(date(2025, 11, 25), paper(1))
    arxiv.fail_next(3, status=503)

    failed = await discovery.poll()
    state = await store.get_poll_state()
    later = await poll_at(discovery, clock, TUESDAY + timedelta(minutes=30))

    assert failed.error is not None and "503" in failed.error
    assert state.last_success_at is None and state.last_error == failed.error
    assert later.queued == 1
    assert list(await states(database_url, chat)) == ["2511.00001"]


async def test_an_empty_page_from_the_api_is_retried_not_taken_as_no_papers(
    store: Store, discovery: Discovery, arxiv: DailyArxiv, clock: TestClock, database_url: str
) -> None:
    await chat_following(store, database_url, "1", "cs.CV")
    arxiv.mailing(date(2025, 11, 25))
    await discovery.poll()
    mailing = [paper(1), paper(2)]
    arxiv.publish(*mailing)
    arxiv.reply_next(rss_feed(["cs.CV"], [(p, "new") for p in mailing], arxiv.announced))
    arxiv.empty_pages_next(1)  # the feed is answered as above, then the API glitches

    found = await poll_at(discovery, clock, TUESDAY + timedelta(minutes=30))

    metadata = [r for r in arxiv.api_requests() if r.query.get("id_list")]
    assert len(metadata) == 2
    assert found.queued == 2


async def test_the_poll_state_remembers_the_last_mailing(
    store: Store, discovery: Discovery, arxiv: DailyArxiv, clock: TestClock, database_url: str
) -> None:
    await chat_following(store, database_url, "1", "cs.CV")
    arxiv.mailing(date(2025, 11, 25), paper(1))
    await discovery.poll()
    arxiv.quiet(date(2025, 11, 29))
    await poll_at(discovery, clock, SATURDAY)

    state = await store.get_poll_state()

    assert state.last_mailing == date(2025, 11, 25)
    assert state.last_mailing_seen_at == pytest.approx(TUESDAY, abs=timedelta(seconds=5))
    assert state.last_poll_at == pytest.approx(SATURDAY, abs=timedelta(seconds=5))
