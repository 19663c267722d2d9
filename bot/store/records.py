"""The plain records the store hands out: frozen, detached from any session, safe to share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.config import Language
from bot.papers import Paper


@dataclass(frozen=True, slots=True)
class Chat:
    """A Telegram chat or Slack channel the bot serves.

    `external_id` is the platform's ID as text: Telegram's exceed 32 bits and Slack's are
    not numbers. `id` is ours and survives a Telegram group becoming a supergroup.
    """

    id: int
    platform: str
    external_id: str
    title: str | None
    language: Language
    active: bool
    inactive_reason: str | None
    timezone: str
    digest_time: str | None
    daily_cap: int | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Subscription:
    """A chat's interest in one arXiv category, narrowed by words and phrases."""

    id: int
    chat_id: int
    category: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Topic:
    """A named group of terms whose matches a chat's cards are labelled with."""

    id: int
    chat_id: int
    name: str
    terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FavoritePaper:
    paper: Paper
    favorited_at: datetime
