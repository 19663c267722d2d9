"""Inline sharing: `@bot 2508.08189` in any chat offers the paper's card to post there.

Results are personal (the card's language is the asker's own) and cached a few minutes;
a query that names no paper gets a button that explains what to type.
"""

from __future__ import annotations

from telegram import InlineQueryResultsButton, Update

from bot.chat.service import Service
from bot.support.config import Language
from bot.words.messages import MESSAGES
from handlers.telegram.markup import share_result
from handlers.telegram.people import language_of

INLINE_CACHE_SECONDS = 300


class Sharing:
    def __init__(self, service: Service, default_language: Language) -> None:
        self._service = service
        self._default_language = default_language

    async def on_inline_query(self, update: Update) -> None:
        query = update.inline_query
        if query is None:
            return
        language = language_of(query.from_user, self._default_language)
        shares = (
            await self._service.share_cards(query.query, language) if query.query.strip() else []
        )
        results = [share_result(share.card) for share in shares]
        hint = InlineQueryResultsButton(MESSAGES[language].share_hint, start_parameter="share")
        await query.answer(
            results,
            cache_time=INLINE_CACHE_SECONDS,
            is_personal=True,
            button=None if results else hint,
        )
