"""A fake Telegram Bot API server on 127.0.0.1 that speaks the real wire protocol.

The bot under test talks to it with its real client (python-telegram-bot pointed at `tg.url`),
so everything between our code and the socket is exercised: form, JSON and multipart bodies,
the `{"ok": false, "error_code", "description", "parameters"}` answers and the exceptions the
client library maps them to. The fake refuses what Telegram refuses, with Telegram's codes and
descriptions, because a permissive fake lets `can't parse entities` reach production.

Run it in the test's event loop (`async with FakeTelegram() as tg`) or, for benchmarks and
subprocess tests, in a thread with its own loop (`with FakeTelegram.start_in_thread() as tg`).
Every helper is thread-safe, and `await tg.wait_for(...)` works from any event loop.

Choices that keep tests simple, and the places where the fake differs from Telegram:

* Any chat ID is accepted until `mark_missing()`: a positive ID is a private chat, `-100…` a
  supergroup, any other negative ID a basic group. Chats built with `group()`, `channel()` or
  `private_chat()`, or seen in an update, are answered with their title and username.
* `parse_mode=HTML` is checked by `tests.fakes.telegram_html`; the Markdown modes are refused
  with a description saying the fake does not parse them, rather than accepted unchecked.
  Returned messages carry the text without markup, but no `entities`.
* A button with more than one action is refused: the Bot API documents "exactly one", while
  Telegram itself silently keeps the first and drops the rest.
* Plain-HTTP webhooks on 127.0.0.1 or localhost are accepted, on any port.
* Group privacy mode is on by default: in groups and supergroups the bot receives only
  messages that start with a command that is bare or addressed to it.
* Flood control counts messages sent (`sendMessage`, `sendDocument`), not edits.
* `getChatMember` answers `member` for anyone not given another status with `set_member()`.
* Messages sent by inline mode cannot be edited (`inline_message_id` is refused).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from tests.fakes.telegram_html import TelegramHTMLError, utf16_len, validate_telegram_html

TOKEN = "123456:TEST-token"
BOT_USERNAME = "paperbell_bot"

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_INLINE_RESULTS = 50
MAX_RESULT_ID_BYTES = 64
MAX_UPLOAD_BYTES = 50 * 1024 * 1024

CHAT_NOT_FOUND = "Bad Request: chat not found"
BLOCKED = "Forbidden: bot was blocked by the user"
UPGRADED = "Bad Request: group chat was upgraded to a supergroup chat"
TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is "
    "running"
)
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
    "the webhook first"
)
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
BUTTON_URL_INVALID = "Bad Request: BUTTON_URL_INVALID"
TEXT_BUTTON = (
    "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline "
    "keyboard"
)
MARKDOWN_UNSUPPORTED = "Bad Request: the fake Telegram server parses only parse_mode HTML"

_TOKEN_SHAPE = re.compile(r"\d+:[\w-]+")
_INTEGER = re.compile(r"-?\d+")
_COMMAND = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_@])")
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")

_INT_FIELDS = frozenset(
    {
        "chat_id", "message_id", "user_id", "offset", "limit", "cache_time", "max_connections",
        "reply_to_message_id", "message_thread_id",
    }
)  # fmt: skip
_FLOAT_FIELDS = frozenset({"timeout"})
_BOOL_FIELDS = frozenset(
    {
        "disable_notification", "protect_content", "show_alert", "is_personal",
        "drop_pending_updates", "disable_web_page_preview", "disable_content_type_detection",
        "allow_sending_without_reply",
    }
)  # fmt: skip
_JSON_FIELDS = frozenset(
    {
        "reply_markup", "entities", "caption_entities", "link_preview_options",
        "reply_parameters", "results", "commands", "scope", "allowed_updates", "button",
    }
)  # fmt: skip
_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip
_ENTITY_TYPES = frozenset(
    {
        "mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number", "bold",
        "italic", "underline", "strikethrough", "spoiler", "blockquote",
        "expandable_blockquote", "code", "pre", "text_link", "text_mention", "custom_emoji",
    }
)  # fmt: skip
_CHAT_ACTIONS = frozenset(
    {
        "typing", "upload_photo", "record_video", "upload_video", "record_voice",
        "upload_voice", "upload_document", "choose_sticker", "find_location",
        "record_video_note", "upload_video_note",
    }
)  # fmt: skip
_MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "left", "kicked"})
_ADMIN_RIGHTS = (
    "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
    "can_promote_members", "can_change_info", "can_invite_users", "can_post_stories",
    "can_edit_stories", "can_delete_stories",
)  # fmt: skip
# What Telegram sends when allowed_updates was never set (no chat_member, no reactions).
_DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message", "edited_message", "channel_post", "edited_channel_post", "inline_query",
        "chosen_inline_result", "callback_query", "my_chat_member",
    }
)  # fmt: skip

JSON = dict[str, Any]
T = TypeVar("T")


@dataclass(frozen=True)
class Rate:
    """`count` messages per `seconds`, with up to `burst` (default `count`) back to back."""

    count: int
    seconds: float
    burst: int | None = None


@dataclass(frozen=True)
class FloodLimits:
    """Which of Telegram's sending limits to enforce; a limit left as None is not enforced."""

    per_chat: Rate | None = None
    per_group: Rate | None = None
    overall: Rate | None = None


# Telegram's published guidance: about one message a second in a chat (short bursts are
# tolerated), 20 a minute in a group, 30 a second overall.
TELEGRAM_LIMITS = FloodLimits(
    per_chat=Rate(1, 1.0, burst=3), per_group=Rate(20, 60.0), overall=Rate(30, 1.0)
)


@dataclass(frozen=True)
class Call:
    """One request as the fake understood it; `params` has JSON fields and numbers decoded.

    `description` is Telegram's exact wording of a refusal (client libraries reword it).
    """

    method: str
    params: JSON
    at: float
    status: int
    description: str | None = None


@dataclass(frozen=True)
class SentDocument:
    chat_id: int
    message_id: int
    file_id: str
    filename: str
    mime_type: str
    content: bytes
    caption: str


