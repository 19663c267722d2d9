"""The coverage audit: proof, per mailing and category, that nothing announced was missed.

`audit_after` past an announcement (by then arXiv's API lists the mailing), each
followed category's mailing is counted independently: the API's `totalResults` for
`cat:<category> AND submittedDate:[window]`, the window being the submissions that
mailing carries (`arxiv_calendar.submission_window`). The API is the interface chosen
because it is a different system from the feed (a search index, not the announcement
listing) and answers a count in one single-result request; the listing pages
(arxiv.org/list) are meant for people and carry no count to compare.

When arXiv counts more than paperbell recorded for that window, the category's papers
of the window are listed and whatever no mailing recorded in the category is stored,
delivered to the chats that follow it marked late, and recorded as found `via` the
audit. Each audit is kept: expected (arXiv's count), found, delivered, late. A paper
on hold and announced in a later mailing counts in neither, so the comparison is fair.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.delivery.alerts import Alerts
from bot.ops import metrics
from bot.schedule.freshness import deliver
from bot.source import arxiv_calendar
from bot.source.arxiv_source import ArxivError, ArxivSource
from bot.store import Store, Subscription
from bot.store.mailings import Coverage

log = logging.getLogger(__name__)

HORIZON = timedelta(days=7)
"""Mailings older than this are not audited any more (the bot was off, or arXiv kept
failing): their papers are the catch-up query's business."""


class Audit:
    def __init__(
        self,
        store: Store,
        source: ArxivSource,
        *,
        audit_after: timedelta = timedelta(hours=2),
        limit: int = 2000,
        alerts: Alerts | None = None,
    ) -> None:
        self._store = store
        self._source = source
        self._after = audit_after
        self._limit = limit
        self._alerts = alerts or Alerts()

    async def run(self, subscriptions: Sequence[Subscription], now: datetime) -> int:
        """Audit every mailing and category that is due; returns how many papers were late."""
        ready = arxiv_calendar.latest_mailing(now - self._after)
        oldest = (now - HORIZON).date()
        followed = {s.category for s in subscriptions}
        late = 0
        for row in await self._store.unaudited(oldest, ready):
            if row.category not in followed:
                continue
            try:
                late += await self._audit(row, subscriptions, now)
            except ArxivError as exc:
                log.warning("audit of %s %s: arXiv did not answer; next poll: %s",
                            row.category, row.mailing, exc)  # fmt: skip
                break
        return late

    async def _audit(
        self, row: Coverage, subscriptions: Sequence[Subscription], now: datetime
    ) -> int:
        window = arxiv_calendar.submission_window(row.mailing)
        expected = await self._source.count_submitted([row.category], *window)
        found = await self._store.count_recorded(row.mailing, row.category, window)
        key = f"shortfall:{row.category}"
        texts = self._alerts.texts
        if expected <= found:
            await self._store.mark_audited(row.mailing, row.category, expected, now)
            await self._alerts.end(
                key, texts.shortfall_end.format(category=row.category, date=row.mailing)
            )
            return 0
        listed = await self._source.search_categories([row.category], *window, self._limit)
        recorded = await self._store.recorded_in(row.category, (p.arxiv_id for p in listed))
        missing = [p for p in listed if p.arxiv_id not in recorded]
        queued = await deliver(
            self._store, missing, subscriptions, row.mailing, row.category, "audit", now, expected
        )
        metrics.audit_shortfall(row.category, len(missing))
        log.warning(
            "audit of %s, mailing of %s: arXiv counts %d, paperbell had %d; %d left out by "
            "the feed, %d deliveries queued (late)",
            row.category,
            row.mailing,
            expected,
            found,
            len(missing),
            queued,
        )
        if missing:
            text = texts.shortfall.format(
                category=row.category, date=row.mailing, count=len(missing), expected=expected
            )
            await self._alerts.start(key, text)
        return len(missing)
