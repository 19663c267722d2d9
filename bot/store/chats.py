"""Chats, what they follow (categories and topics), and their volume settings."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.base import CHATS, DELIVERIES, SUBSCRIPTIONS, TOPICS, Repository, chat_record
from bot.store.records import Chat, Subscription, Topic
from bot.support.clock import utcnow
from bot.support.config import Language


class ChatsRepository(Repository):
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
            return chat_record((await conn.execute(upsert)).one())

    async def get_chat(self, platform: str, external_id: str) -> Chat | None:
        async with self._read() as conn:
            row = await _chat_row(conn, platform, external_id)
        return None if row is None else chat_record(row)

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
                return chat_record(new)
            if new is None:
                renamed = await conn.execute(
                    update(CHATS)
                    .where(CHATS.c.id == old.id)
                    .values(external_id=new_external_id)
                    .returning(*CHATS.c)
                )
                return chat_record(renamed.one())
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
            return chat_record(new)

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
        return sorted((_subscription_record(row) for row in rows), key=lambda s: s.category)

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
            return [_subscription_record(row) for row in await conn.execute(query)]

    async def active_subscriptions(self) -> list[Subscription]:
        """Every subscription of every chat the bot may still post to."""
        query = (
            select(SUBSCRIPTIONS)
            .join(CHATS, CHATS.c.id == SUBSCRIPTIONS.c.chat_id)
            .where(CHATS.c.active)
            .order_by(SUBSCRIPTIONS.c.chat_id, SUBSCRIPTIONS.c.category)
        )
        async with self._read() as conn:
            return [_subscription_record(row) for row in await conn.execute(query)]

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
                found.setdefault(row.external_id, []).append(_subscription_record(row))
        return found

    # Topics

    async def set_topic(self, chat_id: int, name: str, terms: Sequence[str]) -> Topic:
        insert = self._insert(TOPICS).values(chat_id=chat_id, name=name, terms=list(terms))
        upsert = insert.on_conflict_do_update(
            index_elements=[TOPICS.c.chat_id, TOPICS.c.name], set_={"terms": insert.excluded.terms}
        ).returning(*TOPICS.c)
        async with self._write() as conn:
            return _topic_record((await conn.execute(upsert)).one())

    async def remove_topic(self, chat_id: int, name: str) -> bool:
        query = delete(TOPICS).where(TOPICS.c.chat_id == chat_id, TOPICS.c.name == name)
        async with self._write() as conn:
            return (await conn.execute(query)).rowcount > 0

    async def list_topics(self, chat_id: int) -> list[Topic]:
        query = select(TOPICS).where(TOPICS.c.chat_id == chat_id).order_by(TOPICS.c.name)
        async with self._read() as conn:
            return [_topic_record(row) for row in await conn.execute(query)]

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
            return [(chat_record(row), row.digest_sent_at) for row in await conn.execute(query)]

    async def mark_digest_sent(self, chat_id: int, at: datetime) -> None:
        await self._update_chat(chat_id, digest_sent_at=at)


async def _chat_row(conn: AsyncConnection, platform: str, external_id: str) -> Row[Any] | None:
    query = select(CHATS).where(CHATS.c.platform == platform, CHATS.c.external_id == external_id)
    return (await conn.execute(query)).one_or_none()


def _subscription_record(row: Row[Any]) -> Subscription:
    return Subscription(
        id=row.id,
        chat_id=row.chat_id,
        category=row.category,
        include=tuple(row.include),
        exclude=tuple(row.exclude),
        created_at=row.created_at,
    )


def _topic_record(row: Row[Any]) -> Topic:
    return Topic(id=row.id, chat_id=row.chat_id, name=row.name, terms=tuple(row.terms))
