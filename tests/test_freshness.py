"""Fast, and provably complete: the cadence, stale categories, the audit and the alerts.

The whole pipeline runs against the fake arXiv on a simulated clock (`SimulatedBot`):
the week of US Thanksgiving 2025. The mailing dated Tuesday 25 November is announced at
20:00 US Eastern on Monday, 01:00 UTC on Tuesday; Thursday 27 November is a holiday.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.chat.replies import Notice, Reply
from bot.chat.service import Caller, Service
from bot.doctor import check_mailings
from bot.ops import metrics
from bot.ops.health import HealthServer
from bot.schedule.cadence import Cadence
from bot.source.arxiv_calendar import public_at
from bot.source.arxiv_source import ArxivSource
from bot.source.papers import Paper
from bot.store import Chat, Store
from bot.store.records import FeedCoverage
from bot.support.config import load_settings
from tests.fakes.mailings import DailyArxiv
from tests.fakes.outbox import TestClock, subscribe
from tests.fakes.papers import make_paper
from tests.fakes.running_bot import free_port
from tests.fakes.telegram_harness import running_bot
from tests.fakes.timeline import SimulatedBot

LONG_AGO = datetime(2025, 11, 1, tzinfo=UTC)
MONDAY = date(2025, 11, 24)
TUESDAY = date(2025, 11, 25)
TUESDAY_PUBLIC = public_at(TUESDAY)  # 2025-11-25 01:00 UTC
IN_MONDAY = datetime(2025, 11, 21, 12, 0, tzinfo=UTC)  # submitted for Monday's mailing
IN_TUESDAY = datetime(2025, 11, 24, 15, 0, tzinfo=UTC)  # submitted for Tuesday's mailing


def paper(n: int, *categories: str, submitted: datetime = IN_TUESDAY) -> Paper:
    cats = categories or ("cs.CV",)
    return make_paper(
        arxiv_id=f"2511.{n:05d}",
        version=1,
        title=f"Paper {n}",
        primary_category=cats[0],
        categories=cats,
        published=submitted,
        updated=submitted,
    )


@pytest.fixture
def clock() -> TestClock:
    return TestClock(TUESDAY_PUBLIC - timedelta(hours=2))


@pytest.fixture
async def arxiv(clock: TestClock) -> AsyncIterator[DailyArxiv]:
    async with DailyArxiv(clock=clock) as fake:
        yield fake


@pytest.fixture
def bot(store: Store, arxiv: DailyArxiv, clock: TestClock) -> SimulatedBot:
    return SimulatedBot(store, arxiv, clock)


async def follower(store: Store, database_url: str, name: str, *categories: str) -> Chat:
    chat = await store.ensure_chat("memory", name, language="en")
    await subscribe(store, database_url, chat, list(categories), since=LONG_AGO)
    return chat


def listings(arxiv: DailyArxiv) -> list[str]:
    """Search queries that list papers (the audit's counts ask for a single result)."""
    return [
        r.query["search_query"]
        for r in arxiv.api_requests()
        if "search_query" in r.query and r.query.get("max_results") != "1"
    ]


# Announcement-aware polling


@pytest.mark.parametrize(
    "after_announcement",
    [timedelta(minutes=-3), timedelta(minutes=4, seconds=37), timedelta(minutes=93, seconds=11)],
)
async def test_a_mailing_announced_at_any_moment_of_the_window_reaches_chats_within_two_minutes(
    bot: SimulatedBot,
    arxiv: DailyArxiv,
    clock: TestClock,
    store: Store,
    database_url: str,
    after_announcement: timedelta,
) -> None:
    await follower(store, database_url, "1", "cs.CV")
    arxiv.mailing(MONDAY, paper(1, submitted=IN_MONDAY))
    changed = TUESDAY_PUBLIC + after_announcement
    arxiv.at(changed, lambda: arxiv.mailing(TUESDAY, paper(2)))

    await bot.run_until(changed + timedelta(minutes=10))

    first = bot.first_cycle_delivering("1", "2511.00002")
    assert first is not None
    assert timedelta(0) <= first.at - changed <= timedelta(seconds=120)
    assert bot.platform.papers_to("1") == ["2511.00001", "2511.00002"]


async def test_checks_every_minute_are_conditional_and_stop_once_the_mailing_is_in(
    bot: SimulatedBot, arxiv: DailyArxiv, store: Store, database_url: str
) -> None:
    await follower(store, database_url, "1", "cs.CV")
    arxiv.mailing(MONDAY, paper(1, submitted=IN_MONDAY))
    arxiv.at(TUESDAY_PUBLIC + timedelta(minutes=5), lambda: arxiv.mailing(TUESDAY, paper(2)))

    await bot.run_until(TUESDAY_PUBLIC + timedelta(hours=3))

    gaps = [b.at - a.at for a, b in zip(bot.cycles, bot.cycles[1:], strict=False)]
    statuses = [r.status for r in arxiv.feed_requests()]
    assert max(gaps[-3:]) >= timedelta(minutes=29)  # backed off after the mailing came in
    assert sum(gap <= timedelta(seconds=61) for gap in gaps) <= 20
    assert statuses.count(304) >= 10  # the unchanged feed, before the change
    assert len(statuses) == len(bot.cycles)


def fast_gaps(cadence: Cadence, start: datetime, end: datetime) -> list[datetime]:
    """Moments between `start` and `end` at which the cadence polls fast."""
    moments, now = [], start
    while now < end:
        following = cadence.next_poll(now)
        if following - now < cadence.safety_net and following - now <= cadence.fast:
            moments.append(now)
        now = following
    return moments


def test_a_weekend_and_a_holiday_have_no_fast_polling() -> None:
    cadence = Cadence()
    cadence.observe(date(2025, 11, 26))  # Wednesday's mailing is in
    wednesday, friday = public_at(date(2025, 11, 26)), public_at(date(2025, 11, 28))
    assert fast_gaps(cadence, wednesday + timedelta(hours=3), friday - timedelta(hours=1)) == []

    cadence.observe(date(2025, 11, 28))  # Friday's mailing is in
    monday = public_at(date(2025, 12, 1))
    assert fast_gaps(cadence, friday + timedelta(hours=3), monday - timedelta(hours=1)) == []
    monday_window = public_at(date(2025, 12, 1)) - timedelta(minutes=5)
    assert cadence.next_poll(monday_window) - monday_window == cadence.fast


def test_fast_polling_never_runs_faster_than_arxivs_request_interval() -> None:
    cadence = Cadence(fast=timedelta(seconds=1), request_interval=timedelta(seconds=3))
    moment = public_at(TUESDAY)

    assert cadence.next_poll(moment) - moment == timedelta(seconds=3)


# Stale categories


async def test_a_stale_category_gets_its_papers_through_the_api_once(
    bot: SimulatedBot, arxiv: DailyArxiv, clock: TestClock, store: Store, database_url: str
) -> None:
    await follower(store, database_url, "vision", "cs.CV")
    await follower(store, database_url, "learning", "cs.LG")
    arxiv.mailing(MONDAY, paper(1, submitted=IN_MONDAY), paper(2, "cs.LG", submitted=IN_MONDAY))
    arxiv.at(TUESDAY_PUBLIC, lambda: arxiv.stale("cs.LG"))
    arxiv.at(TUESDAY_PUBLIC, lambda: arxiv.mailing(TUESDAY, paper(3), paper(4, "cs.LG")))

    await bot.run_until(TUESDAY_PUBLIC + timedelta(hours=1, minutes=30))

    assert bot.platform.papers_to("vision") == ["2511.00001", "2511.00003"]
    assert bot.platform.papers_to("learning") == ["2511.00002", "2511.00004"]
    fallback = bot.first_cycle_delivering("learning", "2511.00004")
    assert fallback is not None
    assert bot.stale_after <= fallback.at - TUESDAY_PUBLIC <= bot.stale_after + timedelta(minutes=2)
    assert [q for q in listings(arxiv) if q.startswith("(cat:cs.LG)")] == [
        "(cat:cs.LG) AND submittedDate:[202511211900 TO 202511241900]"
    ]
    coverage = await store.coverage(TUESDAY)
    assert coverage["cs.CV"].fresh_at is not None and coverage["cs.CV"].fallback_at is None
    assert coverage["cs.LG"].fresh_at is None and coverage["cs.LG"].fallback_at is not None
    assert [m.splitlines()[0][:40] for m in bot.admin_messages()] == [
        "⚠ paperbell: arXiv's feed for cs.LG stil"
    ]


# The coverage audit


async def test_the_audit_finds_a_paper_the_feed_left_out_and_delivers_it_marked_late(
    bot: SimulatedBot, arxiv: DailyArxiv, store: Store, database_url: str
) -> None:
    await follower(store, database_url, "1", "cs.CV")
    arxiv.mailing(MONDAY, paper(1, submitted=IN_MONDAY))
    arxiv.at(TUESDAY_PUBLIC, lambda: arxiv.mailing(TUESDAY, paper(2), paper(3)))
    arxiv.omit("2511.00003")

    await bot.run_until(TUESDAY_PUBLIC + bot.audit_after + timedelta(minutes=45))

    cards = {s.arxiv_ids[0]: s.card for s in bot.platform.sent_to("1")}
    assert list(cards) == ["2511.00001", "2511.00002", "2511.00003"]
    late = cards["2511.00003"]
    on_time = cards["2511.00002"]
    assert late is not None and on_time is not None
    assert late.section("late") is not None and on_time.section("late") is None
    row = (await store.coverage(TUESDAY))["cs.CV"]
    assert row.expected == 2 and row.audited_at is not None
    assert await store.recorded_in("cs.CV", ["2511.00002", "2511.00003"]) == {
        "2511.00002",
        "2511.00003",
    }
    assert "found 1 papers the feed left out" in bot.admin_messages()[0]


async def test_metrics_show_each_categorys_newest_mailing_its_papers_and_the_shortfall(
    bot: SimulatedBot, arxiv: DailyArxiv, clock: TestClock, store: Store, database_url: str
) -> None:
    await follower(store, database_url, "1", "cs.CV")
    arxiv.mailing(MONDAY, paper(1, submitted=IN_MONDAY))
    arxiv.at(TUESDAY_PUBLIC, lambda: arxiv.mailing(TUESDAY, paper(2), paper(3)))
    arxiv.omit("2511.00003")
    await bot.run_until(TUESDAY_PUBLIC + bot.audit_after + timedelta(minutes=45))

    await metrics.refresh_coverage(store, TUESDAY_PUBLIC + timedelta(hours=5))
    figures = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(metrics.render()[0].decode())
        for sample in family.samples
    }

    def papers(kind: str) -> float:
        return figures[("paperbell_mailing_papers", (("category", "cs.CV"), ("kind", kind)))]

    assert (papers("announced"), papers("delivered"), papers("late")) == (2, 2, 1)
    assert figures[("paperbell_mailing_age_seconds", (("category", "cs.CV"),))] == 5 * 3600
    assert figures[("paperbell_audit_shortfall_total", (("category", "cs.CV"),))] >= 1