@dataclass
class SentMessage:
    """A message the bot posted; edits and deletion change this record in place.

    `text` is what the bot sent, markup included (a document's caption for documents);
    `plain_text` is what users see once Telegram has parsed the entities.
    """

    chat_id: int
    message_id: int
    text: str
    parse_mode: str | None
    reply_markup: JSON | None
    plain_text: str
    date: int
    reply_to_message_id: int | None = None
    document: SentDocument | None = None
    edit_date: int | None = None
    deleted: bool = False

    @property
    def buttons(self) -> list[JSON]:
        """The inline keyboard's buttons, row after row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [button for row in rows for button in row]


@dataclass(frozen=True)
class CallbackAnswer:
    query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None


@dataclass(frozen=True)
class InlineAnswer:
    inline_query_id: str
    results: list[JSON]
    cache_time: int | None
    is_personal: bool
    next_offset: str | None


@dataclass
class WebhookState:
    url: str
    secret_token: str | None
    max_connections: int
    last_error_date: int | None = None
    last_error_message: str | None = None


class ApiError(Exception):
    """An answer Telegram gives instead of a result."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


@dataclass(frozen=True)
class _Upload:
    filename: str
    content_type: str
    content: bytes


@dataclass
class _Params:
    values: JSON
    files: dict[str, _Upload] = field(default_factory=dict)

    def text(self, name: str) -> str | None:
        value = self.values.get(name)
        return None if value is None else str(value)

    def integer(self, name: str) -> int | None:
        value = self.values.get(name)
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        if isinstance(value, str) and _INTEGER.fullmatch(value):
            return int(value)
        raise ApiError(400, f"Bad Request: field {name!r} must be a Number")

    def number(self, name: str) -> float | None:
        value = self.values.get(name)
        if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
            return value
        raise ApiError(400, f"Bad Request: field {name!r} must be a Number")

    def flag(self, name: str) -> bool:
        return self.values.get(name) is True

    def obj(self, name: str) -> Any:
        return self.values.get(name)


class _Bucket:
    def __init__(self, rate: Rate, now: float) -> None:
        self.capacity = float(rate.burst or rate.count)
        self.refill_per_second = rate.count / rate.seconds
        self.tokens = self.capacity
        self.updated = now

    def seconds_until_free(self, now: float) -> float:
        elapsed = now - self.updated
        self.tokens = min(self.capacity, self.tokens + elapsed * self.refill_per_second)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.refill_per_second


class _Changes:
    """Wakes waiters in any thread's event loop whenever the fake's state changes.

    Tests, benchmarks and the server may each run their own loop, so a plain asyncio.Event
    (bound to one loop) cannot carry the signal.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = set()

    def notify(self) -> None:
        with self._lock:
            waiters, self._waiters = self._waiters, set()
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # that loop has already closed
                loop.call_soon_threadsafe(_resolve, future)

    async def wait_until(self, check: Callable[[], T], seconds: float | None) -> T:
        """Return `check()` once it is truthy, or its falsy value after `seconds` (None: never)."""
        loop = asyncio.get_running_loop()
        deadline = None if seconds is None else loop.time() + seconds
        while True:
            waiter = (loop, loop.create_future())
            with self._lock:
                self._waiters.add(waiter)
            try:
                result = check()
                remaining = None if deadline is None else deadline - loop.time()
                if result or (remaining is not None and remaining <= 0):
                    return result
                await asyncio.wait([waiter[1]], timeout=remaining)
            finally:
                with self._lock:
                    self._waiters.discard(waiter)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def command_entities(text: str) -> list[JSON]:
    """The `bot_command` entities Telegram attaches to a user's text."""
    return [
        {
            "type": "bot_command",
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
        }
        for match in _COMMAND.finditer(text)
    ]


