"""An event handled once across replicas.

In HTTP mode Slack retries an event it got no quick answer for, and the load balancer
may hand the retry to another replica; in Socket Mode each replica holds its own
connection and Slack may send an event over more than one. `ReplayGuard` remembers
requests per process; this records each `event_id` in the database, so whichever replica
sees an event first handles it and the others answer the duplicate with a bare 200.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.schedule.leader import Cluster

log = logging.getLogger(__name__)


class SharedEventGuard(AsyncMiddleware):
    def __init__(self, cluster: Cluster) -> None:
        self._cluster = cluster

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        event_id = req.body.get("event_id")
        if not isinstance(event_id, str) or not event_id:
            return await next()
        try:
            first = await self._cluster.first_sight_of(event_id)
        except Exception as exc:
            # Better handled twice than dropped: a duplicate is an annoyance, a loss is not.
            log.warning("Slack: could not check event %s against the others: %s", event_id, exc)
            return await next()
        if not first:
            log.info("Slack: event %s was handled by another replica", event_id)
            return BoltResponse(status=200, body="")
        return await next()
