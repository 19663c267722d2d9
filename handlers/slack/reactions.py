"""Ranking on Slack: emoji reactions on cards, and the `/paperbell forget` confirmation.

`:star:` is ☆ itself (adding the reaction adds the paper to that person's favorites,
removing it removes it); `:+1:`, `:heart:` and `:fire:` mean "more like this", `:-1:` "less
like this". Slack sends `reaction_added`/`reaction_removed` events to an app with the
`reactions:read` scope that subscribed to them, for conversations the app is in. A
reaction names a message: only cards the bot delivered (one paper each) can be read back.
"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.chat.ranking import Reaction
from bot.chat.replies import Confirm, ForYouList
from bot.chat.service import Service
from bot.render.buttons import OpenCard, decode, encode
from bot.render.slack_blocks import render_slack
from handlers.slack.blocks import Message, notice

PLATFORM = "slack"
REACTIONS: dict[str, Reaction] = {
    "star": "star",
    "+1": "more",
    "thumbsup": "more",
    "heart": "more",
    "fire": "more",
    "-1": "less",
    "thumbsdown": "less",
}
FORGET_CONFIRM = "forget_confirm"
OPEN_CARD = "paperbell_open_card"
FORGET_CANCEL = "forget_cancel"


def confirm_message(confirm: Confirm) -> Message:
    buttons = [
        {
            "type": "button",
            "action_id": FORGET_CONFIRM,
            "style": "danger",
            "text": {"type": "plain_text", "text": confirm.confirm},
            "value": confirm.owner,
        },
        {
            "type": "button",
            "action_id": FORGET_CANCEL,
            "text": {"type": "plain_text", "text": confirm.cancel},
            "value": confirm.owner,
        },
    ]
    return Message(
        confirm.text,
        [
            {"type": "section", "text": {"type": "plain_text", "text": confirm.text}},
            {"type": "actions", "elements": buttons},
        ],
    )


def for_you_message(listing: ForYouList) -> Message:
    """The ranked list, then one numbered button per paper that opens its card."""
    buttons = [
        {
            "type": "button",
            "action_id": f"{OPEN_CARD}_{number}",
            "text": {"type": "plain_text", "text": f"📄 {number}"},
            "value": encode(OpenCard(paper)),
        }
        for number, paper in enumerate(listing.papers, 1)
    ]
    text = notice(listing.text)
    return Message(text.text, [*text.blocks, {"type": "actions", "elements": buttons}])


def register(app: AsyncApp, service: Service) -> None:
    ranking = service.ranking

    async def on_reaction(event: dict[str, Any], body: dict[str, Any]) -> None:
        item = event.get("item") or {}
        reaction = REACTIONS.get(str(event.get("reaction", "")).split("::")[0])
        if item.get("type") != "message" or reaction is None:
            return
        user = f"{body.get('team_id')}:{event.get('user')}"
        await ranking.react(
            PLATFORM,
            str(item.get("channel")),
            user,
            str(item.get("ts")),
            reaction,
            on=event.get("type") == "reaction_added",
        )

    async def on_answer(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        user = body.get("user") or {}
        clicker = f"{user.get('team_id') or (body.get('team') or {}).get('id')}:{user.get('id')}"
        if clicker != action.get("value"):
            return
        channel = str((body.get("channel") or {}).get("id", ""))
        language = await ranking.language(PLATFORM, channel)
        if action.get("action_id") == FORGET_CONFIRM:
            text = await ranking.forget(PLATFORM, clicker, language)
        else:
            text = ranking.cancelled(language)
        answer = notice(text)
        await respond(text=answer.text, blocks=answer.blocks, replace_original=True)

    async def on_open(
        ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        """Show the card to whoever clicked, privately: the list was theirs alone."""
        await ack()
        match decode(str(action.get("value", ""))):
            case OpenCard(paper):
                channel = str((body.get("channel") or {}).get("id", ""))
                language = await ranking.language(PLATFORM, channel)
                cards = await service.share_cards(paper, language)
                if cards:
                    card = render_slack(cards[0].card)
                    await respond(
                        text=card.text,
                        blocks=card.blocks,
                        response_type="ephemeral",
                        replace_original=False,
                    )

    app.event("reaction_added")(on_reaction)
    app.action(re.compile(f"^{OPEN_CARD}_[0-9]+$"))(on_open)
    app.event("reaction_removed")(on_reaction)
    app.action(FORGET_CONFIRM)(on_answer)
    app.action(FORGET_CANCEL)(on_answer)
