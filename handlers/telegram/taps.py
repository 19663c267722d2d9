"""Taps on inline buttons: ☆ under cards and digests, ✖ and paging on favorites lists.

A tap is answered at once (Telegram shows a spinner until then), in the tapper's own
language since only they see the answer; the message is then redrawn. Button data is read
with the core's codec, which refuses anything this bot did not send.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable

from telegram import CallbackQuery, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.error import TelegramError

from bot.chat.favorites import UnknownPaper
from bot.chat.service import Service
from bot.render.buttons import OpenCard, RemoveFavorite, ShowFavorites, ToggleFavorite, decode
from bot.support.config import Language
from bot.words.messages import MESSAGES, Messages
from handlers.telegram.errors import is_not_modified
from handlers.telegram.markup import NO_PREVIEW, card_message, favorites_message, relabel_star
from handlers.telegram.people import PLATFORM, language_of, owner_name
from handlers.telegram.ranking import is_confirm, on_confirm

log = logging.getLogger(__name__)


class Taps:
    def __init__(self, service: Service, default_language: Language) -> None:
        self._service = service
        self._default_language = default_language
        self._locks: dict[int, asyncio.Lock] = {}

    async def on_tap(self, update: Update) -> None:
        query = update.callback_query
        if query is None:
            return
        words = MESSAGES[language_of(query.from_user, self._default_language)]
        data = query.data or ""
        async with self._in_order(query.from_user.id):
            match decode(data):
                case ToggleFavorite(paper):
                    await self._toggle(query, data, paper, words)
                case ShowFavorites(owner, page):
                    await self._browse(query, owner, page, None, words)
                case RemoveFavorite(owner, page, paper):
                    await self._browse(query, owner, page, paper, words)
                case OpenCard(paper):
                    await self._open(query, paper)
                case _ if is_confirm(data):
                    language = language_of(query.from_user, self._default_language)
                    await on_confirm(query, self._service.ranking, language)
                case _:
                    await query.answer(words.stale_button)

    @contextlib.asynccontextmanager
    async def _in_order(self, user_id: int) -> AsyncIterator[None]:
        """One person's taps take effect one after another, so the last label drawn is right."""
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        async with lock:
            yield
        if not lock.locked():
            self._locks.pop(user_id, None)

    async def _open(self, query: CallbackQuery, paper: str) -> None:
        """A /foryou button: the paper's card, posted in the chat the list is in."""
        message = query.message
        if not isinstance(message, Message):
            await query.answer()
            return
        language = await self._service.language_of(PLATFORM, str(message.chat.id))
        cards = await self._service.share_cards(paper, language)
        await query.answer()
        if cards:
            text, markup = card_message(cards[0].card)
            await message.reply_html(text, reply_markup=markup, link_preview_options=NO_PREVIEW)

    async def _toggle(self, query: CallbackQuery, data: str, paper: str, words: Messages) -> None:
        try:
            chat = query.message.chat.id if query.message else None
            toggle = await self._service.toggle_favorite(
                PLATFORM,
                str(query.from_user.id),
                paper,
                chat_id=None if chat is None else str(chat),
            )
        except UnknownPaper:
            await query.answer(words.card_out_of_date, show_alert=True)
            return
        await query.answer(words.tap_saved if toggle.saved else words.tap_removed)
        message = query.message
        # Cards shared through inline mode come without a message and stay as they are.
        if not isinstance(message, Message) or message.reply_markup is None:
            return
        private = message.chat.type == ChatType.PRIVATE
        markup = relabel_star(
            message.reply_markup,
            data,
            starred=toggle.saved if private else None,
            count=None if private else toggle.count,
        )
        await _quietly(message.edit_reply_markup(markup))

    async def _browse(
        self, query: CallbackQuery, owner: str, page: int, remove: str | None, words: Messages
    ) -> None:
        user_id = str(query.from_user.id)
        if user_id != owner:
            await query.answer(words.not_your_list, show_alert=True)
            return
        answer = None
        if remove is not None:
            removed = await self._service.remove_favorite(PLATFORM, user_id, remove)
            answer = words.tap_removed if removed else words.tap_already_removed
        favorites = await self._service.favorites_page(PLATFORM, user_id, page)
        await query.answer(answer)
        message = query.message
        if not isinstance(message, Message):
            return
        language = await self._service.language_of(PLATFORM, str(message.chat.id))
        text, markup = favorites_message(
            favorites, user_id, owner_name(message, query.from_user), language
        )
        await _quietly(
            message.edit_text(
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            )
        )


async def _quietly(edit: Awaitable[object]) -> None:
    """Edits only refresh a button or a page; the tap was already answered."""
    try:
        await edit
    except TelegramError as error:
        if not is_not_modified(error):
            log.info("Telegram refused an edit: %s", error)
