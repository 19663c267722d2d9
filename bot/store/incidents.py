"""Which operator incidents are open, decided by the database so that one replica announces
each start and one announces each end, however many notice the condition."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete

from bot.store.base import Repository
from bot.store.models import IncidentRow

INCIDENTS = cast(Table, IncidentRow.__table__)


class IncidentsRepository(Repository):
    async def open_incident(self, key: str, *, now: datetime) -> bool:
        """True for the one caller that opened the incident; False while it is open."""
        insert = (
            self._insert(INCIDENTS)
            .values(key=key, opened_at=now)
            .on_conflict_do_nothing(index_elements=[INCIDENTS.c.key])
            .returning(INCIDENTS.c.key)
        )
        async with self._write() as conn:
            return (await conn.execute(insert)).first() is not None

    async def close_incident(self, key: str) -> bool:
        """True for the one caller that closed an open incident."""
        async with self._write() as conn:
            closed = await conn.execute(
                delete(INCIDENTS).where(INCIDENTS.c.key == key).returning(INCIDENTS.c.key)
            )
            return closed.first() is not None
