"""Per-category freshness: a category stuck on an old mailing still gets its papers.

arXiv's feed can go stale one category at a time: it keeps serving the previous
mailing's items for one category (sometimes under today's date) while the others show
the new one. A category is *fresh* for the newest mailing any item in the feed carries
when at least one of its own papers (primary category) is shown for that mailing and was
not already announced in an earlier one; otherwise it is *stale*. The scheduler keeps
checking the feed while a category is stale (see `bot.schedule.cadence`); once it has
been stale for `stale_after`, its papers of that mailing are asked of the API by
submission date (`arxiv_calendar.submission_window`), delivered like feed papers,
logged, counted and reported to operators when there were any. A category with no
papers of its own that day also looks stale; its fallback finds nothing and costs one
request.

Deliveries are unique per (chat, paper) in the store, so a paper that reaches a chat
through the feed, the fallback and the audit is still posted once.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from bot.delivery.alerts import Alerts
from bot.match.matching import Announced, Matcher
from bot.ops import metrics
from bot.source import arxiv_calendar
from bot.source.arxiv_source import Announcement, ArxivError, ArxivSource
from bot.source.papers import Paper
from bot.store import Store, Subscription
from bot.store.records import FeedCoverage

log = logging.getLogger(__name__)


async def assess(
    store: Store,
    items: Sequence[Announcement],
    papers: dict[str, Paper],
    categories: Sequence[str],
    channel_date: datetime | None,
) -> FeedCoverage | None:
    """Which followed categories the feed shows its newest mailing in; None without items."""
    dated = []
    for item in items:
        when = item.announced or channel_date
        if when is not None and item.arxiv_id in papers:
            dated.append((item, arxiv_calendar.mailing_of_feed(when)))
    if not dated:
        return None
    target = max(mailing for _, mailing in dated)
    followed = set(categories)
    pairs = tuple(
        (category, item.arxiv_id)
        for item, mailing in dated
        if mailing == target
        for category in papers[item.arxiv_id].all_categories
        if category in followed
    )
    fresh = dict.fromkeys(categories, False)
    for category in categories:
        own = [
            i for i, m in dated if m == target and papers[i.arxiv_id].primary_category == category
        ]
        earlier = await store.recorded_in(category, (i.arxiv_id for i in own), before=target)
        fresh[category] = any(item.arxiv_id not in earlier for item in own)
    return FeedCoverage(target, fresh, pairs)


class Freshness:
    def __init__(
        self,
        store: Store,
        source: ArxivSource,
        *,
        stale_after: timedelta = timedelta(minutes=20),
        overdue_after: timedelta = timedelta(hours=3),
        limit: int = 2000,
        alerts: Alerts | None = None,
    ) -> None:
        self._overdue_after = overdue_after
        self._overdue: date | None = None
        self._store = store
        self._source = source
        self._stale_after = stale_after
        self._limit = limit
        self._alerts = alerts or Alerts()

    async def check_overdue(self, now: datetime) -> None:
        """Alert when a mailing is overdue, and once more when it has arrived."""
        overdue = await self._store.overdue_mailing(now, self._overdue_after)
        texts = self._alerts.texts
        if overdue is not None:
            late = f"{int((now - arxiv_calendar.public_at(overdue)).total_seconds() // 60)} min"
            await self._alerts.start("overdue", texts.overdue.format(date=overdue, late=late))
            self._overdue = overdue
        elif self._overdue is not None:
            await self._alerts.end("overdue", texts.overdue_end.format(date=self._overdue))
            self._overdue = None

    async def follow_up(
        self, mailing: date, subscriptions: Sequence[Subscription], now: datetime
    ) -> bool:
        """Fetch, through the API, what categories stale for too long announced in
        `mailing`; True once every followed category has the mailing in."""
        coverage = await self._store.coverage(mailing)
        categories = sorted({s.category for s in subscriptions})
        settled = True
        for category in categories:
            row = coverage.get(category)
            if row is None:
                settled = False
                continue
            if row.fresh_at is not None:
                await self._alerts.end(
                    f"stale:{category}", self._alerts.texts.stale_end.format(category=category)
                )
            if row.settled:
                continue
            if now - row.first_checked_at < self._stale_after:
                settled = False
                continue
            if not await self._fall_back(mailing, category, subscriptions, now):
                settled = False
        return settled

    async def _fall_back(
        self,
        mailing: date,
        category: str,
        subscriptions: Sequence[Subscription],
        now: datetime,
    ) -> bool:
        start, end = arxiv_calendar.submission_window(mailing)
        try:
            found = await self._source.search_categories([category], start, end, self._limit)
        except ArxivError as exc:
            log.warning("stale %s: the API did not answer; next poll: %s", category, exc)
            return False
        recorded = await self._store.recorded_in(category, (p.arxiv_id for p in found))
        missing = [p for p in found if p.arxiv_id not in recorded]
        queued = await deliver(
            self._store, missing, subscriptions, mailing, category, "fallback", now
        )
        metrics.stale_category(category)
        log.warning(
            "arXiv's feed for %s still shows an older mailing than %s; the API gave %d of its "
            "papers (%d deliveries)",
            category,
            mailing,
            len(missing),
            queued,
        )
        if missing:
            text = self._alerts.texts.stale.format(
                category=category, count=len(missing), date=mailing
            )
            await self._alerts.start(f"stale:{category}", text)
        return True


async def deliver(
    store: Store,
    papers: Sequence[Paper],
    subscriptions: Sequence[Subscription],
    mailing: date,
    category: str,
    via: str,
    now: datetime,
    expected: int | None = None,
) -> int:
    """Store papers the API supplied for `mailing`, queue them for the chats whose
    subscriptions match, and note it on the category's coverage; how many were queued."""
    at = min(arxiv_calendar.public_at(mailing), now)
    announced = [
        Announced(paper, at, cross_only=paper.primary_category != category)
        for paper in sorted(papers, key=lambda p: p.published)
    ]
    matches = Matcher(list(subscriptions), at).match(announced)
    deliveries = [(chat_id, m.paper.arxiv_id) for m in matches for chat_id in m.chat_ids()]
    return await store.record_found(
        papers,
        deliveries,
        mailing=mailing,
        category=category,
        followed={s.category for s in subscriptions},
        via=via,
        now=now,
        expected=expected,
    )
