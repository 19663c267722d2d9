"""Commands on Telegram: which ones are ours, who sent them, and the replies drawn.

In groups a bare command may be meant for another bot there, so only ours are taken;
an addressed one (`/help@otherbot`) is left alone. Replies quote the command in groups
(python-telegram-bot's default), not in private chats.
"""

from __future__ import annotations

from functools import partial

from telegram import InlineKeyboardMarkup, InputFile, Message, Update
from telegram.constants import ChatType

from bot.chat.commands import COMMANDS
from bot.chat.replies import (
    CardReply,
    Confirm,
    Document,
    FavoritesPage,
    ForYouList,
    Notice,
    Reply,
)
from bot.chat.service import Caller, Service
from handlers.telegram.markup import (
    NO_PREVIEW,
    card_message,
    favorites_message,
    text_parts,
)
from handlers.telegram.people import PLATFORM, caller_of, can_manage, owner_name
from handlers.telegram.ranking import confirm_markup, for_you_markup
from handlers.telegram.sending import Sender

_OUR_COMMANDS = frozenset({c.name for c in COMMANDS} | {"start", "list"})


class Commands:
    def __init__(self, service: Service, sender: Sender) -> None:
        self._service = service
        self._sender = sender

    async def on_command(self, update: Update) -> None:
        message = update.effective_message
        if message is None or not message.text or not message.entities:
            return
        token = message.parse_entity(message.entities[0])
        name, _, addressee = token[1:].partition("@")
        name = name.lower()
        if addressee and addressee.lower() != (update.get_bot().username or "").lower():
            return
        if message.chat.type != ChatType.PRIVATE and not addressee and name not in _OUR_COMMANDS:
            return
        caller = caller_of(message)
        replies = await self._service.handle(
            caller,
            name,
            message.text[len(token) :].strip(),
            can_manage=partial(can_manage, message),
        )
        for reply in replies:
            parts = (
                [Notice(t) for t in text_parts(reply.text)]
                if isinstance(reply, Notice)
                else [reply]
            )
            for part in parts:
                sent = await self._sender.reply(
                    caller.chat_id, partial(self._send_reply, message, caller, part)
                )
                if not sent:
                    return

    async def _send_reply(self, message: Message, caller: Caller, reply: Reply) -> None:
        if isinstance(reply, Notice):
            await message.reply_text(
                reply.text, link_preview_options=NO_PREVIEW, allow_sending_without_reply=True
            )
        elif isinstance(reply, CardReply | FavoritesPage):
            text, markup = await self._html_reply(message, caller, reply)
            await message.reply_html(
                text,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
                allow_sending_without_reply=True,
            )
        elif isinstance(reply, ForYouList):
            *first, last = text_parts(reply.text)
            for part in first:
                await message.reply_text(
                    part, link_preview_options=NO_PREVIEW, allow_sending_without_reply=True
                )
            await message.reply_text(
                last,
                reply_markup=for_you_markup(reply),
                link_preview_options=NO_PREVIEW,
                allow_sending_without_reply=True,
            )
        elif isinstance(reply, Confirm):
            await message.reply_text(
                reply.text, reply_markup=confirm_markup(reply), allow_sending_without_reply=True
            )
        elif isinstance(reply, Document):
            await message.reply_document(
                InputFile(reply.content, filename=reply.filename),
                caption=reply.caption,
                allow_sending_without_reply=True,
            )

    async def _html_reply(
        self, message: Message, caller: Caller, reply: CardReply | FavoritesPage
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        if isinstance(reply, CardReply):
            starred = (
                caller.chat_kind == "private"
                and caller.user_id is not None
                and await self._service.is_favorite(PLATFORM, caller.user_id, reply.card.arxiv_id)
            )
            return card_message(reply.card, starred=starred)
        if caller.user_id is None:
            raise ValueError("a favorites page needs the person it belongs to")
        language = await self._service.language_of(PLATFORM, caller.chat_id)
        return favorites_message(reply, caller.user_id, owner_name(message), language)
