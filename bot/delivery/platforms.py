"""The one interface a chat platform implements so the core can deliver to it.

Delivery knows nothing about Telegram or Slack: it asks the platform to send a card or a
digest and reads the outcome from the exceptions below, which every adapter raises for
its own error codes. A third platform is one new adapter module implementing `Platform`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.cards.cards import Card
from bot.source.papers import Paper


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Sending limits the platform enforces; the dispatcher stays under them."""

    global_per_second: float
    per_chat_per_second: float
    per_group_per_minute: float | None = None


@dataclass(frozen=True, slots=True)
class DigestEntry:
    """One paper of a digest; `top` marks the chat's best-ranked papers (🎯)."""

    paper: Paper
    takeaway: str
    top: bool = False


class DeliveryError(Exception):
    """Base of what a platform reports when a send did not succeed."""


class RetryLater(DeliveryError):
    """Rate limited (or briefly unavailable): try again after `retry_after` seconds."""

    def __init__(self, retry_after: float, reason: str = "rate limited") -> None:
        super().__init__(f"{reason}; retry after {retry_after:g}s")
        self.retry_after = retry_after


class ChatGone(DeliveryError):
    """The chat can never receive again (blocked, kicked, not found, archived, revoked)."""


class ChatMoved(DeliveryError):
    """The chat has a new ID (a Telegram group became a supergroup)."""

    def __init__(self, new_chat_id: str) -> None:
        super().__init__(f"chat moved to {new_chat_id}")
        self.new_chat_id = new_chat_id


class OutcomeUnknown(DeliveryError):
    """The request went out but no answer came back: it may or may not have been posted."""


class TokenRefused(DeliveryError):
    """The platform refuses the bot's token (revoked, or the app uninstalled): no chat of
    the platform can receive until an operator fixes it, so deliveries wait, unharmed."""


class Rejected(DeliveryError):
    """The platform refused this message itself (malformed, too long): sending it again
    cannot help, but the chat is fine. Any other `DeliveryError` is taken as transient."""


class Platform(Protocol):
    name: str
    limits: RateLimits

    def is_group(self, chat_id: str) -> bool:
        """Whether the chat is a group, for platforms that limit groups more tightly."""
        ...

    async def send_card(self, chat_id: str, card: Card) -> str:
        """Post a card with its ☆/share/arXiv/PDF buttons; returns the platform message ID."""
        ...

    async def send_digest(
        self, chat_id: str, title: str, entries: list[DigestEntry], language: str
    ) -> str:
        """Post one compact message listing several papers, each with a way to ☆ it.

        The dispatcher passes at most 20 entries (its `digest_size`) per message.
        """
        ...

    async def send_notice(self, chat_id: str, text: str) -> str:
        """Post plain text from the bot, shown exactly as written (operator alerts)."""
        ...


class ChatAdapter(Platform, Protocol):
    """A platform the bot runs: it receives commands and taps as well as sending cards."""

    async def start(self) -> None: ...

    async def stop(self) -> None:
        """Stop taking updates and close connections; called once on shutdown."""
        ...
