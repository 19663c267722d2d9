"""Who is asking on Telegram, where, and in which language.

Posts made as a chat (channel posts, anonymous group admins) belong to no one person, and
whether someone administers a group is asked of Telegram each time, never remembered.
"""

from __future__ import annotations

from telegram import Message, User
from telegram.constants import ChatMemberStatus, ChatType

from bot.chat.service import Caller, ChatKind
from bot.support.config import Language

PLATFORM = "telegram"
MANAGERS = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)


def caller_of(message: Message) -> Caller:
    chat = message.chat
    kind: ChatKind = (
        "private"
        if chat.type == ChatType.PRIVATE
        else "channel"
        if chat.type == ChatType.CHANNEL
        else "group"
    )
    person = message.from_user if message.sender_chat is None else None
    return Caller(
        PLATFORM,
        str(chat.id),
        kind,
        str(person.id) if person else None,
        chat.effective_name,
        person.full_name if person else None,
    )


async def can_manage(message: Message) -> bool:
    """Whether the sender administers the chat, as Telegram says right now."""
    if message.sender_chat is not None:
        # Posted as the chat itself: a channel's own post or an anonymous group admin.
        return message.sender_chat.id == message.chat.id
    if message.from_user is None:
        return False
    member = await message.chat.get_member(message.from_user.id)
    return member.status in MANAGERS


def owner_name(message: Message, user: User | None = None) -> str | None:
    """Whose favorites a group sees; None in a private chat, where they are "yours"."""
    if message.chat.type == ChatType.PRIVATE:
        return None
    owner = user or message.from_user
    return owner.first_name if owner else None


def language_of(user: User | None, default: Language) -> Language:
    """A person's own language for what only they see (tap answers, inline results)."""
    code = (user.language_code or "") if user else ""
    if code.lower().startswith("zh"):
        return "zh"
    return "en" if code else default
