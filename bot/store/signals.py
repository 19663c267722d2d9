"""What ranking learns from: each person's ☆ and reactions, and whose signal ranks a chat.

Signals belong to a person (platform + user), like favorites; a chat only keeps the list
of people who ☆-ed or reacted in it, so a group is ranked by its members' combined signal
without storing who starred what there. Models are never stored: they are rebuilt from
these rows, so `/forget` and backups only ever deal with what people did.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete, select

from bot.source.papers import Paper
from bot.store.base import CHATS, DELIVERIES, FAVORITES, PAPERS, Repository, paper_record
from bot.store.models import RankingMemberRow, RankingOffRow, SignalRow
from bot.support.clock import utcnow

SIGNALS = cast(Table, SignalRow.__table__)
RANKING_MEMBERS = cast(Table, RankingMemberRow.__table__)
RANKING_OFF = cast(Table, RankingOffRow.__table__)


@dataclass(frozen=True, slots=True)
class PersonSignals:
    """A person's ☆ (newest first), "more like this" and "less like this" papers."""

    favorites: tuple[Paper, ...]
    more: tuple[Paper, ...]
    less: tuple[Paper, ...]


@dataclass(frozen=True, slots=True)
class Forgotten:
    favorites: int
    signals: int


class SignalsRepository(Repository):
    async def set_signal(
        self, platform: str, user_id: str, paper_id: str, kind: str, *, on: bool
    ) -> bool:
        """Record (or withdraw) a "more"/"less" reaction; True when something changed."""
        key = (
            SIGNALS.c.platform == platform,
            SIGNALS.c.user_id == user_id,
            SIGNALS.c.paper_id == paper_id,
            SIGNALS.c.kind == kind,
        )
        async with self._write() as conn:
            if not on:
                return (await conn.execute(delete(SIGNALS).where(*key))).rowcount > 0
            added = await conn.execute(
                self._insert(SIGNALS)
                .values(
                    platform=platform,
                    user_id=user_id,
                    paper_id=paper_id,
                    kind=kind,
                    created_at=utcnow(),
                )
                .on_conflict_do_nothing(
                    index_elements=[
                        SIGNALS.c.platform,
                        SIGNALS.c.user_id,
                        SIGNALS.c.paper_id,
                        SIGNALS.c.kind,
                    ]
                )
            )
            return added.rowcount > 0

    async def person_signals(self, platform: str, user_id: str) -> PersonSignals:
        favorites = (
            select(PAPERS)
            .join(FAVORITES, FAVORITES.c.paper_id == PAPERS.c.arxiv_id)
            .where(FAVORITES.c.platform == platform, FAVORITES.c.user_id == user_id)
            .order_by(FAVORITES.c.created_at.desc(), FAVORITES.c.id.desc())
        )
        reactions = (
            select(PAPERS, SIGNALS.c.kind)
            .join(SIGNALS, SIGNALS.c.paper_id == PAPERS.c.arxiv_id)
            .where(SIGNALS.c.platform == platform, SIGNALS.c.user_id == user_id)
            .order_by(SIGNALS.c.id)
        )
        async with self._read() as conn:
            starred = tuple(paper_record(row) for row in await conn.execute(favorites))
            rows = list(await conn.execute(reactions))
        return PersonSignals(
            starred,
            tuple(paper_record(row) for row in rows if row.kind == "more"),
            tuple(paper_record(row) for row in rows if row.kind == "less"),
        )

    async def note_ranking_member(self, chat_id: int, user_id: str) -> None:
        async with self._write() as conn:
            await conn.execute(
                self._insert(RANKING_MEMBERS)
                .values(chat_id=chat_id, user_id=user_id, created_at=utcnow())
                .on_conflict_do_nothing(
                    index_elements=[RANKING_MEMBERS.c.chat_id, RANKING_MEMBERS.c.user_id]
                )
            )

    async def ranking_members(self, chat_id: int) -> list[str]:
        query = (
            select(RANKING_MEMBERS.c.user_id)
            .where(RANKING_MEMBERS.c.chat_id == chat_id)
            .order_by(RANKING_MEMBERS.c.id)
        )
        async with self._read() as conn:
            return list((await conn.execute(query)).scalars())

    async def set_ranking(self, chat_id: int, *, on: bool) -> None:
        async with self._write() as conn:
            if on:
                await conn.execute(delete(RANKING_OFF).where(RANKING_OFF.c.chat_id == chat_id))
            else:
                await conn.execute(
                    self._insert(RANKING_OFF)
                    .values(chat_id=chat_id, created_at=utcnow())
                    .on_conflict_do_nothing(index_elements=[RANKING_OFF.c.chat_id])
                )

    async def ranking_on(self, chat_id: int) -> bool:
        query = select(RANKING_OFF.c.chat_id).where(RANKING_OFF.c.chat_id == chat_id)
        async with self._read() as conn:
            return (await conn.execute(query)).first() is None

    async def forget_person(self, platform: str, user_id: str) -> Forgotten:
        """Delete everything a person did: favorites, reactions, and their place in the
        ranking of every chat of that platform."""
        their_chats = select(CHATS.c.id).where(CHATS.c.platform == platform)
        async with self._write() as conn:
            favorites = await conn.execute(
                delete(FAVORITES).where(
                    FAVORITES.c.platform == platform, FAVORITES.c.user_id == user_id
                )
            )
            signals = await conn.execute(
                delete(SIGNALS).where(SIGNALS.c.platform == platform, SIGNALS.c.user_id == user_id)
            )
            await conn.execute(
                delete(RANKING_MEMBERS).where(
                    RANKING_MEMBERS.c.user_id == user_id,
                    RANKING_MEMBERS.c.chat_id.in_(their_chats),
                )
            )
        return Forgotten(favorites.rowcount, signals.rowcount)

    async def recent_papers(self, *, limit: int) -> list[Paper]:
        """The newest stored papers: the background a model learns what is *not* special."""
        query = select(PAPERS).order_by(PAPERS.c.published.desc(), PAPERS.c.arxiv_id).limit(limit)
        async with self._read() as conn:
            return [paper_record(row) for row in await conn.execute(query)]

    async def papers_published_since(self, since: datetime) -> list[Paper]:
        query = (
            select(PAPERS)
            .where(PAPERS.c.published >= since)
            .order_by(PAPERS.c.published, PAPERS.c.arxiv_id)
        )
        async with self._read() as conn:
            return [paper_record(row) for row in await conn.execute(query)]

    async def paper_of_message(
        self, platform: str, chat_external_id: str, message_id: str
    ) -> str | None:
        """The paper whose card is message `message_id` of a chat (reactions name messages)."""
        query = (
            select(DELIVERIES.c.paper_id)
            .join(CHATS, CHATS.c.id == DELIVERIES.c.chat_id)
            .where(
                CHATS.c.platform == platform,
                CHATS.c.external_id == chat_external_id,
                DELIVERIES.c.platform_message_id == message_id,
            )
        )
        async with self._read() as conn:
            papers = list((await conn.execute(query)).scalars())
        # A digest is one message for many papers: a reaction on it names no single paper.
        return papers[0] if len(papers) == 1 else None
