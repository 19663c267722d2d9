"""arXiv's API and RSS listings, fetched politely and turned into `Paper`s.

arXiv asks for one request at a time, a few seconds apart, and under load it answers with
5xx or 429, with pages that are empty although more results exist, and with cut-off XML.
This module is the only one that talks to arXiv, so those rules and cures live here and
every caller (commands, scheduler, CLI) gets them without thinking about it.

The `arxiv` library builds the query URLs and parses the Atom; its own retries and delay
are switched off because they sleep inside the library, per client object, where they can
neither be shared between callers nor keep the event loop free. It is driven one page at
a time through `Client._format_url` and `Client._parse_feed` (private, but stable across
arxiv 4) rather than `Client.results`, which hides totalResults (needed to tell arXiv's
spurious empty pages from the real end) and would send several requests past the gate.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit

import arxiv
import requests

from bot.source import taxonomy
from bot.source.ids import ArxivId, InvalidArxivId, parse_arxiv_id
from bot.source.papers import Paper
from bot.support.config import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_RSS_URL = "https://rss.arxiv.org/rss/"
BATCH_SIZE = 100  # IDs per id_list request
PAGE_SIZE = 100  # results per search request
_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_RSS_GUID_PREFIX = "oai:arXiv.org:"
# arXiv categories look like this; the API also lists ACM (I.2.6) and MSC (68T05) classes.
_CATEGORY = re.compile(r"[a-z][a-z-]*(?:\.[A-Za-z-]+)?")


class ArxivError(Exception):
    """Whatever can go wrong asking arXiv; the message is one line, fit to show a user."""


class ArxivUnavailable(ArxivError):
    """arXiv did not give a usable answer, even after retrying."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"arXiv at {url} is unavailable: {reason}")
        self.url = url
        self.reason = reason


class ArxivBadRequest(ArxivError):
    """arXiv refused the request itself (HTTP 400), so asking again cannot help."""


@dataclass(frozen=True, slots=True)
class Announcement:
    arxiv_id: str
    version: int
    announce_type: str  # new, cross, replace or replace-cross
    categories: tuple[str, ...]
    announced: datetime | None = None  # the item's own date: a stale category shows an older one


@dataclass(frozen=True, slots=True)
class RssListing:
    """One mailing. No announcements but a date is a normal quiet day (weekends, holidays)."""

    announced: datetime | None
    announcements: tuple[Announcement, ...]


class _Transient(Exception):
    """A failure worth retrying; `retry_after` is how long the server asked us to wait."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class _Refused(Exception):
    """A non-200 answer that retrying will not change; arXiv's 400s explain themselves."""

    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body


class _XmlSession(requests.Session):
    """requests as arXiv's XML services need it: bounded in time and strict about answers.

    The arxiv library sends no timeout, so one stalled connection would hang the worker
    thread (and with it every later arXiv request) for good; and it parses with a
    recovering parser, so a truncated page would quietly become a shorter one. The library
    only ever calls `_session.get`, so enforcing both here covers every request it makes.
    """

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        kwargs.setdefault("timeout", self._timeout)
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.Timeout as exc:
            raise _Transient(f"no answer within {self._timeout:g} s") from exc
        except requests.RequestException as exc:
            raise _Transient(f"connection failed ({type(exc).__name__})") from exc
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Transient(f"HTTP {status}", _retry_after(response.headers.get("Retry-After")))
        if status != 200:
            raise _Refused(status, response.content)
        try:
            ET.fromstring(response.content)
        except ET.ParseError as exc:
            raise _Transient(f"malformed XML ({exc})") from exc
        return response


class _HostGate:
    """Every request to one host, one at a time, at least `interval` seconds apart.

    A single worker thread per host is the queue: requests cannot overlap, they run in the
    order they were asked for, waiting never blocks the event loop or ties up the default
    executor's threads, and it works from any event loop (`asyncio.run` in the CLI, a new
    loop per test). A Retry-After holds the whole host, not just the caller that got it.
    """

    def __init__(self, host: str) -> None:
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"arxiv {host}")
        self._ready_at = 0.0  # time.monotonic(); only the worker thread touches it

    async def run(self, job: Callable[[], T], interval: float) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._worker, self._paced, job, interval)

    def _paced(self, job: Callable[[], T], interval: float) -> T:
        pause = self._ready_at - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        hold = interval
        try:
            return job()
        except _Transient as exc:
            hold = max(interval, exc.retry_after or 0.0)
            raise
        finally:
            self._ready_at = time.monotonic() + hold


# One gate per host for the whole process. A registry rather than a gate handed down by
# the composition root, because arXiv's limit is per machine while the CLI, the scheduler
# and the command handlers each build an ArxivSource: the rule cannot be forgotten.
_gates: dict[str, _HostGate] = {}
_gates_lock = threading.Lock()


def _gate_for(url: str) -> _HostGate:
    host = urlsplit(url).netloc.lower()
    with _gates_lock:
        gate = _gates.get(host)
        if gate is None:
            gate = _gates[host] = _HostGate(host)
        return gate


