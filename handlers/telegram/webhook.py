"""The HTTP endpoint Telegram posts updates to in webhook mode.

python-telegram-bot's own webhook server compares the secret token with `!=`, which
leaks through timing how much of a guess was right; this one compares in constant time
and refuses the request before reading its body. Accepted updates go to the
Application's update queue, exactly where polling puts them.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

from aiohttp import web
from telegram import Bot, Update

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are small; anything bigger is not from Telegram.
MAX_BODY_BYTES = 1024 * 1024


class WebhookServer:
    def __init__(
        self,
        bot: Bot,
        queue: asyncio.Queue[Any],
        *,
        secret: str,
        listen: str,
        port: int,
        path: str,
    ) -> None:
        self._bot = bot
        self._queue = queue
        self._secret = secret.encode()
        self._listen = listen
        self._port = port
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_post(path or "/", self._receive)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)

    async def start(self) -> None:
        await self._runner.setup()
        await web.TCPSite(self._runner, self._listen, self._port).start()

    async def stop(self) -> None:
        await self._runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        offered = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(offered, self._secret):
            log.warning("Refused a webhook request without the right secret token")
            return web.Response(status=403, text="wrong secret token")
        try:
            data = await request.json()
            update = Update.de_json(data, self._bot) if isinstance(data, dict) else None
        except (ValueError, TypeError, AttributeError, KeyError):
            update = None
        if update is None:
            log.warning("Refused a webhook request that is not a Telegram update")
            return web.Response(status=400, text="not a Telegram update")
        await self._queue.put(update)
        return web.Response(text="ok")