async def test_nothing_is_delivered_twice_across_feed_fallback_and_audit(
    bot: SimulatedBot, arxiv: DailyArxiv, store: Store, database_url: str
) -> None:
    await follower(store, database_url, "both", "cs.CV", "cs.LG")
    arxiv.mailing(MONDAY, paper(1, submitted=IN_MONDAY), paper(2, "cs.LG", submitted=IN_MONDAY))
    tuesday = [paper(3), paper(4, "cs.LG"), paper(5, "cs.CV", "cs.LG"), paper(6)]
    arxiv.at(TUESDAY_PUBLIC, lambda: arxiv.stale("cs.LG"))
    arxiv.at(TUESDAY_PUBLIC, lambda: arxiv.mailing(TUESDAY, *tuesday))
    arxiv.omit("2511.00006")

    await bot.run_until(TUESDAY_PUBLIC + bot.audit_after + timedelta(minutes=45))

    received = bot.platform.papers_to("both")
    assert sorted(received) == [f"2511.{n:05d}" for n in range(1, 7)]
    assert len(received) == len(set(received))


# Alerts, /status and /healthz


async def test_an_overdue_mailing_alerts_once_and_once_more_when_it_arrives(
    bot: SimulatedBot, arxiv: DailyArxiv, clock: TestClock, store: Store, database_url: str
) -> None:
    await follower(store, database_url, "1", "cs.CV")
    arxiv.mailing(MONDAY, paper(1, submitted=IN_MONDAY))
    arrival = TUESDAY_PUBLIC + bot.overdue_after + timedelta(minutes=40)
    arxiv.at(arrival, lambda: arxiv.mailing(TUESDAY, paper(2)))

    await bot.run_until(arrival + timedelta(minutes=30))

    assert bot.admin_messages() == [
        "⚠ paperbell: arXiv's mailing of 2025-11-25 is overdue, not in the feed 180 min "
        "after it was announced.",
        "✓ paperbell: arXiv's mailing of 2025-11-25 has arrived.",
    ]


