"""What people do in Slack: `/paperbell` and ☆ under cards here; App Home and favorites
lists in `home`, 🔗 Share in `sharing`.

Every listener acknowledges first, inside Slack's three seconds, and does the rest as a
background task; only `help`, which needs nothing but the command's name, is answered in
the acknowledgement itself. Replies about the asker's own request (notices, ☆
confirmations, favorites) are ephemeral; cards are posted in the channel for everyone,
taking their turn with the dispatcher's cards in the platform's one rate limiter.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Coroutine, Sequence
from functools import partial
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards.cards import Card
from bot.chat.favorites import UnknownPaper
from bot.chat.replies import (
    CardReply,
    Confirm,
    Document,
    FavoritesPage,
    ForYouList,
    Notice,
    Reply,
)
from bot.chat.service import Caller, Service
from bot.delivery.ratelimit import Limiter
from bot.render.buttons import ToggleFavorite
from bot.render.slack_blocks import (
    FAVORITE_ACTION,
    OPEN_ARXIV_ACTION,
    OPEN_PDF_ACTION,
    SHARE_ACTION,
    render_slack,
)
from bot.words.messages import MESSAGES, Messages
from handlers.slack import blocks
from handlers.slack.blocks import Message
from handlers.slack.context import (
    COMMAND,
    PLATFORM,
    PREFIX,
    Spawn,
    channel_of,
    chat_kind,
    clicker,
    reply,
    tapped,
    team_of,
    user_key,
    words_for,
)
from handlers.slack.home import Home
from handlers.slack.posting import CALL_FAILURES, post_card
from handlers.slack.reactions import confirm_message, for_you_message
from handlers.slack.sharing import NOT_MEMBER, Sharing

log = logging.getLogger(__name__)

# A card asked for by command waits this long at most for its turn in the channel.
MAX_REPLY_WAIT_SECONDS = 30.0


class SubscribePolicy:
    """Who may change what a channel receives (`SLACK_SUBSCRIBE_POLICY`): any member, the
    workspace's admins and owners, or listed user IDs."""

    def __init__(self, setting: str) -> None:
        self._setting = setting
        self._users = (
            frozenset(setting.split(",")) if setting not in ("members", "admins") else None
        )

    async def allows(self, client: AsyncWebClient, user_id: str) -> bool:
        if self._setting == "members":
            return True
        if self._users is not None:
            return user_id in self._users
        try:
            user = (await client.users_info(user=user_id))["user"]
        except CALL_FAILURES as exc:
            log.warning("could not look up whether %s is an admin: %s", user_id, exc)
            return False
        return bool(user.get("is_admin") or user.get("is_owner"))


