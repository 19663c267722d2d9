"""Long polling when replicas share one bot token: one of them calls getUpdates.

Telegram hands a bot's updates to one getUpdates caller at a time, and a second caller
makes the first fail with 409 Conflict. So the updater runs only in the replica holding
the `telegram-updates` lease (`bot.schedule.leader`), and another replica starts it when
the holder dies or stops. A holder stopping confirms the updates it fetched
(python-telegram-bot's last getUpdates with the newest offset) before it hands the lease
on, so the next holder neither sees them again nor overlaps with it. In webhook mode
there is nothing to share: Telegram posts each update to the URL, whichever replica
answers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.schedule.leader import Cluster

UPDATES_LEASE = "telegram-updates"


class PollingLease:
    def __init__(
        self,
        cluster: Cluster,
        *,
        start_polling: Callable[[], Awaitable[None]],
        stop_polling: Callable[[], Awaitable[None]],
    ) -> None:
        self._keeper = cluster.role(UPDATES_LEASE, on_gain=start_polling, on_loss=stop_polling)
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def polling(self) -> bool:
        return self._keeper.held

    async def start(self) -> None:
        """Try for the lease at once (a lone replica polls right away; a failure to start
        polling raises here), then keep renewing it, or waiting to take it over."""
        await self._keeper.tick()
        self._task = asyncio.create_task(self._keeper.run(self._stop))

    async def stop(self) -> None:
        """Stop polling, confirm what was fetched, and hand the lease on."""
        self._stop.set()
        if self._task is not None:
            await self._task
        else:
            await self._keeper.release()