async def test_status_and_healthz_show_an_overdue_mailing(
    bot: SimulatedBot, arxiv: DailyArxiv, clock: TestClock, store: Store, database_url: str
) -> None:
    await follower(store, database_url, "-1", "cs.CV")
    arxiv.mailing(
        MONDAY, paper(1, submitted=IN_MONDAY), paper(2, "cs.LG", "cs.CV", submitted=IN_MONDAY)
    )
    await bot.cycle()
    clock.jump(TUESDAY_PUBLIC + timedelta(hours=4))
    service = Service(store, bot.library, "en", overdue_after=timedelta(hours=3), now=clock)
    health = HealthServer(
        store, host="127.0.0.1", port=0, poll_interval=timedelta(minutes=30),
        overdue_after=timedelta(hours=3), now=clock,
    )  # fmt: skip
    await health.start()
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://127.0.0.1:{health.port}/healthz") as response,
        ):
            status, body = response.status, await response.json()
    finally:
        await health.stop()
    replies: list[Reply] = await service.handle(
        Caller("memory", "-1", "group", "42", "Lab"), "status", "", can_manage=allowed
    )
    text = "\n".join(r.text for r in replies if isinstance(r, Notice))

    assert "• cs.CV: mailing of 2025-11-24, 2 papers, 2 reached this chat." in text
    assert "The arXiv mailing of 2025-11-25 is overdue: not seen 4 h 0 min" in text
    assert status == 200
    assert body["status"] == "degraded"
    assert body["warnings"] == [
        "arXiv mailing of 2025-11-25 overdue: not seen 4h00m after its announcement"
    ]


