"""The poll cycle, and the clock that runs it inside `paperbell run`.

A cycle is: discover (feed, metadata, catch-up, stale categories, audit) → store and
queue (one transaction) → summarize each queued paper once per language its chats read
→ dispatch until the outbox is drained. `paperbell poll` runs one cycle and exits;
`paperbell run` runs them through APScheduler on the announcement-aware cadence of
`bot.schedule.cadence` (every minute or so around an announcement, every
POLL_INTERVAL_MINUTES otherwise), beside a dispatch loop (retries, backoffs) and a
digest job, all on the adapters' event loop. With replicas, every one
dispatches, only the holder of the poll lease polls, and a job runs once per due time
cluster-wide (`bot.schedule.leader`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.cards.library import Library
from bot.delivery.alerts import Alerts
from bot.delivery.delivery import Dispatcher
from bot.delivery.platforms import Platform
from bot.match.rankers import Ranker
from bot.ops import metrics
from bot.schedule.audit import Audit
from bot.schedule.cadence import Cadence, CadenceTrigger
from bot.schedule.discovery import Discovery
from bot.schedule.freshness import Freshness
from bot.schedule.leader import Cluster
from bot.source.arxiv_source import ArxivSource
from bot.store import Store
from bot.support.config import Settings

log = logging.getLogger(__name__)

POLL_JOB = "paperbell-poll"
DIGEST_JOB = "paperbell-digests"
DISPATCH_IDLE = timedelta(seconds=30)
"""How often a lone process's dispatcher looks for work it was not woken for (retries)."""
REPLICA_DISPATCH_IDLE = timedelta(seconds=2)
"""How often a replica's dispatcher looks for work it was not woken for: the poll that
queued it ran in another replica. One indexed query per replica every two seconds."""
STOP_GRACE = timedelta(seconds=5)
"""How long `Scheduler.stop` lets sends in flight finish: SIGTERM must end the process
within 10 s, and the adapters and connections still need closing after."""


@dataclass(frozen=True, slots=True)
class CycleReport:
    discovered: int
    new: int
    summarized: int
    matched: int
    delivered: int
    failed: int
    throttled: int
    duration: float
    error: str | None = None
    settled: date | None = None


async def summarize_waiting(store: Store, library: Library) -> int:
    """Summarize each queued paper once in each language its chats need, before sending,
    so a hundred chats reading one paper cost one summary. Returns how many were made."""
    wanted = await store.unsummarized_deliveries(library.summarizer_name)
    papers = await store.get_papers({paper_id for paper_id, _ in wanted})
    for paper_id, language in wanted:
        await library.card(papers[paper_id], language)
    return len(wanted)


async def run_cycle(
    store: Store,
    discovery: Discovery,
    library: Library,
    dispatcher: Dispatcher,
    *,
    wait: timedelta = timedelta(minutes=5),
) -> CycleReport:
    """One complete cycle; returns once every delivery due within `wait` has been handled.

    Deliveries queued earlier and not sent yet (a crash, arXiv down) go out too. Logs one
    line with the cycle's figures, also attached to the record as `cycle` for JSON logs.
    """
    started = time.monotonic()
    found = await discovery.poll()
    summarized = await summarize_waiting(store, library)
    sent = await dispatcher.drain(wait=wait)
    report = CycleReport(
        discovered=found.announced,
        new=found.new,
        summarized=summarized,
        matched=found.queued,
        delivered=sent.delivered,
        failed=sent.failed,
        throttled=sent.throttled,
        duration=round(time.monotonic() - started, 3),
        error=found.error,
        settled=found.settled,
    )
    metrics.poll_finished(new_papers=report.new, seconds=report.duration)
    log.info(
        "cycle discovered=%d new=%d summarized=%d matched=%d delivered=%d failed=%d "
        "429s=%d duration=%.1fs%s",
        report.discovered,
        report.new,
        report.summarized,
        report.matched,
        report.delivered,
        report.failed,
        report.throttled,
        report.duration,
        f" error={report.error!r}" if report.error else "",
        extra={"cycle": asdict(report)},
    )
    return report


@dataclass(frozen=True, slots=True)
class Poller:
    """Discovery, summaries and dispatch wired together, for `paperbell poll` and `run`."""

    store: Store
    discovery: Discovery
    library: Library
    dispatcher: Dispatcher
    cadence: Cadence = field(default_factory=Cadence)
    watchers: tuple[Callable[[], Awaitable[None]], ...] = ()

    @classmethod
    def build(
        cls,
        store: Store,
        source: ArxivSource,
        library: Library,
        platforms: Iterable[Platform],
        settings: Settings | None = None,
        alerts: Alerts | None = None,
        ranker: Ranker | None = None,
    ) -> Poller:
        """With `settings`, stale categories are fetched from the API, mailings audited,
        operators alerted (through `alerts`, else ADMIN_CHATS on `platforms`), and the
        cadence follows the settings."""
        platforms = list(platforms)
        if settings is None:
            return cls(
                store,
                Discovery(store, source),
                library,
                Dispatcher(store, library, platforms, ranker=ranker),
            )
        alerts = alerts or Alerts.from_settings(settings, platforms, store)
        dispatcher = Dispatcher(store, library, platforms, watch=alerts, ranker=ranker)
        freshness = Freshness(
            store,
            source,
            stale_after=timedelta(minutes=settings.STALE_CATEGORY_MINUTES),
            overdue_after=timedelta(minutes=settings.MAILING_OVERDUE_MINUTES),
            alerts=alerts,
        )
        audit = Audit(
            store,
            source,
            audit_after=timedelta(minutes=settings.AUDIT_AFTER_MINUTES),
            alerts=alerts,
        )
        discovery = Discovery(store, source, freshness=freshness, audit=audit)
        stats = getattr(library.summarizer, "stats", None)
        watchers = (
            (partial(alerts.llm_streak, stats, settings.LLM_FAILURE_ALERT_COUNT),) if stats else ()
        )
        cadence = Cadence.from_settings(settings)
        return cls(store, discovery, library, dispatcher, cadence, watchers)

    async def cycle(self, wait: timedelta = timedelta(minutes=5)) -> CycleReport:
        report = await run_cycle(
            self.store, self.discovery, self.library, self.dispatcher, wait=wait
        )
        self.cadence.observe(report.settled)
        for watch in self.watchers:
            await watch()
        return report

    def scheduler(self, poll_minutes: int, cluster: Cluster | None = None) -> Scheduler:
        """`cluster`: the replicas sharing the database; each looks for work the poll
        lease holder queued every `REPLICA_DISPATCH_IDLE`."""
        replicas = cluster is not None and self.store.coordinates_replicas
        return Scheduler(
            self.cycle,
            self.dispatcher,
            poll_minutes=poll_minutes,
            trigger=CadenceTrigger(self.cadence),
            cluster=cluster,
            dispatch_idle=REPLICA_DISPATCH_IDLE if replicas else DISPATCH_IDLE,
        )


