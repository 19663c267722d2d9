"""The outbox dispatcher: queued deliveries out to the chats, within limits, exactly once.

Discovery queues one delivery row per (chat, paper); this module sends them. A
dispatcher leases whole chats (`Store.claim_chats`), so each chat has one sender at a time
and receives its papers in queue order, which is announcement order; chats are served
concurrently, at most `concurrency` at once, each waiting only for its own rate limits.

A delivery moves pending → sending → sent. `sending` is committed before the request goes
out and `sent` (with the platform's message ID) after the answer comes back. Otherwise:

* rate limited (`RetryLater`): back to pending, due again exactly `retry_after` later; the
  chat is paused as long. It does not count as a failed try.
* chat moved (`ChatMoved`): the chat follows its new ID and the delivery goes again at once.
* chat gone (`ChatGone`): the chat is deactivated (its settings kept) and everything queued
  for it fails together: one refusal, not one per paper.
* refused (`Rejected`): failed, never retried.
* token refused (`TokenRefused`): back to pending, due again `token_pause` later; the
  chat is left, and `watch` (operator alerts) is told, and told again once a send on that
  platform succeeds.
* outcome unknown (`OutcomeUnknown`, the request went out but no answer came): `unknown`,
  never sent again automatically, because it may have been posted.
* anything else: retried with exponential backoff, `max_attempts` tries in all, then failed.

Crash guarantee. After the process is killed at any moment (`kill -9` included) and a
dispatcher runs again, every delivery that was queued is sent, and none is sent twice,
except one: a delivery that was in flight at the kill (left in `sending`) may or may not
have reached the platform, and is sent again once its chat's lease has run out (`lease`,
one minute by default; a live dispatcher renews its leases every third of that, so only
a dead or stalled one loses them). A chat has at most one delivery in flight, so a crash
causes at most one duplicate per chat that was being sent to at that moment (for a
digest, that one digest message).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import os
import secrets
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from bot.cards.library import Library
from bot.delivery.compose import Composer, Prepare, best_first
from bot.delivery.platforms import (
    ChatGone,
    ChatMoved,
    OutcomeUnknown,
    Platform,
    Rejected,
    RetryLater,
    TokenRefused,
)
from bot.delivery.ratelimit import limiter_for
from bot.match.rankers import ChatRanking, Ranker
from bot.ops import metrics
from bot.store import Chat, Store
from bot.store.records import OutboxEntry
from bot.support.clock import Clock, last_occurrence, start_of_day, utcnow, zone
from bot.words.messages import MESSAGES

log = logging.getLogger(__name__)


_MIN_PAUSE = timedelta(milliseconds=100)


class TokenWatch(Protocol):
    """Who hears that a platform refuses the bot's token, and that it accepts it again
    (`bot.delivery.alerts.Alerts`)."""

    async def token_refused(self, platform: str, reason: str) -> None: ...

    async def token_accepted(self, platform: str) -> None: ...


@dataclass(slots=True)
class DispatchReport:
    """What one dispatch run did; `delivered` counts papers, `messages` posts."""

    delivered: int = 0
    messages: int = 0
    failed: int = 0
    unknown: int = 0
    retried: int = 0
    throttled: int = 0

    def add(self, other: DispatchReport) -> None:
        self.delivered += other.delivered
        self.messages += other.messages
        self.failed += other.failed
        self.unknown += other.unknown
        self.retried += other.retried
        self.throttled += other.throttled


class _Outcome(enum.Enum):
    SENT = "sent"
    SETTLED = "settled"  # failed or unknown: nothing more to do for these deliveries
    LATER = "later"  # back in the queue
    STOP = "stop"  # the chat moved or is gone, or the lease was lost: leave the chat


class Dispatcher:
    def __init__(
        self,
        store: Store,
        library: Library,
        platforms: Iterable[Platform],
        *,
        now: Clock = utcnow,
        owner: str | None = None,
        concurrency: int = 32,
        lease: timedelta = timedelta(minutes=1),
        hold: timedelta = timedelta(seconds=5),
        max_attempts: int = 5,
        backoff: timedelta = timedelta(seconds=30),
        digest_size: int = 20,
        token_pause: timedelta = timedelta(minutes=5),
        watch: TokenWatch | None = None,
        ranker: Ranker | None = None,
    ) -> None:
        """`hold`: how long a chat's sender waits for its next delivery to fall due before
        giving the chat up (to be claimed again when it is due), so short pauses cost
        no round trip and long ones hold no sending slot."""
        self._token_pause = token_pause
        self._watch = watch
        self._store = store
        self._platforms = {platform.name: platform for platform in platforms}
        self._compose = Composer(store, library, self._platforms)
        self._limiters = {name: limiter_for(p) for name, p in self._platforms.items()}
        self._now = now
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self._concurrency = concurrency
        self._lease = lease
        self._hold = hold
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._digest_size = digest_size
        self._ranker = ranker
        self._draining = asyncio.Lock()
        self._wakeup = asyncio.Event()
        self._closing = asyncio.Event()

    def close(self) -> None:
        """Stop taking work, for shutdown: no chat is claimed from now on, and each chat's
        sender returns, giving its lease back, once the send it is in has been recorded."""
        self._closing.set()
        self._wakeup.set()

    async def drain(self, *, wait: timedelta = timedelta(0)) -> DispatchReport:
        """Send every delivery that is due, then keep going while the next one falls due
        within `wait` (a retry after a 429, a backoff). One drain at a time per dispatcher."""
        async with self._draining:
            return await self._drain(wait)

    async def _drain(self, wait: timedelta) -> DispatchReport:
        report = DispatchReport()
        if not self._platforms:
            return report
        workers: set[asyncio.Task[None]] = set()
        heartbeat = asyncio.create_task(self._heartbeat())
        try:
            while True:
                free = self._concurrency - len(workers)
                if free > 0 and not self._closing.is_set():
                    chats = await self._store.claim_chats(
                        self.owner, self._platforms, now=self._now(), lease=self._lease, limit=free
                    )
                    workers.update(asyncio.create_task(self._serve(c, report)) for c in chats)
                if workers:
                    done, workers = await asyncio.wait(workers, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        task.result()
                    continue
                if self._closing.is_set():
                    return report
                now = self._now()
                due = await self._store.next_due_at(self.owner, self._platforms, now=now)
                if due is None or due - now > wait:
                    return report
                await self._pause(max((due - now).total_seconds(), 0.01))
        finally:
            for task in (*workers, heartbeat):
                task.cancel()
            await asyncio.gather(*workers, heartbeat, return_exceptions=True)

    async def _heartbeat(self) -> None:
        """Keep this dispatcher's leases from running out while it is alive.

        A lease then expires only when its holder died or stalled for a whole lease, and
        only then may another claim take the chat and resend what was in flight.
        """
        while True:
            await asyncio.sleep(self._lease.total_seconds() / 3)
            await self._store.renew_leases(self.owner, now=self._now(), lease=self._lease)

    async def run(self, stop: asyncio.Event, *, idle: timedelta = timedelta(seconds=30)) -> None:
        """Dispatch until `stop` is set: whenever something falls due, at least every
        `idle`, and at once after `wake()`."""
        while not stop.is_set():
            self._wakeup.clear()
            try:
                report = await self.drain()
                if report.messages or report.failed or report.throttled:
                    log.info(
                        "dispatch delivered=%d failed=%d unknown=%d 429s=%d",
                        report.delivered,
                        report.failed,
                        report.unknown,
                        report.throttled,
                    )
                now = self._now()
                due = await self._store.next_due_at(self.owner, self._platforms, now=now)
            except Exception:
                log.exception("Dispatching failed; trying again in %s", idle)
                due = None
            pause = idle if due is None else min(idle, max(due - now, _MIN_PAUSE))
            waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(self._wakeup.wait())]
            await asyncio.wait(
                waiters, timeout=pause.total_seconds(), return_when=asyncio.FIRST_COMPLETED
            )
            for waiter in waiters:
                waiter.cancel()

    def wake(self) -> None:
        """New deliveries were queued: `run` dispatches now rather than at its next turn."""
        self._wakeup.set()

    async def send_digests(self) -> DispatchReport:
        """Post the digest of each digest-mode chat whose digest time has come.

        Everything queued for the chat since its last digest goes out as one message (or
        a few, `digest_size` papers each); a chat with nothing queued gets nothing.
        """
        report = DispatchReport()
        now = self._now()
        for chat, sent_at in await self._store.digest_chats(self._platforms):
            if self._closing.is_set():
                break
            assert chat.digest_time is not None
            due_at = last_occurrence(chat.digest_time, chat.timezone, now)
            if sent_at is not None and sent_at >= due_at:
                continue
            claimed = await self._store.claim_chat(chat.id, self.owner, now=now, lease=self._lease)
            if claimed is None:
                continue
            heartbeat = asyncio.create_task(self._heartbeat())
            try:
                if await self._digest(claimed, now, report):
                    await self._store.mark_digest_sent(chat.id, now)
            finally:
                heartbeat.cancel()
                await asyncio.gather(heartbeat, return_exceptions=True)
                await self._store.release_chat(chat.id, self.owner)
        return report

    async def _digest(self, chat: Chat, now: datetime, report: DispatchReport) -> bool:
        """Send the chat's digest; True when nothing of it is left for a later try."""
        entries = await self._store.due_in_outbox(chat.id, now=now)
        ranking = await self._ranking(chat, entries)
        entries = best_first(entries, ranking)
        day = now.astimezone(zone(chat.timezone)).date().isoformat()
        title = MESSAGES[chat.language].digest_title.format(date=day, count=len(entries))
        for first in range(0, len(entries), self._digest_size):
            batch = entries[first : first + self._digest_size]
            outcome, done = await self._deliver(
                chat, batch, self._compose.digest(chat, batch, title, ranking)
            )
            report.add(done)
            metrics.deliveries_settled(chat.platform, done)
            if outcome in (_Outcome.LATER, _Outcome.STOP):
                return False
        return True

    async def _serve(self, chat: Chat, report: DispatchReport) -> None:
        """Send a leased chat's due deliveries in order, then give the lease back."""
        try:
            topics = await self._store.list_topics(chat.id)
            ranking = await self._ranking(
                chat, await self._store.due_in_outbox(chat.id, now=self._now())
            )
            while not self._closing.is_set():
                entry = await self._store.next_in_outbox(chat.id)
                if entry is None:
                    return
                wait = entry.next_attempt_at - self._now()
                if wait > timedelta(0):
                    if wait > self._hold:
                        return
                    await self._pause(wait.total_seconds())
                    continue
                if await self._over_cap(chat):
                    entries = await self._store.due_in_outbox(chat.id, now=self._now())
                    batch = best_first(entries, ranking)[: self._digest_size]
                    title = MESSAGES[chat.language].over_cap_title.format(
                        count=len(batch), cap=chat.daily_cap
                    )
                    send = self._compose.digest(chat, batch, title, ranking)
                else:
                    if ranking is not None:
                        due = await self._store.due_in_outbox(chat.id, now=self._now())
                        entry = best_first(due, ranking)[0] if due else entry
                    batch = [entry]
                    send = self._compose.card(chat, entry, topics, ranking)
                outcome, done = await self._deliver(chat, batch, send)
                report.add(done)
                metrics.deliveries_settled(chat.platform, done)
                if outcome is _Outcome.STOP:
                    return
        finally:
            await self._store.release_chat(chat.id, self.owner)

    async def _pause(self, seconds: float) -> None:
        """Sleep, but not past `close()`."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._closing.wait(), seconds)

    async def _ranking(self, chat: Chat, entries: Sequence[OutboxEntry]) -> ChatRanking | None:
        """How the chat's people rank what is due, or None for announcement order.

        A ranking that fails only costs the order: the papers still go out."""
        if self._ranker is None or not entries:
            return None
        try:
            private = not self._platforms[chat.platform].is_group(chat.external_id)
            paper_ids = [entry.paper_id for entry in entries]
            return await self._ranker.rank_chat(chat, paper_ids, private=private)
        except Exception:
            log.exception("Ranking chat %d failed; sending in announcement order", chat.id)
            return None

    async def _over_cap(self, chat: Chat) -> bool:
        if chat.daily_cap is None:
            return False
        midnight = start_of_day(self._now(), chat.timezone)
        return await self._store.sent_since(chat.id, midnight) >= chat.daily_cap

    async def _deliver(
        self,
        chat: Chat,
        batch: Sequence[OutboxEntry],
        prepare: Prepare,
    ) -> tuple[_Outcome, DispatchReport]:
        """One message for `batch`: build it, wait for the limits, send it, record how it went."""
        report = DispatchReport()
        ids = [entry.id for entry in batch]
        try:
            send = await prepare()
        except Exception as exc:
            log.exception("Could not build the message for deliveries %s", ids)
            return await self._retry_or_fail(batch, exc, report), report
        platform = self._platforms[chat.platform]
        limiter = self._limiters[chat.platform]
        started = await self._store.start_sending(
            ids, chat.id, self.owner, now=self._now(), lease=self._lease
        )
        if not started:
            log.warning("Lost the lease on chat %d; another dispatcher takes over", chat.id)
            return _Outcome.STOP, report
        # The limiter comes last, so that no database round trip separates the slot it
        # gives from the request and the platform sees exactly the spacing it asked for.
        await limiter.acquire(chat.external_id, group=platform.is_group(chat.external_id))
        try:
            message_id = await send()
        except RetryLater as exc:
            report.throttled += 1
            limiter.pause(chat.external_id, exc.retry_after)
            resume = self._now() + timedelta(seconds=exc.retry_after)
            await self._store.reschedule(ids, at=resume, error=str(exc), counts=False)
            return _Outcome.LATER, report
        except ChatMoved as exc:
            await self._store.reschedule(ids, at=self._now(), error=str(exc), counts=False)
            await self._store.migrate_chat(chat.platform, chat.external_id, exc.new_chat_id)
            log.info("Chat %s moved to %s; sending there", chat.external_id, exc.new_chat_id)
            return _Outcome.STOP, report
        except ChatGone as exc:
            report.failed += await self._store.chat_gone(chat.id, str(exc))
            log.info("Chat %s is gone (%s); deactivated", chat.external_id, exc)
            return _Outcome.STOP, report
        except OutcomeUnknown as exc:
            await self._store.mark_unknown(ids, str(exc))
            report.unknown += len(ids)
            log.warning("Deliveries %s may or may not have been posted: %s", ids, exc)
            return _Outcome.SETTLED, report
        except TokenRefused as exc:
            resume = self._now() + self._token_pause
            await self._store.reschedule(ids, at=resume, error=str(exc), counts=False)
            log.error("%s refuses the bot's token: %s", chat.platform, exc)
            if self._watch is not None:
                await self._watch.token_refused(chat.platform, str(exc))
            return _Outcome.STOP, report
        except Rejected as exc:
            await self._store.mark_failed(ids, str(exc))
            report.failed += len(ids)
            log.warning("Deliveries %s were refused: %s", ids, exc)
            return _Outcome.SETTLED, report
        except Exception as exc:
            log.warning("Sending deliveries %s failed: %s", ids, exc)
            return await self._retry_or_fail(batch, exc, report), report
        await self._store.mark_sent(ids, message_id, now=self._now())
        if self._watch is not None:
            await self._watch.token_accepted(chat.platform)
        report.delivered += len(ids)
        report.messages += 1
        return _Outcome.SENT, report

    async def _retry_or_fail(
        self, batch: Sequence[OutboxEntry], exc: Exception, report: DispatchReport
    ) -> _Outcome:
        ids = [entry.id for entry in batch]
        tries = max(entry.attempts for entry in batch) + 1
        error = f"{type(exc).__name__}: {exc}"
        if tries >= self._max_attempts:
            await self._store.mark_failed(ids, f"gave up after {tries} tries: {error}")
            report.failed += len(ids)
            return _Outcome.SETTLED
        resume = self._now() + self._backoff * 2 ** (tries - 1)
        await self._store.reschedule(ids, at=resume, error=error, counts=True)
        report.retried += len(ids)
        return _Outcome.LATER
