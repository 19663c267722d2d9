"""What replicas on one database agree on: who holds a role, who runs a job, the shared
sending budget, who is alive, and which Slack events were handled.

Every decision is one atomic statement (an upsert with a condition, an insert that may
conflict), so two replicas asking at the same moment get different answers from the
database rather than the same answer from a read they both made first. On SQLite, where
only one `paperbell run` is allowed per file, the same statements simply always agree.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, case, delete, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.store.base import Repository
from bot.store.models import JobRunRow, LeaseRow, ReplicaRow, SlackEventRow

LEASES = cast(Table, LeaseRow.__table__)
JOB_RUNS = cast(Table, JobRunRow.__table__)
REPLICAS = cast(Table, ReplicaRow.__table__)
SLACK_EVENTS = cast(Table, SlackEventRow.__table__)

POLL_LEASE = "arxiv-poll"
"""The role of polling arXiv and queueing mailings: one replica at a time."""
KEEP_RECORDS = timedelta(days=2)
"""How long a job run or Slack event is remembered: far longer than any retry or misfire."""

_NOW = "extract(epoch from clock_timestamp())"
# One reservation, one statement, on PostgreSQL's clock. While the chat must still wait,
# nothing is booked (the caller sleeps and asks again), so a waiting chat never holds
# overall capacity it cannot use; once it may go, the overall slot is booked and the
# chat's next slot counted from it. The chat's row is read without a lock: only the
# replica leasing the chat books for it, and a pause only ever moves it later.
_RESERVE = text(
    f"WITH t AS (SELECT {_NOW} AS now), "
    "c AS (SELECT COALESCE((SELECT free_at FROM rate_slots WHERE scope = :chat), 0) AS free_at), "
    "o AS ("
    " INSERT INTO rate_slots (scope, free_at)"
    " SELECT :overall, t.now + :overall_gap FROM t, c WHERE c.free_at <= t.now"
    " ON CONFLICT (scope) DO UPDATE"
    " SET free_at = GREATEST(rate_slots.free_at, excluded.free_at - :overall_gap) + :overall_gap"
    " RETURNING free_at - :overall_gap AS send_at), "
    "b AS ("
    " INSERT INTO rate_slots (scope, free_at) SELECT :chat, o.send_at + :chat_gap FROM o"
    " ON CONFLICT (scope) DO UPDATE SET free_at = GREATEST(rate_slots.free_at, excluded.free_at)) "
    "SELECT c.free_at - t.now AS chat_wait, (SELECT send_at FROM o) AS send_at, t.now AS now "
    "FROM t, c"
)
_PAUSE = text(
    "INSERT INTO rate_slots (scope, free_at) "
    f"VALUES (:scope, {_NOW} + :seconds) ON CONFLICT (scope) DO UPDATE "
    f"SET free_at = GREATEST(rate_slots.free_at, {_NOW} + :seconds)"
)


@dataclass(frozen=True, slots=True)
class Slot:
    """A rate-limit answer: wait `wait` seconds; `booked` says whether the message may go
    then (at `send_at`, Unix seconds on the database's clock), or must ask again (its
    chat was not free yet)."""

    wait: float
    booked: bool
    send_at: float | None = None


@dataclass(frozen=True, slots=True)
class Replica:
    name: str
    started_at: datetime
    seen_at: datetime


@dataclass(frozen=True, slots=True)
class ReplicaView:
    """Who polls and who dispatches, as `/status`, `/healthz` and `/metrics` show it."""

    poll_leader: str | None
    replicas: list[Replica]

    @property
    def dispatchers(self) -> int:
        """Every live replica runs a dispatcher."""
        return len(self.replicas)


class ClusterRepository(Repository):
    @property
    def coordinates_replicas(self) -> bool:
        """Whether several `paperbell run` processes may share this database."""
        return self._engine.dialect.name == "postgresql"

    # Leases: one holder per role, renewed while it lives

    async def acquire_lease(self, name: str, holder: str, *, now: datetime, ttl: timedelta) -> bool:
        """Take the lease if it is free or expired, or renew it if `holder` has it."""
        insert = self._insert(LEASES).values(
            name=name, holder=holder, expires_at=now + ttl, acquired_at=now
        )
        taken = insert.on_conflict_do_update(
            index_elements=[LEASES.c.name],
            set_={
                "holder": insert.excluded.holder,
                "expires_at": insert.excluded.expires_at,
                "acquired_at": case(
                    (LEASES.c.holder == insert.excluded.holder, LEASES.c.acquired_at),
                    else_=insert.excluded.acquired_at,
                ),
            },
            where=(LEASES.c.holder == holder) | (LEASES.c.expires_at <= now),
        ).returning(LEASES.c.holder)
        async with self._write() as conn:
            taker = (await conn.execute(taken)).scalar_one_or_none()
        return bool(taker == holder)

    async def release_lease(self, name: str, holder: str) -> None:
        query = delete(LEASES).where(LEASES.c.name == name, LEASES.c.holder == holder)
        async with self._write() as conn:
            await conn.execute(query)

    async def lease_holder(self, name: str, *, now: datetime) -> str | None:
        query = select(LEASES.c.holder).where(LEASES.c.name == name, LEASES.c.expires_at > now)
        async with self._read() as conn:
            return (await conn.execute(query)).scalar_one_or_none()

    async def replica_view(self, *, now: datetime, live_within: timedelta) -> ReplicaView:
        """The poll lease's holder and the replicas heard from within `live_within`."""
        leader = await self.lease_holder(POLL_LEASE, now=now)
        return ReplicaView(leader, await self.live_replicas(since=now - live_within))

    # Scheduled jobs: once per due time, whoever asks first

    async def claim_job_run(self, job: str, due_at: datetime, runner: str) -> bool:
        """True for exactly one caller per (job, due time)."""
        insert = (
            self._insert(JOB_RUNS)
            .values(job=job, due_at=due_at, runner=runner)
            .on_conflict_do_nothing(index_elements=[JOB_RUNS.c.job, JOB_RUNS.c.due_at])
            .returning(JOB_RUNS.c.job)
        )
        forget = delete(JOB_RUNS).where(
            JOB_RUNS.c.job == job, JOB_RUNS.c.due_at < due_at - KEEP_RECORDS
        )
        async with self._write() as conn:
            won = (await conn.execute(insert)).first() is not None
            if won:
                await conn.execute(forget)
        return won

    # Replicas: a heartbeat each, so anyone can tell how many are alive

    async def heartbeat(self, name: str, *, started_at: datetime, now: datetime) -> None:
        """Record that `name` is alive; replicas silent for long are forgotten meanwhile."""
        insert = self._insert(REPLICAS).values(name=name, started_at=started_at, seen_at=now)
        query = insert.on_conflict_do_update(
            index_elements=[REPLICAS.c.name], set_={"seen_at": insert.excluded.seen_at}
        )
        async with self._write() as conn:
            await conn.execute(query)
            await conn.execute(delete(REPLICAS).where(REPLICAS.c.seen_at < now - KEEP_RECORDS))

    async def leave(self, name: str) -> None:
        async with self._write() as conn:
            await conn.execute(delete(REPLICAS).where(REPLICAS.c.name == name))

    async def live_replicas(self, *, since: datetime) -> list[Replica]:
        """Replicas heard from at or after `since`."""
        query = select(REPLICAS).where(REPLICAS.c.seen_at >= since).order_by(REPLICAS.c.name)
        async with self._read() as conn:
            rows = (await conn.execute(query)).all()
        return [Replica(row.name, row.started_at, row.seen_at) for row in rows]

    # Slack events: handled once, whichever replica Slack sent them to

    async def first_sight_of_event(self, event_id: str, *, now: datetime) -> bool:
        """True the first time any replica records `event_id`."""
        insert = (
            self._insert(SLACK_EVENTS)
            .values(event_id=event_id, seen_at=now)
            .on_conflict_do_nothing(index_elements=[SLACK_EVENTS.c.event_id])
            .returning(SLACK_EVENTS.c.event_id)
        )
        forget = delete(SLACK_EVENTS).where(SLACK_EVENTS.c.seen_at < now - KEEP_RECORDS)
        async with self._write() as conn:
            first = (await conn.execute(insert)).first() is not None
            if first:
                await conn.execute(forget)
        return first

    # The platform's sending budget, shared by every replica (PostgreSQL only)

    async def reserve_send(
        self, overall: str, chat: str, *, overall_gap: float, chat_gap: float
    ) -> Slot:
        """Book the next message to `chat`: wait for the chat, then for an overall slot."""
        values = {
            "overall": overall,
            "chat": chat,
            "overall_gap": overall_gap,
            "chat_gap": chat_gap,
        }
        async with self._write() as conn:
            row = (await conn.execute(_RESERVE, values)).one()
        if row.send_at is None:
            return Slot(float(row.chat_wait), booked=False)
        send_at = float(row.send_at)
        return Slot(max(send_at - float(row.now), 0.0), booked=True, send_at=send_at)

    async def pause_sends(self, chat: str, seconds: float) -> None:
        """Nothing goes to `chat` from any replica before `seconds` from now."""
        async with self._statement() as conn:
            await conn.execute(_PAUSE, {"scope": chat, "seconds": seconds})

    def _statement(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection committing each statement as it ends: every sender of every replica
        books on the one overall row, so its lock must not wait for a COMMIT round trip."""
        return self._engine.execution_options(isolation_level="AUTOCOMMIT").connect()
