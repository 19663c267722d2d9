"""paperbell on Telegram: commands, ☆ taps, favorites pages and inline shares in; cards out.

Every update becomes a call into the platform-neutral `Service`. What lives here is what
only Telegram has: who may manage a group (getChatMember), how commands are addressed in
groups, answering a tap at once, long polling versus a webhook, and what each of
Telegram's refusals means for delivery.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from datetime import timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardMarkup,
    InlineQueryResultsButton,
    InputFile,
    Message,
    Update,
    User,
)
from telegram.constants import ChatMemberStatus, ChatType, ParseMode
from telegram.error import Conflict, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.cards.cards import Card
from bot.chat.commands import COMMANDS
from bot.chat.messages import MESSAGES
from bot.chat.replies import CardReply, Document, FavoritesPage, Notice, Reply
from bot.chat.service import Caller, ChatKind, Service, UnknownPaper
from bot.delivery.platforms import DigestEntry, RateLimits
from bot.render.buttons import parse_favorite_callback
from bot.store import Store
from bot.support.config import Language, Settings
from handlers.telegram.errors import delivery_error, is_not_modified, retry_after_seconds
from handlers.telegram.markup import (
    NO_PREVIEW,
    FavoritesAction,
    card_message,
    digest_message,
    favorites_message,
    parse_favorites_action,
    relabel_star,
    share_result,
    text_parts,
)
from handlers.telegram.polling import PollingLease
from handlers.telegram.texts import TEXTS, Texts
from handlers.telegram.webhook import WebhookServer

log = logging.getLogger(__name__)

PLATFORM = "telegram"
ALLOWED_UPDATES = (
    Update.MESSAGE,
    Update.CHANNEL_POST,
    Update.CALLBACK_QUERY,
    Update.INLINE_QUERY,
    Update.MY_CHAT_MEMBER,
)
# A reply to a command waits out a 429 this often and this long at most, then gives up.
REPLY_ATTEMPTS = 3
MAX_REPLY_WAIT_SECONDS = 30.0
INLINE_CACHE_SECONDS = 300
# How long one getUpdates waits for updates, and how long a stop lets handlers finish.
POLL_TIMEOUT_SECONDS = 30.0
STOP_GRACE_SECONDS = 3.0
_MANAGERS = (ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR)
_PRESENT = (ChatMemberStatus.MEMBER, *_MANAGERS)
_REMOVED = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
# A bare command in a group may be meant for another bot there; only these are ours.
_OUR_COMMANDS = frozenset({c.name for c in COMMANDS} | {"start", "list"})

Context = ContextTypes.DEFAULT_TYPE
Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]


class _Superseded(Exception):
    """Another process polls with this token; polling must end without one last getUpdates.

    That last call (python-telegram-bot's clean-up on stop) would cut off the other
    process's poll in turn, and both would stop.
    """


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
        store: Store,
        stop: asyncio.Event,
        *,
        request_timeout: float = 10.0,
        replica: str = "paperbell",
    ) -> None:
        """`replica`: this process's name among replicas, for the long-polling lease."""
        if settings.TELEGRAM_BOT_TOKEN is None:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        self._service = service
        self._store = store
        self._stop = stop
        self._default_language = settings.DEFAULT_LANGUAGE
        self._api_url = settings.TELEGRAM_API_URL.rstrip("/")
        self._webhook_url = settings.TELEGRAM_WEBHOOK_URL
        secret = settings.TELEGRAM_WEBHOOK_SECRET
        self._webhook_secret = secret.get_secret_value() if secret else secrets.token_urlsafe(32)
        self._webhook_listen = settings.TELEGRAM_WEBHOOK_LISTEN
        self._webhook_port = settings.TELEGRAM_WEBHOOK_PORT
        self._webhook: WebhookServer | None = None
        self._polling = PollingLease(
            store,
            replica,
            ttl=timedelta(seconds=settings.REPLICA_LEASE_SECONDS),
            start_polling=self._poll_updates,
            stop_polling=self._stop_updates,
        )
        self._in_flight: set[asyncio.Task[Any]] = set()
        self._tap_locks: dict[int, asyncio.Lock] = {}
        self._app = (
            Application.builder()
            .token(settings.TELEGRAM_BOT_TOKEN.get_secret_value())
            .base_url(f"{self._api_url}/bot")
            .base_file_url(f"{self._api_url}/file/bot")
            .connect_timeout(request_timeout)
            .read_timeout(request_timeout)
            .write_timeout(request_timeout)
            # A /paper waiting for arXiv must not hold up everyone else's taps.
            .concurrent_updates(True)
            .job_queue(None)
            .build()
        )
        self._app.add_handlers(
            [
                MessageHandler(filters.StatusUpdate.MIGRATE, self._tracked(self._on_migration)),
                MessageHandler(
                    filters.COMMAND
                    & (filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST),
                    self._tracked(self._on_command),
                ),
                CallbackQueryHandler(self._tracked(self._on_tap)),
                InlineQueryHandler(self._tracked(self._on_inline_query)),
                ChatMemberHandler(self._tracked(self._on_membership)),
            ]
        )
        self._app.add_error_handler(self._on_error)

    # -- running ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect, register the command menu, then poll or listen for the webhook.

        A failure is one log line and a request to stop the whole bot, never a traceback
        loop: the operator has something to fix.
        """
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

    async def stop(self) -> None:
        if self._webhook is not None:
            await self._webhook.stop()
        await self._polling.stop()
        await self._let_handlers_finish()
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
        """Poll for updates while this replica holds the long-polling lease."""
        await self._polling.start()
        if not self._polling.polling:
            log.info("Telegram: another replica takes the updates by long polling; standing by")

    async def _poll_updates(self) -> None:
        updater = self._app.updater
        if updater is None:
            raise RuntimeError("the application was built without an updater")
        await updater.start_polling(
            timeout=timedelta(seconds=POLL_TIMEOUT_SECONDS),
            allowed_updates=ALLOWED_UPDATES,
            error_callback=self._on_polling_error,
        )

    async def _stop_updates(self) -> None:
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
                "Stopping; run one paperbell per bot token.",
                error,
            )
            self._stop.set()
            raise _Superseded from error
        log.warning("Telegram polling failed, retrying: %s", error)

    def _tracked(self, callback: Callback) -> Callback:
        async def run(update: Update, context: Context) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._in_flight.add(task)
            try:
                await callback(update, context)
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

    # -- delivery (Platform) ---------------------------------------------------------------

    def is_group(self, chat_id: str) -> bool:
        return chat_id.startswith("-")

    async def send_card(self, chat_id: str, card: Card) -> str:
        starred = not self.is_group(chat_id) and await self._store.is_favorite(
            PLATFORM, chat_id, card.arxiv_id
        )
        text, markup = card_message(card, starred=starred)
        return await self._post(chat_id, text, markup)

    async def send_digest(
        self, chat_id: str, title: str, entries: list[DigestEntry], language: str
    ) -> str:
        text, markup = digest_message(title, entries, "zh" if language == "zh" else "en")
        return await self._post(chat_id, text, markup)

    async def _post(self, chat_id: str, text: str, markup: Any) -> str:
        try:
            message = await self._app.bot.send_message(
                int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id,
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            )
        except TelegramError as error:
            raise delivery_error(error) from error
        return str(message.message_id)

    # -- updates ---------------------------------------------------------------------------

    async def _on_command(self, update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None or not message.text or not message.entities:
            return
        token = message.parse_entity(message.entities[0])
        name, _, addressee = token[1:].partition("@")
        name = name.lower()
        if addressee and addressee.lower() != (context.bot.username or "").lower():
            return
        if message.chat.type != ChatType.PRIVATE and not addressee and name not in _OUR_COMMANDS:
            return
        caller = _caller(message)
        replies = await self._service.handle(
            caller,
            name,
            message.text[len(token) :].strip(),
            can_manage=partial(_can_manage, message),
        )
        for reply in replies:
            parts = (
                [Notice(t) for t in text_parts(reply.text)]
                if isinstance(reply, Notice)
                else [reply]
            )
            for part in parts:
                await _patiently(partial(self._send_reply, message, caller, part))

    async def _send_reply(self, message: Message, caller: Caller, reply: Reply) -> None:
        """Replies quote the command in groups (python-telegram-bot's default), not in private."""
        if isinstance(reply, Notice):
            await message.reply_text(
                reply.text, link_preview_options=NO_PREVIEW, allow_sending_without_reply=True
            )
        elif isinstance(reply, CardReply | FavoritesPage):
            text, markup = await self._html_reply(message, caller, reply)
            await message.reply_html(
                text,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
                allow_sending_without_reply=True,
            )
        elif isinstance(reply, Document):
            await message.reply_document(
                InputFile(reply.content, filename=reply.filename),
                caption=reply.caption,
                allow_sending_without_reply=True,
            )

    async def _html_reply(
        self, message: Message, caller: Caller, reply: CardReply | FavoritesPage
    ) -> tuple[str, InlineKeyboardMarkup | None]:
        if isinstance(reply, CardReply):
            starred = (
                caller.chat_kind == "private"
                and caller.user_id is not None
                and await self._store.is_favorite(PLATFORM, caller.user_id, reply.card.arxiv_id)
            )
            return card_message(reply.card, starred=starred)
        if caller.user_id is None:
            raise ValueError("a favorites page needs the person it belongs to")
        return favorites_message(reply, caller.user_id, _owner_name(message))

    async def _on_tap(self, update: Update, context: Context) -> None:
        query = update.callback_query
        if query is None:
            return
        texts = TEXTS[self._language_of(query.from_user)]
        data = query.data or ""
        async with self._in_order(query.from_user.id):
            if (paper_id := parse_favorite_callback(data)) is not None:
                await self._toggle(query, data, paper_id, texts)
            elif (action := parse_favorites_action(data)) is not None:
                await self._browse(query, action, texts)
            else:
                await query.answer(texts.stale_button)

    @contextlib.asynccontextmanager
    async def _in_order(self, user_id: int) -> AsyncIterator[None]:
        """One person's taps take effect one after another, so the last label drawn is right."""
        lock = self._tap_locks.setdefault(user_id, asyncio.Lock())
        async with lock:
            yield
        if not lock.locked():
            self._tap_locks.pop(user_id, None)

    async def _toggle(self, query: CallbackQuery, data: str, paper_id: str, texts: Texts) -> None:
        try:
            toggle = await self._service.toggle_favorite(
                PLATFORM, str(query.from_user.id), paper_id
            )
        except UnknownPaper:
            await query.answer(texts.unknown_paper, show_alert=True)
            return
        await query.answer(texts.saved if toggle.saved else texts.removed)
        message = query.message
        # Cards shared through inline mode come without a message and stay as they are.
        if not isinstance(message, Message) or message.reply_markup is None:
            return
        private = message.chat.type == ChatType.PRIVATE
        markup = relabel_star(
            message.reply_markup,
            data,
            starred=toggle.saved if private else None,
            count=None if private else toggle.count,
        )
        await _quietly(message.edit_reply_markup(markup))

    async def _browse(self, query: CallbackQuery, action: FavoritesAction, texts: Texts) -> None:
        user_id = str(query.from_user.id)
        if user_id != action.owner:
            await query.answer(texts.not_your_list, show_alert=True)
            return
        answer = None
        if action.remove is not None:
            removed = await self._service.remove_favorite(PLATFORM, user_id, action.remove)
            answer = texts.removed if removed else texts.already_removed
        page = await self._service.favorites_page(PLATFORM, user_id, action.page)
        await query.answer(answer)
        message = query.message
        if not isinstance(message, Message):
            return
        text, markup = favorites_message(page, user_id, _owner_name(message, query.from_user))
        await _quietly(
            message.edit_text(
                text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            )
        )

    async def _on_inline_query(self, update: Update, context: Context) -> None:
        query = update.inline_query
        if query is None:
            return
        language = self._language_of(query.from_user)
        shares = (
            await self._service.share_cards(query.query, language) if query.query.strip() else []
        )
        results = [share_result(share.card) for share in shares]
        hint = InlineQueryResultsButton(TEXTS[language].share_hint, start_parameter="share")
        await query.answer(
            results,
            cache_time=INLINE_CACHE_SECONDS,
            is_personal=True,
            button=None if results else hint,
        )

    async def _on_membership(self, update: Update, context: Context) -> None:
        """Follow the bot being blocked, removed, unblocked or added back."""
        change = update.my_chat_member
        if change is None:
            return
        chat = await self._store.get_chat(PLATFORM, str(change.chat.id))
        if chat is None:
            return
        status = change.new_chat_member.status
        if status in _REMOVED and chat.active:
            private = change.chat.type == ChatType.PRIVATE
            reason = "the user blocked the bot" if private else "the bot was removed from the chat"
            await self._store.deactivate_chat(chat.id, reason)
        elif status in _PRESENT and not chat.active:
            await self._store.reactivate_chat(chat.id)

    async def _on_migration(self, update: Update, context: Context) -> None:
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
        with contextlib.suppress(LookupError):  # a group paperbell never served
            await self._store.migrate_chat(PLATFORM, str(old), str(new))
            log.info("Telegram group %s became supergroup %s", old, new)

    async def _on_error(self, update: object, context: Context) -> None:
        """Log what failed and, where someone is waiting for an answer, apologise."""
        log.error("Telegram update failed: %r", context.error, exc_info=context.error)
        if not isinstance(update, Update):
            return
        texts = TEXTS[self._language_of(update.effective_user)]
        message = update.effective_message
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(texts.sorry, show_alert=True)
            elif message is not None and message.text and message.text.startswith("/"):
                await message.reply_text(texts.sorry, allow_sending_without_reply=True)
        except TelegramError as error:
            log.info("Could not apologise on Telegram either: %s", error)

    def _language_of(self, user: User | None) -> Language:
        """A person's own language for what only they see (tap answers, inline results)."""
        code = (user.language_code or "") if user else ""
        if code.lower().startswith("zh"):
            return "zh"
        return "en" if code else self._default_language


def _caller(message: Message) -> Caller:
    chat = message.chat
    kind: ChatKind = (
        "private"
        if chat.type == ChatType.PRIVATE
        else "channel"
        if chat.type == ChatType.CHANNEL
        else "group"
    )
    # Posts made as a chat (channel posts, anonymous admins) belong to no one person.
    person = message.from_user if message.sender_chat is None else None
    return Caller(
        PLATFORM, str(chat.id), kind, str(person.id) if person else None, chat.effective_name
    )


async def _can_manage(message: Message) -> bool:
    """Whether the sender administers the chat, as Telegram says right now."""
    if message.sender_chat is not None:
        # Posted as the chat itself: a channel's own post or an anonymous group admin.
        return message.sender_chat.id == message.chat.id
    if message.from_user is None:
        return False
    member = await message.chat.get_member(message.from_user.id)
    return member.status in _MANAGERS


def _owner_name(message: Message, user: User | None = None) -> str | None:
    """Whose favorites a group sees; None in a private chat, where they are "yours"."""
    if message.chat.type == ChatType.PRIVATE:
        return None
    owner = user or message.from_user
    return owner.first_name if owner else None


async def _patiently(send: Callable[[], Awaitable[None]]) -> None:
    """Send, waiting out Telegram's flood control exactly as long as it asks."""
    for attempt in range(1, REPLY_ATTEMPTS + 1):
        try:
            await send()
            return
        except RetryAfter as error:
            wait = retry_after_seconds(error)
            if attempt == REPLY_ATTEMPTS or wait > MAX_REPLY_WAIT_SECONDS:
                raise
            await asyncio.sleep(wait)


async def _quietly(edit: Awaitable[object]) -> None:
    """Edits only refresh a button or a page; the tap was already answered."""
    try:
        await edit
    except TelegramError as error:
        if not is_not_modified(error):
            log.info("Telegram refused an edit: %s", error)
