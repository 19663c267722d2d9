"""Telegram's refusals, read as the delivery outcomes the platform-neutral dispatcher acts on.

What matters is whether the message may have been posted: a 429 or a failed connection
means it was not (send again when allowed), a read timeout or a broken answer means it
may have been (do not blindly resend), and some refusals mean the chat is gone for good.
"""

from __future__ import annotations

import warnings
from datetime import timedelta

import httpx
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBDeprecationWarning

from bot.delivery.platforms import (
    ChatGone,
    ChatMoved,
    DeliveryError,
    OutcomeUnknown,
    Rejected,
    RetryLater,
    TokenRefused,
)

# How long to wait after Telegram could not be reached or answered with a server error.
UNREACHABLE_RETRY_SECONDS = 5.0

# 400 answers that mean the bot can no longer post in the chat, not that the message was bad.
_GONE = (
    "chat not found",
    "group chat was deactivated",
    "have no rights to send",
    "not enough rights to send",
    "need administrator rights",
    "chat_write_forbidden",
    "peer_id_invalid",
    "user is deactivated",
    "bot was kicked",
    "bot is not a member",
)
# The request never left: nothing can have been posted.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def retry_after_seconds(error: RetryAfter) -> float:
    """Telegram's `retry_after`, whichever type python-telegram-bot is configured to give."""
    with warnings.catch_warnings():
        # python-telegram-bot 22 warns that the int form is deprecated unless PTB_TIMEDELTA is set.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_not_modified(error: TelegramError) -> bool:
    """An edit that changes nothing, as a double tap produces: harmless."""
    return isinstance(error, BadRequest) and "message is not modified" in error.message.lower()


def delivery_error(error: TelegramError) -> DeliveryError:
    if isinstance(error, InvalidToken):
        return TokenRefused(f"Telegram refused TELEGRAM_BOT_TOKEN ({error.message})")
    if isinstance(error, RetryAfter):
        return RetryLater(retry_after_seconds(error))
    if isinstance(error, ChatMigrated):
        return ChatMoved(str(error.new_chat_id))
    if isinstance(error, Forbidden):
        return ChatGone(error.message)
    if isinstance(error, BadRequest):
        if any(reason in error.message.lower() for reason in _GONE):
            return ChatGone(error.message)
        return Rejected(f"Telegram refused the message: {error.message}")
    if isinstance(error, NetworkError):
        if isinstance(error.__cause__, _NOT_SENT):
            return RetryLater(UNREACHABLE_RETRY_SECONDS, f"Telegram unreachable ({error.message})")
        if isinstance(error, TimedOut) or error.__cause__ is not None:
            return OutcomeUnknown(f"no answer from Telegram ({error.message})")
        return RetryLater(UNREACHABLE_RETRY_SECONDS, f"Telegram server error ({error.message})")
    return DeliveryError(f"Telegram error: {error.message}")
