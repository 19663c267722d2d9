"""Every query the bot makes, each in its own short transaction, returning plain records.

One facade over the repositories, one per concern, so callers hold a single `Store` while each
concern's queries live in a module of their own.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.engine import URL

from bot.source import arxiv_calendar
from bot.store.chats import ChatsRepository
from bot.store.cluster import ClusterRepository
from bot.store.db import create_engine
from bot.store.favorites import FavoritesRepository
from bot.store.incidents import IncidentsRepository
from bot.store.mailings import MailingsRepository
from bot.store.outbox import OutboxRepository
from bot.store.polls import PollsRepository
from bot.store.signals import SignalsRepository


class Store(
    ChatsRepository,
    FavoritesRepository,
    PollsRepository,
    MailingsRepository,
    OutboxRepository,
    SignalsRepository,
    ClusterRepository,
    IncidentsRepository,
):
    @classmethod
    def connect(cls, url: str | URL) -> Store:
        """A store on an already migrated database (see `bot.store.migrate`)."""
        return cls(create_engine(url))

    async def overdue_mailing(self, now: datetime, after: timedelta) -> date | None:
        """The mailing that should have been seen by now (announced more than `after` ago)
        when paperbell has not seen it; None while all is well, or before the first mailing
        was ever seen, or while no chat follows anything. Here, on the facade, because it
        asks two repositories."""
        newest = await self.newest_settled_mailing()
        if newest is None or not await self.active_subscriptions():
            return None
        due = arxiv_calendar.latest_mailing(now - after)
        return due if newest < due else None
