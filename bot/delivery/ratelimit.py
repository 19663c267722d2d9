"""Staying under a chat platform's sending limits, for every sender in the process.

One `RateLimiter` per platform, built from its `RateLimits`: an overall rate, a rate per
chat, and for groups a rate per minute. Each send reserves the earliest moment all three
allow and sleeps until then, so a chat that must wait (a group at 20 a minute, a chat
paused by a 429) holds back only its own next message: the overall slots it does not
use go to other chats. The per-chat wait comes first and the overall slot is reserved
only when that wait is over, so a waiting chat never books overall capacity it cannot
use yet.

These limits are per process. Replicas on one PostgreSQL database share one budget
through `bot.delivery.shared_ratelimit` instead; `rate_limiter` picks the right one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol

from bot.delivery.platforms import RateLimits
from bot.delivery.shared_ratelimit import SharedRateLimiter
from bot.store import Store

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class Limiter(Protocol):
    """What senders call, whether the budget is this process's or the cluster's."""

    async def acquire(self, chat_id: str, *, group: bool) -> None: ...

    def pause(self, chat_id: str, seconds: float) -> None: ...


def rate_limiter(store: Store, platform: str, limits: RateLimits) -> Limiter:
    """The platform's budget: shared in the database when replicas may share it."""
    if store.coordinates_replicas:
        return SharedRateLimiter(store, platform, limits)
    return RateLimiter(limits)


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

    async def acquire(self, chat_id: str, *, group: bool) -> None:
        """Wait until one more message to `chat_id` is within every limit, and count it.

        Meant for one sender per chat at a time, as the dispatcher has.
        """
        gap = self._group_gap if group else self._chat_gap
        now = self._clock()
        start = max(now, self._chat_free.get(chat_id, 0.0))
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

    def pause(self, chat_id: str, seconds: float) -> None:
        """The platform said to wait (HTTP 429, retry_after): nothing goes to the chat
        before `seconds` from now, and the next message may go exactly then."""
        resume = self._clock() + seconds
        self._chat_free[chat_id] = max(self._chat_free.get(chat_id, 0.0), resume)

    def _forget_idle_chats(self, now: float) -> None:
        """Keep memory bounded by active chats: a chat whose slot has passed needs no entry."""
        if len(self._chat_free) > 4096:
            self._chat_free = {c: t for c, t in self._chat_free.items() if t > now}
