"""The plain records the store hands out: frozen, detached from any session, safe to share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.source.papers import Paper
from bot.support.config import Language


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
    """A chat's interest in one arXiv category, narrowed by words and phrases.

    `created_at` keeps papers announced before the subscription from being delivered.
    """

    id: int
    chat_id: int
    category: str
    include: tuple[str, ...]
    exclude: tuple[str, ...]
    created_at: datetime


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


@dataclass(frozen=True, slots=True)
class PollState:
    """What discovery remembers between polls; all None before the first poll.

    `last_mailing` is the newest arXiv mailing (by its date) seen in the feed and
    `last_mailing_seen_at` when that happened; `last_success_at` is the last poll that
    got an answer from the feed.
    """

    last_poll_at: datetime | None = None
    last_success_at: datetime | None = None
    last_mailing: date | None = None
    last_mailing_seen_at: datetime | None = None
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A delivery waiting to be sent, in the chat's queue order."""

    id: int
    chat_id: int
    paper_id: str
    attempts: int
    next_attempt_at: datetime
    late: bool = False


@dataclass(frozen=True, slots=True)
class ChatDeliveries:
    """A chat's outbox at a glance, for `/status`."""

    last_sent_at: datetime | None
    waiting: int
    failed: int


@dataclass(frozen=True, slots=True)
class UserFavorite:
    """One person's ☆ on one paper, for `paperbell export-favorites`."""

    platform: str
    user_id: str
    paper: Paper
    favorited_at: datetime


@dataclass(frozen=True, slots=True)
class CategoryCoverage:
    """One followed category's newest mailing as one chat saw it, for `/status`.

    `papers` is what arXiv announced in the category (feed, stale fallback and audit);
    `reached` how many of those this chat received, `grouped` of which in a digest
    message (digest mode or over the daily cap); `late` how many only the audit found;
    `stale` whether the feed still shows an older mailing and the API was not asked yet.
    """

    category: str
    mailing: date
    papers: int
    reached: int
    grouped: int
    late: int
    stale: bool


@dataclass(frozen=True, slots=True)
class MailingFigures:
    """A category's newest mailing, for the metrics: announced, delivered to at least one
    chat, and found late by the audit."""

    category: str
    mailing: date
    announced: int
    delivered: int
    late: int


@dataclass(frozen=True, slots=True)
class FeedCoverage:
    """What one poll saw of `mailing`: per followed category whether the feed shows it
    (`fresh`), and the (category, paper ID) pairs it announced."""

    mailing: date
    fresh: dict[str, bool]
    papers: tuple[tuple[str, str], ...]
