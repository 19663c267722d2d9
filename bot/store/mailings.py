"""Coverage per mailing and category: what the feed showed, what the API had to supply.

The history `/status`, the metrics and the audit read: for each mailing and followed
category, when the feed showed it (or that it went stale and the API was asked instead)
and what the audit counted; and for each paper, the mailing that announced it in each
category and how paperbell learned of it. A paper belongs to one mailing per category
(the first that showed it), so a stale feed repeating yesterday's papers counts nothing
twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Row, Table, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.source.papers import Paper
from bot.store.base import DELIVERIES, PAPERS, POLL_STATE
from bot.store.models import MailingCoverageRow, MailingPaperRow
from bot.store.papers import PapersRepository
from bot.store.records import CategoryCoverage, MailingFigures

COVERAGE = cast(Table, MailingCoverageRow.__table__)
MAILING_PAPERS = cast(Table, MailingPaperRow.__table__)


@dataclass(frozen=True, slots=True)
class Coverage:
    """One (mailing, category) row as the scheduler needs it."""

    mailing: date
    category: str
    first_checked_at: datetime
    fresh_at: datetime | None
    fallback_at: datetime | None
    audited_at: datetime | None
    expected: int | None

    @property
    def settled(self) -> bool:
        """The category's papers of this mailing are in, from the feed or the API."""
        return self.fresh_at is not None or self.fallback_at is not None


class MailingsRepository(PapersRepository):
    async def coverage(self, mailing: date) -> dict[str, Coverage]:
        query = select(COVERAGE).where(COVERAGE.c.mailing == mailing)
        async with self._read() as conn:
            return {row.category: _coverage(row) for row in await conn.execute(query)}

    async def unaudited(self, since: date, until: date) -> list[Coverage]:
        """Rows of mailings between the two dates (inclusive) the audit has not counted."""
        query = (
            select(COVERAGE)
            .where(
                COVERAGE.c.audited_at.is_(None),
                COVERAGE.c.mailing >= since,
                COVERAGE.c.mailing <= until,
            )
            .order_by(COVERAGE.c.mailing, COVERAGE.c.category)
        )
        async with self._read() as conn:
            return [_coverage(row) for row in await conn.execute(query)]

    async def recorded_in(
        self, category: str, paper_ids: Iterable[str], *, before: date | None = None
    ) -> set[str]:
        """Which of the papers some mailing (before `before`, if given) announced in
        `category`."""
        ids = list(set(paper_ids))
        if not ids:
            return set()
        query = select(MAILING_PAPERS.c.paper_id).where(
            MAILING_PAPERS.c.category == category, MAILING_PAPERS.c.paper_id.in_(ids)
        )
        if before is not None:
            query = query.where(MAILING_PAPERS.c.mailing < before)
        async with self._read() as conn:
            return set((await conn.execute(query)).scalars())

    async def count_recorded(
        self, mailing: date, category: str, submitted: tuple[datetime, datetime]
    ) -> int:
        """Papers recorded for the mailing in the category whose first version was
        submitted within `submitted`, as the API's date query counts them."""
        query = (
            select(func.count())
            .select_from(
                MAILING_PAPERS.join(PAPERS, PAPERS.c.arxiv_id == MAILING_PAPERS.c.paper_id)
            )
            .where(
                MAILING_PAPERS.c.mailing == mailing,
                MAILING_PAPERS.c.category == category,
                PAPERS.c.published >= submitted[0],
                PAPERS.c.published <= submitted[1],
            )
        )
        async with self._read() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def record_found(
        self,
        papers: Iterable[Paper],
        deliveries: Iterable[tuple[int, str]],
        *,
        mailing: date,
        category: str,
        followed: Iterable[str],
        via: str,
        now: datetime,
        expected: int | None = None,
    ) -> int:
        """Papers the API supplied for a stale feed (`fallback`) or the audit (`audit`) of
        `category`, their deliveries, and the note on the category's coverage, in one
        transaction. Each paper is recorded in every `followed` category it lists, as the
        feed would have shown it there; audit deliveries are marked late. Returns how many
        deliveries were newly queued."""
        found = list(papers)
        wanted = set(followed) | {category}
        pairs = [(c, p.arxiv_id) for p in found for c in p.all_categories if c in wanted]
        done = {"audited_at": now, "expected": expected} if via == "audit" else {}
        async with self._write() as conn:
            await self._save_papers(conn, found, now)
            queued = await self._enqueue(conn, deliveries, now, late=via == "audit")
            await self._record_papers(conn, mailing, pairs, via)
            await self._note_categories(conn, mailing, {category: False}, now)
            await conn.execute(
                update(COVERAGE)
                .where(COVERAGE.c.mailing == mailing, COVERAGE.c.category == category)
                .values(**(done or {"fallback_at": now}))
            )
        return queued

    async def mark_audited(
        self, mailing: date, category: str, expected: int, now: datetime
    ) -> None:
        query = (
            update(COVERAGE)
            .where(COVERAGE.c.mailing == mailing, COVERAGE.c.category == category)
            .values(audited_at=now, expected=expected)
        )
        async with self._write() as conn:
            await conn.execute(query)

    async def newest_settled_mailing(self) -> date | None:
        """The newest mailing the feed showed, or whose categories are all in."""
        feed = select(POLL_STATE.c.last_mailing).where(POLL_STATE.c.source == "arxiv")
        settled = select(func.max(COVERAGE.c.mailing)).where(
            or_(COVERAGE.c.fresh_at.is_not(None), COVERAGE.c.fallback_at.is_not(None))
        )
        async with self._read() as conn:
            dates = [(await conn.execute(q)).scalar() for q in (feed, settled)]
        return max((d for d in dates if d is not None), default=None)

    async def chat_coverage(
        self, chat_id: int, categories: Sequence[str], *, digest_mode: bool
    ) -> list[CategoryCoverage]:
        """For `/status`: each category's newest mailing and what of it reached the chat."""
        rows = []
        async with self._read() as conn:
            for category in categories:
                newest = (
                    await conn.execute(
                        select(COVERAGE)
                        .where(COVERAGE.c.category == category)
                        .order_by(COVERAGE.c.mailing.desc())
                        .limit(1)
                    )
                ).one_or_none()
                if newest is None:
                    continue
                figures = await _figures(conn, newest.mailing, category, chat_id)
                papers, reached, grouped, late = figures
                rows.append(
                    CategoryCoverage(
                        category=category,
                        mailing=newest.mailing,
                        papers=papers,
                        reached=reached,
                        grouped=reached if digest_mode else grouped,
                        late=late,
                        stale=newest.fresh_at is None and newest.fallback_at is None,
                    )
                )
        return rows

    async def mailing_figures(self) -> list[MailingFigures]:
        """Each category's newest mailing: announced, delivered somewhere, found late."""
        newest = select(COVERAGE.c.category, func.max(COVERAGE.c.mailing).label("mailing"))
        figures = []
        async with self._read() as conn:
            for category, mailing in await conn.execute(newest.group_by(COVERAGE.c.category)):
                papers, delivered, _, late = await _figures(conn, mailing, category, None)
                figures.append(MailingFigures(category, mailing, papers, delivered, late))
        return figures

    async def _note_categories(
        self, conn: AsyncConnection, mailing: date, fresh: dict[str, bool], now: datetime
    ) -> None:
        """Create each category's row for `mailing`; note when the feed first showed it."""
        for category, is_fresh in fresh.items():
            insert = self._insert(COVERAGE).values(
                mailing=mailing,
                category=category,
                first_checked_at=now,
                fresh_at=now if is_fresh else None,
            )
            await conn.execute(
                insert.on_conflict_do_update(
                    index_elements=[COVERAGE.c.mailing, COVERAGE.c.category],
                    set_={"fresh_at": func.coalesce(COVERAGE.c.fresh_at, insert.excluded.fresh_at)},
                )
            )

    async def _record_papers(
        self,
        conn: AsyncConnection,
        mailing: date,
        pairs: Iterable[tuple[str, str]],
        via: str,
    ) -> None:
        rows = [
            {"category": category, "paper_id": paper_id, "mailing": mailing, "via": via}
            for category, paper_id in dict.fromkeys(pairs)
        ]
        if rows:
            insert = self._insert(MAILING_PAPERS).on_conflict_do_nothing(
                index_elements=[MAILING_PAPERS.c.category, MAILING_PAPERS.c.paper_id]
            )
            await conn.execute(insert, rows)

    async def _enqueue(
        self,
        conn: AsyncConnection,
        pairs: Iterable[tuple[int, str]],
        now: datetime,
        *,
        late: bool = False,
    ) -> int:
        """Queue each (chat ID, paper ID) once, ever; how many were not queued before."""
        rows = [
            {
                "chat_id": chat_id,
                "paper_id": paper_id,
                "created_at": now,
                "next_attempt_at": now,
                "late": late,
            }
            for chat_id, paper_id in dict.fromkeys(pairs)
        ]
        if not rows:
            return 0
        insert = (
            self._insert(DELIVERIES)
            .on_conflict_do_nothing(index_elements=[DELIVERIES.c.chat_id, DELIVERIES.c.paper_id])
            .returning(DELIVERIES.c.id)
        )
        return len((await conn.execute(insert, rows)).all())