class FakeTelegram:
    """The Bot API for one bot, with scripted chat behaviour and a record of what was sent."""

    def __init__(
        self,
        *,
        token: str = TOKEN,
        bot_username: str = BOT_USERNAME,
        bot_name: str = "PaperBell",
        limits: FloodLimits | None = TELEGRAM_LIMITS,
        privacy_mode: bool = True,
        max_poll_timeout: float = 1.0,
        webhook_retry_delay: float = 0.1,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.limits = limits
        self.privacy_mode = privacy_mode
        self.max_poll_timeout = max_poll_timeout
        self.webhook_retry_delay = webhook_retry_delay

        self._lock = threading.RLock()
        self._changes = _Changes()
        self._ids = itertools.count(1)
        self._users: dict[int, JSON] = {}
        self._chats: dict[int, JSON] = {}
        self._missing: set[int] = set()
        self._blocked: set[int] = set()
        self._kicked: set[int] = set()
        self._migrated: dict[int, int] = {}
        self._members: dict[tuple[int, int], str] = {}
        self._last_message_id: dict[int, int] = {}
        self._user_messages: dict[tuple[int, int], JSON] = {}
        self._sent: list[SentMessage] = []
        self._by_key: dict[tuple[int, int], SentMessage] = {}
        self._documents: list[SentDocument] = []
        self._answers: list[CallbackAnswer] = []
        self._inline_answers: list[InlineAnswer] = []
        self._open_callbacks: set[str] = set()
        self._open_inline: set[str] = set()
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self._calls: list[Call] = []
        self._failures: dict[str, deque[ApiError]] = {}
        self._delays: dict[str, deque[float]] = {}
        self._buckets: dict[tuple[str, int], _Bucket] = {}
        self._updates: list[JSON] = []
        self._last_update_id = 0
        self._allowed_updates: frozenset[str] = _DEFAULT_UPDATE_TYPES
        self._webhook: WebhookState | None = None
        self._poller: object | None = None
        self._closing = False

        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._delivery: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

        self._methods: dict[str, tuple[str, Callable[[_Params], Any]]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "sendMessage": self._send_message,
                "sendDocument": self._send_document,
                "sendChatAction": self._send_chat_action,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "answerInlineQuery": self._answer_inline_query,
                "getChat": self._get_chat,
                "getChatMember": self._get_chat_member,
            }.items()
        }

    # -- running -------------------------------------------------------------------------

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1 in the running event loop."""
        self._loop = asyncio.get_running_loop()
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        # Cancelling handlers whose client went away is what ends an abandoned long poll.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=0.25
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self._port = self._runner.addresses[0][1]
        self._delivery = asyncio.create_task(self._deliver_to_webhook())

    async def stop(self) -> None:
        with self._lock:
            self._closing = True
        self._changes.notify()
        if self._delivery is not None:
            self._delivery.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._delivery
        if self._runner is not None:
            await self._runner.cleanup()

    @classmethod
    def start_in_thread(cls, **options: Any) -> FakeTelegram:
        """Run a new fake in a background thread with its own event loop; `close()` ends it."""
        fake = cls(**options)
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        def serve() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(fake.start())
            except BaseException as exc:
                failure.append(exc)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.run_until_complete(fake.stop())
            loop.close()

        fake._thread = threading.Thread(target=serve, name="fake-telegram", daemon=True)
        fake._thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        return fake

    def close(self) -> None:
        """Stop a fake started with `start_in_thread()`."""
        if self._thread is None or self._loop is None:
            raise RuntimeError("close() stops a fake started with FakeTelegram.start_in_thread()")
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()

    def __enter__(self) -> FakeTelegram:
        if self._thread is None:
            raise RuntimeError("use `with FakeTelegram.start_in_thread() as tg:`")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        """What the app gets as TELEGRAM_API_URL."""
        if self._port is None:
            raise RuntimeError("the fake Telegram server is not running")
        return f"http://127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    # -- builders --------------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Alice",
        username: str | None = None,
        language_code: str | None = None,
    ) -> JSON:
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        with self._lock:
            self._users[user_id] = user
        return user

    def private_chat(self, user: JSON) -> JSON:
        chat: JSON = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        if "username" in user:
            chat["username"] = user["username"]
        return self._register(chat)

    def group(self, chat_id: int, title: str = "Reading group", type: str = "supergroup") -> JSON:
        if type not in ("group", "supergroup") or chat_id >= 0:
            raise ValueError("a group has a negative ID and type 'group' or 'supergroup'")
        return self._register({"id": chat_id, "type": type, "title": title})

    def channel(self, chat_id: int, title: str = "Papers", username: str | None = None) -> JSON:
        if chat_id >= 0:
            raise ValueError("a channel has a negative ID")
        chat: JSON = {"id": chat_id, "type": "channel", "title": title}
        if username:
            chat["username"] = username
        return self._register(chat)

    def _register(self, chat: JSON) -> JSON:
        with self._lock:
            self._chats[chat["id"]] = chat
        return chat

    # -- scripted behaviour --------------------------------------------------------------

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: everything addressed to the chat answers 403."""
        with self._lock:
            self._blocked.add(chat_id)

    def kick(self, chat_id: int) -> None:
        """The bot was removed from the group: everything addressed to it answers 403."""
        with self._lock:
            self._kicked.add(chat_id)

    def mark_missing(self, chat_id: int) -> None:
        """Telegram does not know the chat: everything addressed to it answers chat not found."""
        with self._lock:
            self._missing.add(chat_id)

    def migrate(self, old_id: int, new_id: int) -> JSON:
        """The group became a supergroup with a new ID; the old ID answers with the new one."""
        with self._lock:
            old = self._chat_json(old_id)
            self._migrated[old_id] = new_id
        return self.group(new_id, old.get("title", "Reading group"), "supergroup")

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        if status not in _MEMBER_STATUSES:
            raise ValueError(f"status must be one of {sorted(_MEMBER_STATUSES)}")
        with self._lock:
            self._members[(chat_id, user_id)] = status

    def fail_next(
        self, method: str, status: int, description: str, parameters: JSON | None = None
    ) -> None:
        """The next call of `method` answers this error instead of doing anything."""
        with self._lock:
            queue = self._failures.setdefault(method.lower(), deque())
            queue.append(ApiError(status, description, parameters))

    def delay_next(self, method: str, seconds: float) -> None:
        """The next call of `method` takes effect at once but is answered `seconds` later."""
        with self._lock:
            self._delays.setdefault(method.lower(), deque()).append(seconds)

    # -- driving the bot as users do -------------------------------------------------------

    def send_text(self, chat: JSON, user: JSON | None, text: str) -> JSON:
        """A user (None in a channel) posts `text`; returns the Message as Telegram stores it.

        The update is queued for getUpdates or the webhook unless privacy mode hides it.
        """
        with self._lock:
            self._register(chat)
            message: JSON = {
                "message_id": self._next_message_id(chat["id"]),
                "date": int(time.time()),
                "chat": chat,
                "text": text,
            }
            entities = command_entities(text)
            if entities:
                message["entities"] = entities
            if chat["type"] == "channel":
                message["sender_chat"] = chat
                kind = "channel_post"
            else:
                if user is None:
                    raise ValueError("only a channel post has no sender")
                self._users[user["id"]] = user
                message["from"] = user
                kind = "message"
            self._user_messages[(chat["id"], message["message_id"])] = message
            visible = chat["type"] not in ("group", "supergroup") or self._reaches_bot(text)
        if visible:
            self._enqueue(kind, message)
        return message

    def tap(self, message: SentMessage, user: JSON, data: str) -> str:
        """A user taps the button carrying `data`; returns the callback query's ID."""
        with self._lock:
            current = self._by_key.get((message.chat_id, message.message_id))
            if current is None or current.deleted:
                raise ValueError("cannot tap a button on a deleted message")
            offered = [b.get("callback_data") for b in current.buttons if "callback_data" in b]
            if data not in offered:
                raise ValueError(f"the message has no button with {data!r}; it has {offered}")
            self._users[user["id"]] = user
            query_id = str(next(self._ids) * 1_000_003 + self.bot_id)
            self._open_callbacks.add(query_id)
            query = {
                "id": query_id,
                "from": user,
                "message": self._message_json(current),
                "chat_instance": str(abs(current.chat_id) * 31 + self.bot_id),
                "data": data,
            }
        self._enqueue("callback_query", query)
        return query_id

    def react(
        self, message: SentMessage, user: JSON, new: list[str], old: list[str] | None = None
    ) -> JSON | None:
        """A user changes their emoji reactions on a message, from `old` to `new`.

        Like Telegram, the update reaches the bot only if its `allowed_updates` named
        `message_reaction` (it is not among the default types), and in a group only if the
        bot is one of its administrators; otherwise no update is made (None)."""
        with self._lock:
            current = self._by_key.get((message.chat_id, message.message_id))
            if current is None or current.deleted:
                raise ValueError("cannot react to a deleted message")
            self._users[user["id"]] = user
            in_group = self._chats[message.chat_id]["type"] in ("group", "supergroup")
            bot_status = self._members.get((message.chat_id, self.bot_id), "member")
            if in_group and bot_status not in ("administrator", "creator"):
                return None
            payload = {
                "chat": self._chats[message.chat_id],
                "message_id": message.message_id,
                "user": user,
                "date": int(time.time()),
                "old_reaction": [{"type": "emoji", "emoji": e} for e in old or []],
                "new_reaction": [{"type": "emoji", "emoji": e} for e in new],
            }
        return self._enqueue("message_reaction", payload)

    def inline_query(self, user: JSON, query: str, offset: str = "") -> str:
        """A user types `@bot query`; returns the inline query's ID."""
        with self._lock:
            self._users[user["id"]] = user
            query_id = str(next(self._ids) * 1_000_033 + self.bot_id)
            self._open_inline.add(query_id)
        self._enqueue(
            "inline_query", {"id": query_id, "from": user, "query": query, "offset": offset}
        )
        return query_id

    def push_update(self, kind: str, payload: JSON) -> JSON:
        """Queue an update the helpers above do not build: a service message such as a group's
        `migrate_to_chat_id`, or a `my_chat_member` change when a user blocks the bot."""
        return self._enqueue(kind, payload)

    def _reaches_bot(self, text: str) -> bool:
        """Privacy mode: in groups only a leading command for this bot (or any bot) arrives."""
        if not self.privacy_mode:
            return True
        match = _COMMAND.match(text)
        if match is None:
            return False
        _, _, addressee = match.group().partition("@")
        return not addressee or addressee.lower() == self.bot_username.lower()

    def _enqueue(self, kind: str, payload: JSON) -> JSON:
        with self._lock:
            self._last_update_id += 1
            update = {"update_id": self._last_update_id, kind: payload}
            self._updates.append(update)
        self._changes.notify()
        return update

    # -- what happened -----------------------------------------------------------------------

    @property
    def sent(self) -> list[SentMessage]:
        """Every message the bot posted, oldest first, deleted ones included."""
        with self._lock:
            return list(self._sent)

    def messages_in(self, chat_id: int) -> list[SentMessage]:
        """The bot's messages still in the chat, oldest first."""
        with self._lock:
            return [m for m in self._sent if m.chat_id == chat_id and not m.deleted]

    @property
    def documents(self) -> list[SentDocument]:
        with self._lock:
            return list(self._documents)

    @property
    def answers(self) -> list[CallbackAnswer]:
        with self._lock:
            return list(self._answers)

    def answer_to(self, query_id: str) -> CallbackAnswer | None:
        with self._lock:
            return next((a for a in self._answers if a.query_id == query_id), None)

    @property
    def inline_answers(self) -> list[InlineAnswer]:
        with self._lock:
            return list(self._inline_answers)

    @property
    def commands(self) -> dict[tuple[str, str], list[JSON]]:
        """Command lists by (scope, language_code), e.g. ("default", "zh") or ("chat:-100…", "")."""
        with self._lock:
            return dict(self._commands)

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if c.method.lower() == method.lower()]

    @property
    def last_refusal(self) -> str | None:
        """The description of the most recent error answer."""
        with self._lock:
            return next((c.description for c in reversed(self._calls) if c.description), None)

    @property
    def throttled(self) -> int:
        """How many requests were answered 429 Too Many Requests."""
        with self._lock:
            return sum(1 for c in self._calls if c.status == 429)

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by getUpdates nor accepted by the webhook."""
        with self._lock:
            return len(self._updates)

    @property
    def is_polling(self) -> bool:
        """Whether a getUpdates request is waiting for updates right now."""
        with self._lock:
            return self._poller is not None

    async def wait_for(self, predicate: Callable[[], T], timeout: float = 5.0) -> T:  # noqa: ASYNC109
        """Wait until `predicate()` is truthy and return it; raise TimeoutError if it never is."""
        result = await self._changes.wait_until(predicate, timeout)
        if not result:
            recent = [(c.method, c.status) for c in self.calls[-10:]]
            raise TimeoutError(f"still false after {timeout}s; the last calls were {recent}")
        return result

    # -- HTTP ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        name = request.match_info["method"]
        params = _Params({})
        delay = 0.0
        description: str | None = None
        try:
            if token != self.token:
                if _TOKEN_SHAPE.fullmatch(token):
                    raise ApiError(401, "Unauthorized")
                raise ApiError(404, "Not Found")
            entry = self._methods.get(name.lower())
            if entry is None and name.lower() != "getupdates":
                raise ApiError(404, "Not Found")
            name = entry[0] if entry else "getUpdates"
            params = await _read_params(request)
            with self._lock:
                delays = self._delays.get(name.lower())
                delay = delays.popleft() if delays else 0.0
                failures = self._failures.get(name.lower())
                if failures:
                    raise failures.popleft()
            if entry is None:
                result = await self._get_updates(params)
            else:
                with self._lock:
                    result = entry[1](params)
        except ApiError as error:
            status, body, description = error.code, error.body(), error.description
        else:
            status, body = 200, {"ok": True, "result": result}
        self._record(name, params, status, description)
        if delay:
            await asyncio.sleep(delay)
        return web.json_response(body, status=status)

    def _record(self, method: str, params: _Params, status: int, description: str | None) -> None:
        with self._lock:
            call = Call(method, params.values, time.monotonic(), status, description)
            self._calls.append(call)
        self._changes.notify()

    # -- updates -----------------------------------------------------------------------------

    async def _get_updates(self, params: _Params) -> list[JSON]:
        offset = params.integer("offset") or 0
        limit = min(max(params.integer("limit") or 100, 1), 100)
        timeout = min(max(params.number("timeout") or 0.0, 0.0), self.max_poll_timeout)
        allowed = params.obj("allowed_updates")
        me = object()
        with self._lock:
            if self._webhook is not None:
                raise ApiError(409, WEBHOOK_CONFLICT)
            if allowed is not None:
                self._allowed_updates = frozenset(allowed) or _DEFAULT_UPDATE_TYPES
            if offset < 0:
                del self._updates[:offset]
            elif offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._poller = me
        self._changes.notify()

        def outcome() -> list[JSON] | str:
            with self._lock:
                if self._poller is not me:
                    return "conflict"
                return self._deliverable()[:limit] or ("closing" if self._closing else [])

        try:
            result = await self._changes.wait_until(outcome, timeout)
        finally:
            with self._lock:
                if self._poller is me:
                    self._poller = None
        if result == "conflict":
            raise ApiError(409, POLL_CONFLICT)
        return result if isinstance(result, list) else []

    def _deliverable(self) -> list[JSON]:
        """Pending updates of the allowed types; Telegram drops the others for good."""
        self._updates = [u for u in self._updates if _update_type(u) in self._allowed_updates]
        return list(self._updates)

    async def _deliver_to_webhook(self) -> None:
        """POST pending updates to the webhook one at a time, retrying until it answers 2xx."""

        def next_delivery() -> tuple[WebhookState, JSON] | None:
            with self._lock:
                pending = self._deliverable() if self._webhook else []
                return (self._webhook, pending[0]) if self._webhook and pending else None

        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
            while True:
                delivery = await self._changes.wait_until(next_delivery, None)
                assert delivery is not None
                hook, update = delivery
                headers = {}
                if hook.secret_token:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
                error: str | None = None
                try:
                    async with session.post(hook.url, json=update, headers=headers) as response:
                        if response.status >= 300:
                            error = "Wrong response from the webhook: "
                            error += f"{response.status} {response.reason}"
                except (aiohttp.ClientError, TimeoutError) as exc:
                    error = f"Connection failed: {exc}"
                with self._lock:
                    if error is None:
                        with contextlib.suppress(ValueError):
                            self._updates.remove(update)
                    else:
                        hook.last_error_date = int(time.time())
                        hook.last_error_message = error
                self._changes.notify()
                if error:
                    await asyncio.sleep(self.webhook_retry_delay)

    # -- methods -------------------------------------------------------------------------------
    # Each runs with the lock held and returns the `result`, or raises ApiError.

    def _get_me(self, params: _Params) -> JSON:
        return self._bot_user() | {
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _set_webhook(self, params: _Params) -> bool:
        url = params.text("url") or ""
        if not url:
            return self._delete_webhook(params)
        _check_webhook_url(url)
        if params.flag("drop_pending_updates"):
            self._updates.clear()
        allowed = params.obj("allowed_updates")
        if allowed is not None:
            self._allowed_updates = frozenset(allowed) or _DEFAULT_UPDATE_TYPES
        self._webhook = WebhookState(
            url=url,
            secret_token=params.text("secret_token"),
            max_connections=params.integer("max_connections") or 40,
        )
        return True

    def _delete_webhook(self, params: _Params) -> bool:
        if params.flag("drop_pending_updates"):
            self._updates.clear()
        self._webhook = None
        return True

    def _get_webhook_info(self, params: _Params) -> JSON:
        hook = self._webhook
        info: JSON = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if hook:
            info["max_connections"] = hook.max_connections
            info["allowed_updates"] = sorted(self._allowed_updates)
            if hook.last_error_date:
                info["last_error_date"] = hook.last_error_date
                info["last_error_message"] = hook.last_error_message
        return info

    def _set_my_commands(self, params: _Params) -> bool:
        commands = params.obj("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            name = str(command.get("command") or "")
            description = str(command.get("description") or "")
            if not name:
                raise ApiError(400, "Bad Request: command must be non-empty")
            if not _COMMAND_NAME.fullmatch(name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not description:
                raise ApiError(400, "Bad Request: command description must be non-empty")
            if len(description) > 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = (_scope_key(params.obj("scope")), params.text("language_code") or "")
        if commands:
            self._commands[key] = commands
        else:
            self._commands.pop(key, None)
        return True

    def _get_my_commands(self, params: _Params) -> list[JSON]:
        key = (_scope_key(params.obj("scope")), params.text("language_code") or "")
        return self._commands.get(key, [])

    def _delete_my_commands(self, params: _Params) -> bool:
        key = (_scope_key(params.obj("scope")), params.text("language_code") or "")
        self._commands.pop(key, None)
        return True

    def _send_message(self, params: _Params) -> JSON:
        text = params.text("text")
        if not text:
            raise ApiError(400, TEXT_EMPTY)
        chat_id = self._chat_for(params)
        parse_mode = params.text("parse_mode")
        plain = self._visible_text(text, parse_mode, params.obj("entities"))
        if not plain:
            raise ApiError(400, TEXT_EMPTY)
        markup = _checked_markup(params.obj("reply_markup"))
        reply_to = self._reply_target(chat_id, params)
        self._throttle(chat_id)
        message = self._post(chat_id, text, parse_mode, markup, plain, reply_to)
        return self._message_json(message)

    def _send_document(self, params: _Params) -> JSON:
        chat_id = self._chat_for(params)
        upload = self._document_upload(params)
        caption = params.text("caption") or ""
        parse_mode = params.text("parse_mode")
        plain = self._visible_text(
            caption,
            parse_mode,
            params.obj("caption_entities"),
            limit=MAX_CAPTION_LENGTH,
            too_long=CAPTION_TOO_LONG,
        )
        markup = _checked_markup(params.obj("reply_markup"))
        reply_to = self._reply_target(chat_id, params)
        self._throttle(chat_id)
        message = self._post(chat_id, caption, parse_mode, markup, plain, reply_to)
        number = next(self._ids)
        message.document = SentDocument(
            chat_id=chat_id,
            message_id=message.message_id,
            file_id=f"BQACAgIAAxkBAAI{number:08d}",
            filename=upload.filename,
            mime_type=upload.content_type,
            content=upload.content,
            caption=caption,
        )
        self._documents.append(message.document)
        return self._message_json(message)

    def _document_upload(self, params: _Params) -> _Upload:
        if "document" in params.files:
            upload = params.files["document"]
        else:
            reference = params.text("document")
            if not reference:
                raise ApiError(400, "Bad Request: there is no document in the request")
            if reference.startswith("attach://") and reference[9:] in params.files:
                upload = params.files[reference[9:]]
            else:
                known = next((d for d in self._documents if d.file_id == reference), None)
                if known is None:
                    raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
                upload = _Upload(known.filename, known.mime_type, known.content)
        if not upload.content:
            raise ApiError(400, "Bad Request: file must be non-empty")
        return upload

    def _send_chat_action(self, params: _Params) -> bool:
        self._chat_for(params)
        if params.text("action") not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True

    def _edit_message_text(self, params: _Params) -> JSON:
        message = self._editable(params)
        text = params.text("text")
        if not text:
            raise ApiError(400, TEXT_EMPTY)
        if message.document is not None:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        parse_mode = params.text("parse_mode")
        plain = self._visible_text(text, parse_mode, params.obj("entities"))
        if not plain:
            raise ApiError(400, TEXT_EMPTY)
        # Telegram drops the keyboard of a message edited without one.
        markup = _checked_markup(params.obj("reply_markup"))
        same_text = text == message.text and _mode(parse_mode) == _mode(message.parse_mode)
        if same_text and markup == message.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        message.text, message.parse_mode, message.plain_text = text, parse_mode, plain
        message.reply_markup = markup
        message.edit_date = int(time.time())
        return self._message_json(message)

    def _edit_message_reply_markup(self, params: _Params) -> JSON:
        message = self._editable(params)
        markup = _checked_markup(params.obj("reply_markup"))
        if markup == message.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        message.reply_markup = markup
        message.edit_date = int(time.time())
        return self._message_json(message)

    def _editable(self, params: _Params) -> SentMessage:
        if params.text("inline_message_id"):
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat_id = self._chat_for(params)
        message_id = params.integer("message_id")
        if message_id is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        message = self._by_key.get((chat_id, message_id))
        if message is None and (chat_id, message_id) in self._user_messages:
            raise ApiError(400, "Bad Request: message can't be edited")
        if message is None or message.deleted:
            raise ApiError(400, "Bad Request: message to edit not found")
        return message

    def _delete_message(self, params: _Params) -> bool:
        chat_id = self._chat_for(params)
        key = (chat_id, params.integer("message_id") or 0)
        message = self._by_key.get(key)
        if message is not None and not message.deleted:
            message.deleted = True
        elif self._user_messages.pop(key, None) is None:
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    def _answer_callback_query(self, params: _Params) -> bool:
        query_id = params.text("callback_query_id") or ""
        if query_id not in self._open_callbacks:
            raise ApiError(400, QUERY_TOO_OLD)
        text = params.text("text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._open_callbacks.discard(query_id)
        self._answers.append(
            CallbackAnswer(
                query_id=query_id,
                text=text,
                show_alert=params.flag("show_alert"),
                url=params.text("url"),
                cache_time=params.integer("cache_time"),
            )
        )
        return True

    def _answer_inline_query(self, params: _Params) -> bool:
        query_id = params.text("inline_query_id") or ""
        if query_id not in self._open_inline:
            raise ApiError(400, QUERY_TOO_OLD)
        results = params.obj("results")
        if not isinstance(results, list):
            raise ApiError(400, "Bad Request: can't parse results JSON object")
        if len(results) > MAX_INLINE_RESULTS:
            raise ApiError(400, "Bad Request: too many inline query results specified")
        seen: set[str] = set()
        for result in results:
            self._check_inline_result(result, seen)
        self._open_inline.discard(query_id)
        self._inline_answers.append(
            InlineAnswer(
                inline_query_id=query_id,
                results=results,
                cache_time=params.integer("cache_time"),
                is_personal=params.flag("is_personal"),
                next_offset=params.text("next_offset"),
            )
        )
        return True

    def _check_inline_result(self, result: JSON, seen: set[str]) -> None:
        result_id = str(result.get("id") or "")
        if not result_id:
            raise ApiError(400, "Bad Request: RESULT_ID_EMPTY")
        if len(result_id.encode()) > MAX_RESULT_ID_BYTES:
            raise ApiError(400, "Bad Request: RESULT_ID_INVALID")
        if result_id in seen:
            raise ApiError(400, "Bad Request: RESULT_ID_DUPLICATE")
        seen.add(result_id)
        _checked_markup(result.get("reply_markup"))
        if result.get("type") != "article":
            return
        if not result.get("title"):
            raise ApiError(400, "Bad Request: ARTICLE_TITLE_EMPTY")
        content = result.get("input_message_content")
        prefix = "Bad Request: can't parse InlineQueryResult: "
        if not isinstance(content, dict):
            raise ApiError(400, prefix + 'Field "input_message_content" must be of type Object')
        text = str(content.get("message_text") or "")
        too_long = "Bad Request: MESSAGE_TOO_LONG"
        try:
            plain = self._visible_text(
                text, content.get("parse_mode"), content.get("entities"), too_long=too_long
            )
        except ApiError as error:
            if error.description == too_long:
                raise
            inner = error.description.removeprefix("Bad Request: ")
            raise ApiError(400, prefix + inner[:1].upper() + inner[1:]) from None
        if not plain:
            raise ApiError(400, prefix + "Message text is empty")

    def _get_chat(self, params: _Params) -> JSON:
        chat = self._chat_json(self._chat_for(params))
        return chat | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    def _get_chat_member(self, params: _Params) -> JSON:
        chat_id = self._chat_for(params)
        user_id = params.integer("user_id")
        if user_id is None:
            raise ApiError(400, "Bad Request: user not found")
        if user_id == self.bot_id:
            user = self._bot_user()
        else:
            user = self._users.get(user_id) or {
                "id": user_id,
                "is_bot": False,
                "first_name": f"User {user_id}",
            }
        return _member_json(self._members.get((chat_id, user_id), "member"), user)

    # -- shared checks and bookkeeping (lock held) -----------------------------------------

    def _chat_for(self, params: _Params) -> int:
        """The addressed chat, after the scripted refusals Telegram would give for it."""
        raw = params.obj("chat_id")
        if raw is None or raw == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if isinstance(raw, str) and _INTEGER.fullmatch(raw):
            raw = int(raw)
        if isinstance(raw, str) and raw.startswith("@"):
            found = [c["id"] for c in self._chats.values() if c.get("username") == raw[1:]]
            if not found:
                raise ApiError(400, CHAT_NOT_FOUND)
            raw = found[0]
        if not isinstance(raw, int) or isinstance(raw, bool) or raw == 0:
            raise ApiError(400, CHAT_NOT_FOUND)
        if raw in self._missing:
            raise ApiError(400, CHAT_NOT_FOUND)
        if raw in self._migrated:
            raise ApiError(400, UPGRADED, {"migrate_to_chat_id": self._migrated[raw]})
        if raw in self._blocked:
            raise ApiError(403, BLOCKED)
        if raw in self._kicked:
            kind = self._chat_json(raw)["type"]
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind} chat")
        return raw

    def _visible_text(
        self,
        text: str,
        parse_mode: str | None,
        entities: Any,
        *,
        limit: int = MAX_TEXT_LENGTH,
        too_long: str = TEXT_TOO_LONG,
    ) -> str:
        """What users see of `text` (possibly nothing), or Telegram's refusal of it."""
        mode = _mode(parse_mode)
        if mode is None:
            _check_entities(text, entities)
            visible = text.strip()
        elif mode == "html":
            try:
                visible = validate_telegram_html(text)
            except TelegramHTMLError as error:
                if str(error) == TEXT_EMPTY:
                    return ""
                raise ApiError(
                    400, too_long if str(error) == TEXT_TOO_LONG else str(error)
                ) from None
        elif mode in ("markdown", "markdownv2"):
            raise ApiError(400, MARKDOWN_UNSUPPORTED)
        else:
            raise ApiError(400, "Bad Request: unsupported parse_mode")
        if utf16_len(visible) > limit:
            raise ApiError(400, too_long)
        return visible

    def _reply_target(self, chat_id: int, params: _Params) -> int | None:
        reply = params.obj("reply_parameters")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            lenient = reply.get("allow_sending_without_reply") is True
        else:
            message_id = params.integer("reply_to_message_id")
            lenient = params.flag("allow_sending_without_reply")
        if message_id is None:
            return None
        key = (chat_id, int(message_id))
        bot_message = self._by_key.get(key)
        if key in self._user_messages or (bot_message and not bot_message.deleted):
            return int(message_id)
        if lenient:
            return None
        raise ApiError(400, "Bad Request: message to be replied not found")

    def _throttle(self, chat_id: int) -> None:
        if self.limits is None:
            return
        now = time.monotonic()
        scoped = [
            ("overall", 0, self.limits.overall),
            ("group", chat_id, self.limits.per_group if chat_id < 0 else None),
            ("chat", chat_id, self.limits.per_chat),
        ]
        buckets = [
            self._buckets.setdefault((scope, key), _Bucket(rate, now))
            for scope, key, rate in scoped
            if rate is not None
        ]
        wait = max((b.seconds_until_free(now) for b in buckets), default=0.0)
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )
        for bucket in buckets:
            bucket.tokens -= 1

    def _post(
        self,
        chat_id: int,
        text: str,
        parse_mode: str | None,
        markup: JSON | None,
        plain: str,
        reply_to: int | None,
    ) -> SentMessage:
        message = SentMessage(
            chat_id=chat_id,
            message_id=self._next_message_id(chat_id),
            text=text,
            parse_mode=parse_mode,
            reply_markup=markup,
            plain_text=plain,
            date=int(time.time()),
            reply_to_message_id=reply_to,
        )
        self._sent.append(message)
        self._by_key[(chat_id, message.message_id)] = message
        return message

    def _next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _bot_user(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    def _chat_json(self, chat_id: int) -> JSON:
        if chat_id in self._chats:
            return self._chats[chat_id]
        if chat_id > 0:
            user = self._users.get(chat_id, {"first_name": f"User {chat_id}"})
            return {"id": chat_id, "type": "private", "first_name": user["first_name"]}
        kind = "supergroup" if str(chat_id).startswith("-100") else "group"
        return {"id": chat_id, "type": kind, "title": f"Group {chat_id}"}

    def _message_json(self, message: SentMessage) -> JSON:
        chat = self._chat_json(message.chat_id)
        result: JSON = {"message_id": message.message_id, "date": message.date, "chat": chat}
        if chat["type"] == "channel":
            result["sender_chat"] = chat
        else:
            result["from"] = self._bot_user()
        if message.edit_date is not None:
            result["edit_date"] = message.edit_date
        if message.document is None:
            result["text"] = message.plain_text
        else:
            result["document"] = {
                "file_id": message.document.file_id,
                "file_unique_id": message.document.file_id[-12:],
                "file_name": message.document.filename,
                "mime_type": message.document.mime_type,
                "file_size": len(message.document.content),
            }
            if message.plain_text:
                result["caption"] = message.plain_text
        if message.reply_to_message_id is not None:
            key = (message.chat_id, message.reply_to_message_id)
            replied = self._by_key.get(key)
            replied_json = self._message_json(replied) if replied else self._user_messages.get(key)
            if replied_json:
                result["reply_to_message"] = replied_json
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            result["reply_markup"] = message.reply_markup
        return result


# -- request parsing and validation helpers ------------------------------------------------


async def _read_params(request: web.Request) -> _Params:
    """Query string plus JSON, form or multipart body, as the Bot API accepts them all."""
    raw: JSON = dict(request.query)
    files: dict[str, _Upload] = {}
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError(400, "Bad Request: can't parse JSON body") from None
            if not isinstance(body, dict):
                raise ApiError(400, "Bad Request: JSON body must be an object")
            raw.update(body)
        else:
            for key, value in (await request.post()).items():
                if isinstance(value, web.FileField):
                    content_type = value.content_type or "application/octet-stream"
                    files[key] = _Upload(value.filename, content_type, value.file.read())
                elif isinstance(value, bytes | bytearray):
                    raw[key] = value.decode()
                else:
                    raw[key] = value
    return _Params({key: _decode(key, value) for key, value in raw.items()}, files)


def _decode(key: str, value: Any) -> Any:
    """Form fields arrive as strings; the Bot API reads each by the type the field has."""
    if not isinstance(value, str):
        return value
    if key in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            what = "reply keyboard markup" if key == "reply_markup" else key
            raise ApiError(400, f"Bad Request: can't parse {what} JSON object") from None
    if key in _INT_FIELDS and _INTEGER.fullmatch(value):
        return int(value)
    if key in _FLOAT_FIELDS:
        with contextlib.suppress(ValueError):
            return float(value)
    if key in _BOOL_FIELDS:
        return value.strip().lower() in ("true", "1", "yes")
    return value


def _mode(parse_mode: str | None) -> str | None:
    return parse_mode.lower() if parse_mode else None


def _update_type(update: JSON) -> str:
    return next(key for key in update if key != "update_id")


def _checked_markup(markup: Any) -> JSON | None:
    """The reply markup as Telegram keeps it (an empty inline keyboard is none at all)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: object expected as reply markup")
    if "inline_keyboard" not in markup:
        return markup
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError(
            400,
            'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup must be an Array '
            "of Arrays",
        )
    for row in rows:
        for button in row:
            _check_button(button)
    return markup if any(rows) else None


def _check_button(button: Any) -> None:
    prefix = "Bad Request: can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise ApiError(400, prefix + "InlineKeyboardButton must be an Object")
    if not isinstance(button.get("text"), str):
        raise ApiError(400, prefix + 'Field "text" must be of type String')
    actions = [name for name in _BUTTON_ACTIONS if button.get(name) not in (None, "")]
    if not actions:
        raise ApiError(400, TEXT_BUTTON)
    if len(actions) > 1:
        raise ApiError(400, prefix + f"exactly one of the optional fields must be used: {actions}")
    if "callback_data" in actions:
        data = button["callback_data"]
        if not isinstance(data, str) or len(data.encode()) > MAX_CALLBACK_DATA_BYTES:
            raise ApiError(400, BUTTON_DATA_INVALID)
    if "url" in actions:
        _check_button_url(str(button["url"]))


def _check_button_url(url: str) -> None:
    """Telegram takes http(s) and tg links; a web host must have a dot in its name."""
    invalid = f"Bad Request: inline keyboard button URL '{url}' is invalid: "
    scheme, has_scheme, rest = url.partition("://")
    if not has_scheme:
        scheme, rest = "http", url
    scheme = scheme.lower()
    if scheme == "tg":
        return
    if scheme not in ("http", "https"):
        raise ApiError(400, invalid + "Unsupported URL protocol")
    host = urlsplit(f"{scheme}://{rest}").hostname or ""
    if "." in host:
        return
    raise ApiError(400, BUTTON_URL_INVALID if has_scheme else invalid + "Wrong HTTP URL")


def _check_entities(text: str, entities: Any) -> None:
    length = utf16_len(text)
    for entity in entities or []:
        offset, size = int(entity.get("offset", 0)), int(entity.get("length", 0))
        if entity.get("type") not in _ENTITY_TYPES:
            raise ApiError(
                400, "Bad Request: can't parse MessageEntity: Unsupported type specified"
            )
        if offset < 0:
            raise ApiError(400, f"Bad Request: receive an entity with incorrect offset {offset}")
        if offset > length:
            raise ApiError(
                400,
                f"Bad Request: entity begins after the end of the text at UTF-16 offset {offset}",
            )
        if offset + size > length:
            raise ApiError(
                400,
                f"Bad Request: entity beginning at UTF-16 offset {offset} ends after the end of "
                f"the text at UTF-16 offset {offset + size}",
            )


def _check_webhook_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.hostname in ("127.0.0.1", "localhost") and parts.scheme in ("http", "https"):
        return
    if parts.scheme != "https":
        raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
    if (parts.port or 443) not in (80, 88, 443, 8443):
        raise ApiError(
            400, "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443"
        )


def _scope_key(scope: Any) -> str:
    """How `commands` is keyed: "default", "all_private_chats", "chat:<id>", …"""
    if scope is None:
        return "default"
    prefix = "Bad Request: can't parse BotCommandScope: "
    kind = scope.get("type") if isinstance(scope, dict) else None
    if kind in ("default", "all_private_chats", "all_group_chats", "all_chat_administrators"):
        return str(kind)
    if kind in ("chat", "chat_administrators", "chat_member"):
        if scope.get("chat_id") is None:
            raise ApiError(400, prefix + 'Can\'t find field "chat_id"')
        if kind != "chat_member":
            return f"{kind}:{scope['chat_id']}"
        if scope.get("user_id") is None:
            raise ApiError(400, prefix + 'Can\'t find field "user_id"')
        return f"chat_member:{scope['chat_id']}:{scope['user_id']}"
    raise ApiError(400, prefix + "Unsupported type specified")


def _member_json(status: str, user: JSON) -> JSON:
    member: JSON = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member |= {"can_be_edited": False, "is_anonymous": False}
        member |= dict.fromkeys(_ADMIN_RIGHTS, True)
    elif status == "kicked":
        member["until_date"] = 0
    return member
