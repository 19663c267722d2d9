"""Every query the bot makes, each in its own short transaction, returning plain records.

Races are settled by the database, not by reading first: unique constraints plus
`ON CONFLICT` (spelled the same on SQLite and PostgreSQL) decide who inserted a row, and
`RETURNING` tells each caller what its own statement did.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Row,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.source.papers import Paper
from bot.store.db import WRITE_OPTION, create_engine
from bot.store.models import (
    ChatRow,
    DeliveryRow,
    FavoriteRow,
    PaperRow,
    PollStateRow,
    SubscriptionRow,
    SummaryRow,
    TopicRow,
)
from bot.store.records import (
    Chat,
    ChatDeliveries,
    FavoritePaper,
    OutboxEntry,
    PollState,
    Subscription,
    Topic,
    UserFavorite,
)
from bot.summarize import Method, Summary
from bot.support.clock import utcnow
from bot.support.config import Language

PAPERS = cast(Table, PaperRow.__table__)
SUMMARIES = cast(Table, SummaryRow.__table__)
CHATS = cast(Table, ChatRow.__table__)
SUBSCRIPTIONS = cast(Table, SubscriptionRow.__table__)
TOPICS = cast(Table, TopicRow.__table__)
FAVORITES = cast(Table, FavoriteRow.__table__)
DELIVERIES = cast(Table, DeliveryRow.__table__)
POLL_STATE = cast(Table, PollStateRow.__table__)

_PAPER_FIELDS = tuple(field.name for field in dataclasses.fields(Paper))
# Deliveries still to go out: queued, or in flight when their sender stopped.
_WAITING = ("pending", "sending")


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{WRITE_OPTION: True})

    @classmethod
    def connect(cls, url: str | URL) -> Store:
        """A store on an already migrated database (see `bot.store.migrate`)."""
        return cls(create_engine(url))

    async def close(self) -> None:
        await self._engine.dispose()

    async def ping(self) -> None:
        """One round trip to the database; raises whatever the driver raises when it is down."""
        async with self._read() as conn:
            await conn.execute(select(1))

    def _read(self) -> AbstractAsyncContextManager[AsyncConnection]:
        return self._engine.begin()

    def _write(self) -> AbstractAsyncContextManager[AsyncConnection]:
        return self._writer.begin()

    def _insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        if self._engine.dialect.name == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)

    # Papers

    async def save_papers(self, papers: Iterable[Paper]) -> set[str]:
        """Store papers; return the base IDs never stored before.

        A new version of a stored paper replaces its metadata but is not new: it was
        announced once already. An older version than the stored one changes nothing.
        """
        async with self._write() as conn:
            return await self._save_papers(conn, papers, utcnow())

    async def _save_papers(
        self, conn: AsyncConnection, papers: Iterable[Paper], now: datetime
    ) -> set[str]:
        latest: dict[str, Paper] = {}
        for paper in papers:
            seen = latest.get(paper.arxiv_id)
            if seen is None or paper.version >= seen.version:
                latest[paper.arxiv_id] = paper
        if not latest:
            return set()
        insert = (
            self._insert(PAPERS)
            .on_conflict_do_nothing(index_elements=[PAPERS.c.arxiv_id])
            .returning(PAPERS.c.arxiv_id)
        )
        refresh = (
            update(PAPERS)
            .where(
                PAPERS.c.arxiv_id == bindparam("new_arxiv_id"),
                PAPERS.c.version <= bindparam("new_version"),
            )
            .values({name: bindparam(f"new_{name}") for name in _PAPER_FIELDS})
        )
        inserted = await conn.execute(
            insert, [{**_paper_values(p), "first_seen_at": now} for p in latest.values()]
        )
        new = set(inserted.scalars())
        known = [
            {f"new_{name}": value for name, value in _paper_values(paper).items()}
            for arxiv_id, paper in latest.items()
            if arxiv_id not in new
        ]
        if known:
            await conn.execute(refresh, known)
        return new

    async def get_paper(self, arxiv_id: str) -> Paper | None:
        return (await self.get_papers([arxiv_id])).get(arxiv_id)

    async def get_papers(self, arxiv_ids: Iterable[str]) -> dict[str, Paper]:
        wanted = set(arxiv_ids)
        if not wanted:
            return {}
        async with self._read() as conn:
            rows = await conn.execute(select(PAPERS).where(PAPERS.c.arxiv_id.in_(wanted)))
            return {row.arxiv_id: _paper(row) for row in rows}

    # Summaries

    async def get_summary(
        self, paper_id: str, language: Language, summarizer: str
    ) -> Summary | None:
        query = select(SUMMARIES.c.payload).where(
            SUMMARIES.c.paper_id == paper_id,
            SUMMARIES.c.language == language,
            SUMMARIES.c.summarizer == summarizer,
        )
        async with self._read() as conn:
            payload = (await conn.execute(query)).scalar_one_or_none()
        if payload is None:
            return None
        return _summary(language, summarizer, payload)

    async def save_summary(self, paper_id: str, summary: Summary) -> None:
        """Store a summary; saving one for the same paper, language and summarizer replaces it.

        Two workers summarizing the same paper at once both succeed; the later one stays.
        """
        insert = self._insert(SUMMARIES).values(
            paper_id=paper_id,
            language=summary.language,
            summarizer=summary.summarizer,
            payload=_summary_payload(summary),
            created_at=utcnow(),
        )
        upsert = insert.on_conflict_do_update(
            index_elements=[SUMMARIES.c.paper_id, SUMMARIES.c.language, SUMMARIES.c.summarizer],
            set_={"payload": insert.excluded.payload, "created_at": insert.excluded.created_at},
        )
        async with self._write() as conn:
            await conn.execute(upsert)

    # Chats

    async def ensure_chat(
        self, platform: str, external_id: str, *, title: str | None = None, language: Language
    ) -> Chat:
        """The chat's row, created on first sight with `language`.

        Only the title is refreshed on later calls: the language is the chat's own choice
        from then on, and an inactive chat stays inactive until `reactivate_chat`.
        """
        insert = self._insert(CHATS).values(
            platform=platform, external_id=external_id, title=title, language=language
        )
        upsert = insert.on_conflict_do_update(
            index_elements=[CHATS.c.platform, CHATS.c.external_id],
            set_={"title": func.coalesce(insert.excluded.title, CHATS.c.title)},
        ).returning(*CHATS.c)
        async with self._write() as conn:
            return _chat((await conn.execute(upsert)).one())

    async def get_chat(self, platform: str, external_id: str) -> Chat | None:
        async with self._read() as conn:
            row = await _chat_row(conn, platform, external_id)
        return None if row is None else _chat(row)

    async def set_language(self, chat_id: int, language: Language) -> None:
        await self._update_chat(chat_id, language=language)

    async def deactivate_chat(self, chat_id: int, reason: str) -> None:
        """Stop sending to a chat that removed the bot, keeping its settings for a return."""
        await self._update_chat(chat_id, active=False, inactive_reason=reason)

    async def reactivate_chat(self, chat_id: int) -> None:
        await self._update_chat(chat_id, active=True, inactive_reason=None)

    async def _update_chat(self, chat_id: int, **values: Any) -> None:
        async with self._write() as conn:
            await conn.execute(update(CHATS).where(CHATS.c.id == chat_id).values(**values))

    async def migrate_chat(self, platform: str, old_external_id: str, new_external_id: str) -> Chat:
        """Follow a chat to its new platform ID (a Telegram group upgraded to a supergroup).

        Telegram reports the upgrade in both chats, so this may run twice or after the new
        chat already got its own row; then the old row's subscriptions, topics and
        deliveries move over where the new chat lacks them, and the old row goes. The new
        row's own settings win. Raises LookupError when neither ID is known.
        """
        try:
            return await self._migrate_chat(platform, old_external_id, new_external_id)
        except IntegrityError:
            # The new ID's row was inserted between our look-up and our rename: merge into it.
            return await self._migrate_chat(platform, old_external_id, new_external_id)

    async def _migrate_chat(
        self, platform: str, old_external_id: str, new_external_id: str
    ) -> Chat:
        async with self._write() as conn:
            old = await _chat_row(conn, platform, old_external_id)
            new = await _chat_row(conn, platform, new_external_id)
            if old is None:
                if new is None:
                    raise LookupError(f"no {platform} chat {old_external_id} or {new_external_id}")
                return _chat(new)
            if new is None:
                renamed = await conn.execute(
                    update(CHATS)
                    .where(CHATS.c.id == old.id)
                    .values(external_id=new_external_id)
                    .returning(*CHATS.c)
                )
                return _chat(renamed.one())
            for table, key in (
                (SUBSCRIPTIONS, SUBSCRIPTIONS.c.category),
                (TOPICS, TOPICS.c.name),
                (DELIVERIES, DELIVERIES.c.paper_id),
            ):
                taken = select(key).where(table.c.chat_id == new.id)
                await conn.execute(
                    update(table)
                    .where(table.c.chat_id == old.id, key.not_in(taken.scalar_subquery()))
                    .values(chat_id=new.id)
                )
            await conn.execute(delete(CHATS).where(CHATS.c.id == old.id))
            return _chat(new)

    # Subscriptions

    async def subscribe(
        self,
        chat_id: int,
        categories: Iterable[str],
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
    ) -> list[Subscription]:
        """Subscribe to every category or to none; a category already followed gets the new
        filters."""
        wanted = list(dict.fromkeys(categories))
        if not wanted:
            return []
        now = utcnow()
        insert = self._insert(SUBSCRIPTIONS).values(
            [
                {
                    "chat_id": chat_id,
                    "category": category,
                    "include": list(include),
                    "exclude": list(exclude),
                    "created_at": now,
                }
                for category in wanted
            ]
        )
        upsert = insert.on_conflict_do_update(
            index_elements=[SUBSCRIPTIONS.c.chat_id, SUBSCRIPTIONS.c.category],
            set_={"include": insert.excluded.include, "exclude": insert.excluded.exclude},
        ).returning(*SUBSCRIPTIONS.c)
        async with self._write() as conn:
            rows = (await conn.execute(upsert)).all()
        return sorted((_subscription(row) for row in rows), key=lambda s: s.category)

    async def unsubscribe(self, chat_id: int, categories: Iterable[str] | None = None) -> list[str]:
        """Drop some categories, or all of them with None; return the ones that were followed."""
        query = delete(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.chat_id == chat_id)
        if categories is not None:
            query = query.where(SUBSCRIPTIONS.c.category.in_(set(categories)))
        async with self._write() as conn:
            removed = await conn.execute(query.returning(SUBSCRIPTIONS.c.category))
            return sorted(removed.scalars())

    async def list_subscriptions(self, chat_id: int) -> list[Subscription]:
        query = (
            select(SUBSCRIPTIONS)
            .where(SUBSCRIPTIONS.c.chat_id == chat_id)
            .order_by(SUBSCRIPTIONS.c.category)
        )
        async with self._read() as conn:
            return [_subscription(row) for row in await conn.execute(query)]

    async def active_subscriptions(self) -> list[Subscription]:
        """Every subscription of every chat the bot may still post to."""
        query = (
            select(SUBSCRIPTIONS)
            .join(CHATS, CHATS.c.id == SUBSCRIPTIONS.c.chat_id)
            .where(CHATS.c.active)
            .order_by(SUBSCRIPTIONS.c.chat_id, SUBSCRIPTIONS.c.category)
        )
        async with self._read() as conn:
            return [_subscription(row) for row in await conn.execute(query)]

    async def subscriptions_of_chats(
        self, platform: str, external_ids: Iterable[str]
    ) -> dict[str, list[Subscription]]:
        """What each of these chats that is still active follows, by platform chat ID, in
        one query: a person's whole list of chats can be long."""
        wanted = set(external_ids)
        if not wanted:
            return {}
        query = (
            select(CHATS.c.external_id, SUBSCRIPTIONS)
            .join(SUBSCRIPTIONS, SUBSCRIPTIONS.c.chat_id == CHATS.c.id)
            .where(CHATS.c.platform == platform, CHATS.c.external_id.in_(wanted), CHATS.c.active)
            .order_by(CHATS.c.external_id, SUBSCRIPTIONS.c.category)
        )
        found: dict[str, list[Subscription]] = {}
        async with self._read() as conn:
            for row in await conn.execute(query):
                found.setdefault(row.external_id, []).append(_subscription(row))
        return found

    # Topics

    async def set_topic(self, chat_id: int, name: str, terms: Sequence[str]) -> Topic:
        insert = self._insert(TOPICS).values(chat_id=chat_id, name=name, terms=list(terms))
        upsert = insert.on_conflict_do_update(
            index_elements=[TOPICS.c.chat_id, TOPICS.c.name],
            set_={"terms": insert.excluded.terms},
        ).returning(*TOPICS.c)
        async with self._write() as conn:
            return _topic((await conn.execute(upsert)).one())

    async def remove_topic(self, chat_id: int, name: str) -> bool:
        query = delete(TOPICS).where(TOPICS.c.chat_id == chat_id, TOPICS.c.name == name)
        async with self._write() as conn:
            return (await conn.execute(query)).rowcount > 0

    async def list_topics(self, chat_id: int) -> list[Topic]:
        query = select(TOPICS).where(TOPICS.c.chat_id == chat_id).order_by(TOPICS.c.name)
        async with self._read() as conn:
            return [_topic(row) for row in await conn.execute(query)]

    # Favorites

    async def toggle_favorite(self, platform: str, user_id: str, paper_id: str) -> bool:
        """Flip a user's star on a paper; True when it is a favorite afterwards.

        If two taps by the same user race on PostgreSQL, both may find no star to remove;
        the unique constraint lets one insert count and the other answers with the state
        they both leave behind: a favorite.
        """
        async with self._write() as conn:
            removed = await conn.execute(
                delete(FAVORITES).where(*_favorite(platform, user_id, paper_id))
            )
            if removed.rowcount > 0:
                return False
            await conn.execute(
                self._insert(FAVORITES)
                .values(platform=platform, user_id=user_id, paper_id=paper_id, created_at=utcnow())
                .on_conflict_do_nothing(
                    index_elements=[FAVORITES.c.platform, FAVORITES.c.user_id, FAVORITES.c.paper_id]
                )
            )
            return True

    async def remove_favorite(self, platform: str, user_id: str, paper_id: str) -> bool:
        query = delete(FAVORITES).where(*_favorite(platform, user_id, paper_id))
        async with self._write() as conn:
            return (await conn.execute(query)).rowcount > 0

    async def is_favorite(self, platform: str, user_id: str, paper_id: str) -> bool:
        query = select(FAVORITES.c.id).where(*_favorite(platform, user_id, paper_id))
        async with self._read() as conn:
            return (await conn.execute(query)).first() is not None

    async def list_favorites(
        self, platform: str, user_id: str, *, offset: int = 0, limit: int = 10
    ) -> list[FavoritePaper]:
        """One page of a user's favorites, the most recently starred first."""
        query = (
            select(PAPERS, FAVORITES.c.created_at.label("favorited_at"))
            .join(FAVORITES, FAVORITES.c.paper_id == PAPERS.c.arxiv_id)
            .where(FAVORITES.c.platform == platform, FAVORITES.c.user_id == user_id)
            .order_by(FAVORITES.c.created_at.desc(), FAVORITES.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        async with self._read() as conn:
            rows = await conn.execute(query)
            return [FavoritePaper(paper=_paper(row), favorited_at=row.favorited_at) for row in rows]

    async def count_favorites(self, platform: str, user_id: str) -> int:
        query = select(func.count()).where(
            FAVORITES.c.platform == platform, FAVORITES.c.user_id == user_id
        )
        async with self._read() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def favorite_count(self, paper_id: str, platform: str) -> int:
        """How many users of a platform starred a paper."""
        query = select(func.count()).where(
            FAVORITES.c.paper_id == paper_id, FAVORITES.c.platform == platform
        )
        async with self._read() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def all_favorites(self) -> list[UserFavorite]:
        """Every favorite of every user, by platform and user, oldest first: a migration
        between databases carries them all."""
        query = (
            select(
                PAPERS,
                FAVORITES.c.platform,
                FAVORITES.c.user_id,
                FAVORITES.c.created_at.label("favorited_at"),
            )
            .join(FAVORITES, FAVORITES.c.paper_id == PAPERS.c.arxiv_id)
            .order_by(
                FAVORITES.c.platform, FAVORITES.c.user_id, FAVORITES.c.created_at, FAVORITES.c.id
            )
        )
        async with self._read() as conn:
            return [
                UserFavorite(row.platform, row.user_id, _paper(row), row.favorited_at)
                for row in await conn.execute(query)
            ]

    # Deliveries

    async def enqueue_deliveries(self, pairs: Iterable[tuple[int, str]]) -> int:
        """Queue each (chat ID, paper ID) once, ever; return how many were not queued before.

        A pair already queued, sent or failed is left alone, so a poll that sees a paper
        again, or two polls at once, never posts it twice.
        """
        async with self._write() as conn:
            return await self._enqueue(conn, pairs, utcnow())

    async def _enqueue(
        self, conn: AsyncConnection, pairs: Iterable[tuple[int, str]], now: datetime
    ) -> int:
        rows = [
            {"chat_id": chat_id, "paper_id": paper_id, "created_at": now, "next_attempt_at": now}
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
    ) -> tuple[set[str], int]:
        """Store a poll's papers, queue its deliveries and note the poll, all or nothing.

        One transaction, so a crash leaves either everything a poll found or none of it:
        never papers marked as seen whose deliveries were not queued. `deliveries` go in
        in the order given, which is the order each chat receives them. An `error` (a
        part of the poll that failed) keeps the poll from counting as a success. Returns
        the base IDs never stored before and how many deliveries were newly queued.
        """
        async with self._write() as conn:
            new = await self._save_papers(conn, papers, polled_at)
            queued = await self._enqueue(conn, deliveries, polled_at)
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

    # The outbox. A dispatcher claims whole chats (a lease in the chat's row) and sends
    # each chat's deliveries one at a time in queue order; see `bot.delivery.delivery`.

    async def claim_chats(
        self,
        owner: str,
        platforms: Collection[str],
        *,
        now: datetime,
        lease: timedelta,
        limit: int,
    ) -> list[Chat]:
        """Lease up to `limit` chats with deliveries due (and no digest) to `owner`.

        On PostgreSQL the candidate rows are locked with `FOR UPDATE SKIP LOCKED`, so two
        dispatchers claiming at once get different chats and never wait for each other;
        SQLite runs writing transactions one at a time. A chat whose lease ran out is free
        again, and the delivery its last holder left in `sending` goes back to the queue:
        that send may or may not have happened (the one duplicate `bot.delivery.delivery` allows).
        """
        due = (
            select(DELIVERIES.c.id)
            .where(
                DELIVERIES.c.chat_id == CHATS.c.id,
                DELIVERIES.c.state.in_(_WAITING),
                DELIVERIES.c.next_attempt_at <= now,
            )
            .exists()
        )
        candidates = (
            select(CHATS.c.id)
            .where(
                CHATS.c.active,
                CHATS.c.platform.in_(list(platforms)),
                CHATS.c.digest_time.is_(None),
                _lease_free(now),
                due,
            )
            .order_by(CHATS.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        async with self._write() as conn:
            ids = list((await conn.execute(candidates)).scalars())
            return await self._lease(conn, ids, owner, now + lease)

    async def claim_chat(
        self, chat_id: int, owner: str, *, now: datetime, lease: timedelta
    ) -> Chat | None:
        """Lease one chat (for its digest) if no one else holds it; None if someone does."""
        candidate = (
            select(CHATS.c.id)
            .where(CHATS.c.id == chat_id, CHATS.c.active, _lease_free(now))
            .with_for_update(skip_locked=True)
        )
        async with self._write() as conn:
            ids = list((await conn.execute(candidate)).scalars())
            chats = await self._lease(conn, ids, owner, now + lease)
        return chats[0] if chats else None

    async def _lease(
        self, conn: AsyncConnection, ids: list[int], owner: str, until: datetime
    ) -> list[Chat]:
        if not ids:
            return []
        leased = await conn.execute(
            update(CHATS)
            .where(CHATS.c.id.in_(ids))
            .values(claimed_by=owner, claimed_until=until)
            .returning(*CHATS.c)
        )
        chats = sorted((_chat(row) for row in leased), key=lambda chat: chat.id)
        await conn.execute(
            update(DELIVERIES)
            .where(DELIVERIES.c.chat_id.in_(ids), DELIVERIES.c.state == "sending")
            .values(state="pending", last_error="interrupted mid-send; sent again")
        )
        return chats

    async def release_chat(self, chat_id: int, owner: str) -> None:
        query = (
            update(CHATS)
            .where(CHATS.c.id == chat_id, CHATS.c.claimed_by == owner)
            .values(claimed_by=None, claimed_until=None)
        )
        async with self._write() as conn:
            await conn.execute(query)

    async def renew_leases(self, owner: str, *, now: datetime, lease: timedelta) -> int:
        """Extend every unexpired lease `owner` holds (its heartbeat); returns how many."""
        query = (
            update(CHATS)
            .where(CHATS.c.claimed_by == owner, _lease_held(now))
            .values(claimed_until=now + lease)
        )
        async with self._write() as conn:
            return (await conn.execute(query)).rowcount

    async def next_in_outbox(self, chat_id: int) -> OutboxEntry | None:
        """The chat's oldest waiting delivery, due or not: later ones wait behind it."""
        query = (
            select(DELIVERIES)
            .where(DELIVERIES.c.chat_id == chat_id, DELIVERIES.c.state == "pending")
            .order_by(DELIVERIES.c.id)
            .limit(1)
        )
        async with self._read() as conn:
            row = (await conn.execute(query)).one_or_none()
        return None if row is None else _outbox_entry(row)

    async def due_in_outbox(self, chat_id: int, *, now: datetime) -> list[OutboxEntry]:
        """All of the chat's waiting deliveries due by `now`, in queue order (for digests)."""
        query = (
            select(DELIVERIES)
            .where(
                DELIVERIES.c.chat_id == chat_id,
                DELIVERIES.c.state == "pending",
                DELIVERIES.c.next_attempt_at <= now,
            )
            .order_by(DELIVERIES.c.id)
        )
        async with self._read() as conn:
            return [_outbox_entry(row) for row in await conn.execute(query)]

    async def start_sending(
        self,
        delivery_ids: Sequence[int],
        chat_id: int,
        owner: str,
        *,
        now: datetime,
        lease: timedelta,
    ) -> bool:
        """Mark deliveries as on their way, if `owner` still holds their chat.

        Committed before the request goes out: a delivery found in `sending` later was
        perhaps posted. Renews the chat's lease; False (and nothing marked) if it was lost.
        """
        async with self._write() as conn:
            held = await conn.execute(
                update(CHATS)
                .where(CHATS.c.id == chat_id, CHATS.c.claimed_by == owner, _lease_held(now))
                .values(claimed_until=now + lease)
            )
            if held.rowcount == 0:
                return False
            started = await conn.execute(
                update(DELIVERIES)
                .where(DELIVERIES.c.id.in_(list(delivery_ids)), DELIVERIES.c.state == "pending")
                .values(state="sending", claimed_at=now)
            )
            if started.rowcount != len(delivery_ids):
                raise RuntimeError(f"deliveries {delivery_ids} of chat {chat_id} were not pending")
            return True

    async def mark_sent(
        self, delivery_ids: Sequence[int], message_id: str, *, now: datetime
    ) -> None:
        await self._finish(
            delivery_ids, state="sent", platform_message_id=message_id, sent_at=now, last_error=None
        )

    async def mark_failed(self, delivery_ids: Sequence[int], error: str) -> None:
        """Give up on deliveries for good."""
        await self._finish(delivery_ids, state="failed", last_error=error)

    async def mark_unknown(self, delivery_ids: Sequence[int], error: str) -> None:
        """The request went out and no answer came: perhaps posted, so never sent again."""
        await self._finish(delivery_ids, state="unknown", last_error=error)

    async def reschedule(
        self, delivery_ids: Sequence[int], *, at: datetime, error: str, counts: bool
    ) -> None:
        """Back to the queue until `at`; `counts` spends one of the deliveries' retries."""
        await self._finish(
            delivery_ids,
            state="pending",
            next_attempt_at=at,
            last_error=error,
            attempts=DELIVERIES.c.attempts + (1 if counts else 0),
        )

    async def _finish(self, delivery_ids: Sequence[int], **values: Any) -> None:
        query = update(DELIVERIES).where(DELIVERIES.c.id.in_(list(delivery_ids))).values(**values)
        async with self._write() as conn:
            await conn.execute(query)

    async def chat_gone(self, chat_id: int, reason: str) -> int:
        """Stop a chat that can never receive again: deactivate it (its settings stay) and
        fail everything still queued for it at once. Returns how many deliveries failed."""
        async with self._write() as conn:
            await conn.execute(
                update(CHATS)
                .where(CHATS.c.id == chat_id)
                .values(active=False, inactive_reason=reason, claimed_by=None, claimed_until=None)
            )
            failed = await conn.execute(
                update(DELIVERIES)
                .where(
                    DELIVERIES.c.chat_id == chat_id,
                    DELIVERIES.c.state.in_(_WAITING),
                )
                .values(state="failed", last_error=f"chat gone: {reason}")
            )
            return failed.rowcount

    async def next_due_at(
        self, owner: str, platforms: Collection[str], *, now: datetime
    ) -> datetime | None:
        """When this dispatcher could next send something.

        A chat another dispatcher holds counts from the end of its lease: by then its
        holder has finished it, or has died and left it to be claimed.
        """
        held_by_other = and_(_lease_held(now), CHATS.c.claimed_by != owner)
        later = case(
            (
                and_(held_by_other, CHATS.c.claimed_until > DELIVERIES.c.next_attempt_at),
                CHATS.c.claimed_until,
            ),
            else_=DELIVERIES.c.next_attempt_at,
        )
        query = (
            select(func.min(later))
            .join(CHATS, CHATS.c.id == DELIVERIES.c.chat_id)
            .where(
                DELIVERIES.c.state.in_(_WAITING),
                CHATS.c.active,
                CHATS.c.platform.in_(list(platforms)),
                CHATS.c.digest_time.is_(None),
            )
        )
        async with self._read() as conn:
            value = (await conn.execute(query)).scalar_one_or_none()
        return _aware(value)

    async def sent_since(self, chat_id: int, since: datetime) -> int:
        query = select(func.count()).where(
            DELIVERIES.c.chat_id == chat_id,
            DELIVERIES.c.state == "sent",
            DELIVERIES.c.sent_at >= since,
        )
        async with self._read() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def chat_deliveries(self, chat_id: int) -> ChatDeliveries:
        query = select(
            func.max(case((DELIVERIES.c.state == "sent", DELIVERIES.c.sent_at))),
            func.count(case((DELIVERIES.c.state.in_(_WAITING), 1))),
            func.count(case((DELIVERIES.c.state.in_(("failed", "unknown")), 1))),
        ).where(DELIVERIES.c.chat_id == chat_id)
        async with self._read() as conn:
            last_sent, waiting, failed = (await conn.execute(query)).one()
        return ChatDeliveries(_aware(last_sent), int(waiting), int(failed))

    async def waiting_by_platform(self) -> dict[str, int]:
        """Deliveries queued or in flight, by platform: the outbox depth the metrics show."""
        query = (
            select(CHATS.c.platform, func.count())
            .select_from(DELIVERIES)
            .join(CHATS, CHATS.c.id == DELIVERIES.c.chat_id)
            .where(DELIVERIES.c.state.in_(_WAITING))
            .group_by(CHATS.c.platform)
        )
        async with self._read() as conn:
            return {platform: int(count) for platform, count in await conn.execute(query)}

    # Volume control

    async def set_digest(
        self, chat_id: int, digest_time: str | None, timezone: str | None, *, now: datetime
    ) -> None:
        """Switch digest mode on at `digest_time` (HH:MM in `timezone`) or off with None.

        The first digest is the next one after `now`, so switching on never sends at once.
        """
        values: dict[str, Any] = {"digest_time": digest_time, "digest_sent_at": now}
        if timezone is not None:
            values["timezone"] = timezone
        await self._update_chat(chat_id, **values)

    async def set_daily_cap(self, chat_id: int, cap: int | None) -> None:
        await self._update_chat(chat_id, daily_cap=cap)

    async def digest_chats(self, platforms: Collection[str]) -> list[tuple[Chat, datetime | None]]:
        """Active chats in digest mode, each with when its last digest went out."""
        query = (
            select(CHATS)
            .where(
                CHATS.c.active,
                CHATS.c.digest_time.is_not(None),
                CHATS.c.platform.in_(list(platforms)),
            )
            .order_by(CHATS.c.id)
        )
        async with self._read() as conn:
            return [(_chat(row), row.digest_sent_at) for row in await conn.execute(query)]

    async def mark_digest_sent(self, chat_id: int, at: datetime) -> None:
        await self._update_chat(chat_id, digest_sent_at=at)


async def _chat_row(conn: AsyncConnection, platform: str, external_id: str) -> Row[Any] | None:
    query = select(CHATS).where(CHATS.c.platform == platform, CHATS.c.external_id == external_id)
    return (await conn.execute(query)).one_or_none()


def _favorite(platform: str, user_id: str, paper_id: str) -> tuple[Any, ...]:
    return (
        FAVORITES.c.platform == platform,
        FAVORITES.c.user_id == user_id,
        FAVORITES.c.paper_id == paper_id,
    )


def _paper_values(paper: Paper) -> dict[str, Any]:
    values = {name: getattr(paper, name) for name in _PAPER_FIELDS}
    values["authors"] = list(paper.authors)
    values["categories"] = list(paper.categories)
    return values


def _paper(row: Row[Any]) -> Paper:
    values = {name: getattr(row, name) for name in _PAPER_FIELDS}
    values["authors"] = tuple(row.authors)
    values["categories"] = tuple(row.categories)
    return Paper(**values)


def _summary_payload(summary: Summary) -> dict[str, Any]:
    """Everything but the language and summarizer, which are columns of their own."""
    payload = dataclasses.asdict(summary)
    del payload["language"], payload["summarizer"]
    return payload


def _summary(language: Language, summarizer: str, payload: dict[str, Any]) -> Summary:
    return Summary(
        language=language,
        summarizer=summarizer,
        takeaway=payload["takeaway"],
        keywords=tuple(payload["keywords"]),
        key_points=tuple(payload["key_points"]),
        method=Method(**payload["method"]),
        experiments=payload["experiments"],
        applications=payload["applications"],
        translated_abstract=payload["translated_abstract"],
    )


def _chat(row: Row[Any]) -> Chat:
    return Chat(
        id=row.id,
        platform=row.platform,
        external_id=row.external_id,
        title=row.title,
        language=row.language,
        active=row.active,
        inactive_reason=row.inactive_reason,
        timezone=row.timezone,
        digest_time=row.digest_time,
        daily_cap=row.daily_cap,
        created_at=row.created_at,
    )


def _subscription(row: Row[Any]) -> Subscription:
    return Subscription(
        id=row.id,
        chat_id=row.chat_id,
        category=row.category,
        include=tuple(row.include),
        exclude=tuple(row.exclude),
        created_at=row.created_at,
    )


def _topic(row: Row[Any]) -> Topic:
    return Topic(id=row.id, chat_id=row.chat_id, name=row.name, terms=tuple(row.terms))


def _outbox_entry(row: Row[Any]) -> OutboxEntry:
    return OutboxEntry(
        id=row.id,
        chat_id=row.chat_id,
        paper_id=row.paper_id,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
    )


def _lease_free(now: datetime) -> ColumnElement[bool]:
    return or_(CHATS.c.claimed_until.is_(None), CHATS.c.claimed_until <= now)


def _lease_held(now: datetime) -> ColumnElement[bool]:
    return CHATS.c.claimed_until > now


def _aware(value: datetime | str | None) -> datetime | None:
    """An aggregate's datetime: SQLite returns MIN/MAX of a column as text, naive."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
