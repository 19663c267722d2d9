"""arXiv's API and RSS listings, fetched politely and turned into `Paper`s.

arXiv asks for one request at a time, a few seconds apart, and under load it answers with
5xx or 429, with pages that are empty although more results exist, and with cut-off XML.
This module is the only one that talks to arXiv, so those rules and cures live here and
every caller (commands, scheduler, CLI) gets them without thinking about it.

The query URLs and the Atom are handled in `bot.source.arxiv_feed`, with the `arxiv`
library's `Search` and `Result` types but not its `Client`: the client sleeps and retries
inside itself, per client object, where it can neither share arXiv's pacing between
callers nor keep the event loop free, and it hides totalResults (needed to tell arXiv's
spurious empty pages from the real end). Here one page is one request through the gate.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar
from urllib.parse import urlsplit

import arxiv
import requests

from bot.source.arxiv_feed import (
    Announcement,
    NotAFeed,
    Page,
    RssListing,
    error_summary,
    query_url,
    read_listing,
    read_page,
)
from bot.source.ids import ArxivId, parse_arxiv_id
from bot.source.papers import Paper
from bot.support.config import Settings
from bot.support.retry_after import retry_after

# Announcement and RssListing come from arxiv_feed but are what callers here receive.
__all__ = [
    "BATCH_SIZE",
    "DEFAULT_RSS_URL",
    "PAGE_SIZE",
    "Announcement",
    "ArxivBadRequest",
    "ArxivError",
    "ArxivSource",
    "ArxivUnavailable",
    "RssListing",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_RSS_URL = "https://rss.arxiv.org/rss/"
BATCH_SIZE = 100  # IDs per id_list request
PAGE_SIZE = 100  # results per search request
_USER_AGENT = "paperbell"


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


class _XmlClient:
    """requests as arXiv's XML services need it: bounded in time and strict about answers.

    Without a timeout one stalled connection would hang the gate's worker thread (and with
    it every later request to that host) for good; and a recovering parser would quietly
    read a truncated page as a shorter one, so a document that does not parse is retried.
    """

    def __init__(self, timeout: float) -> None:
        self._session = requests.Session()
        self._session.headers["User-Agent"] = _USER_AGENT
        self._timeout = timeout

    def get(self, url: str) -> ET.Element:
        return self.fetch(url)[0]

    def fetch(
        self, url: str, headers: Mapping[str, str] | None = None
    ) -> tuple[ET.Element, Mapping[str, str]]:
        """The document and the answer's headers; `headers` go with the request (e.g. a
        conditional request's validators, which a 304 answers as `_Refused`)."""
        try:
            response = self._session.get(url, headers=headers, timeout=self._timeout)
        except requests.Timeout as exc:
            raise _Transient(f"no answer within {self._timeout:g} s") from exc
        except requests.RequestException as exc:
            raise _Transient(f"connection failed ({type(exc).__name__})") from exc
        status = response.status_code
        if status == 429 or status >= 500:
            raise _Transient(f"HTTP {status}", retry_after(response.headers))
        if status != 200:
            raise _Refused(status, response.content)
        try:
            return ET.fromstring(response.content), response.headers
        except ET.ParseError as exc:
            raise _Transient(f"malformed XML ({exc})") from exc


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
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """`backoff` is the first pause between tries; each later pause doubles it.
        `sleep` takes those pauses; tests pass one that records them instead."""
        self._api_url = api_url
        self._rss_url = rss_url
        self._interval = request_interval
        self._max_retries = max_retries
        self._backoff = backoff
        self._sleep = sleep
        self._api = _XmlClient(timeout)
        self._rss = _XmlClient(timeout)
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
            page = await self._page(search, 0, len(batch))
            found.update((p.arxiv_id, p) for p in page.papers)
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
            page = await self._page(search, start, min(PAGE_SIZE, max_results - start))
            found.update((p.arxiv_id, p) for p in page.papers)
            start += page.entries
            if page.entries == 0 or start >= page.total:
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
        return (await self._page(search, 0, 1)).total

    async def fetch_rss(self, categories: Sequence[str]) -> RssListing:
        """Today's announcements in the categories, from one request for all of them.

        Conditional (`If-None-Match` / `If-Modified-Since` from the last answer), so
        checking an unchanged feed every minute costs arXiv a 304 and no body."""
        if not categories:
            return RssListing(None, ())
        url = self._rss_url + "+".join(categories)
        return await self._attempt(url, partial(self._read_rss, url))

    async def _page(self, search: arxiv.Search, start: int, size: int) -> Page:
        url = query_url(self._api_url, search, start, size)
        return await self._attempt(self._api_url, partial(self._read_page, url, start))

    async def _attempt(self, url: str, job: Callable[[], T]) -> T:
        gate = _gate_for(url)
        tries = self._max_retries + 1
        failure = "no request was made"
        for attempt in range(tries):
            if attempt:
                await self._sleep(self._backoff * 2 ** (attempt - 1))
            try:
                return await gate.run(job, self._interval)
            except _Transient as exc:
                failure = str(exc)
                log.warning("arXiv try %d of %d at %s failed: %s", attempt + 1, tries, url, exc)
        raise ArxivUnavailable(url, f"{failure} (gave up after {tries} tries)")

    def _read_page(self, url: str, start: int) -> Page:
        """Runs on the gate's thread, so parsing a large page stays off the event loop too."""
        try:
            page = read_page(self._api.get(url))
        except _Refused as refused:
            raise _refusal(self._api_url, refused) from None
        except NotAFeed as exc:
            raise _Transient(str(exc)) from None
        if page.entries == 0 and page.total > start:
            raise _Transient(f"empty page at result {start} of {page.total}")
        return page

    def _read_rss(self, url: str) -> RssListing:
        validators, cached = self._rss_cache.get(url, ({}, None))
        try:
            root, headers = self._rss.fetch(url, validators)
            listing = read_listing(root)
        except _Refused as refused:
            if refused.status == 304 and cached is not None:
                return cached
            raise _refusal(url, refused) from None
        except NotAFeed as exc:
            raise _Transient(str(exc)) from None
        sent = {
            "If-None-Match": headers.get("ETag"),
            "If-Modified-Since": headers.get("Last-Modified"),
        }
        self._rss_cache[url] = ({k: v for k, v in sent.items() if v}, listing)
        return listing


def _base(arxiv_id: ArxivId | str) -> str:
    return arxiv_id.base if isinstance(arxiv_id, ArxivId) else parse_arxiv_id(arxiv_id).base


def _refusal(url: str, refused: _Refused) -> ArxivError:
    if refused.status == 400:
        return ArxivBadRequest(f"arXiv rejected the request: {error_summary(refused.body)}")
    return ArxivUnavailable(url, f"HTTP {refused.status}")


def _minute(moment: datetime) -> str:
    """arXiv's submittedDate format, in UTC; naive datetimes are refused, not guessed."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment} has no time zone")
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M")