async def _figures(
    conn: AsyncConnection, mailing: date, category: str, chat_id: int | None
) -> tuple[int, int, int, int]:
    """Papers of the mailing in the category; how many were sent (to `chat_id`, or to
    anyone), of which in a message shared with other papers (a digest); how many late."""
    mine = [
        MAILING_PAPERS.c.mailing == mailing,
        MAILING_PAPERS.c.category == category,
    ]
    papers = (await conn.execute(select(func.count()).where(*mine))).scalar_one()
    late = (
        await conn.execute(select(func.count()).where(*mine, MAILING_PAPERS.c.via == "audit"))
    ).scalar_one()
    sent = [DELIVERIES.c.state == "sent", DELIVERIES.c.paper_id == MAILING_PAPERS.c.paper_id]
    if chat_id is not None:
        sent.append(DELIVERIES.c.chat_id == chat_id)
    reached_query = select(func.count(func.distinct(DELIVERIES.c.paper_id))).where(*mine, *sent)
    reached = (await conn.execute(reached_query)).scalar_one()
    grouped = 0
    if chat_id is not None:
        other = DELIVERIES.alias("other")
        shared = (
            select(other.c.id)
            .where(
                other.c.chat_id == DELIVERIES.c.chat_id,
                other.c.platform_message_id == DELIVERIES.c.platform_message_id,
                other.c.id != DELIVERIES.c.id,
            )
            .exists()
        )
        grouped_query = select(func.count()).where(*mine, *sent, shared)
        grouped = (await conn.execute(grouped_query)).scalar_one()
    return int(papers), int(reached), int(grouped), int(late)


def _coverage(row: Row[Any]) -> Coverage:
    return Coverage(
        mailing=row.mailing,
        category=row.category,
        first_checked_at=row.first_checked_at,
        fresh_at=row.fresh_at,
        fallback_at=row.fallback_at,
        audited_at=row.audited_at,
        expected=row.expected,
    )