async def test_doctor_reports_an_overdue_mailing_as_degraded_without_failing(
    bot: SimulatedBot, arxiv: DailyArxiv, clock: TestClock, store: Store, database_url: str
) -> None:
    await follower(store, database_url, "1", "cs.CV")
    arxiv.mailing(MONDAY, paper(1, submitted=IN_MONDAY))
    await bot.cycle()
    settings = load_settings(DATABASE_URL=database_url, MAILING_OVERDUE_MINUTES=180)

    on_time = await check_mailings(settings, TUESDAY_PUBLIC + timedelta(hours=2))
    overdue = await check_mailings(settings, TUESDAY_PUBLIC + timedelta(hours=5))

    assert (on_time.status, on_time.detail) == ("ok", "the newest, of 2025-11-24, is in")
    assert overdue.status == "warn"
    assert overdue.line().startswith(
        "! arXiv mailings: the mailing of 2025-11-25 is overdue: not seen 300 min after"
    )


async def allowed() -> bool:
    return True


async def test_help_thanks_arxiv_in_both_languages(bot: SimulatedBot, store: Store) -> None:
    service = Service(store, bot.library, "en")
    caller = Caller("memory", "-1", "group", "42", "Lab")
    english = await service.handle(caller, "help", "", can_manage=allowed)
    await service.handle(caller, "lang", "zh", can_manage=allowed)
    chinese = await service.handle(caller, "help", "", can_manage=allowed)

    thanks = "Thank you to arXiv for use of its open access interoperability."
    assert isinstance(english[0], Notice) and english[0].text.endswith(thanks)
    assert isinstance(chinese[0], Notice) and "感谢 arXiv" in chinese[0].text


