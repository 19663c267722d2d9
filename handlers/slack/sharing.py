"""🔗 Share in Slack: a modal to pick a conversation; submitting it posts the card there,
the way `/paperbell paper` would, and tells the sharer where it went (or why it could not).

The modal and the outcome speak the language of the conversation the button was clicked
in; the card itself comes in the language of the conversation it is posted to.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards.cards import Card
from bot.chat.service import Service
from bot.render.buttons import Share
from bot.words.messages import Messages
from handlers.slack import blocks
from handlers.slack.blocks import Message
from handlers.slack.context import PLATFORM, PREFIX, Spawn, clicker, reply, tapped, words_for
from handlers.slack.posting import CALL_FAILURES, post_card

log = logging.getLogger(__name__)

# Posting in a conversation the bot is not in.
NOT_MEMBER = frozenset({"not_in_channel", "channel_not_found"})


class Sharing:
    def __init__(self, service: Service, client: AsyncWebClient, spawn: Spawn) -> None:
        self._service = service
        self._client = client
        self._spawn = spawn

    async def on_share(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        match tapped(action, "sh:"):
            case Share(paper):
                self._spawn(self._share(body, paper, respond))
            case _:
                log.info("share clicked with a value paperbell never sent: %r", action.get("value"))

    async def _share(self, body: dict[str, Any], paper: str, respond: AsyncRespond) -> None:
        """Open the modal that picks where to post the card. Its trigger_id lasts three
        seconds; when Slack will not open it, the permalink and the command to send elsewhere
        still let the card be shared by hand."""
        container = body.get("container") or {}
        channel = str(container.get("channel_id"))
        words = await words_for(self._service, channel)
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
                view=blocks.share_modal(paper, channel, permalink, words),
            )
            return
        except CALL_FAILURES as exc:
            log.info("could not open the share modal: %s", exc)
        await reply(respond, blocks.share(permalink, paper, PREFIX, words), replace_original=False)

    async def on_share_submitted(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
    ) -> None:
        await ack()
        self._spawn(self._post_shared(clicker(body), view))

    async def _post_shared(self, user: str, view: dict[str, Any]) -> None:
        """Post the card in the picked conversation, in that chat's language, then tell the
        sharer privately in the conversation they shared from."""
        shared = json.loads(view["private_metadata"])
        paper, origin = str(shared["paper"]), str(shared["origin"])
        words = await words_for(self._service, origin)
        picked = view["state"]["values"][blocks.SHARE_TARGET_BLOCK][blocks.SHARE_TARGET_ACTION]
        target = str(picked["selected_conversation"])
        language = await self._service.language_of(PLATFORM, target)
        cards = await self._service.share_cards(paper, language)
        if not cards:
            answer = blocks.share_refused(target, paper, words.share_arxiv_silent, words)
        else:
            answer = await self._post_shared_card(target, cards[0].card, words)
        try:
            await self._client.chat_postEphemeral(
                channel=origin, user=user, text=answer.text, blocks=answer.blocks
            )
        except CALL_FAILURES as exc:
            log.warning("could not tell %s where the shared card went: %s", user, exc)

    async def _post_shared_card(self, channel: str, card: Card, words: Messages) -> Message:
        try:
            await post_card(self._client, self._client, channel, card)
        except CALL_FAILURES as exc:
            code = exc.response.get("error") if isinstance(exc, SlackApiError) else None
            if code in NOT_MEMBER:
                reason = words.share_not_member
            elif code == "is_archived":
                reason = words.share_archived
            else:
                log.warning("could not post the shared card %s: %s", card.arxiv_id, exc)
                reason = words.share_failed
            return blocks.share_refused(channel, card.arxiv_id, reason, words)
        return blocks.shared(channel, card.title, words)
