"""Operator alerts: one message when an incident starts and one when it ends, never a storm.

An incident has a key (`overdue`, `stale:cs.CV`, `shortfall:cs.CV`, `token:slack`,
`llm`, `database`); raising one that is already open, or ending one that is not, says
nothing, so a condition checked every minute is reported twice in all: when it begins
and when it is over. The messages go to `ADMIN_CHATS` through the same platform interface
cards use (`send_notice`), and to the log as well; without
`ADMIN_CHATS`, or for a platform that is not running, the log alone carries them
(WARNING when it starts, ERROR for the database, INFO when it ends).

Which incidents are open is kept in the database (`Store.open_incident`), so replicas that
all notice a refused token or a stale feed announce it once between them, and a restart
does not announce an ongoing incident again; without a store (tests, one-off tools) this
process's memory keeps it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from bot.delivery.platforms import DeliveryError, Platform
from bot.support.clock import Clock, utcnow
from bot.support.config import Language, Settings
from bot.words.alerts import ALERTS, AlertTexts

log = logging.getLogger(__name__)


class FailureStreak(Protocol):
    """The LLM summarizer's counters (`bot.summarize.llm.LLMStats`) alerts read."""

    failing_in_a_row: int
    last_failure: str


class IncidentBook(Protocol):
    """Who opened and who closed each incident (the `Store` is one)."""

    async def open_incident(self, key: str, *, now: datetime) -> bool: ...

    async def close_incident(self, key: str) -> bool: ...


class MemoryIncidents:
    """One process's book, for a bot without a shared database."""

    def __init__(self) -> None:
        self._open: set[str] = set()

    async def open_incident(self, key: str, *, now: datetime) -> bool:
        opened = key not in self._open
        self._open.add(key)
        return opened

    async def close_incident(self, key: str) -> bool:
        closed = key in self._open
        self._open.discard(key)
        return closed


class Alerts:
    def __init__(
        self,
        targets: Sequence[tuple[str, str]] = (),
        platforms: Mapping[str, Platform] | None = None,
        language: Language = "en",
        *,
        incidents: IncidentBook | None = None,
        now: Clock = utcnow,
    ) -> None:
        """`targets`: (platform, chat ID) pairs, as `Settings.admin_chats` gives them."""
        self._targets = tuple(targets)
        self._platforms = dict(platforms or {})
        self._language = language
        self._incidents = incidents or MemoryIncidents()
        self._now = now

    @classmethod
    def from_settings(
        cls, settings: Settings, platforms: Iterable[Platform], incidents: IncidentBook | None
    ) -> Alerts:
        return cls(
            settings.admin_chats(),
            {p.name: p for p in platforms},
            settings.DEFAULT_LANGUAGE,
            incidents=incidents,
        )

    @property
    def texts(self) -> AlertTexts:
        return ALERTS[self._language]

    async def start(self, key: str, message: str, *, level: int = logging.WARNING) -> bool:
        """Report the incident unless it is already open; True if this call reported it."""
        if not await self._incidents.open_incident(key, now=self._now()):
            return False
        log.log(level, "incident: %s", message, extra={"incident": key})
        await self._send(message)
        return True

    async def end(self, key: str, message: str) -> bool:
        """Report the incident resolved if it was open; True if this call reported it."""
        if not await self._incidents.close_incident(key):
            return False
        log.info("resolved: %s", message, extra={"incident": key})
        await self._send(message)
        return True

    async def llm_streak(self, stats: FailureStreak, threshold: int) -> None:
        """An incident from `threshold` papers in a row the LLM failed for, until it
        summarizes one again."""
        if stats.failing_in_a_row >= threshold:
            text = self.texts.llm.format(count=stats.failing_in_a_row, reason=stats.last_failure)
            await self.start("llm", text)
        elif stats.failing_in_a_row == 0:
            await self.end("llm", self.texts.llm_end)

    async def token_refused(self, platform: str, reason: str) -> None:
        await self.start(
            f"token:{platform}", self.texts.token.format(platform=platform, error=reason)
        )

    async def token_accepted(self, platform: str) -> None:
        await self.end(f"token:{platform}", self.texts.token_end.format(platform=platform))

    async def database_at_start(self, trouble: str | None) -> None:
        """The database did not answer at start (`trouble`: how), but does now."""
        if trouble is not None:
            await self.start(
                "database", self.texts.database.format(error=trouble), level=logging.ERROR
            )
            await self.end("database", self.texts.database_end)

    async def _send(self, message: str) -> None:
        for platform_name, chat_id in self._targets:
            platform = self._platforms.get(platform_name)
            if platform is None:
                continue
            try:
                await platform.send_notice(chat_id, message)
            except DeliveryError as exc:
                log.warning("could not alert %s:%s: %s", platform_name, chat_id, exc)
