"""paperbell on Telegram: commands, ☆ taps, favorites pages and inline shares in; cards out.

Every update becomes a call into the platform-neutral `Service`; this module wires
python-telegram-bot's handlers to the modules beside it, one per kind of update
(`commands`, `taps`, `sharing`, `membership`), with running in `lifecycle` and every
message out in `sending`. A new kind of update is a new module and one handler here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    MessageReactionHandler,
    filters,
)

from bot.cards.cards import Card
from bot.chat.service import Service
from bot.delivery.platforms import DigestEntry, RateLimits
from bot.delivery.ratelimit import limiter_for
from bot.render.escape import html_text
from bot.schedule.leader import Cluster
from bot.support.config import Settings
from bot.words.messages import MESSAGES
from handlers.telegram.commands import Commands
from handlers.telegram.lifecycle import Lifecycle
from handlers.telegram.markup import card_message, digest_message
from handlers.telegram.membership import Membership
from handlers.telegram.people import PLATFORM, language_of
from handlers.telegram.ranking import reaction_callback
from handlers.telegram.sending import Sender, is_group
from handlers.telegram.sharing import Sharing
from handlers.telegram.taps import Taps

log = logging.getLogger(__name__)

# How long a stop lets handlers finish.
STOP_GRACE_SECONDS = 3.0

Context = ContextTypes.DEFAULT_TYPE
Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]


class TelegramAdapter:
    name = PLATFORM
    # Telegram's published limits: 30 messages a second overall, about one a second in a
    # chat, 20 a minute in a group. Channels share negative IDs with groups and are
    # counted as groups, which only errs on the slow side.
    limits = RateLimits(global_per_second=30.0, per_chat_per_second=1.0, per_group_per_minute=20.0)

    def __init__(
        self,
        settings: Settings,
        service: Service,
        stop: asyncio.Event,
        *,
        request_timeout: float = 10.0,
        cluster: Cluster | None = None,
    ) -> None:
        """`cluster`: the replicas sharing this bot token, one of which long-polls."""
        if settings.TELEGRAM_BOT_TOKEN is None:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        self._service = service
        self._default_language = settings.DEFAULT_LANGUAGE
        self._in_flight: set[asyncio.Task[Any]] = set()
        api_url = settings.TELEGRAM_API_URL.rstrip("/")
        self._app = (
            Application.builder()
            .token(settings.TELEGRAM_BOT_TOKEN.get_secret_value())
            .base_url(f"{api_url}/bot")
            .base_file_url(f"{api_url}/file/bot")
            .connect_timeout(request_timeout)
            .read_timeout(request_timeout)
            .write_timeout(request_timeout)
            # A /paper waiting for arXiv must not hold up everyone else's taps.
            .concurrent_updates(True)
            .job_queue(None)
            .build()
        )
        self._lifecycle = Lifecycle(self._app, settings, stop, cluster)
        self._sender = Sender(self._app.bot, limiter_for(self))
        commands = Commands(service, self._sender)
        taps = Taps(service, self._default_language)
        sharing = Sharing(service, self._default_language)
        membership = Membership(service)
        self._app.add_handlers(
            [
                MessageHandler(
                    filters.StatusUpdate.MIGRATE, self._tracked(membership.on_migration)
                ),
                MessageHandler(
                    filters.COMMAND
                    & (filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST),
                    self._tracked(commands.on_command),
                ),
                CallbackQueryHandler(self._tracked(taps.on_tap)),
                InlineQueryHandler(self._tracked(sharing.on_inline_query)),
                ChatMemberHandler(self._tracked(membership.on_membership)),
                MessageReactionHandler(self._tracked(reaction_callback(service.ranking))),
            ]
        )
        self._app.add_error_handler(self._on_error)

    async def start(self) -> None:
        await self._lifecycle.start()

    async def stop(self) -> None:
        await self._lifecycle.stop_updates()
        await self._let_handlers_finish()
        await self._lifecycle.close()

    # -- delivery (Platform) ---------------------------------------------------------------

    def is_group(self, chat_id: str) -> bool:
        return is_group(chat_id)

    async def send_card(self, chat_id: str, card: Card) -> str:
        starred = not self.is_group(chat_id) and await self._service.is_favorite(
            PLATFORM, chat_id, card.arxiv_id
        )
        text, markup = card_message(card, starred=starred)
        return await self._sender.post(chat_id, text, markup)

    async def send_notice(self, chat_id: str, text: str) -> str:
        return await self._sender.post(chat_id, html_text(text), None)

    async def send_digest(
        self, chat_id: str, title: str, entries: list[DigestEntry], language: str
    ) -> str:
        text, markup = digest_message(title, entries, "zh" if language == "zh" else "en")
        return await self._sender.post(chat_id, text, markup)

    # -- updates ---------------------------------------------------------------------------

    def _tracked(self, handle: Callable[[Update], Coroutine[Any, Any, None]]) -> Callback:
        async def run(update: Update, context: Context) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._in_flight.add(task)
            try:
                await handle(update)
            finally:
                self._in_flight.discard(task)

        return run

    async def _let_handlers_finish(self) -> None:
        """Give work in progress a moment, then cancel it: a stop must not wait on arXiv."""
        if not self._in_flight:
            return
        _, late = await asyncio.wait(set(self._in_flight), timeout=STOP_GRACE_SECONDS)
        for task in late:
            task.cancel()

    async def _on_error(self, update: object, context: Context) -> None:
        """Log what failed and, where someone is waiting for an answer, apologise."""
        log.error("Telegram update failed: %r", context.error, exc_info=context.error)
        if not isinstance(update, Update):
            return
        sorry = MESSAGES[language_of(update.effective_user, self._default_language)].sorry
        message = update.effective_message
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(sorry, show_alert=True)
            elif message is not None and message.text and message.text.startswith("/"):
                await message.reply_text(sorry, allow_sending_without_reply=True)
        except TelegramError as error:
            log.info("Could not apologise on Telegram either: %s", error)
