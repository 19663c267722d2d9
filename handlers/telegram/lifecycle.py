"""Running the Telegram bot: connecting, the command menu, long polling or a webhook.

With replicas on one database, only the one holding the long-polling lease calls
getUpdates (`handlers.telegram.polling`); in webhook mode every replica serves.

A failure to start is one log line and a request to stop the whole bot, never a traceback
loop: the operator has something to fix. Telegram not answering yet is waited out. A 409
Conflict means another process polls with this token; polling ends at once, without the
last getUpdates python-telegram-bot sends on stop, which would cut off the other process's
poll in turn so that both stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from telegram import BotCommand, Update
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError
from telegram.ext import Application

from bot.chat.commands import COMMANDS
from bot.schedule.leader import Cluster
from bot.support.config import Settings
from bot.words.messages import MESSAGES
from handlers.telegram.polling import PollingLease
from handlers.telegram.webhook import WebhookServer

log = logging.getLogger(__name__)

ALLOWED_UPDATES = (
    Update.MESSAGE,
    Update.CHANNEL_POST,
    Update.CALLBACK_QUERY,
    Update.INLINE_QUERY,
    Update.MY_CHAT_MEMBER,
    # ❤ 👍 🔥 👎 on cards teach ranking; Telegram sends reactions only when asked for.
    Update.MESSAGE_REACTION,
)
# How long one getUpdates waits for updates.
POLL_TIMEOUT_SECONDS = 30.0


def _derived_secret(token: str) -> str:
    """The webhook secret when none is configured: unguessable without the bot token, and
    the same on every replica and restart, so each accepts what Telegram posts with the
    secret whichever of them registered the webhook last."""
    return hmac.new(token.encode(), b"paperbell webhook secret", hashlib.sha256).hexdigest()


class _Superseded(Exception):
    """Another process polls with this token; polling must end without one last getUpdates."""


class Lifecycle:
    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        settings: Settings,
        stop: asyncio.Event,
        cluster: Cluster | None = None,
    ) -> None:
        """`cluster`: the replicas this one may share the token with; None polls alone."""
        self._app = app
        self._stop = stop
        self._polling = (
            None
            if cluster is None
            else PollingLease(cluster, start_polling=self._poll, stop_polling=self._stop_polling)
        )
        self._api_url = settings.TELEGRAM_API_URL.rstrip("/")
        self._webhook_url = settings.TELEGRAM_WEBHOOK_URL
        secret = settings.TELEGRAM_WEBHOOK_SECRET
        token = settings.TELEGRAM_BOT_TOKEN
        self._webhook_secret = (
            secret.get_secret_value()
            if secret
            else _derived_secret(token.get_secret_value() if token else "")
        )
        self._webhook_listen = settings.TELEGRAM_WEBHOOK_LISTEN
        self._webhook_port = settings.TELEGRAM_WEBHOOK_PORT
        self._webhook: WebhookServer | None = None

    async def start(self) -> None:
        """Connect, register the command menu, then poll or listen for the webhook."""
        try:
            if not await self._connect():
                return
            await self._register_commands()
            await self._app.start()
            if self._webhook_url:
                await self._start_webhook(self._webhook_url)
            else:
                await self._start_polling()
        except (TelegramError, OSError) as error:
            log.error("Telegram could not start: %s", error)
            self._stop.set()
            return
        mode = f"webhook {self._webhook_url}" if self._webhook_url else "long polling"
        log.info("Telegram: @%s is up (%s)", self._app.bot.username, mode)

    async def stop_updates(self) -> None:
        """Stop taking updates; handlers already running go on."""
        if self._webhook is not None:
            await self._webhook.stop()
        if self._polling is not None:
            await self._polling.stop()
        await self._stop_polling()

    async def close(self) -> None:
        if self._app.running:
            await self._app.stop()
        await self._app.shutdown()

    async def _connect(self) -> bool:
        """getMe until Telegram answers: a bot started before the network is up waits for it."""
        delay = 1.0
        while True:
            try:
                await self._app.initialize()
                return True
            except InvalidToken:
                log.error("Telegram refused TELEGRAM_BOT_TOKEN; check it with @BotFather (/token)")
                self._stop.set()
                return False
            except NetworkError as error:
                log.warning(
                    "Telegram is unreachable at %s (%s); trying again in %gs",
                    self._api_url,
                    error,
                    delay,
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)
            if self._stop.is_set():
                return False
            delay = min(delay * 2, 30.0)

    async def _register_commands(self) -> None:
        """The command menu in English and Chinese; without it the bot still works."""
        bot = self._app.bot
        try:
            await bot.set_my_commands([BotCommand(c.name, c.summary) for c in COMMANDS])
            await bot.set_my_commands(
                [
                    BotCommand(c.name, MESSAGES["zh"].summaries.get(c.name, c.summary))
                    for c in COMMANDS
                ],
                language_code="zh",
            )
        except TelegramError as error:
            log.warning("Telegram refused the command menu: %s", error)

    async def _start_polling(self) -> None:
        """Poll now, or while this replica holds the long-polling lease."""
        if self._polling is None:
            await self._poll()
            return
        await self._polling.start()
        if not self._polling.polling:
            log.info("Telegram: another replica takes the updates by long polling; standing by")

    async def _poll(self) -> None:
        updater = self._app.updater
        if updater is None:
            raise RuntimeError("the application was built without an updater")
        await updater.start_polling(
            timeout=timedelta(seconds=POLL_TIMEOUT_SECONDS),
            allowed_updates=ALLOWED_UPDATES,
            error_callback=self._on_polling_error,
        )

    async def _stop_polling(self) -> None:
        updater = self._app.updater
        if updater is not None and updater.running:
            with contextlib.suppress(_Superseded):
                await updater.stop()

    async def _start_webhook(self, url: str) -> None:
        self._webhook = WebhookServer(
            self._app.bot,
            self._app.update_queue,
            secret=self._webhook_secret,
            listen=self._webhook_listen,
            port=self._webhook_port,
            path=urlsplit(url).path,
        )
        await self._webhook.start()
        await self._app.bot.set_webhook(
            url, secret_token=self._webhook_secret, allowed_updates=ALLOWED_UPDATES
        )

    def _on_polling_error(self, error: TelegramError) -> None:
        """Called by python-telegram-bot's polling loop, which retries after returning."""
        if isinstance(error, Conflict):
            log.error(
                "Telegram: another process is taking this bot's updates (409 Conflict: %s). "
                "Stopping; run one paperbell per bot token, or replicas sharing one "
                "PostgreSQL DATABASE_URL.",
                error,
            )
            self._stop.set()
            raise _Superseded from error
        log.warning("Telegram polling failed, retrying: %s", error)
