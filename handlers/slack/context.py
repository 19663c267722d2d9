"""Who clicked or typed, where, and how to answer them: what every Slack listener reads.

People are keyed `TEAM:USER`, so favorites are per user per workspace. Replies about the
asker's own request go through the request's response_url and are ephemeral.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from slack_bolt.context.respond.async_respond import AsyncRespond

from bot.chat.service import ChatKind, Service
from bot.render.buttons import Action, decode
from bot.words.messages import MESSAGES, Messages
from handlers.slack.blocks import Message

log = logging.getLogger(__name__)

PLATFORM = "slack"
COMMAND = "/paperbell"
PREFIX = f"{COMMAND} "


async def reply(respond: AsyncRespond, message: Message, **options: Any) -> None:
    """Answer through the request's response_url; ephemeral unless `options` say otherwise."""
    options.setdefault("response_type", "ephemeral")
    answer = await respond(text=message.text, blocks=message.blocks, **options)
    if answer.status_code != 200:
        log.warning("Slack refused a reply (%s): %s", answer.status_code, answer.body)


async def words_for(service: Service, channel: str | None) -> Messages:
    """The catalogue in the conversation's language (the default where there is none)."""
    return MESSAGES[await service.language_of(PLATFORM, str(channel))]


def chat_kind(channel_id: str) -> ChatKind:
    return "private" if channel_id.startswith("D") else "group"


def user_key(team: str, user: str) -> str:
    return f"{team}:{user}"


def team_of(body: dict[str, Any]) -> str:
    return str((body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id"))


def clicker(body: dict[str, Any]) -> str:
    return str(body["user"]["id"])


def channel_of(body: dict[str, Any]) -> str | None:
    """The conversation a click came from; None in App Home."""
    channel = (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get(
        "id"
    )
    return str(channel) if channel else None


Spawn = Callable[[Coroutine[Any, Any, None]], None]
"""Runs what follows an acknowledgement as a task the adapter keeps until it is done."""


def tapped(action: dict[str, Any], legacy_prefix: str) -> Action | None:
    """The action a card button asks for. Cards posted before the shared button codec carried
    the bare arXiv ID; read under `legacy_prefix` ("fav:", "sh:"), they stay tappable."""
    value = str(action.get("value"))
    return decode(value) or decode(legacy_prefix + value)
