"""What each poll found: the poll state, new papers and their deliveries, in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.source.papers import Paper
from bot.store.base import CHATS, DELIVERIES, POLL_STATE, SUMMARIES
from bot.store.mailings import MailingsRepository
from bot.store.records import FeedCoverage, PollState
from bot.support.clock import utcnow
from bot.support.config import Language


class PollsRepository(MailingsRepository):
    # Deliveries

    async def enqueue_deliveries(self, pairs: Iterable[tuple[int, str]]) -> int:
        """Queue each (chat ID, paper ID) once, ever; return how many were not queued before.

        A pair already queued, sent or failed is left alone, so a poll that sees a paper
        again, or two polls at once, never posts it twice.
        """
        async with self._write() as conn:
            return await self._enqueue(conn, pairs, utcnow())

    # Discovery

    async def get_poll_state(self, source: str = "arxiv") -> PollState:
        query = select(POLL_STATE).where(POLL_STATE.c.source == source)
        async with self._read() as conn:
            row = (await conn.execute(query)).one_or_none()
        if row is None:
            return PollState()
        return PollState(
            last_poll_at=row.last_poll_at,
            last_success_at=row.last_success_at,
            last_mailing=row.last_mailing,
            last_mailing_seen_at=row.last_mailing_seen_at,
            last_error=row.last_error,
        )

    async def record_poll(
        self, *, polled_at: datetime, error: str | None = None, source: str = "arxiv"
    ) -> None:
        """Note a poll that found nothing to store; an `error` means arXiv did not answer."""
        async with self._write() as conn:
            await self._record_poll(conn, source, polled_at, error, None)

    async def record_announcement(
        self,
        papers: Iterable[Paper],
        deliveries: Iterable[tuple[int, str]],
        *,
        polled_at: datetime,
        mailing: date | None,
        error: str | None = None,
        source: str = "arxiv",
        coverage: FeedCoverage | None = None,
    ) -> tuple[set[str], int]:
        """Store a poll's papers, queue its deliveries and note the poll, all or nothing.

        One transaction, so a crash leaves either everything a poll found or none of it:
        never papers marked as seen whose deliveries were not queued. `deliveries` go in
        in the order given, which is the order each chat receives them. An `error` (a
        part of the poll that failed) keeps the poll from counting as a success. Returns
        the base IDs never stored before and how many deliveries were newly queued.
        `coverage` (which followed categories the feed showed the mailing in, and the
        papers it announced in each) is kept in the same transaction.
        """
        async with self._write() as conn:
            new = await self._save_papers(conn, papers, polled_at)
            queued = await self._enqueue(conn, deliveries, polled_at)
            if coverage is not None:
                await self._note_categories(conn, coverage.mailing, coverage.fresh, polled_at)
                await self._record_papers(conn, coverage.mailing, coverage.papers, "feed")
            await self._record_poll(conn, source, polled_at, error, mailing)
        return new, queued

    async def _record_poll(
        self,
        conn: AsyncConnection,
        source: str,
        polled_at: datetime,
        error: str | None,
        mailing: date | None,
    ) -> None:
        insert = self._insert(POLL_STATE).values(
            source=source,
            last_poll_at=polled_at,
            last_success_at=None if error else polled_at,
            last_mailing=mailing,
            last_mailing_seen_at=polled_at if mailing else None,
            last_error=error,
        )
        newer = and_(
            insert.excluded.last_mailing.is_not(None),
            or_(
                POLL_STATE.c.last_mailing.is_(None),
                insert.excluded.last_mailing > POLL_STATE.c.last_mailing,
            ),
        )
        upsert = insert.on_conflict_do_update(
            index_elements=[POLL_STATE.c.source],
            set_={
                "last_poll_at": insert.excluded.last_poll_at,
                "last_success_at": func.coalesce(
                    insert.excluded.last_success_at, POLL_STATE.c.last_success_at
                ),
                "last_error": insert.excluded.last_error,
                "last_mailing": case(
                    (newer, insert.excluded.last_mailing), else_=POLL_STATE.c.last_mailing
                ),
                "last_mailing_seen_at": case(
                    (newer, insert.excluded.last_mailing_seen_at),
                    else_=POLL_STATE.c.last_mailing_seen_at,
                ),
            },
        )
        await conn.execute(upsert)

    async def unsummarized_deliveries(self, summarizer: str) -> list[tuple[str, Language]]:
        """(paper ID, language) pairs some waiting delivery needs and no summary covers yet."""
        summarized = (
            select(SUMMARIES.c.id)
            .where(
                SUMMARIES.c.paper_id == DELIVERIES.c.paper_id,
                SUMMARIES.c.language == CHATS.c.language,
                SUMMARIES.c.summarizer == summarizer,
            )
            .exists()
        )
        query = (
            select(DELIVERIES.c.paper_id, CHATS.c.language)
            .distinct()
            .join(CHATS, CHATS.c.id == DELIVERIES.c.chat_id)
            .where(DELIVERIES.c.state == "pending", CHATS.c.active, ~summarized)
            .order_by(DELIVERIES.c.paper_id, CHATS.c.language)
        )
        async with self._read() as conn:
            return [(row.paper_id, row.language) for row in await conn.execute(query)]
