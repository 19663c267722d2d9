"""Every query the bot makes, each in its own short transaction, returning plain records.

Races are settled by the database, not by reading first: unique constraints plus
`ON CONFLICT` (spelled the same on SQLite and PostgreSQL) decide who inserted a row, and
`RETURNING` tells each caller what its own statement did.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.config import Language
from bot.papers import Paper
from bot.store.db import WRITE_OPTION, create_engine
from bot.store.models import (
    ChatRow,
    DeliveryRow,
    FavoriteRow,
    PaperRow,
    SubscriptionRow,
    SummaryRow,
    TopicRow,
    utcnow,
)
from bot.store.records import Chat, FavoritePaper, Subscription, Topic
from bot.summarize import Method, Summary

PAPERS = cast(Table, PaperRow.__table__)
SUMMARIES = cast(Table, SummaryRow.__table__)
CHATS = cast(Table, ChatRow.__table__)
SUBSCRIPTIONS = cast(Table, SubscriptionRow.__table__)
TOPICS = cast(Table, TopicRow.__table__)
FAVORITES = cast(Table, FavoriteRow.__table__)
DELIVERIES = cast(Table, DeliveryRow.__table__)

_PAPER_FIELDS = tuple(field.name for field in dataclasses.fields(Paper))


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
        latest: dict[str, Paper] = {}
        for paper in papers:
            seen = latest.get(paper.arxiv_id)
            if seen is None or paper.version >= seen.version:
                latest[paper.arxiv_id] = paper
        if not latest:
            return set()
        now = utcnow()
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
        async with self._write() as conn:
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

    async def subscribed_categories(self) -> set[str]:
        """The categories worth fetching: those some active chat follows."""
        query = (
            select(SUBSCRIPTIONS.c.category)
            .distinct()
            .join(CHATS, CHATS.c.id == SUBSCRIPTIONS.c.chat_id)
            .where(CHATS.c.active)
        )
        async with self._read() as conn:
            return set((await conn.execute(query)).scalars())

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

    # Deliveries

    async def enqueue_deliveries(self, pairs: Iterable[tuple[int, str]]) -> int:
        """Queue each (chat ID, paper ID) once, ever; return how many were not queued before.

        A pair already queued, sent or failed is left alone, so a poll that sees a paper
        again, or two polls at once, never posts it twice.
        """
        rows = [
            {"chat_id": chat_id, "paper_id": paper_id} for chat_id, paper_id in dict.fromkeys(pairs)
        ]
        if not rows:
            return 0
        insert = (
            self._insert(DELIVERIES)
            .on_conflict_do_nothing(index_elements=[DELIVERIES.c.chat_id, DELIVERIES.c.paper_id])
            .returning(DELIVERIES.c.id)
        )
        async with self._write() as conn:
            return len((await conn.execute(insert, rows)).all())


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
    )


def _topic(row: Row[Any]) -> Topic:
    return Topic(id=row.id, chat_id=row.chat_id, name=row.name, terms=tuple(row.terms))
