"""Composition root: settings → store, source, summarizer, service, adapters → run.

Everything long-lived is built here once and handed down, so the modules below never
read settings or open connections of their own.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import handlers
from bot.cards.library import Library
from bot.chat.service import Service
from bot.core import Core
from bot.delivery.alerts import Alerts
from bot.delivery.platforms import ChatAdapter
from bot.delivery.ratelimit import share_budgets
from bot.match.rankers import Ranker
from bot.ops import metrics
from bot.ops.health import HealthServer
from bot.schedule.leader import Cluster
from bot.schedule.scheduler import Poller
from bot.source.arxiv_source import ArxivSource
from bot.store import Store, migrate
from bot.summarize import make_summarizer
from bot.support.config import Settings

log = logging.getLogger(__name__)


@asynccontextmanager
async def open_core(settings: Settings, stop: asyncio.Event | None = None) -> AsyncIterator[Core]:
    """Migrate the database to the current schema, then build the core; close it on exit."""
    await asyncio.to_thread(migrate.upgrade, settings.DATABASE_URL)
    store = Store.connect(settings.DATABASE_URL)
    summarizer = make_summarizer(settings)
    metrics.watch_summarizer(summarizer)
    try:
        source = ArxivSource.from_settings(settings)
        library = Library(store, source, summarizer)
        ranker = Ranker(store)
        service = Service(
            store,
            library,
            settings.DEFAULT_LANGUAGE,
            poll_interval=timedelta(minutes=settings.POLL_INTERVAL_MINUTES),
            ranker=ranker,
            overdue_after=timedelta(minutes=settings.MAILING_OVERDUE_MINUTES),
            replica_lease=_replica_lease(settings),
        )
        cluster = Cluster(store, lease=_replica_lease(settings))
        share_budgets(store)
        try:
            yield Core(settings, store, source, library, service, stop or asyncio.Event(), cluster)
        finally:
            await ranker.close()
    finally:
        share_budgets(None)
        await summarizer.aclose()
        await store.close()


def load_adapters(core: Core) -> list[ChatAdapter]:
    adapters = []
    for name in handlers.ADAPTER_MODULES:
        adapter = importlib.import_module(name).create(core.settings, core)
        if adapter is not None:
            adapters.append(adapter)
    return adapters


async def run(
    settings: Settings, stop: asyncio.Event | None = None, database_trouble: str | None = None
) -> None:
    """Run every configured adapter until SIGTERM/SIGINT (or `stop`, for tests).
    `database_trouble`: how the database failed before it answered at start, for the
    operators (ADMIN_CHATS)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with open_core(settings, stop) as core:
        adapters = load_adapters(core)
        health = _health_server(core, adapters)
        started: list[ChatAdapter] = []
        try:
            if health is not None:
                await health.start()
            for adapter in adapters:
                await adapter.start()
                started.append(adapter)
            alerts = Alerts.from_settings(settings, started, core.store)
            await alerts.database_at_start(database_trouble)
            cluster = core.cluster
            assert cluster is not None
            poller = Poller.build(
                core.store,
                core.source,
                core.library,
                started,
                settings,
                alerts=alerts,
                ranker=core.service.ranker,
            )
            scheduler = poller.scheduler(settings.POLL_INTERVAL_MINUTES, cluster)
            cluster.poll.on_gain = scheduler.poll_now
            await cluster.join()
            scheduler.start()
            clustering = asyncio.create_task(cluster.run(stop))
            log.info("paperbell running: %s", ", ".join(a.name for a in adapters))
            try:
                await stop.wait()
            finally:
                await scheduler.stop()
                await clustering
            log.info("stopping")
        finally:
            for adapter in reversed(started):
                await adapter.stop()
            if health is not None:
                await health.stop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)


def _health_server(core: Core, adapters: list[ChatAdapter]) -> HealthServer | None:
    """The health and metrics endpoint, when HEALTH_PORT asks for one."""
    settings = core.settings
    if settings.HEALTH_PORT is None:
        return None
    return HealthServer(
        core.store,
        host=settings.HEALTH_HOST,
        port=settings.HEALTH_PORT,
        poll_interval=timedelta(minutes=settings.POLL_INTERVAL_MINUTES),
        platforms=[adapter.name for adapter in adapters],
        overdue_after=timedelta(minutes=settings.MAILING_OVERDUE_MINUTES),
        replica_lease=_replica_lease(settings),
    )


def _replica_lease(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.REPLICA_LEASE_SECONDS)
