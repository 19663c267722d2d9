"""arXiv's two wire formats, the API's Atom pages and the RSS listings, read into Papers.

The `arxiv` library describes a query (`arxiv.Search`) and an entry (`arxiv.Result`),
and both are used here through their documented attributes; its fetching and parsing
live in private methods that may change in any minor release, so the URL is built and
the Atom read here, with the standard library. Reading is strict: a document that is
not the feed asked for raises `NotAFeed`, never passes as a shorter page, so the caller
can ask again.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlencode

import arxiv

from bot.source import taxonomy
from bot.source.ids import InvalidArxivId, parse_arxiv_id
from bot.source.papers import Paper

log = logging.getLogger(__name__)

_ATOM = "{http://www.w3.org/2005/Atom}"
_ARXIV = "{http://arxiv.org/schemas/atom}"
_OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
_RSS_GUID_PREFIX = "oai:arXiv.org:"
# arXiv categories look like this; the API also lists ACM (I.2.6) and MSC (68T05) classes.
_CATEGORY = re.compile(r"[a-z][a-z-]*(?:\.[A-Za-z-]+)?")


class NotAFeed(Exception):
    """Well-formed XML that is not the feed asked for (a proxy's page, a cut-off answer)."""


@dataclass(frozen=True, slots=True)
class Page:
    """One page of API results; `entries` counts what arXiv listed, papers or not, and
    `total` is arXiv's count for the whole query, which tells an early end from the real."""

    papers: list[Paper]
    entries: int
    total: int


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


def query_url(api_url: str, search: arxiv.Search, start: int, size: int) -> str:
    """The API request for one page of `search`, with the parameters arXiv documents."""
    params = {
        "search_query": search.query,
        "id_list": ",".join(search.id_list),
        "sortBy": search.sort_by.value,
        "sortOrder": search.sort_order.value,
        "start": str(start),
        "max_results": str(size),
    }
    return f"{api_url}?{urlencode(params)}"


def read_page(root: ET.Element) -> Page:
    if root.tag != f"{_ATOM}feed":
        raise NotAFeed("the answer is not an Atom feed")
    total = root.findtext(f"{_OPENSEARCH}totalResults")
    if total is None or not total.strip().isdigit():
        raise NotAFeed("the answer has no result count")
    results = [r for r in map(_result, root.iterfind(f"{_ATOM}entry")) if r is not None]
    papers = [p for p in map(_paper, results) if p is not None]
    return Page(papers, len(results), int(total))


def read_listing(root: ET.Element) -> RssListing:
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise NotAFeed("the answer is not an RSS feed")
    announced = _rfc822(channel.findtext("pubDate")) or _rfc822(channel.findtext("lastBuildDate"))
    announcements = (_announcement(item) for item in channel.iterfind("item"))
    return RssListing(announced, tuple(a for a in announcements if a is not None))


def error_summary(body: bytes) -> str:
    """arXiv explains a 400 in an Atom entry's summary, e.g. "incorrect id format for x"."""
    try:
        summary = ET.fromstring(body).findtext(f"{_ATOM}entry/{_ATOM}summary")
    except ET.ParseError:
        summary = None
    return _squash(summary or "") or "HTTP 400"


def _result(entry: ET.Element) -> arxiv.Result | None:
    """An Atom entry as the library's `Result`; None (logged) if it lacks an ID or dates."""
    entry_id = (entry.findtext(f"{_ATOM}id") or "").strip()
    published = _atom_date(entry.findtext(f"{_ATOM}published"))
    updated = _atom_date(entry.findtext(f"{_ATOM}updated"))
    if not entry_id or published is None or updated is None:
        log.warning("Skipping arXiv entry %r: no ID or dates", entry_id)
        return None
    primary = entry.find(f"{_ARXIV}primary_category")
    return arxiv.Result(
        entry_id=entry_id,
        updated=updated,
        published=published,
        title=entry.findtext(f"{_ATOM}title") or "",
        authors=[
            arxiv.Result.Author(author.findtext(f"{_ATOM}name") or "")
            for author in entry.iterfind(f"{_ATOM}author")
        ],
        summary=entry.findtext(f"{_ATOM}summary") or "",
        comment=entry.findtext(f"{_ARXIV}comment") or "",
        journal_ref=entry.findtext(f"{_ARXIV}journal_ref") or "",
        doi=entry.findtext(f"{_ARXIV}doi") or "",
        primary_category=(primary.get("term") or "") if primary is not None else "",
        categories=[c.get("term") or "" for c in entry.iterfind(f"{_ATOM}category")],
    )


def _paper(result: arxiv.Result) -> Paper | None:
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


def _atom_date(text: str | None) -> datetime | None:
    """Atom's RFC 3339 timestamps ("2025-08-11T17:59:30Z"), in UTC."""
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def _rfc822(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        when = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _squash(text: str) -> str:
    """arXiv hard-wraps titles and abstracts; a message should reflow them instead."""
    return " ".join(text.split())
