"""ArxivSource against a local arXiv: papers, paging, politeness, and every way arXiv fails.

Real `requests` does the HTTP and the module's own reader the Atom; only the server is
local. Intervals, timeouts and back-offs are tiny so the whole file runs in seconds.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from pathlib import Path

import pytest

from bot.source.arxiv_source import (
    BATCH_SIZE,
    Announcement,
    ArxivBadRequest,
    ArxivError,
    ArxivSource,
    ArxivUnavailable,
)
from bot.source.ids import ArxivId, InvalidArxivId
from bot.source.papers import Paper
from bot.support.config import load_settings
from tests.fakes.arxiv_server import FakeArxiv, RecordedRequest, error_feed
from tests.fakes.papers import SEED_PAPER, make_paper
from tests.fakes.sleeps import RecordedSleeps
from tests.fakes.telegram_harness import eventually

FIXTURES = Path(__file__).parent / "fixtures"
DAY = datetime(2025, 8, 11, tzinfo=UTC)
HANG_GUARD = 10.0  # seconds; only turns a hang into a failure, far beyond any correct run


@pytest.fixture
async def arxiv() -> AsyncIterator[FakeArxiv]:
    async with FakeArxiv() as fake:
        yield fake


def source_for(
    fake: FakeArxiv,
    *,
    interval: float = 0.0,
    timeout: float = 2.0,
    max_retries: int = 2,
    backoff: float = 0.01,
) -> ArxivSource:
    return ArxivSource(
        fake.api_url,
        interval,
        timeout,
        rss_url=fake.rss_url,
        max_retries=max_retries,
        backoff=backoff,
    )


def numbered(count: int, **overrides: object) -> list[Paper]:
    return [make_paper(arxiv_id=f"2508.{n:05d}", **overrides) for n in range(1, count + 1)]


# -- fetching by ID ----------------------------------------------------------------------------


async def test_the_seed_paper_comes_back_exactly_as_arxiv_lists_it(arxiv: FakeArxiv) -> None:
    arxiv.add(SEED_PAPER)
    assert await source_for(arxiv).fetch_one("2508.08189") == SEED_PAPER


async def test_papers_are_keyed_by_base_id_and_carry_their_latest_version(arxiv: FakeArxiv) -> None:
    other = make_paper(arxiv_id="2501.00001", version=1, title="Another paper")
    arxiv.add_all([SEED_PAPER, other])

    papers = await source_for(arxiv).fetch(["arXiv:2508.08189v1", ArxivId("2501.00001")])

    assert papers == {"2508.08189": SEED_PAPER, "2501.00001": other}
    assert papers["2508.08189"].version == 3
    (request,) = arxiv.api_requests()
    assert request.query["id_list"] == "2508.08189,2501.00001"


async def test_ids_arxiv_does_not_know_are_simply_absent(arxiv: FakeArxiv) -> None:
    arxiv.add(SEED_PAPER)
    source = source_for(arxiv)

    assert await source.fetch(["2508.08189", "2509.99999"]) == {"2508.08189": SEED_PAPER}
    assert await source.fetch_one("2509.99999") is None


async def test_fetching_nothing_sends_nothing(arxiv: FakeArxiv) -> None:
    assert await source_for(arxiv).fetch([]) == {}
    assert arxiv.requests == []


async def test_malformed_ids_are_refused_before_any_request(arxiv: FakeArxiv) -> None:
    with pytest.raises(InvalidArxivId):
        await source_for(arxiv).fetch(["2508.08189", "banana"])
    assert arxiv.requests == []


async def test_more_than_a_batch_of_ids_is_split_into_several_requests(arxiv: FakeArxiv) -> None:
    papers = numbered(2 * BATCH_SIZE + 50)
    arxiv.add_all(papers)

    found = await source_for(arxiv).fetch([p.arxiv_id for p in papers])

    assert found == {p.arxiv_id: p for p in papers}
    sizes = [len(r.query["id_list"].split(",")) for r in arxiv.api_requests()]
    assert sizes == [BATCH_SIZE, BATCH_SIZE, 50]


async def test_old_style_ids_are_fetched_and_keyed_without_subject_class(arxiv: FakeArxiv) -> None:
    hep = make_paper(
        arxiv_id="hep-th/9901001", version=2, primary_category="hep-th", categories=("hep-th",)
    )
    knots = make_paper(
        arxiv_id="math/0309136", version=2, primary_category="math.GT", categories=("math.GT",)
    )
    arxiv.add_all([hep, knots])

    found = await source_for(arxiv).fetch(["hep-th/9901001v1", "math.GT/0309136"])

    assert found.keys() == {"hep-th/9901001", "math/0309136"}
    assert found["hep-th/9901001"].version == 2
    assert found["math/0309136"].versioned_id == "math/0309136v2"


# -- converting entries --------------------------------------------------------------------------


async def test_primary_category_and_cross_lists_are_kept_apart(arxiv: FakeArxiv) -> None:
    arxiv.add(make_paper(primary_category="cs.LG", categories=("cs.LG", "cs.CV", "stat.ML")))

    paper = await source_for(arxiv).fetch_one("2508.08189")

    assert paper is not None
    assert paper.primary_category == "cs.LG"
    assert paper.cross_lists == ("cs.CV", "stat.ML")


async def test_alias_categories_arrive_canonical_so_they_match_subscriptions(
    arxiv: FakeArxiv,
) -> None:
    arxiv.add(make_paper(primary_category="cs.SY", categories=("cs.SY", "eess.SY", "math.IT")))

    paper = await source_for(arxiv).fetch_one("2508.08189")

    assert paper is not None
    assert paper.primary_category == "eess.SY"
    assert paper.categories == ("eess.SY", "cs.IT")


async def test_acm_and_msc_classes_among_categories_are_dropped(arxiv: FakeArxiv) -> None:
    arxiv.add(make_paper(primary_category="cs.AI", categories=("cs.AI", "I.2.6", "68T05")))

    paper = await source_for(arxiv).fetch_one("2508.08189")

    assert paper is not None
    assert paper.categories == ("cs.AI",)


async def test_hard_wrapped_titles_abstracts_and_comments_are_reflowed(arxiv: FakeArxiv) -> None:
    arxiv.add(
        make_paper(
            title="  Reinforcement Learning\n  for Large Model:   A Survey",
            abstract="  Recent advances at the\nintersection of RL and vision.\n\n  We survey.",
            comment="22 pages,\n  9 figures",
            authors=("Weijia\n Wu", "Chen Gao"),
        )
    )

    paper = await source_for(arxiv).fetch_one("2508.08189")

    assert paper is not None
    assert paper.title == "Reinforcement Learning for Large Model: A Survey"
    assert paper.abstract == "Recent advances at the intersection of RL and vision. We survey."
    assert paper.comment == "22 pages, 9 figures"
    assert paper.authors == ("Weijia Wu", "Chen Gao")


async def test_markup_and_ampersands_in_metadata_round_trip(arxiv: FakeArxiv) -> None:
    tricky = make_paper(
        title='Breaking <script>alert("x")</script> & "escaping" <b>models</b>',
        abstract="We show a < b & c > d, and that &amp; is not &.",
        authors=("Ann O'Brien & Co", "Zoë <Zed> Ñúñez"),
        comment="Code: <https://github.com/org/repo?a=1&b=2>",
        journal_ref="J. Phys. A & B 12 (2025) <1-10>",
        doi="10.1000/a&b<c>",
    )
    arxiv.add(tricky)

    assert await source_for(arxiv).fetch_one("2508.08189") == tricky


async def test_missing_comment_journal_ref_and_doi_are_none(arxiv: FakeArxiv) -> None:
    arxiv.add(make_paper(comment=None, journal_ref=None, doi=None))

    paper = await source_for(arxiv).fetch_one("2508.08189")

    assert paper is not None
    assert (paper.comment, paper.journal_ref, paper.doi) == (None, None, None)


async def test_dates_are_first_version_and_latest_version_in_utc(arxiv: FakeArxiv) -> None:
    arxiv.add(SEED_PAPER)

    paper = await source_for(arxiv).fetch_one("2508.08189")

    assert paper is not None
    assert paper.published == datetime(2025, 8, 11, 17, 59, 30, tzinfo=UTC)
    assert paper.updated == datetime(2025, 12, 23, 9, 12, 5, tzinfo=UTC)
    assert paper.published.utcoffset() == timedelta(0)


async def test_the_recorded_format_fixture_parses_into_the_seed_paper(arxiv: FakeArxiv) -> None:
    arxiv.reply_next((FIXTURES / "2508.08189.atom").read_bytes())

    assert await source_for(arxiv).fetch_one("2508.08189") == SEED_PAPER


# -- searching categories -------------------------------------------------------------------------


async def test_search_finds_papers_submitted_in_the_window_newest_first(arxiv: FakeArxiv) -> None:
    early = make_paper(arxiv_id="2508.00001", published=DAY + timedelta(hours=1))
    late_cross = make_paper(
        arxiv_id="2508.00002",
        published=DAY + timedelta(hours=20),
        primary_category="cs.RO",
        categories=("cs.RO", "cs.LG"),
    )
    too_late = make_paper(arxiv_id="2508.00003", published=DAY + timedelta(days=1, minutes=1))
    elsewhere = make_paper(
        arxiv_id="2508.00004",
        published=DAY + timedelta(hours=2),
        primary_category="math.AG",
        categories=("math.AG",),
    )
    arxiv.add_all([early, late_cross, too_late, elsewhere])

    found = await source_for(arxiv).search_categories(
        ["cs.CV", "cs.LG"], DAY, DAY + timedelta(days=1), max_results=50
    )

    assert found == [late_cross, early]
    (request,) = arxiv.api_requests()
    assert request.query["search_query"] == (
        "(cat:cs.CV OR cat:cs.LG) AND submittedDate:[202508110000 TO 202508120000]"
    )
    assert (request.query["sortBy"], request.query["sortOrder"]) == ("submittedDate", "descending")


async def test_search_window_is_converted_to_utc(arxiv: FakeArxiv) -> None:
    new_york_summer = timezone(timedelta(hours=-4))
    evening = datetime(2025, 8, 10, 16, 0, tzinfo=new_york_summer)
    await source_for(arxiv).search_categories(["cs.CV"], evening, evening, max_results=5)

    (request,) = arxiv.api_requests()
    assert "[202508102000 TO 202508102000]" in request.query["search_query"]


async def test_search_pages_through_every_result(arxiv: FakeArxiv) -> None:
    papers = numbered(250, published=DAY + timedelta(hours=3))
    arxiv.add_all(papers)

    found = await source_for(arxiv).search_categories(
        ["cs.CV"], DAY, DAY + timedelta(days=1), max_results=1000
    )

    assert sorted(p.arxiv_id for p in found) == [p.arxiv_id for p in papers]
    starts = [int(r.query["start"]) for r in arxiv.api_requests()]
    assert starts == [0, 100, 200]


async def test_search_stops_at_max_results(arxiv: FakeArxiv) -> None:
    arxiv.add_all(numbered(250, published=DAY + timedelta(hours=3)))

    found = await source_for(arxiv).search_categories(
        ["cs.CV"], DAY, DAY + timedelta(days=1), max_results=150
    )

    assert len(found) == 150
    pages = [(r.query["start"], r.query["max_results"]) for r in arxiv.api_requests()]
    assert pages == [("0", "100"), ("100", "50")]


async def test_search_with_no_categories_sends_nothing(arxiv: FakeArxiv) -> None:
    assert await source_for(arxiv).search_categories([], DAY, DAY, max_results=10) == []
    assert arxiv.requests == []


async def test_search_refuses_naive_datetimes(arxiv: FakeArxiv) -> None:
    with pytest.raises(ValueError, match="time zone"):
        await source_for(arxiv).search_categories(
            ["cs.CV"], datetime(2025, 8, 11), DAY, max_results=10
        )


# -- failures ----------------------------------------------------------------------------------


async def test_a_bad_request_is_reported_with_arxivs_reason_and_not_retried(
    arxiv: FakeArxiv,
) -> None:
    arxiv.reply_next(error_feed("incorrect_id_format_for_x", "incorrect id format for x"), 400)

    with pytest.raises(ArxivBadRequest, match="incorrect id format for x"):
        await source_for(arxiv).fetch_one("2508.08189")
    assert len(arxiv.requests) == 1


async def test_service_unavailable_twice_then_success_is_retried(arxiv: FakeArxiv) -> None:
    arxiv.add(SEED_PAPER)
    arxiv.fail_next(2, status=503)

    assert await source_for(arxiv, max_retries=2).fetch_one("2508.08189") == SEED_PAPER
    assert [r.status for r in arxiv.requests] == [503, 503, 200]


async def test_an_api_that_stays_down_gives_one_line_naming_the_api_url(arxiv: FakeArxiv) -> None:
    arxiv.fail_next(10, status=503)

    with pytest.raises(ArxivUnavailable) as caught:
        await source_for(arxiv, max_retries=2).fetch_one("2508.08189")

    message = str(caught.value)
    assert arxiv.api_url in message
    assert "HTTP 503" in message and "3 tries" in message
    assert "\n" not in message and "?" not in message
    assert caught.value.url == arxiv.api_url
    assert len(arxiv.requests) == 3


async def test_retries_back_off_longer_each_time(arxiv: FakeArxiv) -> None:
    arxiv.fail_next(10, status=500)
    sleeps = RecordedSleeps()
    source = ArxivSource(arxiv.api_url, 0.0, 2.0, max_retries=3, backoff=0.05, sleep=sleeps)

    with pytest.raises(ArxivUnavailable):
        await source.fetch_one("2508.08189")

    assert len(arxiv.requests) == 4
    assert sleeps.pauses == [0.05, 0.1, 0.2]


async def test_too_many_requests_waits_as_long_as_retry_after_asks(arxiv: FakeArxiv) -> None:
    arxiv.add(SEED_PAPER)
    arxiv.fail_next(1, status=429, retry_after=0.3)

    assert await source_for(arxiv, backoff=0.01).fetch_one("2508.08189") == SEED_PAPER

    first, second = arxiv.requests
    assert first.status == 429
    assert second.started - first.started >= 0.3


async def test_retry_after_holds_every_caller_of_the_host(arxiv: FakeArxiv) -> None:
    arxiv.add_all(numbered(3))
    arxiv.fail_next(1, status=429, retry_after=0.3)
    source, other = source_for(arxiv), source_for(arxiv)

    await asyncio.gather(
        source.fetch_one("2508.00001"), other.fetch_one("2508.00002"), other.fetch_one("2508.00003")
    )

    first, *rest = arxiv.requests
    assert first.status == 429
    assert all(r.started - first.started >= 0.3 for r in rest)


async def test_an_empty_page_is_retried_rather_than_taken_as_no_papers(arxiv: FakeArxiv) -> None:
    arxiv.add(SEED_PAPER)
    arxiv.empty_pages_next(1)

    assert await source_for(arxiv).fetch_one("2508.08189") == SEED_PAPER
    assert len(arxiv.requests) == 2


async def test_an_empty_page_inside_a_search_is_retried(arxiv: FakeArxiv) -> None:
    arxiv.add_all(numbered(3, published=DAY + timedelta(hours=3)))
    arxiv.empty_pages_next(2)

    found = await source_for(arxiv, max_retries=2).search_categories(
        ["cs.CV"], DAY, DAY + timedelta(days=1), max_results=10
    )

    assert len(found) == 3


async def test_empty_pages_that_never_end_make_arxiv_unavailable(arxiv: FakeArxiv) -> None:
    arxiv.add(SEED_PAPER)
    arxiv.empty_pages_next(10)

    with pytest.raises(ArxivUnavailable, match="empty page"):
        await source_for(arxiv, max_retries=1).fetch_one("2508.08189")


async def test_truncated_xml_is_retried_not_half_read(arxiv: FakeArxiv) -> None:
    papers = numbered(20)
    arxiv.add_all(papers)
    arxiv.malformed_next(1)

    found = await source_for(arxiv).fetch([p.arxiv_id for p in papers])

    assert found == {p.arxiv_id: p for p in papers}
    assert len(arxiv.requests) == 2


async def test_xml_that_stays_broken_makes_arxiv_unavailable(arxiv: FakeArxiv) -> None:
    arxiv.add(SEED_PAPER)
    arxiv.malformed_next(10)

    with pytest.raises(ArxivUnavailable, match="malformed XML"):
        await source_for(arxiv, max_retries=1).fetch_one("2508.08189")


async def test_the_timeout_is_honoured_and_retried(arxiv: FakeArxiv) -> None:
    arxiv.add(SEED_PAPER)
    arxiv.hold()  # never answered: only the client's own timeout can end a request

    with pytest.raises(ArxivUnavailable, match=r"no answer within 0\.1 s"):
        fetching = source_for(arxiv, timeout=0.1, max_retries=1).fetch_one("2508.08189")
        await asyncio.wait_for(fetching, HANG_GUARD)

    assert len(arxiv.requests) == 2
    assert [r.finished for r in arxiv.requests] == [None, None], "the server never answered"


async def test_a_refused_connection_is_retried_then_reported() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/api/query"
    source = ArxivSource(url, 0.0, 1.0, max_retries=1, backoff=0.01)

    with pytest.raises(ArxivUnavailable, match="connection failed") as caught:
        await source.fetch_one("2508.08189")
    assert url in str(caught.value)


async def test_a_wrong_api_url_fails_at_once_without_retrying(arxiv: FakeArxiv) -> None:
    source = ArxivSource(arxiv.url + "/api/wrong", 0.0, 1.0, max_retries=3, backoff=0.01)

    with pytest.raises(ArxivUnavailable, match="HTTP 404"):
        await source.fetch_one("2508.08189")
    assert len(arxiv.requests) == 1


def test_callers_can_catch_everything_as_arxiv_error() -> None:
    assert issubclass(ArxivUnavailable, ArxivError)
    assert issubclass(ArxivBadRequest, ArxivError)


# -- politeness ----------------------------------------------------------------------------------


def assert_polite(requests: list[RecordedRequest], interval: float) -> None:
    ordered = sorted(requests, key=lambda r: r.started)
    for earlier, later in pairwise(ordered):
        assert earlier.finished is not None
        assert later.started >= earlier.finished, "two requests were in flight at once"
        assert later.started - earlier.started >= interval


async def test_concurrent_callers_share_one_gate_that_spaces_requests(arxiv: FakeArxiv) -> None:
    arxiv.add_all(numbered(5))
    first, second = source_for(arxiv, interval=0.2), source_for(arxiv, interval=0.2)

    found = await asyncio.gather(
        *(
            (first if n % 2 else second).fetch_one(f"2508.{n:05d}")
            for n in range(1, 6)  # five callers over two sources
        )
    )

    assert [p.arxiv_id for p in found if p] == [f"2508.{n:05d}" for n in range(1, 6)]
    assert len(arxiv.requests) == 5
    assert_polite(arxiv.requests, 0.2)


async def test_pages_of_one_search_are_spaced_too(arxiv: FakeArxiv) -> None:
    arxiv.add_all(numbered(250, published=DAY + timedelta(hours=3)))

    await source_for(arxiv, interval=0.15).search_categories(
        ["cs.CV"], DAY, DAY + timedelta(days=1), max_results=1000
    )

    assert len(arxiv.requests) == 3
    assert_polite(arxiv.requests, 0.15)


async def test_the_event_loop_keeps_running_during_a_slow_fetch(arxiv: FakeArxiv) -> None:
    arxiv.add(SEED_PAPER)
    answer = arxiv.hold()

    async def asked() -> bool:
        return bool(arxiv.requests)

    async def answer_once_arxiv_is_asked() -> None:
        await eventually(asked, timeout=HANG_GUARD)
        answer.set()

    # The answer is let out by another task on this loop: a fetch that blocked the loop
    # would stop that task, get no answer within its timeout and fail.
    answering = asyncio.create_task(answer_once_arxiv_is_asked())
    try:
        fetched = await source_for(arxiv, timeout=HANG_GUARD, max_retries=0).fetch_one("2508.08189")
    finally:
        answering.cancel()

    assert fetched == SEED_PAPER


async def test_settings_choose_the_urls_interval_and_timeout(arxiv: FakeArxiv) -> None:
    arxiv.add(SEED_PAPER)
    settings = load_settings(
        ARXIV_API_URL=arxiv.api_url,
        ARXIV_RSS_URL=arxiv.rss_url,
        ARXIV_REQUEST_INTERVAL=0.0,
        ARXIV_TIMEOUT=1.0,
    )
    source = ArxivSource.from_settings(settings)

    assert await source.fetch_one("2508.08189") == SEED_PAPER
    assert (await source.fetch_rss(["cs.CV"])).announcements[0].arxiv_id == "2508.08189"


# -- RSS ------------------------------------------------------------------------------------------


async def test_rss_lists_new_cross_and_replaced_papers_with_their_versions(
    arxiv: FakeArxiv,
) -> None:
    arxiv.add(make_paper(arxiv_id="2508.00001", version=1, categories=("cs.CV", "cs.AI")))
    arxiv.add(
        make_paper(
            arxiv_id="2508.00002",
            version=1,
            primary_category="cs.LG",
            categories=("cs.LG", "cs.CV"),
        )
    )
    arxiv.add(make_paper(arxiv_id="2507.00003", version=2), announce_type="replace")
    arxiv.add(
        make_paper(
            arxiv_id="2507.00004",
            version=3,
            primary_category="cs.RO",
            categories=("cs.RO", "cs.CV"),
        ),
        announce_type="replace",
    )
    arxiv.add(
        make_paper(arxiv_id="2508.00005", primary_category="math.AG", categories=("math.AG",))
    )

    listing = await source_for(arxiv).fetch_rss(["cs.CV"])

    day = arxiv.announced
    assert listing.announcements == (
        Announcement("2508.00001", 1, "new", ("cs.CV", "cs.AI"), day),
        Announcement("2508.00002", 1, "cross", ("cs.LG", "cs.CV"), day),
        Announcement("2507.00003", 2, "replace", ("cs.CV",), day),
        Announcement("2507.00004", 3, "replace-cross", ("cs.RO", "cs.CV"), day),
    )
    assert listing.announced == arxiv.announced


async def test_rss_asks_for_all_categories_in_one_request(arxiv: FakeArxiv) -> None:
    arxiv.add(make_paper(arxiv_id="2508.00001", categories=("cs.CV",)))
    arxiv.add(make_paper(arxiv_id="2508.00002", primary_category="cs.LG", categories=("cs.LG",)))

    listing = await source_for(arxiv).fetch_rss(["cs.CV", "cs.LG"])

    assert [a.announce_type for a in listing.announcements] == ["new", "new"]
    assert [r.path for r in arxiv.requests] == ["/rss/cs.CV+cs.LG"]


async def test_a_quiet_day_is_an_empty_listing_with_its_date() -> None:
    announced = datetime(2025, 8, 9, 0, 0, tzinfo=UTC) - timedelta(hours=4)
    quiet = FakeArxiv(announced=announced)
    with quiet:
        listing = await source_for(quiet).fetch_rss(["cs.CV"])

    assert listing.announcements == ()
    assert listing.announced == announced


async def test_rss_failures_are_retried_and_reported_with_the_feed_url(arxiv: FakeArxiv) -> None:
    arxiv.add(SEED_PAPER)
    arxiv.fail_next(1, status=503)
    source = source_for(arxiv, max_retries=1)

    assert len((await source.fetch_rss(["cs.CV"])).announcements) == 1

    arxiv.malformed_next(2)
    with pytest.raises(ArxivUnavailable) as caught:
        await source.fetch_rss(["cs.CV"])
    assert arxiv.rss_url + "cs.CV" in str(caught.value)


async def test_rss_and_api_requests_to_one_host_share_the_gate(arxiv: FakeArxiv) -> None:
    arxiv.add(SEED_PAPER)
    source = source_for(arxiv, interval=0.2)

    await asyncio.gather(source.fetch_rss(["cs.CV"]), source.fetch_one("2508.08189"))

    assert len(arxiv.requests) == 2
    assert_polite(arxiv.requests, 0.2)
