"""Several `paperbell run` processes on one PostgreSQL database acting as one bot.

Everyone dispatches (chats are leased one sender at a time, see `bot.store.outbox`), but
some work must happen in one place only: polling arXiv, taking Telegram's updates by long
polling, a scheduled job at its due time. A role is a lease row in the database
(`bot.store.cluster`), taken by whoever asks while it is free and renewed every third of
its lifetime by its holder. A holder that dies stops renewing, and another replica takes
the role within one lifetime plus one renewal; a holder that cannot reach the database to
renew gives the role up at once, so two replicas never both act on it. Scheduled jobs are
gated per due time instead: the first replica to record (job, due time) runs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from bot.store import Store
from bot.store.cluster import POLL_LEASE
from bot.support.clock import Clock, utcnow

log = logging.getLogger(__name__)

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
"""Due times are counted from here, so every replica rounds a moment to the same one."""

Hook = Callable[[], Awaitable[None]]


def replica_name() -> str:
    """How this process shows in `/status`, `/healthz` and the leases: the host (a pod's
    name on Kubernetes) and the process ID."""
    return f"{socket.gethostname()}:{os.getpid()}"


def due_time(now: datetime, every: timedelta) -> datetime:
    """The start of the `every`-long period `now` falls in, the same on every replica."""
    periods = (now - EPOCH) // every
    return EPOCH + periods * every


class LeaseKeeper:
    """Holds a named role while this replica lives, or waits to take it over."""

    def __init__(
        self,
        store: Store,
        name: str,
        holder: str,
        *,
        ttl: timedelta,
        now: Clock = utcnow,
        on_gain: Hook | None = None,
        on_loss: Hook | None = None,
    ) -> None:
        self.name = name
        self.holder = holder
        self.held = False
        self.on_gain = on_gain
        self.on_loss = on_loss
        self._store = store
        self._ttl = ttl
        self._now = now

    async def tick(self) -> bool:
        """Take or renew the lease once; run the hooks when that changes who holds it.

        Returns whether the database gave this replica the lease; a failing hook raises.
        """
        try:
            held = await self._store.acquire_lease(
                self.name, self.holder, now=self._now(), ttl=self._ttl
            )
        except Exception as exc:
            # Unable to renew means unable to know no one else took over: step back.
            log.warning("Could not renew the %s lease: %s", self.name, exc)
            held = False
        if held and not self.held:
            # Holding only once the role is really taken up: a hook that fails is tried
            # again at the next renewal.
            if self.on_gain is not None:
                await self.on_gain()
            self.held = True
            log.info("Took the %s lease", self.name)
        elif self.held and not held:
            self.held = False
            log.info("Lost the %s lease", self.name)
            if self.on_loss is not None:
                await self.on_loss()
        return held

    async def run(self, stop: asyncio.Event) -> None:
        """Renew (or try to take) the lease every third of its lifetime until `stop`,
        then give it back so that another replica need not wait for it to expire."""
        try:
            while not stop.is_set():
                try:
                    await self.tick()
                except Exception:
                    log.exception("Taking up the %s role failed; trying again", self.name)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self._ttl.total_seconds() / 3)
        finally:
            await self.release()

    async def release(self) -> None:
        was_held, self.held = self.held, False
        if was_held and self.on_loss is not None:
            await self.on_loss()
        with contextlib.suppress(Exception):
            await self._store.release_lease(self.name, self.holder)


class Cluster:
    """This replica among the others: its heartbeat, the poll lease, and the job gate.

    On SQLite the same code runs with a single replica (a second `paperbell run` on the
    file is refused), so it always holds the poll lease and wins every job.
    """

    def __init__(
        self,
        store: Store,
        *,
        name: str | None = None,
        lease: timedelta = timedelta(seconds=60),
        now: Clock = utcnow,
    ) -> None:
        self.name = name or replica_name()
        self.lease = lease
        self._store = store
        self._now = now
        self._started_at = now()
        self.poll = LeaseKeeper(store, POLL_LEASE, self.name, ttl=lease, now=now)

    def role(self, name: str, *, on_gain: Hook, on_loss: Hook) -> LeaseKeeper:
        """Another role one replica at a time takes up (Telegram long polling), run by
        whoever needs it; the hooks take it up and lay it down."""
        return LeaseKeeper(
            self._store,
            name,
            self.name,
            ttl=self.lease,
            now=self._now,
            on_gain=on_gain,
            on_loss=on_loss,
        )

    async def first_sight_of(self, event_id: str) -> bool:
        """Whether no replica has handled the platform event `event_id` before."""
        return await self._store.first_sight_of_event(event_id, now=self._now())

    def leads(self) -> bool:
        """Whether this replica polls arXiv and queues mailings now."""
        return self.poll.held

    async def join(self) -> None:
        """Announce this replica and try for the poll lease, before any job starts."""
        await self._beat()
        await self.poll.tick()

    async def run(self, stop: asyncio.Event) -> None:
        """Heartbeat and poll lease until `stop`; then leave, handing the lease back."""
        keeper = asyncio.create_task(self.poll.run(stop))
        try:
            while not stop.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.lease.total_seconds() / 3)
                await self._beat()
        finally:
            await keeper
            with contextlib.suppress(Exception):
                await self._store.leave(self.name)

    async def first_to_run(self, job: str, every: timedelta) -> bool:
        """Whether this replica runs `job` for the current due time (no one else will)."""
        due = due_time(self._now(), every)
        try:
            return await self._store.claim_job_run(job, due, self.name)
        except Exception as exc:
            log.warning("Could not claim job %s due %s: %s", job, due.isoformat(), exc)
            return False

    async def _beat(self) -> None:
        try:
            await self._store.heartbeat(self.name, started_at=self._started_at, now=self._now())
        except Exception as exc:
            log.warning("Could not record this replica's heartbeat: %s", exc)
