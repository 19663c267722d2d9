"""The whole poll pipeline on a simulated clock, for freshness tests and `bench/freshness.py`.

`SimulatedBot` wires what `paperbell run` wires (discovery with the stale-category
fallback and the audit, summaries, the dispatcher, operator alerts and the
announcement-aware cadence) to a `DailyArxiv` and an in-memory platform, and runs poll
cycles one after another, jumping the clock to the time the cadence picks after each.
Days pass in seconds; only the cycles themselves take real time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.delivery.alerts import Alerts
from bot.delivery.delivery import Dispatcher
from bot.schedule.audit import Audit
from bot.schedule.cadence import Cadence
from bot.schedule.discovery import Discovery
from bot.schedule.freshness import Freshness
from bot.schedule.scheduler import CycleReport, run_cycle
from bot.source.arxiv_source import ArxivSource
from bot.store import Store
from tests.fakes.mailings import DailyArxiv
from tests.fakes.outbox import StaticSummarizer, TestClock, library
from tests.fakes.platform import InMemoryPlatform, Sent

ADMIN = "admin"


@dataclass
class Cycle:
    at: datetime  # simulated time the cycle started
    report: CycleReport
    sent: list[Sent]  # what the platform received during the cycle


@dataclass
class SimulatedBot:
    store: Store
    arxiv: DailyArxiv
    clock: TestClock
    stale_after: timedelta = timedelta(minutes=20)
    audit_after: timedelta = timedelta(hours=2)
    overdue_after: timedelta = timedelta(hours=3)
    cadence: Cadence = field(default_factory=lambda: Cadence(request_interval=timedelta(0)))
    platform: InMemoryPlatform = field(default_factory=InMemoryPlatform)
    cycles: list[Cycle] = field(default_factory=list)

    def __post_init__(self) -> None:
        source = ArxivSource(self.arxiv.api_url, 0.0, 5.0, rss_url=self.arxiv.rss_url, backoff=0.01)
        self.alerts = Alerts([(self.platform.name, ADMIN)], {self.platform.name: self.platform})
        freshness = Freshness(
            self.store,
            source,
            stale_after=self.stale_after,
            overdue_after=self.overdue_after,
            alerts=self.alerts,
        )
        audit = Audit(self.store, source, audit_after=self.audit_after, alerts=self.alerts)
        self.discovery = Discovery(
            self.store, source, now=self.clock, freshness=freshness, audit=audit
        )
        self.library = library(self.store, StaticSummarizer(), source)
        self.dispatcher = Dispatcher(
            self.store,
            self.library,
            [self.platform],
            now=self.clock,
            backoff=timedelta(milliseconds=50),
        )

    async def cycle(self) -> Cycle:
        at, before = self.clock(), len(self.platform.sent)
        report = await run_cycle(
            self.store, self.discovery, self.library, self.dispatcher, wait=timedelta(seconds=5)
        )
        self.cadence.observe(report.settled)
        done = Cycle(at, report, self.platform.sent[before:])
        self.cycles.append(done)
        return done

    async def run_until(self, end: datetime) -> None:
        """Poll on the cadence from the clock's time until `end`."""
        while self.clock() < end:
            await self.cycle()
            self.clock.jump(self.cadence.next_poll(self.clock()))

    def first_cycle_delivering(self, chat_id: str, arxiv_id: str) -> Cycle | None:
        """The cycle during which the paper first reached the chat."""
        for cycle in self.cycles:
            if any(s.chat_id == chat_id and arxiv_id in s.arxiv_ids for s in cycle.sent):
                return cycle
        return None

    def admin_messages(self) -> list[str]:
        return [s.title or "" for s in self.platform.sent_to(ADMIN)]
