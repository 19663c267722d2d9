"""Which requests reach the listeners: only those Slack signed, and each only once.

The signature check is Bolt's own (v0 HMAC-SHA256 over the raw body, a five-minute
window, `hmac.compare_digest`), given a clock so a test can stand at the moment of
Slack's documented example. A replay is a request already seen: Slack's own retries of an
event carry the same `event_id`, and a captured request sent again carries the same
signature, which cannot be forged for a changed body or timestamp.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.middleware.request_verification.async_request_verification import (
    AsyncRequestVerification,
)
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import Clock, SignatureVerifier

log = logging.getLogger(__name__)

# Longer than the five-minute signature window and the minutes over which Slack retries
# an event it got no answer for.
REPLAY_MEMORY_SECONDS = 60 * 60


class SignatureCheck(AsyncRequestVerification):
    """Bolt's request verification, reading the time from `clock`."""

    def __init__(self, signing_secret: str, clock: Clock) -> None:
        super().__init__(signing_secret)
        self._clocked = SignatureVerifier(signing_secret, clock=clock)

    @property
    def verifier(self) -> SignatureVerifier:
        return self._clocked


class ReplayGuard(AsyncMiddleware):
    """Answers a request seen before with a bare 200, so Slack stops retrying it and
    nothing runs twice."""

    def __init__(
        self,
        memory_seconds: float = REPLAY_MEMORY_SECONDS,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._memory = memory_seconds
        self._now = now
        self._seen: OrderedDict[str, float] = OrderedDict()

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        key = _replay_key(req)
        if key is None:
            return await next()
        now = self._now()
        self._forget_before(now - self._memory)
        if key in self._seen:
            log.info("ignored a request already handled (%s)", key)
            return BoltResponse(status=200, body="")
        self._seen[key] = now
        return await next()

    def _forget_before(self, cutoff: float) -> None:
        while self._seen:
            key, seen_at = next(iter(self._seen.items()))
            if seen_at >= cutoff:
                return
            del self._seen[key]


def _replay_key(req: AsyncBoltRequest) -> str | None:
    event_id = req.body.get("event_id")
    if isinstance(event_id, str) and event_id:
        return f"event {event_id}"
    # Socket Mode requests carry no signature; Slack does not resend commands or clicks.
    signature = req.headers.get("x-slack-signature", [""])[0]
    return f"signature {signature}" if signature else None
