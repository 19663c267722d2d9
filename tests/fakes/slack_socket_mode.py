"""Slack's Socket Mode on 127.0.0.1, in front of a `FakeSlack`.

The app's Web API base URL points here. `apps.connections.open` takes only the app-level
token (xapp-…) and hands out a WebSocket URL; on that socket the fake says hello, sends
envelopes (slash commands, interactive payloads, Events API callbacks) as Slack does and
reads the app's acknowledgements. Every other Web API call is passed through unchanged to
the `FakeSlack`, which answers and records it.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from types import TracebackType
from typing import Any, Self

import aiohttp
from aiohttp import web

from tests.fakes.slack_server import FakeSlack

APP_TOKEN = "xapp-1-A0PAPERBELL-1000-fakeapptoken"
# Slack gives up on an envelope the app has not acknowledged by then.
ACK_SECONDS = 3.0
_PASSED_HEADERS = ("Authorization", "Content-Type")


class FakeSocketMode:
    def __init__(self, slack: FakeSlack, *, app_token: str = APP_TOKEN) -> None:
        self.slack = slack
        self.app_token = app_token
        self.url = ""
        self.connections = 0
        self._socket: web.WebSocketResponse | None = None
        self._connected = asyncio.Event()
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.add_routes(
            [
                web.post("/api/apps.connections.open", self._open),
                web.route("*", "/api/{method}", self._pass_through),
                web.get("/link", self._link),
            ]
        )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_connected(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            await self._connected.wait()

    async def send(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Deliver one envelope of `kind` (slash_commands, interactive, events_api) and
        return the app's acknowledgement, which Slack requires within three seconds."""
        await self.wait_connected()
        assert self._socket is not None
        envelope_id = str(uuid.uuid4())
        acked = asyncio.get_running_loop().create_future()
        self._acks[envelope_id] = acked
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        await self._socket.send_str(json.dumps(envelope))
        async with asyncio.timeout(ACK_SECONDS):
            return await acked

    async def _open(self, request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not token:
            return web.json_response({"ok": False, "error": "not_authed"})
        if token == self.slack.token:
            return web.json_response({"ok": False, "error": "not_allowed_token_type"})
        if token != self.app_token:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        return web.json_response({"ok": True, "url": self.url.replace("http", "ws", 1) + "/link"})

    async def _link(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._socket = ws
        self.connections += 1
        await ws.send_str(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "connection_info": {"app_id": "A0PAPERBELL"},
                    "debug_info": {"host": "fake-socket-mode"},
                }
            )
        )
        self._connected.set()
        async for message in ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue
            ack = json.loads(message.data)
            waiter = self._acks.pop(str(ack.get("envelope_id")), None)
            if waiter is not None and not waiter.done():
                waiter.set_result(ack.get("payload") or {})
        self._connected.clear()
        return ws

    async def _pass_through(self, request: web.Request) -> web.Response:
        assert self._session is not None
        headers = {
            name: request.headers[name] for name in _PASSED_HEADERS if name in request.headers
        }
        async with self._session.request(
            request.method,
            f"{self.slack.url}{request.rel_url}",
            data=await request.read(),
            headers=headers,
        ) as answer:
            passed = {
                k: v for k, v in answer.headers.items() if k in ("Retry-After", "Content-Type")
            }
            return web.Response(status=answer.status, body=await answer.read(), headers=passed)
