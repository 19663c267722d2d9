"""Everything the Telegram adapter sends: outbox cards and digests, and command replies.

Both go through the platform's one rate limiter (`limiter_for`), so replies in a busy
group take their turn between the dispatcher's cards instead of drawing 429s. Cards
report Telegram's refusals to the dispatcher, which retries them; a reply is waited
for only so long (`MAX_REPLY_WAIT_SECONDS`), then dropped with one log line: the person
who asked has moved on, and a traceback would tell the operator nothing new.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import RetryAfter, TelegramError

from bot.delivery.ratelimit import Limiter
from handlers.telegram.errors import delivery_error, retry_after_seconds
from handlers.telegram.markup import NO_PREVIEW

log = logging.getLogger(__name__)

# A reply waits for its turn and out 429s this often and this long at most, then is dropped.
REPLY_ATTEMPTS = 3
MAX_REPLY_WAIT_SECONDS = 30.0


def is_group(chat_id: str) -> bool:
    return chat_id.startswith("-")


class Sender:
    def __init__(self, bot: Bot, limiter: Limiter) -> None:
        self._bot = bot
        self._limiter = limiter

    async def post(self, chat_id: str, text: str, markup: Any) -> str:
        """One outbox message; the dispatcher has already waited for the limiter."""
        try:
            message = await self._bot.send_message(
                int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            )
        except TelegramError as error:
            raise delivery_error(error) from error
        return str(message.message_id)

    async def reply(self, chat_id: str, send: Callable[[], Awaitable[object]]) -> bool:
        """Send one reply when the chat's limits allow, waiting out Telegram's flood control
        as long as it asks within the limit; False if it was dropped."""
        limiter = self._limiter
        group = is_group(chat_id)
        for _ in range(REPLY_ATTEMPTS):
            if not await limiter.acquire(chat_id, group=group, within=MAX_REPLY_WAIT_SECONDS):
                break
            try:
                await send()
                return True
            except RetryAfter as error:
                wait = retry_after_seconds(error)
                limiter.pause(chat_id, wait)
                if wait > MAX_REPLY_WAIT_SECONDS:
                    break
        log.warning(
            "Telegram: dropped a reply to chat %s, flood control allows none within %gs",
            chat_id,
            MAX_REPLY_WAIT_SECONDS,
        )
        return False