class ArxivSource:
    def __init__(
        self,
        api_url: str,
        request_interval: float,
        timeout: float,
        *,
        rss_url: str = DEFAULT_RSS_URL,
        max_retries: int = 3,
        backoff: float = 1.0,
    ) -> None:
        """`backoff` is the first pause between tries; each later pause doubles it."""
        self._api_url = api_url
        self._rss_url = rss_url
        self._interval = request_interval
        self._max_retries = max_retries
        self._backoff = backoff
        self._client = arxiv.Client(page_size=PAGE_SIZE, delay_seconds=0, num_retries=0)
        self._client.query_url_format = api_url + "?{}"
        self._client._session = _XmlSession(timeout)
        self._rss_session = _XmlSession(timeout)
        # Per feed URL: the validators of the last answer and what it said, for 304s.
        self._rss_cache: dict[str, tuple[dict[str, str], RssListing]] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> ArxivSource:
        return cls(
            settings.ARXIV_API_URL,
            settings.ARXIV_REQUEST_INTERVAL,
            settings.ARXIV_TIMEOUT,
            rss_url=settings.ARXIV_RSS_URL,
        )

    async def fetch(self, ids: Sequence[ArxivId | str]) -> dict[str, Paper]:
        """The latest version of each paper, by base ID; IDs arXiv does not know are absent.

        Versions in `ids` are ignored on purpose: callers ask for a version to make sure
        they see at least that one, and the latest always is. IDs given as text must parse
        (`InvalidArxivId` otherwise), so nothing malformed ever reaches arXiv.
        """
        bases = list(dict.fromkeys(_base(i) for i in ids))
        found: dict[str, Paper] = {}
        for first in range(0, len(bases), BATCH_SIZE):
            batch = bases[first : first + BATCH_SIZE]
            search = arxiv.Search(id_list=batch, max_results=len(batch))
            papers, _, _ = await self._page(search, 0, len(batch))
            found.update((p.arxiv_id, p) for p in papers)
        return found

    async def fetch_one(self, arxiv_id: ArxivId | str) -> Paper | None:
        base = _base(arxiv_id)
        return (await self.fetch([base])).get(base)

    async def search_categories(
        self,
        categories: Sequence[str],
        submitted_from: datetime,
        submitted_to: datetime,
        max_results: int,
    ) -> list[Paper]:
        """Papers first submitted between the two moments (to the minute), newest first."""
        if not categories or max_results <= 0:
            return []
        cats = " OR ".join(f"cat:{c}" for c in categories)
        dates = f"submittedDate:[{_minute(submitted_from)} TO {_minute(submitted_to)}]"
        search = arxiv.Search(
            query=f"({cats}) AND {dates}",
            max_results=max_results,
            sort_by=arxiv.SortCriterion.SubmittedDate,
            sort_order=arxiv.SortOrder.Descending,
        )
        found: dict[str, Paper] = {}
        start = 0
        while start < max_results:
            papers, entries, total = await self._page(
                search, start, min(PAGE_SIZE, max_results - start)
            )
            found.update((p.arxiv_id, p) for p in papers)
            start += entries
            if entries == 0 or start >= total:
                break
        return list(found.values())

    async def count_submitted(
        self, categories: Sequence[str], submitted_from: datetime, submitted_to: datetime
    ) -> int:
        """How many papers the API lists as first submitted between the two moments: its
        `totalResults`, from one single-result page."""
        cats = " OR ".join(f"cat:{c}" for c in categories)
        dates = f"submittedDate:[{_minute(submitted_from)} TO {_minute(submitted_to)}]"
        search = arxiv.Search(query=f"({cats}) AND {dates}", max_results=1)
        _, _, total = await self._page(search, 0, 1)
        return total

    async def fetch_rss(self, categories: Sequence[str]) -> RssListing:
        """Today's announcements in the categories, from one request for all of them.

        Conditional (`If-None-Match` / `If-Modified-Since` from the last answer), so
        checking an unchanged feed every minute costs arXiv a 304 and no body."""
        if not categories:
            return RssListing(None, ())
        url = self._rss_url + "+".join(categories)
        return await self._attempt(url, partial(self._read_rss, url))

    async def _page(self, search: Any, start: int, size: int) -> tuple[list[Paper], int, int]:
        """Papers on one page, how many entries it had, and how many results there are."""
        url = self._client._format_url(search, start, size)
        return await self._attempt(self._api_url, partial(self._read_page, url, start))

    async def _attempt(self, url: str, job: Callable[[], T]) -> T:
        gate = _gate_for(url)
        tries = self._max_retries + 1
        failure = "no request was made"
        for attempt in range(tries):
            if attempt:
                await asyncio.sleep(self._backoff * 2 ** (attempt - 1))
            try:
                return await gate.run(job, self._interval)
            except _Transient as exc:
                failure = str(exc)
                log.warning("arXiv try %d of %d at %s failed: %s", attempt + 1, tries, url, exc)
        raise ArxivUnavailable(url, f"{failure} (gave up after {tries} tries)")

    def _read_page(self, url: str, start: int) -> tuple[list[Paper], int, int]:
        """Runs on the gate's thread, so parsing a large page stays off the event loop too."""
        try:
            feed = self._client._parse_feed(url, first_page=True)
        except _Refused as refused:
            raise _refusal(self._api_url, refused) from None
        total: int = feed.header.total_results
        if not feed.results and total > start:
            raise _Transient(f"empty page at result {start} of {total}")
        papers = [p for p in map(_paper, feed.results) if p is not None]
        return papers, len(feed.results), total

    def _read_rss(self, url: str) -> RssListing:
        validators, cached = self._rss_cache.get(url, ({}, None))
        try:
            response = self._rss_session.get(url, headers=validators)
        except _Refused as refused:
            if refused.status == 304 and cached is not None:
                return cached
            raise _refusal(url, refused) from None
        listing = _listing(ET.fromstring(response.content))
        sent = {
            "If-None-Match": response.headers.get("ETag"),
            "If-Modified-Since": response.headers.get("Last-Modified"),
        }
        self._rss_cache[url] = ({k: v for k, v in sent.items() if v}, listing)
        return listing


