"""One platform budget for every replica: the rate limiter's bookings kept in PostgreSQL.

`RateLimiter` keeps its slots in the process, which is right for one process and wrong
for three: each would spend the whole 30 messages a second. This one books the same slots
in the database, one short transaction per message (`Store.reserve_send`), on the
database's clock, so N replicas together stay under the platform's overall, per-chat and
per-group limits, and a `retry_after` one replica was told holds for all of them.

The bookings follow `RateLimiter`'s rules: a chat's own wait comes first and books
nothing else, and the overall slot is taken only when the chat may go.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.delivery.platforms import RateLimits
from bot.store import Store

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


class SharedRateLimiter:
    def __init__(
        self, store: Store, platform: str, limits: RateLimits, *, sleep: Sleep = asyncio.sleep
    ) -> None:
        self._store = store
        self._platform = platform
        self._overall_gap = 1.0 / limits.global_per_second
        self._chat_gap = 1.0 / limits.per_chat_per_second
        group_gap = 60.0 / limits.per_group_per_minute if limits.per_group_per_minute else 0.0
        self._group_gap = max(self._chat_gap, group_gap)
        self._sleep = sleep
        self._pausing: set[asyncio.Task[None]] = set()

    async def acquire(self, chat_id: str, *, group: bool, within: float | None = None) -> bool:
        """Wait until one more message to `chat_id` is within every limit, cluster-wide,
        and count it.

        With `within`, a message whose chat could not go within that many seconds is not
        counted and False comes back at once, as `RateLimiter.acquire` does.
        """
        if self._pausing:
            await asyncio.gather(*self._pausing, return_exceptions=True)
        gap = self._group_gap if group else self._chat_gap
        while True:
            slot = await self._store.reserve_send(
                self._scope("overall"),
                self._scope(f"chat:{chat_id}"),
                overall_gap=self._overall_gap,
                chat_gap=gap,
            )
            if within is not None and not slot.booked and slot.wait > within:
                return False
            if slot.wait > 0:
                await self._sleep(slot.wait)
            if slot.booked:
                return True

    def pause(self, chat_id: str, seconds: float) -> None:
        """The platform said to wait: no replica sends to the chat before `seconds` from now.

        Recorded in the background (this is called where no await is possible); the next
        `acquire` here waits for the record first.
        """
        task = asyncio.ensure_future(self._pause(chat_id, seconds))
        self._pausing.add(task)
        task.add_done_callback(self._pausing.discard)

    async def _pause(self, chat_id: str, seconds: float) -> None:
        try:
            await self._store.pause_sends(self._scope(f"chat:{chat_id}"), seconds)
        except Exception as exc:
            log.warning("Could not share a pause of chat %s: %s", chat_id, exc)

    def _scope(self, key: str) -> str:
        return f"{self._platform}:{key}"
