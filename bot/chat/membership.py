"""What a platform reports about the bot's place in a chat: blocked, removed, back, moved.

A chat the bot leaves keeps its settings, so being added back resumes deliveries where
they stopped; a group that changes its ID (a Telegram supergroup) keeps everything.
"""

from __future__ import annotations

import logging

from bot.store import Store

log = logging.getLogger(__name__)


class Membership:
    """Mixed into `Service`, so adapters reach the store only through the core."""

    _store: Store

    async def chat_left(self, platform: str, chat_id: str, reason: str) -> None:
        """The bot can no longer post there (`reason` is kept for the operator)."""
        chat = await self._store.get_chat(platform, chat_id)
        if chat is not None and chat.active:
            await self._store.deactivate_chat(chat.id, reason)

    async def chat_returned(self, platform: str, chat_id: str) -> None:
        """The bot may post there again: deliveries resume with the old settings."""
        chat = await self._store.get_chat(platform, chat_id)
        if chat is not None and not chat.active:
            await self._store.reactivate_chat(chat.id)

    async def chat_moved(self, platform: str, old_id: str, new_id: str) -> None:
        """The chat now has `new_id`; moving twice, or a chat the bot never served, is fine."""
        try:
            await self._store.migrate_chat(platform, old_id, new_id)
        except LookupError:
            return
        log.info("%s chat %s is now %s", platform, old_id, new_id)