def _base(arxiv_id: ArxivId | str) -> str:
    return arxiv_id.base if isinstance(arxiv_id, ArxivId) else parse_arxiv_id(arxiv_id).base


def _paper(result: Any) -> Paper | None:
    """The library's `arxiv.Result` as a Paper; None for entries that are not papers."""
    try:
        ident = parse_arxiv_id(result.entry_id)
    except InvalidArxivId:
        log.debug("Skipping arXiv entry %s: not a paper", result.entry_id)
        return None
    categories = _categories([result.primary_category, *result.categories])
    if ident.version is None or not categories:
        log.warning("Skipping arXiv entry %s: no version or category", result.entry_id)
        return None
    return Paper(
        arxiv_id=ident.base,
        version=ident.version,
        title=_squash(result.title),
        authors=tuple(_squash(author.name) for author in result.authors),
        abstract=_squash(result.summary),
        primary_category=categories[0],
        categories=categories,
        published=result.published,
        updated=result.updated,
        comment=_squash(result.comment or "") or None,
        journal_ref=_squash(result.journal_ref or "") or None,
        doi=_squash(result.doi or "") or None,
    )


def _categories(terms: list[str]) -> tuple[str, ...]:
    """arXiv categories only, canonical (cs.SY is eess.SY) so they match subscriptions."""
    found: list[str] = []
    for term in terms:
        if not term or not _CATEGORY.fullmatch(term):
            continue
        known = taxonomy.lookup(term)
        code = known.code if known else term
        if code not in found:
            found.append(code)
    return tuple(found)


def _listing(root: ET.Element) -> RssListing:
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise _Transient("the answer is not an RSS feed")
    announced = _rfc822(channel.findtext("pubDate")) or _rfc822(channel.findtext("lastBuildDate"))
    announcements = (_announcement(item) for item in channel.iterfind("item"))
    return RssListing(announced, tuple(a for a in announcements if a is not None))


def _announcement(item: ET.Element) -> Announcement | None:
    guid = (item.findtext("guid") or "").strip()
    try:
        ident = parse_arxiv_id(guid.removeprefix(_RSS_GUID_PREFIX))
    except InvalidArxivId:
        log.warning("Skipping RSS item with guid %r: not an arXiv ID", guid)
        return None
    if ident.version is None:
        log.warning("Skipping RSS item %s: no version", guid)
        return None
    announce_type = (item.findtext(f"{_ARXIV}announce_type") or "").strip().lower()
    categories = _categories([c.text or "" for c in item.iterfind("category")])
    announced = _rfc822(item.findtext("pubDate"))
    return Announcement(ident.base, ident.version, announce_type, categories, announced)


def _refusal(url: str, refused: _Refused) -> ArxivError:
    if refused.status == 400:
        return ArxivBadRequest(f"arXiv rejected the request: {_error_summary(refused.body)}")
    return ArxivUnavailable(url, f"HTTP {refused.status}")


def _error_summary(body: bytes) -> str:
    """arXiv explains a 400 in an Atom entry's summary, e.g. "incorrect id format for x"."""
    try:
        summary = ET.fromstring(body).findtext(f"{_ATOM}entry/{_ATOM}summary")
    except ET.ParseError:
        summary = None
    return _squash(summary or "") or "HTTP 400"


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds, given either as seconds or as an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    when = _rfc822(value)
    return None if when is None else max(0.0, (when - datetime.now(UTC)).total_seconds())


def _rfc822(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        when = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _minute(moment: datetime) -> str:
    """arXiv's submittedDate format, in UTC; naive datetimes are refused, not guessed."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment} has no time zone")
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M")


def _squash(text: str) -> str:
    """arXiv hard-wraps titles and abstracts; a message should reflow them instead."""
    return " ".join(text.split())
