"""A Slack Web API on 127.0.0.1 that speaks Slack's wire protocol and refuses what Slack refuses.

The real slack-sdk is pointed at it (`AsyncWebClient(token, base_url=slack.url + "/api/")`, or the
app's SLACK_API_URL), so tests exercise the same HTTP, JSON, rate-limit and error handling that
production meets. Block Kit rules live in `tests.fakes.block_kit`, so the renderer tests and this
server share one definition of "Slack would accept this message".

The module also builds the requests Slack sends *to* the app (slash commands, button clicks, modal
submissions, Events API callbacks) and signs them, so adapter tests drive the app's HTTP endpoint
the way Slack does.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import math
import mimetypes
import re
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Any, Literal, Self
from urllib.parse import urlencode

from aiohttp import web

from tests.fakes.block_kit import BlockKitError, validate_blocks, validate_modal

TEAM_ID = "T0PAPERBL"
TEAM_DOMAIN = "paperbell-lab"
APP_ID = "A0PAPERBELL"
BOT_ID = "B0PAPERBOT"
BOT_USER_ID = "U0PAPERBOT"
BOT_TOKEN = "xoxb-1000-2000-paperbellfaketoken"
# Slack still sends this deprecated field in slash commands and interactivity payloads.
VERIFICATION_TOKEN = "fakeverificationtoken0"
USER_ID = "U0ALICE"
CHANNEL_ID = "C0PAPERS"

ChannelError = Literal["not_in_channel", "channel_not_found", "is_archived"]
TokenError = Literal["token_revoked", "account_inactive"]

MAX_VIEW_BLOCKS = 100
RESPONSE_URL_USES = 5
# How long a trigger_id in an interaction can open a modal.
TRIGGER_SECONDS = 3.0
_CHANNEL = re.compile(r"[CGD][A-Z0-9]{2,}")
_USER = re.compile(r"[UW][A-Z0-9]{2,}")
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Call:
    """One Web API request as the fake answered it; `error` is None when Slack said ok."""

    method: str
    args: dict[str, Any]
    status: int
    error: str | None


@dataclass(frozen=True)
class Post:
    channel: str
    text: str
    blocks: list[dict[str, Any]] | None
    thread_ts: str | None
    ts: str
    edited: bool = False


@dataclass(frozen=True)
class Ephemeral:
    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]] | None
    thread_ts: str | None
    message_ts: str


@dataclass(frozen=True)
class UploadedFile:
    id: str
    filename: str
    title: str
    content: bytes
    channels: tuple[str, ...]
    initial_comment: str | None
    thread_ts: str | None


@dataclass(frozen=True)
class Response:
    """A message the app sent to a `response_url` instead of through the Web API."""

    url: str
    response_type: str
    text: str
    blocks: list[dict[str, Any]] | None
    replace_original: bool
    delete_original: bool


@dataclass(frozen=True)
class RateLimit:
    """chat.postMessage's special tier: about one message a second per channel, short bursts ok.

    `retry_after` overrides the advertised wait so tests using slack-sdk's retry handler (which
    sleeps Retry-After plus up to a second) stay fast; None advertises the honest wait.
    """

    per_second: float = 1.0
    burst: int = 3
    retry_after: int | None = None


class _Reject(Exception):
    """Slack's answer to a request it refuses; raised anywhere below the dispatcher."""

    def __init__(
        self,
        error: str,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = dict(headers or {})
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error, **self.extra}


@dataclass
class _Upload:
    filename: str
    content: bytes | None = None


Handler = Callable[[dict[str, Any]], dict[str, Any]]


