"""export.arxiv.org and rss.arxiv.org on 127.0.0.1, speaking their wire formats.

`bot.source.arxiv_source` (real `requests`, the `arxiv` library's query and result types) is
pointed at `api_url` and `rss_url`, so tests exercise the same HTTP, Atom, paging and error
handling that production meets.
Feeds are rendered from `bot.source.papers.Paper`s in the layout export.arxiv.org answers with
today (element order, namespaces, `https://arxiv.org/api/errors#…` error entries).

The feed answers conditional requests as rss.arxiv.org does: an `ETag` and a
`Last-Modified` with every listing, and 304 without a body when `If-None-Match` or
`If-Modified-Since` says the client has it already.

Failures arXiv is known for can be queued: 5xx and 429 answers, pages that come back empty
while `totalResults` says otherwise, truncated XML, and slow answers. Every request is
recorded with monotonic start and end times, so tests can check the client's pacing.

Usable from sync and async code and from benchmarks:

    with FakeArxiv() as arxiv:            # or: async with FakeArxiv() as arxiv:
        arxiv.add(make_paper())
        source = ArxivSource(arxiv.api_url, 0.0, 1.0, rss_url=arxiv.rss_url)
"""

from __future__ import annotations

import base64
import hashlib
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Literal, Self
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

from bot.source.papers import Paper

AnnounceType = Literal["new", "cross", "replace", "replace-cross"]

ATOM_TYPE = "application/atom+xml; charset=utf-8"
RSS_TYPE = "application/rss+xml; charset=utf-8"
_DEFAULT_MAX_RESULTS = 10
_EASTERN = ZoneInfo("America/New_York")
# What export.arxiv.org accepts in id_list: new-style or old-style, optionally versioned.
_ID = re.compile(r"(?:[0-9]{4}\.[0-9]{4,5}|[a-z-]+(?:\.[A-Z]{2})?/[0-9]{7})(?:v[1-9][0-9]*)?")
_VERSIONED = re.compile(r"(?P<base>.+?)(?:v(?P<version>[0-9]+))?")
_SUBJECT_CLASS = re.compile(r"\.[A-Z]{2}/")  # math.GT/0309136 is math/0309136
_CAT = re.compile(r"cat:([A-Za-z.-]+)")
_DATES = re.compile(r"submittedDate:\[([0-9]{12}) TO ([0-9]{12})\]")
_SORT_KEYS: dict[str, Callable[[Paper], datetime] | None] = {
    "relevance": None,
    "submittedDate": lambda p: p.published,
    "lastUpdatedDate": lambda p: p.updated,
}


@dataclass
class RecordedRequest:
    """Recorded on arrival; `finished` and `status` are filled in once the answer is out."""

    path: str
    query: dict[str, str]
    started: float  # time.monotonic() when the request line arrived
    finished: float | None = None  # time.monotonic() once answered (or abandoned)
    status: int | None = None


@dataclass(frozen=True)
class _Fault:
    kind: Literal["status", "empty", "malformed", "body"]
    status: int = HTTPStatus.SERVICE_UNAVAILABLE
    retry_after: str | None = None
    body: bytes = b""


class _BadQuery(Exception):
    """Answered like arXiv answers bad parameters: HTTP 400 and an Atom error entry."""

    def __init__(self, slug: str, message: str) -> None:
        super().__init__(message)
        self.slug = slug
        self.message = message


