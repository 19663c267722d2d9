"""Every query the bot makes, each in its own short transaction, returning plain records.

One facade over the repositories, one per concern, so callers hold a single `Store` while each
concern's queries live in a module of their own.
"""

from __future__ import annotations

from sqlalchemy.engine import URL

from bot.store.chats import ChatsRepository
from bot.store.cluster import ClusterRepository
from bot.store.db import create_engine
from bot.store.favorites import FavoritesRepository
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
):
    @classmethod
    def connect(cls, url: str | URL) -> Store:
        """A store on an already migrated database (see `bot.store.migrate`)."""
        return cls(create_engine(url))
