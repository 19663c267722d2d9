"""Ranking on Telegram: emoji reactions on cards, and the `/forget` confirmation buttons.

Telegram offers no ⭐ reaction, so ❤ stands for ☆; 👍 and 🔥 mean "more like this", 👎 "less
like this". Telegram sends `message_reaction` updates only to a bot that lists them in
`allowed_updates`, and in groups only when the bot is an administrator. A reaction names a
message, not a paper: only cards the bot delivered (one paper each) can be read back.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReactionTypeEmoji,
    Update,
)

from bot.chat.ranking import RankingCommands, Reaction
from bot.chat.replies import Confirm, ForYouList
from bot.render.buttons import OpenCard, encode
from bot.support.config import Language
from bot.words.ranking import RANKING_MESSAGES

PLATFORM = "telegram"
REACTIONS: dict[str, Reaction] = {
    "❤": "star",
    "❤️": "star",
    "👍": "more",
    "🔥": "more",
    "👎": "less",
}
_CONFIRM_PREFIX = "forget:"


def confirm_markup(confirm: Confirm) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    confirm.confirm, callback_data=f"{_CONFIRM_PREFIX}yes:{confirm.owner}"
                ),
                InlineKeyboardButton(
                    confirm.cancel, callback_data=f"{_CONFIRM_PREFIX}no:{confirm.owner}"
                ),
            ]
        ]
    )


def for_you_markup(listing: ForYouList) -> InlineKeyboardMarkup:
    """One numbered 📄 button per paper, five a row; a tap opens that paper's card."""
    buttons = [
        InlineKeyboardButton(f"📄 {number}", callback_data=encode(OpenCard(paper)))
        for number, paper in enumerate(listing.papers, 1)
    ]
    return InlineKeyboardMarkup([buttons[i : i + 5] for i in range(0, len(buttons), 5)])


def is_confirm(data: str) -> bool:
    return data.startswith(_CONFIRM_PREFIX)


async def on_confirm(query: CallbackQuery, ranking: RankingCommands, language: Language) -> None:
    """Only the person who sent `/forget` can answer its question."""
    answer, _, owner = (query.data or "").removeprefix(_CONFIRM_PREFIX).partition(":")
    if owner != str(query.from_user.id):
        await query.answer(RANKING_MESSAGES[language].forget_not_yours, show_alert=True)
        return
    if answer == "yes":
        text = await ranking.forget(PLATFORM, owner, language)
    else:
        text = ranking.cancelled(language)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(text)


def reaction_callback(ranking: RankingCommands) -> Callable[[Update], Coroutine[Any, Any, None]]:
    """The `MessageReactionHandler` callback: each emoji put on or taken off, in turn."""

    async def on_reaction(update: Update) -> None:
        change = update.message_reaction
        # Anonymous reactions (by a chat, not a person) teach no one's model.
        if change is None or change.user is None:
            return
        old = {r.emoji for r in change.old_reaction if isinstance(r, ReactionTypeEmoji)}
        new = {r.emoji for r in change.new_reaction if isinstance(r, ReactionTypeEmoji)}
        for emoji, on in [*((e, True) for e in new - old), *((e, False) for e in old - new)]:
            reaction = REACTIONS.get(emoji)
            if reaction is not None:
                await ranking.react(
                    PLATFORM,
                    str(change.chat.id),
                    str(change.user.id),
                    str(change.message_id),
                    reaction,
                    on=on,
                )

    return on_reaction