# Conditional requests


async def test_an_unchanged_feed_answers_304_and_the_source_keeps_the_last_listing(
    arxiv: DailyArxiv,
) -> None:
    source = ArxivSource(arxiv.api_url, 0.0, 2.0, rss_url=arxiv.rss_url)
    arxiv.mailing(TUESDAY, paper(1), dataclasses.replace(paper(2), title="Second"))

    first = await source.fetch_rss(["cs.CV"])
    again = await source.fetch_rss(["cs.CV"])
    arxiv.mailing(date(2025, 11, 26), paper(3))
    changed = await source.fetch_rss(["cs.CV"])

    assert [r.status for r in arxiv.feed_requests()] == [200, 304, 200]
    assert again == first
    assert [a.arxiv_id for a in changed.announcements] == ["2511.00003"]


# Through Telegram, as people ask


async def test_telegram_status_shows_each_followed_categorys_last_mailing_and_help_thanks_arxiv(
    tmp_path: Path, migrated_sqlite_template: Path
) -> None:
    # arXiv out of reach, so the bot's own polls record no mailing of today's date over the one
    # this test records: /status shows the newest mailing.
    nowhere = f"http://127.0.0.1:{free_port()}"
    async with running_bot(
        tmp_path,
        migrated_sqlite_template,
        ARXIV_API_URL=f"{nowhere}/api/query",
        ARXIV_RSS_URL=f"{nowhere}/rss",
    ) as bot:
        alice = bot.tg.user(1001)
        chat = bot.tg.private_chat(alice)
        await bot.say_one(chat, alice, "/subscribe cs.CV cs.LG")
        announced = paper(1, "cs.CV", "cs.LG")
        now = datetime.now(UTC)
        await bot.store.record_announcement(
            [announced, paper(2, "cs.CV")],
            [],
            polled_at=now,
            mailing=TUESDAY,
            coverage=FeedCoverage(
                TUESDAY,
                {"cs.CV": True, "cs.LG": False},
                (("cs.CV", "2511.00001"), ("cs.LG", "2511.00001"), ("cs.CV", "2511.00002")),
            ),
        )

        status = await bot.say_one(chat, alice, "/status")
        help_text = await bot.say_one(chat, alice, "/help")
        await bot.say_one(chat, alice, "/lang zh")
        status_zh = await bot.say_one(chat, alice, "/status")

    assert "• cs.CV: mailing of 2025-11-25, 2 papers, 0 reached this chat." in status.plain_text
    assert (
        "• cs.LG: mailing of 2025-11-25, 1 papers, 0 reached this chat; the feed still shows "
        "an older mailing, so arXiv's API is being asked." in status.plain_text
    )
    assert "Thank you to arXiv for use of its open access interoperability." in help_text.plain_text
    assert "• cs.CV：2025-11-25 的公告，共 2 篇，0 篇已送达这个聊天。" in status_zh.plain_text


async def test_a_mailing_becomes_overdue_while_arxiv_does_not_answer_and_is_alerted(
    bot: SimulatedBot, arxiv: DailyArxiv, clock: TestClock, store: Store, database_url: str
) -> None:
    await follower(store, database_url, "1", "cs.CV")
    arxiv.mailing(MONDAY, paper(1, submitted=IN_MONDAY))
    await bot.cycle()
    clock.jump(TUESDAY_PUBLIC + bot.overdue_after + timedelta(minutes=5))
    arxiv.fail_next(10, status=503)

    report = (await bot.cycle()).report

    assert report.error is not None
    assert bot.admin_messages() == [
        "⚠ paperbell: arXiv's mailing of 2025-11-25 is overdue, not in the feed 185 min "
        "after it was announced."
    ]