class FakeSlack:
    """Slack's Web API, file upload host and response_url host, recording what the app sent."""

    def __init__(
        self,
        *,
        token: str = BOT_TOKEN,
        team_id: str = TEAM_ID,
        rate_limit: RateLimit | None = RateLimit(),
        trigger_seconds: float = TRIGGER_SECONDS,
    ) -> None:
        self.token = token
        self.team_id = team_id
        self.rate_limit = rate_limit
        self.trigger_seconds = trigger_seconds
        self.url = ""
        self.posts: list[Post] = []
        self.ephemeral: list[Ephemeral] = []
        self.views: dict[str, dict[str, Any]] = {}
        # Modals opened with views.open, in order, as Slack returned them.
        self.modals: list[dict[str, Any]] = []
        self.files: list[UploadedFile] = []
        self.responses: list[Response] = []
        self.calls: list[Call] = []
        self.rate_limited = 0
        self._users: dict[str, dict[str, Any]] = {}
        self._channel_errors: dict[str, ChannelError] = {}
        self._members: defaultdict[str, set[str]] = defaultdict(set)
        self._token_error: TokenError | None = None
        self._failures: defaultdict[str, deque[tuple[str, int]]] = defaultdict(deque)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._uploads: dict[str, _Upload] = {}
        self._response_uses: dict[str, int] = {}
        self._triggers: dict[str, float | None] = {}
        self._last_us = 0
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._thread: tuple[threading.Thread, asyncio.AbstractEventLoop] | None = None
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self._methods: dict[str, Handler] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.update": self._update,
            "chat.getPermalink": self._permalink,
            "views.publish": self._publish_view,
            "views.open": self._open_view,
            "conversations.info": self._conversation_info,
            "conversations.join": self._join,
            "users.info": self._user_info,
            "users.conversations": self._user_conversations,
            "conversations.open": self._open_conversation,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024, middlewares=[self._wake_waiters])
        app.add_routes(
            [
                web.route("*", "/api/{method}", self._api),
                web.post("/upload/{file_id}", self._receive_upload),
                web.post("/response/{response_id}", self._receive_response),
            ]
        )
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @classmethod
    def start_in_thread(cls, **options: Any) -> Self:
        """Serve from a loop of its own, for sync clients, benchmarks and app subprocesses."""
        slack = cls(**options)
        loop = asyncio.new_event_loop()
        thread = threading.Thread(target=loop.run_forever, name="fake-slack", daemon=True)
        thread.start()
        slack._thread = (thread, loop)
        try:
            asyncio.run_coroutine_threadsafe(slack.start(), loop).result(timeout=10)
        except BaseException:
            slack.close()
            raise
        return slack

    def close(self) -> None:
        """Stop a server started with `start_in_thread`."""
        if self._thread is None:
            return
        thread, loop = self._thread
        asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._thread = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- scripting -----------------------------------------------------------------------------

    def set_channel_error(self, channel: str, error: ChannelError | None) -> None:
        """Make the bot see `channel` as not joined, gone or archived; None restores it."""
        if error is None:
            self._channel_errors.pop(channel, None)
        else:
            self._channel_errors[channel] = error

    def revoke_token(self, error: TokenError = "token_revoked") -> None:
        """The workspace uninstalled the app (token_revoked) or was deleted (account_inactive)."""
        self._token_error = error

    def fail_next(self, method: str, error: str | None = None, *, http_status: int = 200) -> None:
        """Make the next call of `method` fail; calls queue up, one failure each."""
        if error is None:
            if http_status == 429:
                error = "ratelimited"
            elif http_status >= 500:
                error = "fatal_error"
            else:
                raise ValueError("fail_next needs an error name or an HTTP error status")
        self._failures[method].append((error, http_status))

    def set_members(self, channel: str, *users: str) -> None:
        """Put people in a conversation the bot can see, for users.conversations."""
        self._members[channel].update(users)

    def set_user(
        self,
        user_id: str,
        *,
        name: str | None = None,
        is_admin: bool = False,
        is_owner: bool = False,
        locale: str = "en-US",
    ) -> None:
        """Describe a workspace member; any other well-formed user ID is a plain member."""
        self._users[user_id] = {
            "name": name or user_id.lower(),
            # Slack reports workspace owners as admins too.
            "is_admin": is_admin or is_owner,
            "is_owner": is_owner,
            "locale": locale,
        }

    def new_response_url(self) -> str:
        """A response_url as Slack puts in a slash command or button click: five uses."""
        response_id = uuid.uuid4().hex
        self._response_uses[response_id] = RESPONSE_URL_USES
        return f"{self.url}/response/{response_id}"

    def new_trigger_id(self) -> str:
        """A trigger_id as Slack puts in an interaction: it opens one modal, within
        `trigger_seconds` of now."""
        trigger = _trigger_id()
        self._triggers[trigger] = time.monotonic()
        return trigger

    async def wait_for(self, predicate: Callable[[], object], timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until what the fake recorded satisfies `predicate`.

        Re-checks after every request the fake serves, from whichever thread serves it, so a
        predicate over anything but the fake's records is only re-checked when Slack is called.
        """
        waiter = (asyncio.get_running_loop(), asyncio.Event())
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    await waiter[1].wait()
                    waiter[1].clear()
        except TimeoutError:
            recent = ", ".join(f"{c.method}→{c.error or 'ok'}" for c in self.calls[-5:])
            raise TimeoutError(f"not met within {timeout}s; last calls: {recent or '-'}") from None
        finally:
            self._waiters.remove(waiter)

    @web.middleware
    async def _wake_waiters(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        try:
            return await handler(request)
        finally:
            for loop, event in list(self._waiters):
                loop.call_soon_threadsafe(event.set)

    # -- HTTP ----------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = {}
        try:
            args, token = await _read_args(request)
            body = {"ok": True, **self._dispatch(method, args, token)}
            status, headers = 200, {}
        except _Reject as rejection:
            body, status, headers = rejection.body(), rejection.status, rejection.headers
        self.calls.append(Call(method, args, status, None if body["ok"] else body["error"]))
        if status == 429:
            self.rate_limited += 1
        return web.json_response(body, status=status, headers=headers)

    def _dispatch(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        if not token:
            raise _Reject("not_authed")
        if token != self.token:
            raise _Reject("invalid_auth")
        if self._token_error is not None:
            raise _Reject(self._token_error)
        handler = self._methods.get(method)
        if handler is None:
            raise _Reject("unknown_method")
        if self._failures[method]:
            error, status = self._failures[method].popleft()
            headers = {"Retry-After": str(self._retry_after(1))} if status == 429 else None
            raise _Reject(error, status, headers)
        return handler(args)

    async def _receive_upload(self, request: web.Request) -> web.Response:
        upload = self._uploads.get(request.match_info["file_id"])
        if upload is None:
            return web.Response(status=404, text="not_found")
        upload.content = await request.read()
        return web.Response(text=f"OK - {len(upload.content)}")

    async def _receive_response(self, request: web.Request) -> web.Response:
        response_id = request.match_info["response_id"]
        uses = self._response_uses.get(response_id)
        if uses is None:
            return web.json_response({"ok": False, "error": "expired_url"}, status=404)
        if uses == 0:
            return web.json_response({"ok": False, "error": "used_url"}, status=404)
        try:
            payload = json.loads(await request.text())
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return web.json_response({"ok": False, "error": "invalid_payload"}, status=400)
        delete = _flag(payload.get("delete_original"))
        try:
            text, blocks = ("", None) if delete else _message_content(payload)
        except _Reject as rejection:
            return web.json_response(rejection.body(), status=400)
        self._response_uses[response_id] = uses - 1
        self.responses.append(
            Response(
                url=str(request.url),
                response_type=str(payload.get("response_type") or "ephemeral"),
                text=text,
                blocks=blocks,
                replace_original=_flag(payload.get("replace_original")),
                delete_original=delete,
            )
        )
        return web.json_response({"ok": True})

    # -- Web API methods -----------------------------------------------------------------------

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": "Paperbell Lab",
            "user": "paperbell",
            "team_id": self.team_id,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel") or "")
        if _USER.fullmatch(channel):
            # Posting to a user ID lands in the bot's DM with them (the App Home messages tab).
            channel = "D" + channel[1:]
        channel = self._writable(channel)
        self._throttle(channel)
        text, blocks = _message_content(args)
        post = Post(channel, text, blocks, _optional(args, "thread_ts"), self._next_ts())
        self.posts.append(post)
        return {"channel": channel, "ts": post.ts, "message": self._message_json(post)}

    def _post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._writable(str(args.get("channel") or ""))
        user = str(args.get("user") or "")
        if not _USER.fullmatch(user):
            raise _Reject("user_not_in_channel")
        text, blocks = _message_content(args)
        message = Ephemeral(
            channel, user, text, blocks, _optional(args, "thread_ts"), self._next_ts()
        )
        self.ephemeral.append(message)
        return {"message_ts": message.message_ts}

    def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._writable(str(args.get("channel") or ""))
        index = self._find_post(channel, args.get("ts"))
        text, blocks = _message_content(args)
        old = self.posts[index]
        # Slack keeps the message's blocks when an update leaves `blocks` out.
        post = replace(old, text=text, blocks=old.blocks if blocks is None else blocks, edited=True)
        self.posts[index] = post
        message = self._message_json(post)
        return {"channel": channel, "ts": post.ts, "text": text, "message": message}

    def _permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._readable(str(args.get("channel") or ""))
        post = self.posts[self._find_post(channel, args.get("message_ts"))]
        path = f"archives/{channel}/p{post.ts.replace('.', '')}"
        return {"channel": channel, "permalink": f"https://{TEAM_DOMAIN}.slack.com/{path}"}

    def _publish_view(self, args: dict[str, Any]) -> dict[str, Any]:
        user = str(args.get("user_id") or "")
        if not _USER.fullmatch(user):
            raise _Reject("user_not_found")
        view = _json_arg(args, "view", "invalid_arguments")
        if not isinstance(view, dict):
            raise _invalid_arguments("view is required [json-pointer:/view]")
        if view.get("type") != "home":
            raise _invalid_arguments("must be a valid enum value [json-pointer:/view/type]")
        blocks = view.get("blocks")
        if not isinstance(blocks, list):
            raise _invalid_arguments("must provide an array [json-pointer:/view/blocks]")
        try:
            if blocks:
                validate_blocks(blocks, max_blocks=MAX_VIEW_BLOCKS)
        except BlockKitError as exc:
            # Views report Block Kit mistakes as invalid_arguments, pointing inside the view.
            messages = [m.replace("[json-pointer:/", "[json-pointer:/view/") for m in exc.messages]
            raise _invalid_arguments(*messages) from None
        current = self.views.get(user)
        expected_hash = _optional(args, "hash")
        if current is not None and expected_hash is not None and expected_hash != current["hash"]:
            raise _Reject("hash_conflict")
        published = {
            **view,
            "id": current["id"] if current else self._new_id("V"),
            "team_id": self.team_id,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "hash": f"{self._next_ts()}.{uuid.uuid4().hex[:8]}",
        }
        self.views[user] = published
        return {"view": published}

    def _open_view(self, args: dict[str, Any]) -> dict[str, Any]:
        trigger = _optional(args, "trigger_id")
        if trigger is None:
            raise _invalid_arguments(
                "missing required field: trigger_id [json-pointer:/trigger_id]"
            )
        if trigger not in self._triggers:
            raise _Reject("invalid_trigger_id")
        issued = self._triggers[trigger]
        if issued is None:
            raise _Reject("exchanged_trigger_id")
        if time.monotonic() - issued > self.trigger_seconds:
            raise _Reject("expired_trigger_id")
        view = _json_arg(args, "view", "invalid_arguments")
        if view is None:
            raise _invalid_arguments("missing required field: view [json-pointer:/view]")
        try:
            validate_modal(view)
        except BlockKitError as exc:
            raise _invalid_arguments(*exc.messages) from None
        self._triggers[trigger] = None
        view_id = self._new_id("V")
        # Slack names every block the app left unnamed; submissions are keyed by those names.
        blocks = [{"block_id": uuid.uuid4().hex[:5], **block} for block in view["blocks"]]
        opened = {
            "type": "modal",
            "private_metadata": "",
            "callback_id": "",
            "clear_on_close": False,
            "notify_on_close": False,
            "external_id": "",
            **view,
            "blocks": blocks,
            "id": view_id,
            "team_id": self.team_id,
            "state": {"values": {}},
            "hash": f"{self._next_ts()}.{uuid.uuid4().hex[:8]}",
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": APP_ID,
            "app_installed_team_id": self.team_id,
            "bot_id": BOT_ID,
        }
        self.modals.append(opened)
        return {"view": opened}

    def _conversation_info(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"channel": self._channel_json(self._readable(str(args.get("channel") or "")))}

    def _join(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = self._readable(str(args.get("channel") or ""))
        if not channel.startswith("C"):
            raise _Reject("method_not_supported_for_channel_type")
        if self._channel_errors.get(channel) == "is_archived":
            raise _Reject("is_archived")
        self._channel_errors.pop(channel, None)
        return {"channel": self._channel_json(channel)}

    def _user_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user") or "")
        if not _USER.fullmatch(user_id):
            raise _Reject("user_not_found")
        known = self._users.get(user_id, {})
        name = known.get("name", user_id.lower())
        user = {
            "id": user_id,
            "team_id": self.team_id,
            "name": name,
            "real_name": name,
            "deleted": False,
            "is_bot": False,
            "is_admin": known.get("is_admin", False),
            "is_owner": known.get("is_owner", False),
            "tz": "UTC",
            "profile": {"real_name": name, "display_name": name},
        }
        if _flag(args.get("include_locale")):
            user["locale"] = known.get("locale", "en-US")
        return {"user": user}

    def _user_conversations(self, args: dict[str, Any]) -> dict[str, Any]:
        """The conversations a member is in, as a bot token sees them: one page of `limit`
        (default 100), public channels only unless `types` asks for more, like Slack."""
        user = str(args.get("user") or "")
        if not _USER.fullmatch(user):
            raise _Reject("user_not_found")
        types = set(str(args.get("types") or "public_channel").split(","))
        if not types <= {"public_channel", "private_channel", "mpim", "im"}:
            raise _Reject("invalid_types")
        limit = int(str(args.get("limit") or 100))
        start = int(str(args.get("cursor") or "0") or "0")
        kinds = {"C": "public_channel", "G": "private_channel"}
        channels = sorted(
            channel
            for channel, members in self._members.items()
            if user in members
            and kinds.get(channel[0]) in types
            and self._channel_errors.get(channel) != "channel_not_found"
        )
        page = channels[start : start + limit]
        more = start + limit < len(channels)
        return {
            "channels": [self._channel_json(channel) for channel in page],
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _open_conversation(self, args: dict[str, Any]) -> dict[str, Any]:
        """The bot's direct message with one person (the App Home messages tab)."""
        users = [u for u in str(args.get("users") or "").split(",") if u]
        if not users:
            raise _Reject("users_list_not_supplied")
        if len(users) > 1 or not _USER.fullmatch(users[0]):
            raise _Reject("user_not_found")
        return {"channel": {"id": "D" + users[0][1:]}}

    def _upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        filename = str(args.get("filename") or "")
        length = str(args.get("length") or "")
        if not filename:
            raise _invalid_arguments("missing required field: filename [json-pointer:/filename]")
        if not length.isdigit() or int(length) == 0:
            raise _invalid_arguments("must be a positive integer [json-pointer:/length]")
        file_id = self._new_id("F")
        self._uploads[file_id] = _Upload(filename)
        return {"upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        entries = _json_arg(args, "files", "invalid_arguments")
        if not isinstance(entries, list) or not entries:
            raise _invalid_arguments("must provide a non-empty array [json-pointer:/files]")
        channel_ids = [c for c in str(args.get("channels") or "").split(",") if c]
        if args.get("channel_id"):
            channel_ids.append(str(args["channel_id"]))
        channels = tuple(self._writable(channel) for channel in channel_ids)
        found = []
        for entry in entries:
            file_id = str(entry.get("id")) if isinstance(entry, dict) else ""
            upload = self._uploads.get(file_id)
            if upload is None or upload.content is None:
                raise _Reject("file_not_found")
            title = str(entry.get("title") or upload.filename)
            found.append(
                UploadedFile(
                    id=file_id,
                    filename=upload.filename,
                    title=title,
                    content=upload.content,
                    channels=channels,
                    initial_comment=_optional(args, "initial_comment"),
                    thread_ts=_optional(args, "thread_ts"),
                )
            )
        for stored in found:
            del self._uploads[stored.id]
        self.files.extend(found)
        described = [self._file_json(stored) for stored in found]
        return {"files": described}

    # -- helpers -------------------------------------------------------------------------------

    def _readable(self, channel: str) -> str:
        """The channel, if the bot can see it. Slack also takes "#name" in chat.postMessage, but
        names change under a stored subscription, so the fake refuses them to catch that."""
        if not _CHANNEL.fullmatch(channel) or self._channel_errors.get(channel) == (
            "channel_not_found"
        ):
            raise _Reject("channel_not_found")
        return channel

    def _writable(self, channel: str) -> str:
        error = self._channel_errors.get(self._readable(channel))
        if error is not None:
            raise _Reject(error)
        return channel

    def _throttle(self, channel: str) -> None:
        limit = self.rate_limit
        if limit is None:
            return
        now = time.monotonic()
        tokens, then = self._buckets.get(channel, (float(limit.burst), now))
        tokens = min(float(limit.burst), tokens + (now - then) * limit.per_second)
        if tokens < 1:
            self._buckets[channel] = (tokens, now)
            wait = math.ceil((1 - tokens) / limit.per_second)
            raise _Reject("ratelimited", 429, {"Retry-After": str(self._retry_after(wait))})
        self._buckets[channel] = (tokens - 1, now)

    def _retry_after(self, honest: int) -> int:
        override = self.rate_limit.retry_after if self.rate_limit else None
        return honest if override is None else override

    def _find_post(self, channel: str, ts: object) -> int:
        for index, post in enumerate(self.posts):
            if post.channel == channel and post.ts == str(ts):
                return index
        raise _Reject("message_not_found")

    def _next_ts(self) -> str:
        """Slack message timestamps: unique, increasing, seconds with six decimal places."""
        self._last_us = max(time.time_ns() // 1000, self._last_us + 1)
        return _format_ts(self._last_us)

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08X}"

    def _message_json(self, post: Post) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": self.team_id,
            "text": post.text,
            "ts": post.ts,
        }
        if post.blocks is not None:
            message["blocks"] = post.blocks
        if post.thread_ts is not None:
            message["thread_ts"] = post.thread_ts
        if post.edited:
            message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
        return message

    def _channel_json(self, channel: str) -> dict[str, Any]:
        error = self._channel_errors.get(channel)
        return {
            "id": channel,
            "name": channel.lower(),
            "is_channel": channel.startswith("C"),
            "is_group": channel.startswith("G"),
            "is_im": channel.startswith("D"),
            "is_private": not channel.startswith("C"),
            "is_archived": error == "is_archived",
            "is_member": error is None,
            "context_team_id": self.team_id,
        }

    def _file_json(self, stored: UploadedFile) -> dict[str, Any]:
        return {
            "id": stored.id,
            "name": stored.filename,
            "title": stored.title,
            "mimetype": mimetypes.guess_type(stored.filename)[0] or "application/octet-stream",
            "size": len(stored.content),
            "user": BOT_USER_ID,
            "url_private": f"https://files.slack.com/files-pri/{self.team_id}-{stored.id}/",
            "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{BOT_USER_ID}/{stored.id}/",
        }


async def _read_args(request: web.Request) -> tuple[dict[str, Any], str | None]:
    """Arguments from the query string and the body, as Slack reads them.

    Slack takes the token from the Authorization header or, for form bodies only, a `token`
    field; a token inside a JSON body is ignored, which is why such calls fail `not_authed`.
    """
    args: dict[str, Any] = {k: v for k, v in request.query.items() if k != "token"}
    header = request.headers.get("Authorization", "")
    token = header[len("Bearer ") :].strip() if header.startswith("Bearer ") else None
    if request.content_type == "application/json":
        try:
            body = json.loads(await request.text())
        except ValueError:
            raise _Reject("invalid_json") from None
        if not isinstance(body, dict):
            raise _Reject("invalid_json")
        args.update({k: v for k, v in body.items() if k != "token"})
    elif request.content_type in _FORMS:
        form = await request.post()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        token = token or fields.pop("token", None)
        fields.pop("token", None)
        args.update(fields)
    return args, token


def _message_content(args: Mapping[str, Any]) -> tuple[str, list[dict[str, Any]] | None]:
    """The text and blocks of a message, refused exactly as Slack refuses them."""
    text = args.get("text")
    text = "" if text is None else str(text)
    blocks = _json_arg(args, "blocks", "invalid_blocks_format")
    try:
        validate_blocks(blocks, text)
    except BlockKitError as exc:
        raise _Reject(
            exc.error,
            errors=exc.messages,
            response_metadata={"messages": [f"[ERROR] {m}" for m in exc.messages]},
        ) from None
    return text, blocks


def _json_arg(args: Mapping[str, Any], name: str, error: str) -> Any:
    """A structured argument: JSON bodies carry it as is, form bodies as a JSON string."""
    value = args.get(name)
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise _Reject(error) from None


def _optional(args: Mapping[str, Any], name: str) -> str | None:
    value = args.get(name)
    return None if value in (None, "") else str(value)


def _flag(value: object) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def _invalid_arguments(*messages: str) -> _Reject:
    """Slack's answer to arguments of the wrong shape; each message ends with its json-pointer."""
    details = [f"[ERROR] {message}" for message in messages]
    return _Reject("invalid_arguments", response_metadata={"messages": details})


# -- requests Slack sends to the app -----------------------------------------------------------


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """Slack's v0 request signature: HMAC-SHA256 over `v0:{timestamp}:{body}`."""
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, *, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with `body`; pass an old `timestamp` to test replay refusal."""
    stamp = int(time.time()) if timestamp is None else timestamp
    is_json = body.lstrip().startswith(b"{")
    return {
        "Content-Type": "application/json" if is_json else "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": sign(secret, stamp, body),
    }


def slash_command_body(
    command: str = "/paperbell",
    text: str = "",
    *,
    response_url: str,
    user_id: str = USER_ID,
    user_name: str = "alice",
    channel_id: str = CHANNEL_ID,
    channel_name: str = "papers",
    team_id: str = TEAM_ID,
    trigger_id: str | None = None,
) -> bytes:
    """A slash command invocation, form-encoded with Slack's fields in Slack's order."""
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or _trigger_id(),
    }
    return urlencode(fields).encode()


def block_actions_body(
    *,
    action_id: str,
    value: str | None = None,
    user: str = USER_ID,
    channel: str = CHANNEL_ID,
    message_ts: str | None = None,
    blocks: Sequence[Mapping[str, Any]] = (),
    view: Mapping[str, Any] | None = None,
    team_id: str = TEAM_ID,
    response_url: str | None = None,
    trigger_id: str | None = None,
) -> bytes:
    """A button click as Slack's interactivity request: form field `payload` holding JSON.

    Pass the clicked message's `blocks` so the action carries the real button's block_id, text
    and value (as Slack's would); pass a published App Home `view` for a click in App Home, and
    `FakeSlack.new_trigger_id()` as `trigger_id` for a click that may open a modal.
    """
    block_id, element = _find_element(blocks if view is None else view.get("blocks", ()), action_id)
    action: dict[str, Any] = {
        **element,
        "block_id": block_id,
        "action_id": action_id,
        "action_ts": _now_ts(),
    }
    if value is not None:
        action["value"] = value
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team_id},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or _trigger_id(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": {}},
        "actions": [action],
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id")}
        payload["view"] = dict(view)
    else:
        ts = message_ts or _now_ts()
        payload["container"] = {
            "type": "message",
            "message_ts": ts,
            "channel_id": channel,
            "is_ephemeral": False,
        }
        payload["channel"] = {"id": channel, "name": channel.lower()}
        payload["message"] = {
            "type": "message",
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": team_id,
            "ts": ts,
            "text": "",
            "blocks": [dict(block) for block in blocks],
        }
    if response_url is not None:
        payload["response_url"] = response_url
    return urlencode({"payload": json.dumps(payload)}).encode()


def view_submission_body(
    view: Mapping[str, Any],
    conversations: Mapping[str, str],
    *,
    user: str = USER_ID,
    team_id: str = TEAM_ID,
) -> bytes:
    """Someone pressing submit on an opened modal `view` (as `FakeSlack.modals` holds it),
    having picked `conversations[action_id]` in its conversations_select inputs.

    Refuses what Slack's client would not submit: a view without a submit button, a pick for
    an input the view does not have, or a required input left empty.
    """
    if "submit" not in view:
        raise ValueError("this view has no submit button")
    values: dict[str, dict[str, Any]] = {}
    for block in view["blocks"]:
        if block.get("type") != "input":
            continue
        element = block["element"]
        action_id = str(element.get("action_id") or "")
        picked = conversations.get(action_id)
        if picked is None and not block.get("optional", False):
            raise ValueError(f"required input {block['block_id']} left empty")
        values[block["block_id"]] = {
            action_id: {"type": element["type"], "selected_conversation": picked}
        }
    unknown = set(conversations) - {a for entry in values.values() for a in entry}
    if unknown:
        raise ValueError(f"the view has no input {sorted(unknown)}")
    payload = {
        "type": "view_submission",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team_id},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": _trigger_id(),
        "view": {**view, "state": {"values": values}},
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def app_home_opened_event(
    user: str = USER_ID,
    *,
    event_id: str | None = None,
    team_id: str = TEAM_ID,
    view: Mapping[str, Any] | None = None,
) -> bytes:
    """An Events API callback for a user opening App Home; reuse `event_id` to replay it."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user,
        "channel": "D" + user[1:],
        "tab": "home",
        "event_ts": _now_ts(),
    }
    if view is not None:
        event["view"] = dict(view)
    return _event_callback(event, team_id, event_id)


def reaction_event(
    reaction: str,
    post: Post,
    user: str = USER_ID,
    *,
    added: bool = True,
    team_id: str = TEAM_ID,
) -> bytes:
    """A `reaction_added` (or `reaction_removed`) callback for a reaction on a message, as
    Slack sends it to an app subscribed to the event with `reactions:read`."""
    event = {
        "type": "reaction_added" if added else "reaction_removed",
        "user": user,
        "reaction": reaction,
        "item_user": BOT_USER_ID,
        "item": {"type": "message", "channel": post.channel, "ts": post.ts},
        "event_ts": _now_ts(),
    }
    return _event_callback(event, team_id, None)


def _event_callback(event: Mapping[str, Any], team_id: str, event_id: str | None) -> bytes:
    body = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or "Ev" + uuid.uuid4().hex[:10].upper(),
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }
    return json.dumps(body).encode()


def _find_element(
    blocks: Sequence[Mapping[str, Any]], action_id: str
) -> tuple[str, dict[str, Any]]:
    for block in blocks:
        for element in [*block.get("elements", ()), block.get("accessory")]:
            if isinstance(element, Mapping) and element.get("action_id") == action_id:
                return str(block.get("block_id") or uuid.uuid4().hex[:5]), dict(element)
    button = {"type": "button", "text": {"type": "plain_text", "text": action_id, "emoji": True}}
    return uuid.uuid4().hex[:5], button


def _now_ts() -> str:
    return _format_ts(time.time_ns() // 1000)


def _format_ts(microseconds: int) -> str:
    return f"{microseconds // 1_000_000}.{microseconds % 1_000_000:06d}"


def _trigger_id() -> str:
    return f"{time.time_ns() % 10**12}.{TEAM_ID[1:]}.{uuid.uuid4().hex}"
