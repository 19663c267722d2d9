"""What people do in Slack: `/paperbell`, the buttons under cards, and opening App Home.

Every listener acknowledges first, inside Slack's three seconds, and does the rest as a
background task; only `help`, which needs nothing but the command's name, is answered in
the acknowledgement itself. Replies about the asker's own request (notices, ☆ and share
confirmations, favorites) are ephemeral; cards are posted in the channel for everyone.

🔗 Share opens a modal to pick a conversation; submitting it posts the card there, the way
`/paperbell paper` would, and tells the sharer where it went (or why it could not).

People are keyed `TEAM:USER`, so favorites are per user per workspace.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Coroutine, Sequence
from functools import partial
from typing import Any

from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards.cards import Card
from bot.chat.replies import CardReply, Confirm, Document, FavoritesPage, Notice, Reply
from bot.chat.service import Caller, ChatKind, Service, UnknownPaper
from bot.render.slack_blocks import (
    FAVORITE_ACTION,
    OPEN_ARXIV_ACTION,
    OPEN_PDF_ACTION,
    SHARE_ACTION,
    render_slack,
)
from bot.source.ids import InvalidArxivId, parse_arxiv_id
from handlers.slack import blocks
from handlers.slack.blocks import Message
from handlers.slack.posting import CALL_FAILURES, post_card
from handlers.slack.reactions import confirm_message

log = logging.getLogger(__name__)

PLATFORM = "slack"
COMMAND = "/paperbell"
# Posting in a conversation the bot is not in: answer through the command's response_url.
_NOT_MEMBER = frozenset({"not_in_channel", "channel_not_found"})
_CHANNEL_TYPES = "public_channel,private_channel"
_INVITE = (
    "paperbell is not in this private channel, so papers cannot arrive here yet: "
    "invite it with /invite @paperbell"
)
_MAX_CHANNEL_PAGES = 10
_SHARE_NOT_MEMBER = (
    "paperbell is not in that conversation. Invite it there with `/invite @paperbell`, "
    "then share again."
)

Spawn = Callable[[Coroutine[Any, Any, None]], None]


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
        self, service: Service, client: AsyncWebClient, policy: SubscribePolicy, spawn: Spawn
    ) -> None:
        self._service = service
        self._client = client
        self._policy = policy
        self._spawn = spawn

    def register(self, app: AsyncApp) -> None:
        # Any command name: a workspace may have installed the app under another one.
        app.command(re.compile(r"^/"))(self.on_command)
        app.action(FAVORITE_ACTION)(self.on_favorite)
        app.action(SHARE_ACTION)(self.on_share)
        app.view(blocks.SHARE_MODAL)(self.on_share_submitted)
        app.action(blocks.UNFAVORITE_ACTION)(self.on_unfavorite)
        app.action(re.compile(f"^({blocks.NEWER_ACTION}|{blocks.OLDER_ACTION})$"))(self.on_page)
        # Link buttons still report their clicks, and Slack flags any left unanswered.
        app.action(re.compile(f"^({OPEN_ARXIV_ACTION}|{OPEN_PDF_ACTION})$"))(self.on_link)
        app.event("app_home_opened")(self.on_home_opened)

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
            chat_kind=_chat_kind(str(command["channel_id"])),
            user_id=_user_key(team, user),
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
        self._spawn(self._command(handling, caller, team, user, name, respond))

    async def _command(
        self,
        handling: Coroutine[Any, Any, list[Reply]],
        caller: Caller,
        team: str,
        user: str,
        name: str,
        respond: AsyncRespond,
    ) -> None:
        try:
            replies = await handling
            in_a_channel = name == "subscribe" and caller.chat_kind == "group"
            if in_a_channel and await self._invite_needed(caller.chat_id):
                replies = [*replies, Notice(_INVITE)]
            await self._send_replies(caller, user, replies, respond)
        except Exception:
            log.exception("/paperbell %s failed", name)
            await _reply(respond, blocks.notice("Something went wrong; please try again shortly."))
            return
        if name in ("subscribe", "unsubscribe"):
            await self.publish_home(team, user)

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
        self, caller: Caller, user: str, replies: Sequence[Reply], respond: AsyncRespond
    ) -> None:
        """In order; consecutive notices share one message (a response_url takes five)."""
        notices: list[str] = []
        for reply in replies:
            if isinstance(reply, Notice):
                notices.append(reply.text)
                continue
            if notices:
                await _reply(respond, blocks.notice("\n\n".join(notices)))
                notices = []
            if isinstance(reply, CardReply):
                await self._post_card(caller.chat_id, reply.card, respond)
            elif isinstance(reply, FavoritesPage):
                await _reply(respond, blocks.favorites_message(reply))
            elif isinstance(reply, Document):
                await self._send_document(caller.chat_id, user, reply, respond)
            elif isinstance(reply, Confirm):
                await _reply(respond, confirm_message(reply))
        if notices:
            await _reply(respond, blocks.notice("\n\n".join(notices)))

    async def _post_card(self, channel: str, card: Card, respond: AsyncRespond) -> None:
        try:
            await post_card(self._client, self._client, channel, card)
        except SlackApiError as exc:
            if exc.response.get("error") not in _NOT_MEMBER:
                raise
            # A private channel or a DM the bot was not invited to: the whole card, once.
            whole = render_slack(card)
            await _reply(respond, Message(whole.text, whole.blocks), response_type="in_channel")

    async def _send_document(
        self, channel: str, user: str, document: Document, respond: AsyncRespond
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
            await _reply(respond, blocks.snippet(document.filename, text, document.caption))
            return
        if direct != channel:
            sent = f"Sent {document.caption} to you in a direct message from paperbell."
            await _reply(respond, blocks.notice(sent))

    # -- buttons ------------------------------------------------------------------------------

    async def on_favorite(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        channel = (body.get("channel") or {}).get("id")
        paper_id = str(action.get("value"))
        self._spawn(self._toggle(_team(body), _clicker(body), paper_id, channel, respond))

    async def _toggle(
        self, team: str, user: str, paper_id: str, channel: str | None, respond: AsyncRespond
    ) -> None:
        try:
            toggle = await self._service.toggle_favorite(
                PLATFORM, _user_key(team, user), paper_id, chat_id=channel
            )
        except UnknownPaper:
            stale = f"paperbell does not know this paper any more; try {COMMAND} paper {paper_id}."
            await _reply(respond, blocks.notice(stale), replace_original=False)
            return
        if toggle.saved:
            text = f"☆ Saved to your favorites: {toggle.title}\nSee them all in paperbell's Home."
        else:
            text = f"Removed from your favorites: {toggle.title}"
        await _reply(respond, blocks.notice(text), replace_original=False)
        await self.publish_home(team, user)

    async def on_share(
        self,
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
    ) -> None:
        await ack()
        self._spawn(self._share(body, str(action.get("value")), respond))

    async def _share(self, body: dict[str, Any], paper_id: str, respond: AsyncRespond) -> None:
        """Open the modal that picks where to post the card. Its trigger_id lasts three
        seconds; when Slack will not open it, the permalink and the command to send elsewhere
        still let the card be shared by hand."""
        try:
            arxiv_id = parse_arxiv_id(paper_id)
        except InvalidArxivId:
            log.info("share clicked with a value paperbell never sent: %r", paper_id)
            return
        container = body.get("container") or {}
        channel = str(container.get("channel_id"))
        permalink = None
        try:
            found = await self._client.chat_getPermalink(
                channel=channel, message_ts=str(container.get("message_ts"))
            )
            permalink = str(found["permalink"])
        except CALL_FAILURES as exc:
            log.info("no permalink for the shared card: %s", exc)
        try:
            await self._client.views_open(
                trigger_id=str(body.get("trigger_id")),
                view=blocks.share_modal(arxiv_id.base, channel, permalink),
            )
            return
        except CALL_FAILURES as exc:
            log.info("could not open the share modal: %s", exc)
        await _reply(
            respond, blocks.share(permalink, arxiv_id.base, f"{COMMAND} "), replace_original=False
        )

    async def on_share_submitted(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
    ) -> None:
        await ack()
        self._spawn(self._post_shared(_clicker(body), view))

    async def _post_shared(self, user: str, view: dict[str, Any]) -> None:
        """Post the card in the picked conversation, in that chat's language, then tell the
        sharer privately in the conversation they shared from."""
        shared = json.loads(view["private_metadata"])
        arxiv_id = parse_arxiv_id(str(shared["paper"]))
        picked = view["state"]["values"][blocks.SHARE_TARGET_BLOCK][blocks.SHARE_TARGET_ACTION]
        target = str(picked["selected_conversation"])
        language = await self._service.language_of(PLATFORM, target)
        cards = await self._service.share_cards(arxiv_id.base, language)
        if not cards:
            reason = "arXiv did not return it; please try again in a minute."
            answer = blocks.share_refused(target, arxiv_id.base, reason)
        else:
            answer = await self._post_shared_card(target, cards[0].card)
        try:
            await self._client.chat_postEphemeral(
                channel=str(shared["origin"]), user=user, text=answer.text, blocks=answer.blocks
            )
        except CALL_FAILURES as exc:
            log.warning("could not tell %s where the shared card went: %s", user, exc)

    async def _post_shared_card(self, channel: str, card: Card) -> Message:
        try:
            await post_card(self._client, self._client, channel, card)
        except CALL_FAILURES as exc:
            code = exc.response.get("error") if isinstance(exc, SlackApiError) else None
            if code in _NOT_MEMBER:
                reason = _SHARE_NOT_MEMBER
            elif code == "is_archived":
                reason = "that channel is archived."
            else:
                log.warning("could not post the shared card %s: %s", card.arxiv_id, exc)
                reason = "Slack did not take it; please try again shortly."
            return blocks.share_refused(channel, card.arxiv_id, reason)
        return blocks.shared(channel, card.title)

    async def on_unfavorite(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        page, _, paper_id = str(action.get("value")).partition(":")
        self._spawn(self._unfavorite(body, paper_id, _page(page), respond))

    async def _unfavorite(
        self, body: dict[str, Any], paper_id: str, page: int, respond: AsyncRespond
    ) -> None:
        await self._service.remove_favorite(
            PLATFORM, _user_key(_team(body), _clicker(body)), paper_id
        )
        await self._show_favorites(body, page, respond)

    async def on_page(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        self._spawn(self._show_favorites(body, _page(str(action.get("value"))), respond))

    async def _show_favorites(self, body: dict[str, Any], page: int, respond: AsyncRespond) -> None:
        """Redraw the favorites where the click came from: App Home, or the ephemeral list."""
        team, user = _team(body), _clicker(body)
        if (body.get("container") or {}).get("type") == "view":
            await self.publish_home(team, user, page)
            return
        favorites = await self._service.favorites_page(PLATFORM, _user_key(team, user), page)
        await _reply(respond, blocks.favorites_message(favorites), replace_original=True)
        await self.publish_home(team, user)

    async def on_link(self, ack: AsyncAck) -> None:
        await ack()

    # -- App Home -----------------------------------------------------------------------------

    async def on_home_opened(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") == "home":
            self._spawn(self.publish_home(str(body["team_id"]), str(event["user"])))

    async def publish_home(self, team: str, user: str, page: int = 1) -> None:
        """Draw `user`'s Home tab: their favorites and what their channels follow."""
        favorites = await self._service.favorites_page(PLATFORM, _user_key(team, user), page)
        note = None
        try:
            channels = await self._channels_of(user)
        except CALL_FAILURES as exc:
            log.warning("could not list the channels of %s: %s", user, exc)
            channels = []
            note = (
                "paperbell could not list your channels (it needs channels:read and groups:read)."
            )
        found = await self._service.subscriptions_of(PLATFORM, channels)
        feeds = [blocks.ChannelFeed(c, tuple(found[c])) for c in channels if c in found]
        try:
            await self._client.views_publish(
                user_id=user, view=blocks.home_view(favorites, feeds, note)
            )
        except CALL_FAILURES as exc:
            log.warning("could not publish App Home for %s: %s", user, exc)

    async def _channels_of(self, user: str) -> list[str]:
        """The channels `user` is in that the bot can see, in Slack's order."""
        channels: list[str] = []
        cursor = ""
        for _ in range(_MAX_CHANNEL_PAGES):
            page = await self._client.users_conversations(
                user=user, types=_CHANNEL_TYPES, exclude_archived=True, limit=200, cursor=cursor
            )
            channels += [str(channel["id"]) for channel in page.get("channels") or []]
            cursor = str((page.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                break
        return channels


async def _reply(respond: AsyncRespond, message: Message, **options: Any) -> None:
    """Answer through the request's response_url; ephemeral unless `options` say otherwise."""
    options.setdefault("response_type", "ephemeral")
    answer = await respond(text=message.text, blocks=message.blocks, **options)
    if answer.status_code != 200:
        log.warning("Slack refused a reply (%s): %s", answer.status_code, answer.body)


def _chat_kind(channel_id: str) -> ChatKind:
    return "private" if channel_id.startswith("D") else "group"


def _user_key(team: str, user: str) -> str:
    return f"{team}:{user}"


def _team(body: dict[str, Any]) -> str:
    return str((body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id"))


def _clicker(body: dict[str, Any]) -> str:
    return str(body["user"]["id"])


def _page(text: str) -> int:
    return int(text) if text.isdigit() else 1
