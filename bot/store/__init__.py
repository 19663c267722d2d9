"""Persistence: papers, summaries, chats and what they follow, favorites, the delivery outbox."""

from bot.store.records import Chat, FavoritePaper, Subscription, Topic
from bot.store.store import Store

__all__ = ["Chat", "FavoritePaper", "Store", "Subscription", "Topic"]