class Scheduler:
    """APScheduler jobs on the running event loop, plus the dispatcher's loop.

    Jobs have fixed IDs and are added with `replace_existing`, so starting again never
    doubles them; `coalesce` and a misfire grace as long as the interval make a late or
    missed run (a busy loop, a suspended laptop) happen once, late, rather than never or
    several times. The first poll runs at start-up. Times are UTC throughout.
    """

    def __init__(
        self,
        cycle: Callable[[], Awaitable[CycleReport]],
        dispatcher: Dispatcher,
        *,
        poll_minutes: int,
        trigger: BaseTrigger | None = None,
        digest_every: timedelta = timedelta(minutes=1),
        dispatch_idle: timedelta = DISPATCH_IDLE,
        cluster: Cluster | None = None,
    ) -> None:
        """`trigger`: when polls run (default: every `poll_minutes`); `cluster`: the
        replicas this one shares the database with, None for a lone process."""
        self._trigger = trigger or IntervalTrigger(minutes=poll_minutes, timezone=UTC)
        self._cycle = cycle
        self._cluster = cluster
        self._dispatcher = dispatcher
        self._poll_minutes = poll_minutes
        self._digest_every = digest_every
        self._dispatch_idle = dispatch_idle
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._stop = asyncio.Event()
        self._dispatching: asyncio.Task[None] | None = None
        self._jobs: set[asyncio.Task[object]] = set()

    def start(self) -> None:
        """Add the jobs and start; call from inside the running event loop."""
        interval = self._poll_minutes * 60
        self._scheduler.add_job(
            self._poll,
            self._trigger,
            id=POLL_JOB,
            name="poll arXiv and deliver",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=interval,
            next_run_time=datetime.now(UTC),
        )
        self._scheduler.add_job(
            self._send_digests,
            IntervalTrigger(seconds=self._digest_every.total_seconds(), timezone=UTC),
            id=DIGEST_JOB,
            name="send digests",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(60, int(self._digest_every.total_seconds()) * 10),
        )
        self._scheduler.start()
        self._stop.clear()
        self._dispatching = asyncio.create_task(
            self._dispatcher.run(self._stop, idle=self._dispatch_idle)
        )

    async def stop(self, grace: timedelta = STOP_GRACE) -> None:
        """Stop taking work, then give the work under way `grace` to finish.

        No job starts and no chat is claimed any more; each send in flight is recorded and
        its chat's lease given back. Whatever is still running after `grace` (a slow
        arXiv request, a send that does not answer) is cancelled: a poll cancelled midway
        recorded nothing, and a cancelled send goes again at the next start (the one
        duplicate `bot.delivery.delivery` allows).
        """
        if self._scheduler.running:
            # Paused, not shut down yet: shutting down cancels the jobs under way at once.
            self._scheduler.pause()
        self._dispatcher.close()
        self._stop.set()
        running = {*self._jobs, *([self._dispatching] if self._dispatching else [])}
        self._dispatching = None
        if running:
            _, late = await asyncio.wait(running, timeout=grace.total_seconds())
            for task in late:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def next_poll(self) -> datetime | None:
        job = self._scheduler.get_job(POLL_JOB)
        return None if job is None else job.next_run_time

    async def poll_now(self) -> None:
        """Poll at once rather than at the next interval (this replica just took the poll
        over from one that stopped); before `start` the first poll comes anyway."""
        if self._scheduler.get_job(POLL_JOB) is not None:
            self._scheduler.modify_job(POLL_JOB, next_run_time=datetime.now(UTC))

    async def _poll(self) -> None:
        if self._cluster is not None and not self._cluster.leads():
            return
        await self._tracked(self._cycle())
        self._dispatcher.wake()

    async def _send_digests(self) -> None:
        if self._cluster is not None and not await self._cluster.first_to_run(
            DIGEST_JOB, self._digest_every
        ):
            return
        await self._tracked(self._dispatcher.send_digests())

    async def _tracked(self, job: Awaitable[object]) -> None:
        """Run a job in a task `stop` knows of, so that shutdown can wait for it."""
        task = asyncio.ensure_future(job)
        self._jobs.add(task)
        try:
            await task
        finally:
            self._jobs.discard(task)
