"""An in-memory `Platform` for dispatcher unit tests: it records sends and fails on cue.

Network behaviour is tested against the fake Telegram and Slack servers with the real
adapters; this fake isolates the dispatcher's own logic (order, retries, states, limits).
Like a real platform it refuses what it must: a chat marked gone or moved answers every
send with `ChatGone` / `ChatMoved`, and sends faster than `limits` allow (beyond a burst
of two) answer `RetryLater` when `enforce` is on, with how long to wait.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field

from bot.cards.cards import Card
from bot.delivery.platforms import (
    ChatGone,
    ChatMoved,
    DeliveryError,
    DigestEntry,
    RateLimits,
    RetryLater,
)

GENEROUS = RateLimits(global_per_second=1000, per_chat_per_second=1000)


@dataclass(frozen=True)
class Sent:
    chat_id: str
    arxiv_ids: tuple[str, ...]  # one for a card, several for a digest
    message_id: str
    at: float  # time.monotonic()
    card: Card | None = None
    title: str | None = None
    digest: tuple[DigestEntry, ...] = ()


@dataclass
class Attempt:
    chat_id: str
    arxiv_ids: tuple[str, ...]
    at: float
    error: str | None


@dataclass
class InMemoryPlatform:
    name: str = "memory"
    limits: RateLimits = GENEROUS
    groups: set[str] = field(default_factory=set)
    enforce: bool = False
    latency: float = 0.0

    def __post_init__(self) -> None:
        self.sent: list[Sent] = []
        self.attempts: list[Attempt] = []
        self._scripted: dict[str, deque[BaseException | float]] = defaultdict(deque)
        self._gone: dict[str, str] = {}
        self._moved: dict[str, str] = {}
        self._slow: dict[str, float] = {}
        self._held: dict[str, asyncio.Event] = {}
        self._ids = itertools.count(1)
        self._buckets: dict[str, _Bucket] = {}

    # -- scripting --------------------------------------------------------------------------

    def fail(self, chat_id: str, *outcomes: BaseException | float) -> None:
        """The next sends to the chat raise these errors in turn; a number instead makes
        that send take so many seconds (then succeed)."""
        self._scripted[chat_id].extend(outcomes)

    def gone(self, chat_id: str, reason: str = "Forbidden: bot was blocked by the user") -> None:
        self._gone[chat_id] = reason

    def move(self, old_id: str, new_id: str) -> None:
        self._moved[old_id] = new_id

    def slow(self, chat_id: str, seconds: float) -> None:
        """Every send to the chat takes `seconds` before it is answered."""
        self._slow[chat_id] = seconds

    def hold(self, chat_id: str) -> asyncio.Event:
        """Sends to the chat wait until the returned event is set: a chat that never answers,
        without making a test depend on how fast the machine is."""
        return self._held.setdefault(chat_id, asyncio.Event())

    # -- reading ----------------------------------------------------------------------------

    def sent_to(self, chat_id: str) -> list[Sent]:
        return [s for s in self.sent if s.chat_id == chat_id]

    def papers_to(self, chat_id: str) -> list[str]:
        return [arxiv_id for s in self.sent_to(chat_id) for arxiv_id in s.arxiv_ids]

    def refusals(self, kind: type[BaseException]) -> list[Attempt]:
        return [a for a in self.attempts if a.error == kind.__name__]

    # -- Platform ---------------------------------------------------------------------------

    def is_group(self, chat_id: str) -> bool:
        return chat_id in self.groups

    async def send_card(self, chat_id: str, card: Card) -> str:
        sent = await self._send(chat_id, (card.arxiv_id,))
        return self._record(sent, chat_id, (card.arxiv_id,), card=card)

    async def send_digest(
        self, chat_id: str, title: str, entries: list[DigestEntry], language: str
    ) -> str:
        ids = tuple(entry.paper.arxiv_id for entry in entries)
        sent = await self._send(chat_id, ids)
        return self._record(sent, chat_id, ids, title=title, digest=tuple(entries))

    async def send_notice(self, chat_id: str, text: str) -> str:
        sent = await self._send(chat_id, ())
        return self._record(sent, chat_id, (), title=text)

    async def _send(self, chat_id: str, arxiv_ids: tuple[str, ...]) -> float:
        attempt = Attempt(chat_id, arxiv_ids, time.monotonic(), None)
        self.attempts.append(attempt)
        try:
            await self._answer(chat_id)
        except BaseException as exc:
            attempt.error = type(exc).__name__
            raise
        return attempt.at

    async def _answer(self, chat_id: str) -> None:
        if chat_id in self._gone:
            raise ChatGone(self._gone[chat_id])
        if chat_id in self._moved:
            raise ChatMoved(self._moved[chat_id])
        delay = self.latency + self._slow.get(chat_id, 0.0)
        scripted = self._scripted[chat_id]
        if scripted:
            outcome = scripted.popleft()
            if isinstance(outcome, BaseException):
                raise outcome
            delay += outcome
        if self.enforce:
            self._throttle(chat_id)
        if delay:
            await asyncio.sleep(delay)
        if chat_id in self._held:
            await self._held[chat_id].wait()

    def _throttle(self, chat_id: str) -> None:
        """Token buckets with a burst of two, as chat services meter sends."""
        now = time.monotonic()
        per_chat = self.limits.per_chat_per_second
        if chat_id in self.groups and self.limits.per_group_per_minute:
            per_chat = min(per_chat, self.limits.per_group_per_minute / 60)
        buckets = [
            self._buckets.setdefault("", _Bucket(self.limits.global_per_second, now)),
            self._buckets.setdefault(chat_id, _Bucket(per_chat, now)),
        ]
        wait = max(bucket.wait(now) for bucket in buckets)
        if wait > 0:
            raise RetryLater(wait)
        for bucket in buckets:
            bucket.tokens -= 1

    def _record(self, at: float, chat_id: str, arxiv_ids: tuple[str, ...], **extra: object) -> str:
        message_id = str(next(self._ids))
        self.sent.append(Sent(chat_id, arxiv_ids, message_id, at, **extra))  # type: ignore[arg-type]
        return message_id


class _Bucket:
    BURST = 2.0

    def __init__(self, rate: float, now: float) -> None:
        self.rate = rate
        self.tokens = self.BURST
        self.updated = now

    def wait(self, now: float) -> float:
        self.tokens = min(self.BURST, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


class Flaky(DeliveryError):
    """A transient failure the dispatcher should retry (a 5xx, a reset connection)."""
