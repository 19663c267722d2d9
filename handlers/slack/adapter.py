"""The Slack adapter: a slack-bolt AsyncApp for what people do, and posting for the outbox.

Slack's requests arrive over Socket Mode when SLACK_APP_TOKEN is set (no public URL
needed), otherwise at POST /slack/events on SLACK_HTTP_HOST:SLACK_HTTP_PORT, where
`SignatureCheck` refuses anything Slack did not sign (401) before any listener runs.

Two Web API clients share the token. Scheduled deliveries use one without retries, so a
429, a timeout or a refusal reaches the dispatcher as `RetryLater`, `OutcomeUnknown` or
`ChatGone` and the dispatcher alone paces and retries. Everything else (replies to
commands, thread replies, App Home) uses one that waits out Slack's `Retry-After` itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.signature import Clock
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards.cards import Card
from bot.chat.service import Service
from bot.delivery.platforms import DigestEntry, RateLimits
from bot.delivery.ratelimit import limiter_for
from bot.schedule.leader import Cluster
from bot.support.config import ConfigError, Settings
from handlers.slack import blocks, reactions
from handlers.slack.dedupe import SharedEventGuard
from handlers.slack.interactions import Interactions, SubscribePolicy
from handlers.slack.posting import CALL_FAILURES, delivery_error, post_card
from handlers.slack.security import ReplayGuard, SignatureCheck

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)


class _SameToken(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment too, and warns at every start that
    it goes unused beside the client, which holds that very token."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


_bolt_log = logging.getLogger(f"{__name__}.bolt")
_bolt_log.addFilter(_SameToken())

EVENTS_PATH = "/slack/events"
# Seconds a Web API call may take before it counts as unanswered.
DEFAULT_TIMEOUT = 30
# How long `stop` lets started replies finish before cancelling them.
_DRAIN_SECONDS = 5.0
# Rate-limited replies: wait out Retry-After this many times before giving up.
_RATE_LIMIT_RETRIES = 3
# Longest pause between two sign-in attempts while Slack does not answer.
_MAX_SIGN_IN_DELAY = 60.0


class SlackAdapter:
    name = "slack"
    # Slack allows about one message a second per channel and several hundred a minute per
    # workspace; a card is two messages (the post and its thread reply).
    limits = RateLimits(global_per_second=2.0, per_chat_per_second=0.5)

    def __init__(
        self,
        settings: Settings,
        service: Service,
        *,
        stop: asyncio.Event | None = None,
        clock: Clock | None = None,
        timeout: int = DEFAULT_TIMEOUT,
        cluster: Cluster | None = None,
    ) -> None:
        """`stop` is set to end the bot when Slack cannot be served; `clock` is what request
        signatures are checked against (tests set it); `cluster`, when given, makes an
        event handled once across every replica."""
        if settings.SLACK_BOT_TOKEN is None:
            raise ConfigError("SLACK_BOT_TOKEN: needed to run the Slack adapter")
        token = settings.SLACK_BOT_TOKEN.get_secret_value()
        self._app_token = settings.SLACK_APP_TOKEN
        signing_secret = settings.SLACK_SIGNING_SECRET
        if self._app_token is None and signing_secret is None:
            raise ConfigError(
                "SLACK_SIGNING_SECRET is needed to verify Slack's requests in HTTP mode "
                "(or set SLACK_APP_TOKEN to use Socket Mode)"
            )
        base_url = settings.SLACK_API_URL.rstrip("/") + "/"
        self._outbox = AsyncWebClient(
            token=token, base_url=base_url, timeout=timeout, retry_handlers=[]
        )
        self.client = AsyncWebClient(
            token=token,
            base_url=base_url,
            timeout=timeout,
            retry_handlers=[
                AsyncConnectionErrorRetryHandler(),
                AsyncRateLimitErrorRetryHandler(max_retry_count=_RATE_LIMIT_RETRIES),
            ],
        )
        verification = (
            None
            if signing_secret is None
            else SignatureCheck(signing_secret.get_secret_value(), clock or Clock())
        )
        self.app = AsyncApp(
            logger=_bolt_log,
            client=self.client,
            request_verification_enabled=False,
            before_authorize=verification,
        )
        self.app.use(ReplayGuard())
        if cluster is not None:
            self.app.use(SharedEventGuard(cluster))
        self._interactions = Interactions(
            service,
            self.client,
            SubscribePolicy(settings.SLACK_SUBSCRIBE_POLICY),
            self._spawn,
            limiter_for(self),
        )
        self._interactions.register(self.app)
        reactions.register(self.app, service)
        self._host = settings.SLACK_HTTP_HOST
        self._port = settings.SLACK_HTTP_PORT
        self._runner: web.AppRunner | None = None
        self._socket_mode: AsyncSocketModeHandler | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._stop = stop or asyncio.Event()
        self.port: int | None = None

    # -- Platform -----------------------------------------------------------------------------

    def is_group(self, chat_id: str) -> bool:
        return not chat_id.startswith("D")

    async def send_card(self, chat_id: str, card: Card) -> str:
        try:
            return await post_card(self._outbox, self.client, chat_id, card)
        except CALL_FAILURES as exc:
            raise delivery_error(exc) from exc

    async def send_digest(
        self, chat_id: str, title: str, entries: list[DigestEntry], language: str
    ) -> str:
        return await self._post(chat_id, blocks.digest(title, entries, language))

    async def send_notice(self, chat_id: str, text: str) -> str:
        return await self._post(chat_id, blocks.notice(text))

    async def _post(self, chat_id: str, message: blocks.Message) -> str:
        try:
            response = await self._outbox.chat_postMessage(
                channel=chat_id,
                text=message.text,
                blocks=message.blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        except CALL_FAILURES as exc:
            raise delivery_error(exc) from exc
        return str(response["ts"])

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Sign in, then take Slack's requests. A refused token, or a port or socket that
        cannot be opened, is one log line and a request to stop the whole bot; Slack not
        answering yet is waited out."""
        if not await self._sign_in():
            return
        try:
            if self._app_token is None:
                await self._listen()
            else:
                await self._connect_socket_mode(self._app_token.get_secret_value())
        except SlackApiError as exc:
            log.error(
                "Slack refused SLACK_APP_TOKEN (%s); generate an app-level token with the "
                "connections:write scope under the app's Basic Information",
                exc.response.get("error"),
            )
            self._stop.set()
        except (OSError, aiohttp.ClientError) as exc:
            log.error("Slack could not start: %s", exc)
            self._stop.set()

    async def _sign_in(self) -> bool:
        delay = 1.0
        while not self._stop.is_set():
            try:
                identity = await self.client.auth_test()
            except SlackApiError as exc:
                log.error(
                    "Slack refused SLACK_BOT_TOKEN (%s); copy the Bot User OAuth Token (xoxb-…) "
                    "from the app's OAuth & Permissions page",
                    exc.response.get("error"),
                )
                self._stop.set()
                return False
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.warning("Slack does not answer (%s); trying again in %gs", exc, delay)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), delay)
                delay = min(delay * 2, _MAX_SIGN_IN_DELAY)
                continue
            log.info("Slack: signed in as @%s in %s", identity.get("user"), identity.get("team"))
            return True
        return False

    async def _listen(self) -> None:
        server = web.Application()
        server.router.add_post(EVENTS_PATH, self._on_request)
        self._runner = web.AppRunner(server, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET6 if ":" in self._host else socket.AF_INET)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self._host, self._port))
        except OSError as exc:
            sock.close()
            raise OSError(f"cannot listen on {self._host}:{self._port}: {exc.strerror}") from exc
        await web.SockSite(self._runner, sock).start()
        self.port = sock.getsockname()[1]
        log.info("Slack: HTTP mode, listening on %s:%s%s", self._host, self.port, EVENTS_PATH)

    async def _connect_socket_mode(self, app_token: str) -> None:
        # Asked here rather than by slack-sdk, which retries a refused token forever.
        opened = await self.client.apps_connections_open(app_token=app_token)
        self._socket_mode = AsyncSocketModeHandler(self.app, app_token, web_client=self.client)
        self._socket_mode.client.wss_uri = str(opened["url"])
        await self._socket_mode.connect_async()  # type: ignore[no-untyped-call]
        log.info("Slack: Socket Mode connected")

    async def stop(self) -> None:
        if self._socket_mode is not None:
            await self._socket_mode.close_async()  # type: ignore[no-untyped-call]
            self._socket_mode = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tasks:
            _, pending = await asyncio.wait(self._tasks, timeout=_DRAIN_SECONDS)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    async def _on_request(self, request: web.Request) -> web.Response:
        response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        """Run what follows an acknowledgement, keeping the task so `stop` can finish it."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("Slack: handling a request failed", exc_info=task.exception())


def create(settings: Settings, core: Core) -> SlackAdapter | None:
    """The adapter when SLACK_BOT_TOKEN is set, else None; settings it cannot run with stop
    the bot with one log line."""
    if settings.SLACK_BOT_TOKEN is None:
        return None
    try:
        return SlackAdapter(settings, core.service, stop=core.stop, cluster=core.cluster)
    except ConfigError as exc:
        log.error("Slack cannot start: %s", exc)
        core.stop.set()
        return None
