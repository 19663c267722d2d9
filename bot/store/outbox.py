"""The outbox: a dispatcher claims whole chats (a lease in the chat's row) and sends
each chat's deliveries one at a time in queue order; see `bot.delivery.delivery`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.base import CHATS, DELIVERIES, WAITING, Repository, chat_record
from bot.store.records import Chat, ChatDeliveries, OutboxEntry


class OutboxRepository(Repository):
    async def claim_chats(
        self, owner: str, platforms: Collection[str], *, now: datetime, lease: timedelta, limit: int
    ) -> list[Chat]:
        """Lease up to `limit` chats with deliveries due (and no digest) to `owner`.

        On PostgreSQL the candidate rows are locked with `FOR UPDATE SKIP LOCKED`, so two
        dispatchers claiming at once get different chats and never wait for each other;
        SQLite runs writing transactions one at a time. A chat whose lease ran out is free
        again, and the delivery its last holder left in `sending` goes back to the queue:
        that send may or may not have happened (the one duplicate `bot.delivery.delivery` allows).
        """
        # Due by its oldest waiting delivery alone: the later ones go out behind it, so a chat
        # whose first card waits out a long Retry-After is not claimed (and handed straight
        # back) again and again while its later cards look due.
        oldest_due_at = (
            select(DELIVERIES.c.next_attempt_at)
            .where(DELIVERIES.c.chat_id == CHATS.c.id, DELIVERIES.c.state.in_(WAITING))
            .order_by(DELIVERIES.c.id)
            .limit(1)
            .scalar_subquery()
        )
        candidates = (
            select(CHATS.c.id)
            .where(
                CHATS.c.active,
                CHATS.c.platform.in_(list(platforms)),
                CHATS.c.digest_time.is_(None),
                _lease_free(now),
                oldest_due_at <= now,
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
        chats = sorted((chat_record(row) for row in leased), key=lambda chat: chat.id)
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
                .where(DELIVERIES.c.chat_id == chat_id, DELIVERIES.c.state.in_(WAITING))
                .values(state="failed", last_error=f"chat gone: {reason}")
            )
            return failed.rowcount

    async def next_due_at(
        self, owner: str, platforms: Collection[str], *, now: datetime
    ) -> datetime | None:
        """When this dispatcher could next send something: each chat counts by its oldest
        waiting delivery, as `claim_chats` does.

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
        queued = DELIVERIES.alias("queued")
        oldest = (
            select(func.min(queued.c.id))
            .where(queued.c.chat_id == DELIVERIES.c.chat_id, queued.c.state.in_(WAITING))
            .scalar_subquery()
        )
        query = (
            select(func.min(later))
            .join(CHATS, CHATS.c.id == DELIVERIES.c.chat_id)
            .where(
                DELIVERIES.c.id == oldest,
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
            func.count(case((DELIVERIES.c.state.in_(WAITING), 1))),
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
            .where(DELIVERIES.c.state.in_(WAITING))
            .group_by(CHATS.c.platform)
        )
        async with self._read() as conn:
            return {platform: int(count) for platform, count in await conn.execute(query)}


def _outbox_entry(row: Row[Any]) -> OutboxEntry:
    return OutboxEntry(
        id=row.id,
        chat_id=row.chat_id,
        paper_id=row.paper_id,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        late=row.late,
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
