"""What the core answers with; each platform adapter turns these into its own messages.

`Subscription` is re-exported because adapters draw it (Slack's App Home) and reach the
core only through `bot.chat`, never the store.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.cards.cards import Card
from bot.store import FavoritePaper
from bot.store import Subscription as Subscription


@dataclass(frozen=True, slots=True)
class Notice:
    """Plain text (adapters escape it for their format)."""

    text: str


@dataclass(frozen=True, slots=True)
class CardReply:
    card: Card


@dataclass(frozen=True, slots=True)
class FavoritesPage:
    """One page of a user's favorites; adapters add remove and paging buttons."""

    entries: tuple[FavoritePaper, ...]
    page: int
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class Document:
    filename: str
    content: bytes
    caption: str


@dataclass(frozen=True, slots=True)
class Confirm:
    """A question with a confirm and a cancel button, answered only by `owner` (`/forget`)."""

    text: str
    action: str
    owner: str
    confirm: str
    cancel: str


@dataclass(frozen=True, slots=True)
class ForYouList:
    """`/foryou`: the ranked list as text, and the papers in its order, each of which
    adapters offer as a numbered button that opens its card."""

    text: str
    papers: tuple[str, ...]


Reply = Notice | CardReply | FavoritesPage | Document | Confirm | ForYouList
