"""The fake arXiv answers like export.arxiv.org and rss.arxiv.org, and refuses what they refuse.

Checked with plain HTTP and with the real `arxiv` library, independently of ArxivSource, so
a bug in the fake cannot hide behind a matching bug in the code under test.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import arxiv as arxiv_lib
import pytest

from tests.fakes.arxiv_server import FakeArxiv, atom_entry
from tests.fakes.papers import SEED_PAPER, make_paper

FIXTURES = Path(__file__).parent / "fixtures"
ATOM = "{http://www.w3.org/2005/Atom}"
OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
ARXIV = "{http://arxiv.org/schemas/atom}"


@pytest.fixture
def arxiv() -> Iterator[FakeArxiv]:
    with FakeArxiv() as fake:
        yield fake


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def entry_ids(body: bytes) -> list[str]:
    return [e.findtext(f"{ATOM}id") or "" for e in ET.fromstring(body).iter(f"{ATOM}entry")]


def test_the_seed_paper_renders_exactly_like_the_recorded_format_fixture() -> None:
    fixture = (FIXTURES / "2508.08189.atom").read_text("utf-8")
    entry = fixture[fixture.index("  <entry>") : fixture.index("</feed>")].rstrip("\n")
    assert atom_entry(SEED_PAPER) == entry


def test_id_list_answers_in_request_order_and_leaves_unknown_ids_out(arxiv: FakeArxiv) -> None:
    arxiv.add_all([SEED_PAPER, make_paper(arxiv_id="2501.00001", version=1)])

    status, headers, body = get(arxiv.api_url + "?id_list=2501.00001,2509.99999,2508.08189")

    assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
    assert entry_ids(body) == [
        "http://arxiv.org/abs/2501.00001v1",
        "http://arxiv.org/abs/2508.08189v3",
    ]
    assert ET.fromstring(body).findtext(f"{OPENSEARCH}totalResults") == "2"


def test_an_older_version_can_be_asked_for_and_a_future_one_is_absent(arxiv: FakeArxiv) -> None:
    arxiv.add(SEED_PAPER)

    _, _, older = get(arxiv.api_url + "?id_list=2508.08189v1")
    _, _, future = get(arxiv.api_url + "?id_list=2508.08189v4")

    assert entry_ids(older) == ["http://arxiv.org/abs/2508.08189v1"]
    assert entry_ids(future) == []


@pytest.mark.parametrize("bad", ["banana", "arXiv:2508.08189", "2508.08189v0", "https://x/1"])
def test_malformed_ids_get_arxivs_400_error_feed(arxiv: FakeArxiv, bad: str) -> None:
    status, _, body = get(arxiv.api_url + "?id_list=2508.08189," + urllib.request.quote(bad))

    assert status == 400
    (entry,) = ET.fromstring(body).iter(f"{ATOM}entry")
    assert (
        entry.findtext(f"{ATOM}id") == f"https://arxiv.org/api/errors#incorrect_id_format_for_{bad}"
    )
    assert entry.findtext(f"{ATOM}summary") == f"incorrect id format for {bad}"


def test_search_pages_with_start_and_max_results_and_reports_the_total(arxiv: FakeArxiv) -> None:
    arxiv.add_all([make_paper(arxiv_id=f"2508.{n:05d}") for n in range(1, 8)])

    _, _, body = get(arxiv.api_url + "?search_query=cat:cs.CV&start=5&max_results=3")

    feed = ET.fromstring(body)
    assert len(entry_ids(body)) == 2
    assert feed.findtext(f"{OPENSEARCH}totalResults") == "7"
    assert feed.findtext(f"{OPENSEARCH}startIndex") == "5"
    assert feed.findtext(f"{OPENSEARCH}itemsPerPage") == "3"


def test_bad_paging_parameters_are_refused(arxiv: FakeArxiv) -> None:
    status, _, _ = get(arxiv.api_url + "?search_query=cat:cs.CV&start=-1")
    assert status == 400


def test_queries_the_fake_cannot_answer_are_refused_loudly(arxiv: FakeArxiv) -> None:
    status, _, body = get(arxiv.api_url + "?search_query=ti:transformers")
    assert status == 400
    assert b"FakeArxiv cannot answer" in body


def test_the_real_arxiv_library_reads_the_fake_searches(arxiv: FakeArxiv) -> None:
    tricky = make_paper(
        arxiv_id="2508.00001",
        title="A <script> & B",
        primary_category="cs.LG",
        categories=("cs.LG", "cs.CV"),
        doi="10.1000/x&y",
        journal_ref="J & K",
    )
    arxiv.add_all([SEED_PAPER, tricky])
    client = arxiv_lib.Client(delay_seconds=0, num_retries=0)
    client.query_url_format = arxiv.api_url + "?{}"
    search = arxiv_lib.Search(
        query="cat:cs.LG OR cat:cs.CV", sort_by=arxiv_lib.SortCriterion.SubmittedDate
    )

    results = list(client.results(search))

    assert [r.get_short_id() for r in results] == ["2508.08189v3", "2508.00001v3"]
    assert (results[1].title, results[1].doi, results[1].journal_ref) == (
        "A <script> & B",
        "10.1000/x&y",
        "J & K",
    )
    assert (results[1].primary_category, results[1].categories) == ("cs.LG", ["cs.LG", "cs.CV"])
    assert results[0].pdf_url == "https://arxiv.org/pdf/2508.08189v3"


def test_submitted_date_ranges_are_inclusive_to_the_minute(arxiv: FakeArxiv) -> None:
    arxiv.add(SEED_PAPER)  # submitted 2025-08-11 17:59:30 UTC
    inside = "submittedDate:[202508111759 TO 202508111759]"
    outside = "submittedDate:[202508111800 TO 202508120000]"

    _, _, hit = get(
        arxiv.api_url + "?search_query=" + urllib.request.quote(f"cat:cs.CV AND {inside}")
    )
    _, _, miss = get(
        arxiv.api_url + "?search_query=" + urllib.request.quote(f"cat:cs.CV AND {outside}")
    )

    assert len(entry_ids(hit)) == 1
    assert entry_ids(miss) == []


def test_injected_failures_are_used_once_each_in_order(arxiv: FakeArxiv) -> None:
    arxiv.add(SEED_PAPER)
    arxiv.fail_next(1, status=429, retry_after=7)
    arxiv.empty_pages_next(1)
    arxiv.malformed_next(1)
    url = arxiv.api_url + "?id_list=2508.08189"

    limited, empty, broken, fine = get(url), get(url), get(url), get(url)

    assert (limited[0], limited[1]["Retry-After"]) == (429, "7")
    assert entry_ids(empty[2]) == [] and b"<opensearch:totalResults>1<" in empty[2]
    assert broken[0] == 200
    with pytest.raises(ET.ParseError):
        ET.fromstring(broken[2])
    assert entry_ids(fine[2]) == ["http://arxiv.org/abs/2508.08189v3"]
    assert [r.status for r in arxiv.requests] == [429, 200, 200, 200]


def test_requests_are_recorded_with_their_query_and_times(arxiv: FakeArxiv) -> None:
    get(arxiv.api_url + "?id_list=2508.08189&max_results=1")

    (request,) = arxiv.requests
    assert request.path == "/api/query"
    assert request.query == {"id_list": "2508.08189", "max_results": "1"}
    assert request.finished is not None and request.finished >= request.started


def test_rss_items_carry_announce_type_guid_authors_and_abstract(arxiv: FakeArxiv) -> None:
    arxiv.add(SEED_PAPER)
    arxiv.add(
        replace(
            SEED_PAPER,
            arxiv_id="2508.00002",
            primary_category="cs.LG",
            categories=("cs.LG", "cs.CV"),
        )
    )

    status, headers, body = get(arxiv.rss_url + "cs.CV")

    assert status == 200 and headers["Content-Type"].startswith("application/rss+xml")
    channel = ET.fromstring(body).find("channel")
    assert channel is not None
    new, cross = channel.iterfind("item")
    assert new.findtext("guid") == "oai:arXiv.org:2508.08189v3"
    assert new.findtext(f"{ARXIV}announce_type") == "new"
    assert cross.findtext(f"{ARXIV}announce_type") == "cross"
    assert new.findtext("{http://purl.org/dc/elements/1.1/}creator") == ", ".join(
        SEED_PAPER.authors
    )
    description = new.findtext("description") or ""
    assert description.startswith(
        "arXiv:2508.08189v3 Announce Type: new \nAbstract: Recent advances"
    )
    assert [c.text for c in cross.iterfind("category")] == ["cs.LG", "cs.CV"]


def test_an_rss_day_without_announcements_still_has_its_dates(arxiv: FakeArxiv) -> None:
    _, _, body = get(arxiv.rss_url + "math.AG")

    channel = ET.fromstring(body).find("channel")
    assert channel is not None
    assert list(channel.iterfind("item")) == []
    assert channel.findtext("pubDate") and channel.findtext("lastBuildDate")
    assert [d.text for d in channel.iterfind("skipDays/day")] == ["Sunday", "Saturday"]


def test_unknown_paths_are_not_found(arxiv: FakeArxiv) -> None:
    assert get(arxiv.url + "/api/nothing")[0] == 404
    assert get(arxiv.url + "/rss/")[0] == 404


def test_a_held_answer_goes_out_only_once_released(arxiv: FakeArxiv) -> None:
    arxiv.add(SEED_PAPER)
    release = arxiv.hold()
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(get, f"{arxiv.api_url}?id_list={SEED_PAPER.arxiv_id}")
        deadline = time.monotonic() + 10
        while not arxiv.requests:  # recorded on arrival, before it is answered
            assert time.monotonic() < deadline and not answer.done()
            time.sleep(0.01)
        assert arxiv.requests[0].finished is None and not answer.done()
        release.set()
        status, _, body = answer.result(timeout=10)
    assert status == 200 and SEED_PAPER.title.encode() in body