class Interactions:
    def __init__(
        self,
        service: Service,
        client: AsyncWebClient,
        policy: SubscribePolicy,
        spawn: Spawn,
        limiter: Limiter,
    ) -> None:
        self._service = service
        self._client = client
        self._policy = policy
        self._spawn = spawn
        self._limiter = limiter
        self.home = Home(service, client, spawn)
        self._sharing = Sharing(service, client, spawn)

    def register(self, app: AsyncApp) -> None:
        # Any command name: a workspace may have installed the app under another one.
        app.command(re.compile(r"^/"))(self.on_command)
        app.action(FAVORITE_ACTION)(self.on_favorite)
        app.action(SHARE_ACTION)(self._sharing.on_share)
        app.view(blocks.SHARE_MODAL)(self._sharing.on_share_submitted)
        app.action(blocks.UNFAVORITE_ACTION)(self.home.on_unfavorite)
        app.action(re.compile(f"^({blocks.NEWER_ACTION}|{blocks.OLDER_ACTION})$"))(
            self.home.on_page
        )
        # Link buttons still report their clicks, and Slack flags any left unanswered.
        app.action(re.compile(f"^({OPEN_ARXIV_ACTION}|{OPEN_PDF_ACTION})$"))(self.on_link)
        app.event("app_home_opened")(self.home.on_home_opened)

    # -- /paperbell ---------------------------------------------------------------------------

    async def on_command(
        self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond
    ) -> None:
        name, _, args = str(command.get("text") or "").strip().partition(" ")
        name = name.lower() or "help"
        prefix = f"{command.get('command') or COMMAND} "
        team, user = str(command["team_id"]), str(command["user_id"])
        caller = Caller(
            platform=PLATFORM,
            chat_id=str(command["channel_id"]),
            chat_kind=chat_kind(str(command["channel_id"])),
            user_id=user_key(team, user),
            chat_title=command.get("channel_name"),
        )
        can_manage = partial(self._policy.allows, self._client, user)
        if name == "help":
            replies = await self._service.handle(
                caller, name, args, can_manage=can_manage, prefix=prefix
            )
            texts = [reply.text for reply in replies if isinstance(reply, Notice)]
            message = blocks.notice("\n\n".join(texts))
            await ack(text=message.text, blocks=message.blocks, response_type="ephemeral")
            return
        await ack()
        handling = self._service.handle(
            caller, name, args.strip(), can_manage=can_manage, prefix=prefix
        )
        self._spawn(self._command(handling, caller, team, user, name, prefix, respond))

    async def _command(
        self,
        handling: Coroutine[Any, Any, list[Reply]],
        caller: Caller,
        team: str,
        user: str,
        name: str,
        prefix: str,
        respond: AsyncRespond,
    ) -> None:
        try:
            replies = await handling
            # After the command, which may have changed the chat's language.
            words = await words_for(self._service, caller.chat_id)
            in_a_channel = name == "subscribe" and caller.chat_kind == "group"
            if in_a_channel and await self._invite_needed(caller.chat_id):
                replies = [*replies, Notice(words.invite_needed)]
            await self._send_replies(caller, user, replies, respond, words, prefix)
        except SlackApiError as exc:
            if exc.response.status_code != 429:
                await self._sorry(name, caller, respond)
                return
            log.warning(
                "Slack: dropped the rest of /paperbell %s in %s, still rate limited",
                name,
                caller.chat_id,
            )
            return
        except Exception:
            await self._sorry(name, caller, respond)
            return
        if name in ("subscribe", "unsubscribe"):
            await self.home.publish(team, user)

    async def _sorry(self, name: str, caller: Caller, respond: AsyncRespond) -> None:
        log.exception("/paperbell %s failed", name)
        language = self._service.default_language
        # The failure may be the database's, which holds the chat's language.
        with contextlib.suppress(Exception):
            language = await self._service.language_of(PLATFORM, caller.chat_id)
        await reply(respond, blocks.notice(MESSAGES[language].sorry))

    async def _invite_needed(self, channel: str) -> bool:
        """Whether a channel must invite the bot before papers can arrive: a private one it
        is not in. Public channels it can post to unasked (chat:write.public)."""
        try:
            info = (await self._client.conversations_info(channel=channel))["channel"]
        except SlackApiError as exc:
            # Slack hides a private channel from a bot that is not in it.
            return bool(exc.response.get("error") == "channel_not_found")
        except CALL_FAILURES:
            return False
        return bool(info.get("is_private")) and not info.get("is_member")

    async def _send_replies(
        self,
        caller: Caller,
        user: str,
        replies: Sequence[Reply],
        respond: AsyncRespond,
        words: Messages,
        prefix: str,
    ) -> None:
        """In order; consecutive notices share one message (a response_url takes five)."""
        notices: list[str] = []
        for answer in replies:
            if isinstance(answer, Notice):
                notices.append(answer.text)
                continue
            if notices:
                await reply(respond, blocks.notice("\n\n".join(notices)))
                notices = []
            if isinstance(answer, CardReply):
                await self._post_card(caller.chat_id, answer.card, respond)
            elif isinstance(answer, FavoritesPage):
                await reply(respond, blocks.favorites_message(answer, user, words, prefix))
            elif isinstance(answer, Document):
                await self._send_document(caller.chat_id, user, answer, respond, words)
            elif isinstance(answer, Confirm):
                await reply(respond, confirm_message(answer))
            elif isinstance(answer, ForYouList):
                await reply(respond, for_you_message(answer))
        if notices:
            await reply(respond, blocks.notice("\n\n".join(notices)))

    async def _post_card(self, channel: str, card: Card, respond: AsyncRespond) -> None:
        group = chat_kind(channel) == "group"
        if not await self._limiter.acquire(channel, group=group, within=MAX_REPLY_WAIT_SECONDS):
            log.warning(
                "Slack: dropped card %s for %s, the channel is busy", card.arxiv_id, channel
            )
            return
        try:
            await post_card(self._client, self._client, channel, card)
        except SlackApiError as exc:
            if exc.response.get("error") not in NOT_MEMBER:
                raise
            # A private channel or a DM the bot was not invited to: the whole card, once.
            whole = render_slack(card)
            await reply(respond, Message(whole.text, whole.blocks), response_type="in_channel")

    async def _send_document(
        self, channel: str, user: str, document: Document, respond: AsyncRespond, words: Messages
    ) -> None:
        """Into the asker's direct message with the bot, as a file; inline if uploads are
        not allowed (no files:write scope, or the workspace forbids them)."""
        try:
            opened = await self._client.conversations_open(users=user)
            direct = str(opened["channel"]["id"])
            await self._client.files_upload_v2(
                channel=direct,
                filename=document.filename,
                title=document.filename,
                content=document.content,
                initial_comment=document.caption,
            )
        except SlackApiError as exc:
            log.info("could not upload %s (%s); sending it inline", document.filename, exc)
            text = document.content.decode("utf-8", "replace")
            await reply(respond, blocks.snippet(document.filename, text, document.caption, words))
            return
        if direct != channel:
            sent = words.document_sent.format(caption=document.caption)
            await reply(respond, blocks.notice(sent))

    # -- ☆ ------------------------------------------------------------------------------------

    async def on_favorite(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        match tapped(action, "fav:"):
            case ToggleFavorite(paper):
                self._spawn(self._toggle(body, paper, respond))
            case _:
                log.info("☆ clicked with a value paperbell never sent: %r", action.get("value"))

    async def _toggle(self, body: dict[str, Any], paper: str, respond: AsyncRespond) -> None:
        team, user = team_of(body), clicker(body)
        words = await words_for(self._service, channel_of(body))
        try:
            toggle = await self._service.toggle_favorite(
                PLATFORM, user_key(team, user), paper, chat_id=channel_of(body)
            )
        except UnknownPaper:
            stale = words.unknown_paper_here.format(prefix=PREFIX, arxiv_id=paper)
            await reply(respond, blocks.notice(stale), replace_original=False)
            return
        said = words.saved_titled if toggle.saved else words.removed_titled
        await reply(respond, blocks.notice(said.format(title=toggle.title)), replace_original=False)
        await self.home.publish(team, user)

    async def on_link(self, ack: AsyncAck) -> None:
        await ack()
