"""What every repository shares: the engine, short read and write transactions, and row shapes.

Races are settled by the database, not by reading first: unique constraints plus
`ON CONFLICT` (spelled the same on SQLite and PostgreSQL) decide who inserted a row, and
`RETURNING` tells each caller what its own statement did.
"""

from __future__ import annotations

import dataclasses
from contextlib import AbstractAsyncContextManager
from typing import Any, cast

from sqlalchemy import Row, Table, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.source.papers import Paper
from bot.store.db import WRITE_OPTION
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
from bot.store.records import Chat

PAPERS = cast(Table, PaperRow.__table__)
SUMMARIES = cast(Table, SummaryRow.__table__)
CHATS = cast(Table, ChatRow.__table__)
SUBSCRIPTIONS = cast(Table, SubscriptionRow.__table__)
TOPICS = cast(Table, TopicRow.__table__)
FAVORITES = cast(Table, FavoriteRow.__table__)
DELIVERIES = cast(Table, DeliveryRow.__table__)
POLL_STATE = cast(Table, PollStateRow.__table__)

PAPER_FIELDS = tuple(field.name for field in dataclasses.fields(Paper))
# Deliveries still to go out: queued, or in flight when their sender stopped.
WAITING = ("pending", "sending")


class Repository:
    """One connection pool for all concerns; each repository is a mixin of `Store`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._writer = engine.execution_options(**{WRITE_OPTION: True})

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


def paper_record(row: Row[Any]) -> Paper:
    values = {name: getattr(row, name) for name in PAPER_FIELDS}
    values["authors"] = tuple(row.authors)
    values["categories"] = tuple(row.categories)
    return Paper(**values)


def chat_record(row: Row[Any]) -> Chat:
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