class FakeArxiv:
    def __init__(self, announced: datetime | None = None) -> None:
        self.requests: list[RecordedRequest] = []
        # The RSS channel's date: arXiv stamps a mailing with midnight, US Eastern time.
        self.announced = announced or datetime.now(_EASTERN).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        self._papers: dict[str, tuple[Paper, AnnounceType]] = {}
        self._faults: deque[_Fault] = deque()
        self._delay = 0.0
        self._released = threading.Event()
        self._released.set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        # When each feed body (by ETag) was first served: its Last-Modified.
        self._first_served: dict[str, datetime] = {}

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> Self:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        # A short poll keeps stop() quick: shutdown() waits for the loop's next poll.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), name="fake-arxiv", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return self.url + "/api/query"

    @property
    def rss_url(self) -> str:
        return self.url + "/rss/"

    # -- content and failures -------------------------------------------------------------

    def add(self, paper: Paper, announce_type: AnnounceType = "new") -> None:
        """Publish a paper; "new" and "replace" turn into cross-list types in other feeds."""
        with self._lock:
            self._papers[paper.arxiv_id] = (paper, announce_type)

    def add_all(self, papers: Iterable[Paper]) -> None:
        for paper in papers:
            self.add(paper)

    def fail_next(
        self,
        n: int = 1,
        status: int = HTTPStatus.SERVICE_UNAVAILABLE,
        retry_after: float | None = None,
    ) -> None:
        header = None if retry_after is None else f"{retry_after:g}"
        self._queue(n, _Fault("status", status=status, retry_after=header))

    def empty_pages_next(self, n: int = 1) -> None:
        """arXiv's known glitch: a page with no entries although totalResults promises more."""
        self._queue(n, _Fault("empty"))

    def malformed_next(self, n: int = 1) -> None:
        """A 200 answer whose XML is cut off halfway, as when arXiv's backend gives up."""
        self._queue(n, _Fault("malformed"))

    def reply_next(self, body: bytes, status: int = HTTPStatus.OK) -> None:
        """Answer the next request with a recorded response instead of a rendered one."""
        self._queue(1, _Fault("body", status=status, body=body))

    def delay(self, seconds: float) -> None:
        """Hold every following answer this long (0 to stop), to trip client timeouts."""
        self._delay = seconds

    def hold(self) -> threading.Event:
        """Keep every answer back until the returned event is set: a test can check what
        happens meanwhile without guessing how long "meanwhile" lasts."""
        self._released.clear()
        return self._released

    def api_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == "/api/query"]

    def feed_requests(self) -> list[RecordedRequest]:
        """Every request for a feed, 304s included."""
        return [r for r in self.requests if r.path.startswith("/rss/")]

    def _validators(self, body: bytes) -> dict[str, str]:
        etag = '"' + hashlib.sha1(body).hexdigest() + '"'
        with self._lock:
            modified = self._first_served.setdefault(etag, datetime.now(UTC).replace(microsecond=0))
        return {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True)}

    def _queue(self, n: int, fault: _Fault) -> None:
        with self._lock:
            self._faults.extend([fault] * n)

    def _next_fault(self) -> _Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _snapshot(self) -> list[tuple[Paper, AnnounceType]]:
        with self._lock:
            return list(self._papers.values())

    # -- the API --------------------------------------------------------------------------

    def _query(self, params: dict[str, str], fault: _Fault | None) -> tuple[int, bytes]:
        try:
            start = _int_param(params, "start", 0)
            max_results = _int_param(params, "max_results", _DEFAULT_MAX_RESULTS)
            matches = self._select(params)
        except _BadQuery as bad:
            return HTTPStatus.BAD_REQUEST, error_feed(bad.slug, bad.message)
        page = matches[start : start + max_results]
        if fault is not None and fault.kind == "empty":
            page = []
        body = atom_feed(params, page, total=len(matches), start=start, per_page=max_results)
        return HTTPStatus.OK, body

    def _select(self, params: dict[str, str]) -> list[Paper]:
        papers = [paper for paper, _ in self._snapshot()]
        id_list = [i for i in params.get("id_list", "").split(",") if i]
        query = params.get("search_query", "").strip()
        if not id_list and not query:
            return []
        if id_list:
            papers = _by_ids(papers, id_list)
        if query:
            matches = _matcher(query)
            papers = [p for p in papers if matches(p)]
        sort_by = params.get("sortBy", "relevance")
        if sort_by not in _SORT_KEYS:
            raise _BadQuery(f"unknown_sortBy_{sort_by}", f"unknown sortBy {sort_by}")
        key = _SORT_KEYS[sort_by]
        if key is not None:
            papers.sort(key=key, reverse=params.get("sortOrder", "descending") == "descending")
        return papers

    # -- the RSS feed ---------------------------------------------------------------------

    def _rss(self, categories: list[str], fault: _Fault | None) -> bytes:
        wanted = set(categories)
        items = []
        if fault is None or fault.kind != "empty":
            for paper, announce_type in self._snapshot():
                if wanted & set(paper.all_categories):
                    items.append((paper, _feed_type(paper, announce_type, wanted)))
        return rss_feed(categories, items, self.announced)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeArxiv
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        conditions = {
            name: value
            for name in ("If-None-Match", "If-Modified-Since")
            if (value := self.headers.get(name))
        }
        record = RecordedRequest(
            split.path, dict(parse_qsl(split.query, keep_blank_values=True)), time.monotonic()
        )
        self.fake._record(record)
        status: int = HTTPStatus.INTERNAL_SERVER_ERROR
        try:
            status, headers, body = self._answer(split.path, record.query)
            if status == HTTPStatus.OK and "ETag" in headers and _unchanged(headers, conditions):
                status, body = HTTPStatus.NOT_MODIFIED, b""
            if self.fake._delay and self.fake._stopping.wait(self.fake._delay):
                return
            while not self.fake._released.wait(0.02):
                if self.fake._stopping.is_set():
                    return
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            # Recorded before the body goes out: the client may read `requests` as soon as
            # it has the answer.
            record.finished, record.status = time.monotonic(), int(status)
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            if record.finished is None:
                record.finished, record.status = time.monotonic(), int(status)

    def _answer(self, path: str, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        fake = self.fake
        fault = fake._next_fault()
        if fault is not None and fault.kind == "status":
            headers = {"Content-Type": "text/html; charset=utf-8"}
            if fault.retry_after is not None:
                headers["Retry-After"] = fault.retry_after
            phrase = HTTPStatus(fault.status).phrase
            return fault.status, headers, f"<html><body>{phrase}</body></html>".encode()
        if fault is not None and fault.kind == "body":
            return fault.status, {"Content-Type": ATOM_TYPE}, fault.body
        if path == "/api/query":
            status, body = fake._query(params, fault)
            headers = {"Content-Type": ATOM_TYPE}
        elif path.startswith("/rss/") and len(path) > len("/rss/"):
            categories = unquote(path[len("/rss/") :]).replace(" ", "+").split("+")
            status, body = HTTPStatus.OK, fake._rss(categories, fault)
            headers = {"Content-Type": RSS_TYPE, **fake._validators(body)}
        else:
            return HTTPStatus.NOT_FOUND, {"Content-Type": "text/plain"}, b"Not Found"
        if fault is not None and fault.kind == "malformed":
            return status, {"Content-Type": headers["Content-Type"]}, body[: len(body) // 2]
        return status, headers, body

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests read `FakeArxiv.requests` instead."""


# -- rendering ------------------------------------------------------------------------------


def atom_feed(
    params: dict[str, str], papers: list[Paper], *, total: int, start: int, per_page: int
) -> bytes:
    """An export.arxiv.org query answer; public so fixtures and benchmarks can build pages."""
    search_query = params.get("search_query", "")
    id_list = params.get("id_list", "")
    title = (
        f"arXiv Query: search_query={search_query}&id_list={id_list}"
        f"&start={start}&max_results={per_page}"
    )
    link = "https://arxiv.org/api/query?" + urlencode(
        {"search_query": search_query, "start": start, "max_results": per_page, "id_list": id_list},
        safe=":,/",
    )
    feed_id = base64.b64encode(hashlib.sha1(title.encode()).digest()).decode().rstrip("=")
    head = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"'
        ' xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">',
        f"  <id>https://arxiv.org/api/{feed_id}</id>",
        f"  <title>{escape(title)}</title>",
        f"  <updated>{_atom_time(datetime.now(UTC))}</updated>",
        f'  <link href={quoteattr(link)} type="application/atom+xml"/>',
        f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>",
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>",
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>",
    ]
    lines = head + [atom_entry(p) for p in papers] + ["</feed>", ""]
    return "\n".join(lines).encode()


def atom_entry(paper: Paper) -> str:
    versioned = paper.versioned_id
    lines = [
        "  <entry>",
        f"    <id>http://arxiv.org/abs/{versioned}</id>",
        f"    <title>{escape(paper.title)}</title>",
        f"    <updated>{_atom_time(paper.updated)}</updated>",
        f'    <link href="https://arxiv.org/abs/{versioned}" rel="alternate" type="text/html"/>',
        f'    <link href="https://arxiv.org/pdf/{versioned}" rel="related"'
        ' type="application/pdf" title="pdf"/>',
        f"    <summary>{escape(paper.abstract)}</summary>",
    ]
    lines += [
        f'    <category term={quoteattr(c)} scheme="http://arxiv.org/schemas/atom"/>'
        for c in paper.all_categories
    ]
    lines.append(f"    <published>{_atom_time(paper.published)}</published>")
    if paper.comment:
        lines.append(f"    <arxiv:comment>{escape(paper.comment)}</arxiv:comment>")
    lines.append(f"    <arxiv:primary_category term={quoteattr(paper.primary_category)}/>")
    if paper.journal_ref:
        lines.append(f"    <arxiv:journal_ref>{escape(paper.journal_ref)}</arxiv:journal_ref>")
    for author in paper.authors:
        lines += ["    <author>", f"      <name>{escape(author)}</name>", "    </author>"]
    if paper.doi:
        lines.append(f"    <arxiv:doi>{escape(paper.doi)}</arxiv:doi>")
        doi_url = quoteattr("https://doi.org/" + paper.doi)
        lines.append(f'    <link rel="related" href={doi_url} title="doi"/>')
    lines.append("  </entry>")
    return "\n".join(lines)


def error_feed(slug: str, message: str) -> bytes:
    """arXiv's answer to bad parameters, sent with HTTP 400."""
    now = _atom_time(datetime.now(UTC))
    error_id = escape(f"https://arxiv.org/api/errors#{slug}")
    return "\n".join(
        [
            "<?xml version='1.0' encoding='UTF-8'?>",
            '<feed xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"'
            ' xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom">',
            "  <id>https://arxiv.org/</id>",
            "  <title>arXiv Search Results</title>",
            f"  <updated>{now}</updated>",
            "  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>",
            "  <opensearch:totalResults>1</opensearch:totalResults>",
            "  <opensearch:startIndex>0</opensearch:startIndex>",
            "  <entry>",
            f"    <id>{error_id}</id>",
            "    <title>Error</title>",
            f"    <updated>{now}</updated>",
            f'    <link href="{error_id}" rel="alternate" type="text/html"/>',
            f"    <summary>{escape(message)}</summary>",
            "    <author>",
            "      <name>arXiv api core</name>",
            "    </author>",
            "  </entry>",
            "</feed>",
            "",
        ]
    ).encode()


def rss_feed(
    categories: list[str],
    items: list[tuple[Paper, AnnounceType]],
    announced: datetime,
    item_dates: Mapping[str, datetime] | None = None,
) -> bytes:
    """An rss.arxiv.org listing; a day without announcements is a channel without items.

    Each item carries the channel's date unless `item_dates` gives its own (by base ID),
    as for a category whose feed still shows an earlier mailing."""
    joined = "+".join(categories)
    date = format_datetime(announced)
    lines = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        '<rss xmlns:arxiv="http://arxiv.org/schemas/atom"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:atom="http://www.w3.org/2005/Atom"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">',
        "  <channel>",
        f"    <title>{escape(', '.join(categories))} updates on arXiv.org</title>",
        f"    <link>http://rss.arxiv.org/rss/{escape(joined)}</link>",
        f"    <description>{escape(', '.join(categories))} updates on the arXiv.org"
        " e-print archive.</description>",
        f'    <atom:link href="http://rss.arxiv.org/rss/{escape(joined)}" rel="self"'
        ' type="application/rss+xml"/>',
        "    <docs>http://www.rssboard.org/rss-specification</docs>",
        "    <language>en-us</language>",
        f"    <lastBuildDate>{date}</lastBuildDate>",
        "    <managingEditor>rss-help@arxiv.org</managingEditor>",
        f"    <pubDate>{date}</pubDate>",
        "    <skipDays>",
        "      <day>Sunday</day>",
        "      <day>Saturday</day>",
        "    </skipDays>",
    ]
    for paper, announce_type in items:
        lines += [
            "    <item>",
            f"      <title>{escape(paper.title)}</title>",
            f"      <link>https://arxiv.org/abs/{paper.arxiv_id}</link>",
            f"      <description>arXiv:{paper.versioned_id} Announce Type: {announce_type} \n"
            f"Abstract: {escape(paper.abstract)}</description>",
            f'      <guid isPermaLink="false">oai:arXiv.org:{paper.versioned_id}</guid>',
            *(f"      <category>{escape(c)}</category>" for c in paper.all_categories),
            f"      <pubDate>{_item_date(paper, date, item_dates)}</pubDate>",
            f"      <arxiv:announce_type>{announce_type}</arxiv:announce_type>",
            "      <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>",
            f"      <dc:creator>{escape(', '.join(paper.authors))}</dc:creator>",
            "    </item>",
        ]
    lines += ["  </channel>", "</rss>", ""]
    return "\n".join(lines).encode()


def _item_date(paper: Paper, channel: str, dates: Mapping[str, datetime] | None) -> str:
    own = (dates or {}).get(paper.arxiv_id)
    return channel if own is None else format_datetime(own)


def _unchanged(headers: dict[str, str], conditions: dict[str, str]) -> bool:
    """Whether the client's validators match the answer, as an HTTP cache decides."""
    if "If-None-Match" in conditions:
        return headers["ETag"] in conditions["If-None-Match"]
    since = conditions.get("If-Modified-Since")
    if since is None:
        return False
    try:
        return parsedate_to_datetime(headers["Last-Modified"]) <= parsedate_to_datetime(since)
    except (TypeError, ValueError):
        return False


# -- query semantics ------------------------------------------------------------------------


def _int_param(params: dict[str, str], name: str, default: int) -> int:
    raw = params.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit():
        raise _BadQuery(f"{name}_must_be_a_non-negative_integer", f"{name} must be an integer")
    return int(raw)


def _by_ids(papers: list[Paper], id_list: list[str]) -> list[Paper]:
    """In id_list order; unknown IDs are left out, malformed ones fail the whole request."""
    for raw in id_list:
        if not _ID.fullmatch(raw):
            raise _BadQuery(f"incorrect_id_format_for_{raw}", f"incorrect id format for {raw}")
    by_base = {p.arxiv_id: p for p in papers}
    found = []
    for raw in id_list:
        requested = _VERSIONED.fullmatch(raw)
        assert requested is not None
        paper = by_base.get(_SUBJECT_CLASS.sub("/", requested["base"]))
        version = int(requested["version"] or 0)
        if paper is None or version > paper.version:
            continue
        found.append(replace(paper, version=version) if version else paper)
    return found


def _matcher(query: str) -> Callable[[Paper], bool]:
    """`cat:` terms joined by OR, optionally AND a submittedDate range: what paperbell sends."""
    ranges: list[tuple[datetime, datetime]] = []
    category_sets: list[set[str]] = []
    for clause in re.split(r"\s+AND\s+", query):
        dates = _DATES.fullmatch(clause.strip())
        if dates:
            ranges.append((_minute(dates[1]), _minute(dates[2])))
            continue
        terms = re.split(r"\s+OR\s+", clause.strip().removeprefix("(").removesuffix(")"))
        cats = [_CAT.fullmatch(term.strip()) for term in terms]
        if not all(cats):
            raise _BadQuery("unsupported_query", f"FakeArxiv cannot answer search_query={query}")
        category_sets.append({c[1] for c in cats if c})

    def matches(paper: Paper) -> bool:
        submitted = _to_minute(paper.published)
        return all(low <= submitted <= high for low, high in ranges) and all(
            wanted & set(paper.all_categories) for wanted in category_sets
        )

    return matches


def _minute(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%d%H%M").replace(tzinfo=UTC)


def _to_minute(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def _feed_type(paper: Paper, announce_type: AnnounceType, wanted: set[str]) -> AnnounceType:
    """In a feed its primary category is not part of, a new paper shows up as a cross-list."""
    if paper.primary_category in wanted:
        return announce_type
    if announce_type == "new":
        return "cross"
    return "replace-cross" if announce_type == "replace" else announce_type


def _atom_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
