"""Someone's favorites in Slack: App Home, the ephemeral `/paperbell favorites` list, and
their Remove and paging buttons.

App Home speaks the language set with `/paperbell lang` in the person's direct messages
with paperbell; a list shown in a conversation speaks that conversation's language. Only
the person a list belongs to can change it (the button values name them).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.chat.service import Service
from bot.render.buttons import RemoveFavorite, ShowFavorites, decode
from bot.words.messages import Messages
from handlers.slack import blocks
from handlers.slack.context import (
    PLATFORM,
    PREFIX,
    Spawn,
    channel_of,
    clicker,
    reply,
    team_of,
    user_key,
    words_for,
)
from handlers.slack.posting import CALL_FAILURES

log = logging.getLogger(__name__)

_CHANNEL_TYPES = "public_channel,private_channel"
_MAX_CHANNEL_PAGES = 10


class Home:
    def __init__(self, service: Service, client: AsyncWebClient, spawn: Spawn) -> None:
        self._service = service
        self._client = client
        self._spawn = spawn

    async def on_home_opened(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab") == "home":
            self._spawn(self.publish(str(body["team_id"]), str(event["user"])))

    async def on_unfavorite(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        match decode(str(action.get("value"))):
            case RemoveFavorite(owner, page, paper) if owner == clicker(body):
                self._spawn(self._unfavorite(body, paper, page, respond))
            case _:
                log.info("Remove clicked with a value not meant for %s", clicker(body))

    async def on_page(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        match decode(str(action.get("value"))):
            case ShowFavorites(owner, page) if owner == clicker(body):
                self._spawn(self._show(body, page, respond))
            case _:
                log.info("a favorites page clicked with a value not meant for %s", clicker(body))

    async def _unfavorite(
        self, body: dict[str, Any], paper_id: str, page: int, respond: AsyncRespond
    ) -> None:
        await self._service.remove_favorite(
            PLATFORM, user_key(team_of(body), clicker(body)), paper_id
        )
        await self._show(body, page, respond)

    async def _show(self, body: dict[str, Any], page: int, respond: AsyncRespond) -> None:
        """Redraw the favorites where the click came from: App Home, or the ephemeral list."""
        team, user = team_of(body), clicker(body)
        if (body.get("container") or {}).get("type") == "view":
            await self.publish(team, user, page)
            return
        words = await words_for(self._service, channel_of(body))
        favorites = await self._service.favorites_page(PLATFORM, user_key(team, user), page)
        await reply(
            respond,
            blocks.favorites_message(favorites, user, words, PREFIX),
            replace_original=True,
        )
        await self.publish(team, user)

    async def publish(self, team: str, user: str, page: int = 1) -> None:
        """Draw `user`'s Home tab: their favorites and what their channels follow."""
        favorites = await self._service.favorites_page(PLATFORM, user_key(team, user), page)
        words = await self._words_of(user)
        unknown = False
        try:
            channels = await self._channels_of(user)
        except CALL_FAILURES as exc:
            log.warning("could not list the channels of %s: %s", user, exc)
            channels, unknown = [], True
        found = await self._service.subscriptions_of(PLATFORM, channels)
        feeds = [blocks.ChannelFeed(c, tuple(found[c])) for c in channels if c in found]
        view = blocks.home_view(favorites, user, feeds, words, PREFIX, channels_unknown=unknown)
        try:
            await self._client.views_publish(user_id=user, view=view)
        except CALL_FAILURES as exc:
            log.warning("could not publish App Home for %s: %s", user, exc)

    async def _words_of(self, user: str) -> Messages:
        """The language of the person's direct messages with paperbell."""
        try:
            opened = await self._client.conversations_open(users=user)
        except CALL_FAILURES as exc:
            log.info("no direct message with %s to take App Home's language from: %s", user, exc)
            return await words_for(self._service, None)
        return await words_for(self._service, str(opened["channel"]["id"]))

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
