"""The bot's place in a chat, as Telegram reports it: blocked, removed, back, migrated.

The core decides what that means for deliveries; this module only reads Telegram's updates.
"""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType

from bot.chat.service import Service
from handlers.telegram.people import MANAGERS, PLATFORM

_PRESENT = (ChatMemberStatus.MEMBER, *MANAGERS)
_REMOVED = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)


class Membership:
    def __init__(self, service: Service) -> None:
        self._service = service

    async def on_membership(self, update: Update) -> None:
        """Follow the bot being blocked, removed, unblocked or added back."""
        change = update.my_chat_member
        if change is None:
            return
        chat_id = str(change.chat.id)
        status = change.new_chat_member.status
        if status in _REMOVED:
            private = change.chat.type == ChatType.PRIVATE
            reason = "the user blocked the bot" if private else "the bot was removed from the chat"
            await self._service.chat_left(PLATFORM, chat_id, reason)
        elif status in _PRESENT:
            await self._service.chat_returned(PLATFORM, chat_id)

    async def on_migration(self, update: Update) -> None:
        """A group became a supergroup: its subscriptions follow it to the new chat ID.

        Telegram posts this in both chats; moving twice is harmless.
        """
        message = update.effective_message
        if message is None:
            return
        if message.migrate_to_chat_id:
            old, new = message.chat.id, message.migrate_to_chat_id
        elif message.migrate_from_chat_id:
            old, new = message.migrate_from_chat_id, message.chat.id
        else:
            return
        await self._service.chat_moved(PLATFORM, str(old), str(new))
