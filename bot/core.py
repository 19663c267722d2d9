"""The long-lived parts an adapter and a job are handed, built once by `bot.app`.

Kept below the composition root and the adapters so each adapter's `create(settings, core)`
can name the type without importing the module that imports every adapter.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.cards.library import Library
from bot.chat.service import Service
from bot.schedule.leader import Cluster
from bot.source.arxiv_source import ArxivSource
from bot.store import Store
from bot.support.config import Settings


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
    cluster: Cluster | None = None
    """This process among the replicas sharing the database: the roles one of them holds
    at a time (polling arXiv, Telegram long polling) and what all must handle once."""
