"""Each poll: what arXiv announced in the followed categories, stored and queued for chats.

The announcement feed (one request for all followed categories) says which papers a
mailing announced and how: `new`, `cross` (cross-listed into a followed category),
`replace` or `replace-cross` (a new version). The API then gives full metadata for the
papers the store lacks, a hundred per request. Papers are keyed by base ID, so a new
version is never announced again; a cross-list reaches the subscribers of the
cross-listed categories (its primary category's subscribers had it when it was new).

The feed only shows the current mailing, so two situations need the API's search by
submission date over a look-back window (the catch-up query) as well:

* the bot was not polling during a mailing's whole time in the feed (down, or new), and
* the feed is empty or stale although a mailing is due (see `bot.source.arxiv_calendar`). That is
  logged as a warning, and the next poll asks the feed again. On Fridays after the feed
  closed, Saturdays, Sundays and holidays an empty feed is normal and nothing is logged.

Each poll also records, per followed category, whether the feed shows the newest mailing
and which papers it announced there (`bot.schedule.freshness`): the history from which a
category stale for too long is fetched through the API, and each mailing is later
audited against arXiv's own count (`bot.schedule.audit`).

Papers, their deliveries and the poll's bookkeeping are written in one transaction.
A subscription only receives papers announced after it was created (for catch-up
papers, the announcement is estimated from the submission time), so subscribing never
floods a chat with old papers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.match.matching import Announced, Matcher
from bot.schedule import freshness
from bot.schedule.audit import Audit
from bot.schedule.freshness import Freshness
from bot.source import arxiv_calendar
from bot.source.arxiv_source import Announcement, ArxivError, ArxivSource
from bot.source.papers import Paper
from bot.store import Store, Subscription
from bot.store.records import FeedCoverage
from bot.support.clock import Clock, utcnow

log = logging.getLogger(__name__)

ANNOUNCED_TYPES = ("new", "cross")


@dataclass(frozen=True, slots=True)
class Discovered:
    """What one poll found. `error` is set when arXiv could not be asked; then nothing
    was recorded as seen and the next poll tries again."""

    announced: int = 0
    new: int = 0
    queued: int = 0
    mailing: date | None = None
    caught_up: bool = False
    suspicious: bool = False
    error: str | None = None
    settled: date | None = None  # the newest mailing every followed category has in
    late: int = 0  # papers the audit found the feed had left out


class Discovery:
    def __init__(
        self,
        store: Store,
        source: ArxivSource,
        *,
        now: Clock = utcnow,
        feed_delay: timedelta = timedelta(hours=4, minutes=30),
        lookback: timedelta = timedelta(days=4),
        max_lookback: timedelta = timedelta(days=10),
        catch_up_limit: int = 2000,
        freshness: Freshness | None = None,
        audit: Audit | None = None,
    ) -> None:
        """`feed_delay`: how long after the 20:00 Eastern announcement the feed is trusted
        to show the new mailing. `lookback`: how far before the last successful poll the
        catch-up query starts (a mailing holds up to four days of submissions), never
        more than `max_lookback` ago. `freshness` and `audit` (`bot.schedule.freshness`,
        `bot.schedule.audit`) fetch what a stale or short feed missed; without them each
        category's coverage is still recorded, but nothing more is asked of arXiv."""
        self._store = store
        self._source = source
        self._now = now
        self._feed_delay = feed_delay
        self._lookback = lookback
        self._max_lookback = max_lookback
        self._catch_up_limit = catch_up_limit
        self._freshness = freshness
        self._audit = audit

    async def poll(self) -> Discovered:
        now = self._now()
        subscriptions = await self._store.active_subscriptions()
        categories = sorted({sub.category for sub in subscriptions})
        if not categories:
            await self._store.record_poll(polled_at=now)
            return Discovered(settled=arxiv_calendar.latest_mailing(now))
        state = await self._store.get_poll_state()
        try:
            listing = await self._source.fetch_rss(categories)
        except ArxivError as exc:
            return await self._failed(now, "the announcement feed", exc)

        items = [a for a in listing.announcements if a.announce_type in ANNOUNCED_TYPES]
        mailing = None
        if items and listing.announced is not None:
            mailing = arxiv_calendar.mailing_of_feed(listing.announced)
        expected = arxiv_calendar.expected_in_feed(now, self._feed_delay)
        suspicious = expected is not None and (mailing is None or mailing < expected)
        if suspicious:
            shown = f"the mailing of {mailing}" if mailing else "no announcement"
            log.warning(
                "The arXiv feed shows %s although the mailing of %s is due; "
                "asking the API instead, and the feed again at the next poll",
                shown,
                expected,
            )
        missed = state.last_success_at is None or bool(
            arxiv_calendar.missed_mailings(state.last_success_at, now, self._feed_delay)
        )

        found: list[Paper] = []
        catch_up_error = None
        if suspicious or missed:
            since = min(state.last_success_at or now, now) - self._lookback
            start = max(since, now - self._max_lookback)
            try:
                found = await self._source.search_categories(
                    categories, start, now, self._catch_up_limit
                )
            except ArxivError as exc:
                catch_up_error = f"catch-up query failed: {exc}"
                log.warning("arXiv catch-up query failed; trying again at the next poll: %s", exc)

        known = await self._store.get_papers(
            {a.arxiv_id for a in items} | {p.arxiv_id for p in found}
        )
        try:
            fetched = await self._source.fetch(
                [a.arxiv_id for a in items if _needs_metadata(a, known.get(a.arxiv_id))]
            )
        except ArxivError as exc:
            return await self._failed(now, "paper metadata", exc)
        papers = known | fetched
        absent = [a.arxiv_id for a in items if a.arxiv_id not in papers]
        if absent:
            log.info("arXiv's API does not list %s yet; next poll", ", ".join(absent))

        announced = self._announced(items, mailing, papers, found, known, now)
        settled = min((a.announced_at for a in announced), default=now)
        matches = Matcher(subscriptions, settled).match(announced)
        deliveries = [(chat_id, m.paper.arxiv_id) for m in matches for chat_id in m.chat_ids()]
        to_store = [*fetched.values(), *(p for p in found if p.arxiv_id not in known)]
        coverage = await freshness.assess(self._store, items, papers, categories, listing.announced)
        new, queued = await self._store.record_announcement(
            to_store,
            deliveries,
            polled_at=now,
            mailing=mailing,
            error=catch_up_error,
            coverage=coverage,
        )
        complete = await self._settle(coverage, subscriptions, now)
        late = await self._audit.run(subscriptions, now) if self._audit else 0
        return Discovered(
            announced=len(announced),
            new=len(new),
            queued=queued,
            mailing=mailing,
            caught_up=bool(found),
            suspicious=suspicious,
            error=catch_up_error,
            settled=complete,
            late=late,
        )

    async def _settle(
        self, coverage: FeedCoverage | None, subscriptions: Sequence[Subscription], now: datetime
    ) -> date | None:
        """The mailing the feed shows, if every followed category has it in (from the feed,
        or from the API for a category stale too long); else None."""
        if self._freshness is not None:
            await self._freshness.check_overdue(now)
        if coverage is None:
            return None
        if self._freshness is None:
            return coverage.mailing if all(coverage.fresh.values()) else None
        if await self._freshness.follow_up(coverage.mailing, subscriptions, now):
            return coverage.mailing
        return None

    def _announced(
        self,
        items: Sequence[Announcement],
        mailing: date | None,
        papers: dict[str, Paper],
        found: Sequence[Paper],
        known: dict[str, Paper],
        now: datetime,
    ) -> list[Announced]:
        """Feed papers and catch-up papers the store lacked, in announcement order (feed
        order within the feed's mailing), which is the order chats receive them in."""
        at = arxiv_calendar.public_at(mailing) if mailing else now
        announced: dict[str, Announced] = {}
        for item in items:
            paper = papers.get(item.arxiv_id)
            if paper is not None and item.arxiv_id not in announced:
                announced[item.arxiv_id] = Announced(paper, at, item.announce_type == "cross")
        for paper in sorted(found, key=lambda p: p.published):
            if paper.arxiv_id not in known and paper.arxiv_id not in announced:
                estimate = arxiv_calendar.public_at(
                    arxiv_calendar.mailing_of_submission(paper.published)
                )
                announced[paper.arxiv_id] = Announced(paper, min(estimate, now))
        return sorted(announced.values(), key=lambda item: item.announced_at)

    async def _failed(self, now: datetime, what: str, exc: ArxivError) -> Discovered:
        log.warning("arXiv did not answer for %s; trying again at the next poll: %s", what, exc)
        await self._store.record_poll(polled_at=now, error=str(exc))
        if self._freshness is not None:
            # arXiv down for hours is exactly when a mailing becomes overdue.
            await self._freshness.check_overdue(now)
        return Discovered(error=str(exc))


def _needs_metadata(item: Announcement, stored: Paper | None) -> bool:
    """Fetch what the store lacks, a newer version, or categories added since (a cross-list)."""
    if stored is None:
        return True
    return item.version > stored.version or not set(item.categories) <= set(stored.categories)
