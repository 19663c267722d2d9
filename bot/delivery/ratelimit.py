"""Staying under a chat platform's sending limits, for every sender in the process.

One `RateLimiter` per platform, built from its `RateLimits`: an overall rate, a rate per
chat, and for groups a rate per minute. Each send reserves the earliest moment all three
allow and sleeps until then, so a chat that must wait (a group at 20 a minute, a chat
paused by a 429) holds back only its own next message: the overall slots it does not
use go to other chats. The per-chat wait comes first and the overall slot is reserved
only when that wait is over, so a waiting chat never books overall capacity it cannot
use yet.

Within a process, `limiter_for` gives everything that sends through one platform the same
limiter: an adapter's command replies and the dispatcher's cards to a busy group take
turns instead of both drawing 429s. Replicas on one PostgreSQL database share one budget
per platform: after `share_budgets(store)` the limiter books its slots in the database
(`bot.delivery.shared_ratelimit`), with the same interface.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.delivery.platforms import Platform, RateLimits
from bot.delivery.shared_ratelimit import SharedRateLimiter
from bot.store import Store

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class Limiter(Protocol):
    """What senders call, whether the budget is this process's or the replicas'."""

    async def acquire(self, chat_id: str, *, group: bool, within: float | None = None) -> bool: ...

    def pause(self, chat_id: str, seconds: float) -> None: ...


class RateLimiter:
    def __init__(
        self, limits: RateLimits, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        self._overall_gap = 1.0 / limits.global_per_second
        self._chat_gap = 1.0 / limits.per_chat_per_second
        group_gap = 60.0 / limits.per_group_per_minute if limits.per_group_per_minute else 0.0
        self._group_gap = max(self._chat_gap, group_gap)
        self._clock = clock
        self._sleep = sleep
        self._overall_free = 0.0
        self._chat_free: dict[str, float] = {}

    async def acquire(self, chat_id: str, *, group: bool, within: float | None = None) -> bool:
        """Wait until one more message to `chat_id` is within every limit, and count it.

        With `within`, a message that could not go within that many seconds is not
        counted and False comes back at once: a reply nobody would wait for is dropped.
        """
        gap = self._group_gap if group else self._chat_gap
        now = self._clock()
        start = max(now, self._chat_free.get(chat_id, 0.0))
        if within is not None and start - now > within:
            return False
        self._chat_free[chat_id] = start + gap
        if start > now:
            await self._sleep(start - now)
            now = self._clock()
        send_at = max(now, self._overall_free)
        self._overall_free = send_at + self._overall_gap
        if send_at > now:
            await self._sleep(send_at - now)
        # From when the message really goes (a busy loop wakes sleepers late), so the next
        # one to this chat keeps its full distance.
        sent = max(self._clock(), send_at)
        self._chat_free[chat_id] = max(self._chat_free[chat_id], sent + gap)
        self._forget_idle_chats(sent)
        return True

    def pause(self, chat_id: str, seconds: float) -> None:
        """The platform said to wait (HTTP 429, retry_after): nothing goes to the chat
        before `seconds` from now, and the next message may go exactly then."""
        resume = self._clock() + seconds
        self._chat_free[chat_id] = max(self._chat_free.get(chat_id, 0.0), resume)

    def _forget_idle_chats(self, now: float) -> None:
        """Keep memory bounded by active chats: a chat whose slot has passed needs no entry."""
        if len(self._chat_free) > 4096:
            self._chat_free = {c: t for c, t in self._chat_free.items() if t > now}


_SHARED: dict[int, Limiter] = {}
_BUDGETS: dict[str, Store] = {}


def share_budgets(store: Store | None) -> None:
    """Book every platform's limits in `store` when replicas may share it (PostgreSQL);
    None goes back to per-process limits. The composition root calls this before any
    platform is built, so every limiter of the process is of the same kind."""
    _BUDGETS.clear()
    if store is not None and store.coordinates_replicas:
        _BUDGETS["store"] = store


def limiter_for(platform: Platform) -> Limiter:
    """The one limiter of `platform` in this process, made from its `limits` on first use
    and forgotten with the platform."""
    key = id(platform)
    if key not in _SHARED:
        store = _BUDGETS.get("store")
        _SHARED[key] = (
            RateLimiter(platform.limits)
            if store is None
            else SharedRateLimiter(store, platform.name, platform.limits)
        )
        weakref.finalize(platform, _SHARED.pop, key, None)
    return _SHARED[key]
