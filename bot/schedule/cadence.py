"""When to poll next: often around an announcement, rarely otherwise.

arXiv announces at 20:00 US Eastern on the evening before each mailing's date (see
`bot.source.arxiv_calendar`), and the feed follows within minutes. So from `lead`
before that moment until every followed category shows the mailing, the feed is checked
every `fast` (never more often than arXiv's request interval; each check is a
conditional request, a 304 while nothing changed); `window` after the announcement the
fast checks give up, since a mailing that late is an incident (overdue, see
`bot.schedule.freshness`), not something polling faster cures. Outside those windows
the poll runs every `safety_net` (POLL_INTERVAL_MINUTES), for the catch-up query and
for whatever the calendar gets wrong. Weekends and holidays have no mailing and so no
window.

`Cadence` is pure arithmetic on the calendar and one fact, the newest mailing that is
complete (`observe`); `CadenceTrigger` hands it to APScheduler.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from apscheduler.triggers.base import BaseTrigger

from bot.source import arxiv_calendar
from bot.support.config import Settings


class Cadence:
    def __init__(
        self,
        *,
        safety_net: timedelta = timedelta(minutes=30),
        fast: timedelta = timedelta(seconds=60),
        lead: timedelta = timedelta(minutes=10),
        window: timedelta = timedelta(hours=2),
        request_interval: timedelta = timedelta(seconds=3),
    ) -> None:
        self.safety_net = safety_net
        self.fast = max(fast, request_interval)
        self.lead = lead
        self.window = window
        self.complete: date | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Cadence:
        return cls(
            safety_net=timedelta(minutes=settings.POLL_INTERVAL_MINUTES),
            fast=timedelta(seconds=settings.FAST_POLL_SECONDS),
            lead=timedelta(minutes=settings.FAST_POLL_LEAD_MINUTES),
            window=timedelta(minutes=settings.FAST_POLL_WINDOW_MINUTES),
            request_interval=timedelta(seconds=settings.ARXIV_REQUEST_INTERVAL),
        )

    def observe(self, complete: date | None) -> None:
        """A poll found every followed category showing `complete` (None: not yet)."""
        if complete is not None and (self.complete is None or complete > self.complete):
            self.complete = complete

    def in_window(self, now: datetime) -> bool:
        """Whether `now` is in a fast window: a mailing is due and not complete yet."""
        mailing = arxiv_calendar.latest_mailing(now + self.lead)
        waiting = self.complete is None or mailing > self.complete
        return waiting and now < arxiv_calendar.public_at(mailing) + self.window

    def next_poll(self, now: datetime) -> datetime:
        if self.in_window(now):
            return now + self.fast
        upcoming = arxiv_calendar.next_mailing(now + self.lead)
        return min(now + self.safety_net, arxiv_calendar.public_at(upcoming) - self.lead)


class CadenceTrigger(BaseTrigger):  # type: ignore[misc]  # APScheduler 3 has no type hints
    """APScheduler's view of a `Cadence`: the next run is asked of it after every run."""

    def __init__(self, cadence: Cadence) -> None:
        self._cadence = cadence

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        return self._cadence.next_poll(now)

    def __str__(self) -> str:
        return "announcement-aware cadence"
