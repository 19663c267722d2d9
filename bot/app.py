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
from dataclasses import dataclass

import handlers
from bot.arxiv_source import ArxivSource
from bot.config import Settings
from bot.library import Library
from bot.platforms import ChatAdapter
from bot.service import Service
from bot.store import Store, migrate
from bot.summarize import make_summarizer

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Core:
    """The platform-neutral parts every adapter and job shares."""

    settings: Settings
    store: Store
    source: ArxivSource
    library: Library
    service: Service
    stop: asyncio.Event
    """Set to end `run`: by SIGTERM/SIGINT, or by an adapter that cannot go on."""


@asynccontextmanager
async def open_core(settings: Settings, stop: asyncio.Event | None = None) -> AsyncIterator[Core]:
    """Migrate the database to the current schema, then build the core; close it on exit."""
    await asyncio.to_thread(migrate.upgrade, settings.DATABASE_URL)
    store = Store.connect(settings.DATABASE_URL)
    summarizer = make_summarizer(settings)
    try:
        source = ArxivSource.from_settings(settings)
        library = Library(store, source, summarizer)
        service = Service(store, library, settings.DEFAULT_LANGUAGE)
        yield Core(settings, store, source, library, service, stop or asyncio.Event())
    finally:
        await summarizer.aclose()
        await store.close()


def load_adapters(core: Core) -> list[ChatAdapter]:
    adapters = []
    for name in handlers.ADAPTER_MODULES:
        adapter = importlib.import_module(name).create(core.settings, core)
        if adapter is not None:
            adapters.append(adapter)
    return adapters


async def run(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Run every configured adapter until SIGTERM/SIGINT (or `stop`, for tests)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with open_core(settings, stop) as core:
        adapters = load_adapters(core)
        started: list[ChatAdapter] = []
        try:
            for adapter in adapters:
                await adapter.start()
                started.append(adapter)
            log.info("paperbell running: %s", ", ".join(a.name for a in adapters))
            await stop.wait()
            log.info("stopping")
        finally:
            for adapter in reversed(started):
                await adapter.stop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(signum)
