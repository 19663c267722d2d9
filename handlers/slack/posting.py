"""Posting a card to a channel, and Slack's refusals read as delivery outcomes.

A card goes out as a short message with the long sections as replies in its thread, so a
channel stays readable. Once the short message is posted the card counts as delivered:
the replies are sent with the patient client (which waits out a 429 itself), and a reply
that still fails is logged, never reported as a failed delivery that would post the card
a second time.
"""

from __future__ import annotations

import logging

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.cards.cards import Card
from bot.delivery.platforms import (
    ChatGone,
    DeliveryError,
    OutcomeUnknown,
    Rejected,
    RetryLater,
    TokenRefused,
)
from bot.render.slack_blocks import render_slack_summary, render_slack_thread
from bot.support.retry_after import retry_after

log = logging.getLogger(__name__)

# How long to wait after Slack could not be reached or said it is briefly unavailable.
UNREACHABLE_RETRY_SECONDS = 5.0
# What a failed Web API call raises: Slack's refusal, or no (complete) answer at all.
CALL_FAILURES = (SlackApiError, aiohttp.ClientError, TimeoutError)

# The bot can no longer post there: not invited, channel deleted or archived, or the app
# was uninstalled (token_revoked) or the workspace closed (account_inactive).
GONE = frozenset(
    {"not_in_channel", "channel_not_found", "is_archived", "account_inactive", "token_revoked"}
)
# Slack no longer accepts SLACK_BOT_TOKEN at all: every channel waits until it is fixed.
TOKEN_REFUSED = frozenset({"invalid_auth", "not_authed"})
# This message can never be posted as it is; the channel is fine.
_REJECTED = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "msg_blocks_too_long",
        "no_text",
        "invalid_arguments",
        "too_many_attachments",
    }
)


async def post_card(
    outbox: AsyncWebClient, patient: AsyncWebClient, channel: str, card: Card
) -> str:
    """Post `card` to `channel` and return the message's ts; the first post goes through
    `outbox`, whose errors the caller maps, the thread through `patient`."""
    summary = render_slack_summary(card)
    response = await outbox.chat_postMessage(
        channel=channel,
        text=summary.text,
        blocks=summary.blocks,
        unfurl_links=False,
        unfurl_media=False,
    )
    ts = str(response["ts"])
    posted_in = str(response.get("channel") or channel)
    for reply in render_slack_thread(card):
        try:
            await patient.chat_postMessage(
                channel=posted_in,
                thread_ts=ts,
                text=reply.text,
                blocks=reply.blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        except CALL_FAILURES as exc:
            log.warning("card %s posted to %s without its thread: %s", card.arxiv_id, channel, exc)
            break
    return ts


def delivery_error(error: SlackApiError | aiohttp.ClientError | TimeoutError) -> DeliveryError:
    """What a failed Web API call means for a delivery: whether it may have been posted,
    and whether the channel can still receive."""
    if isinstance(error, SlackApiError):
        status = error.response.status_code
        code = str(error.response.get("error") or f"HTTP {status}")
        if status == 429 or code == "ratelimited":
            return RetryLater(_retry_after(error), "Slack rate limit")
        if code in TOKEN_REFUSED:
            return TokenRefused(f"Slack refused SLACK_BOT_TOKEN ({code})")
        if code in GONE:
            return ChatGone(code)
        if code in _REJECTED:
            return Rejected(f"Slack refused the message: {code}")
        if status == 503 or code == "service_unavailable":
            return RetryLater(_retry_after(error), f"Slack unavailable ({code})")
        if status >= 500:
            # Slack documents that some part of a failed call may still have happened.
            return OutcomeUnknown(f"Slack server error ({code})")
        return DeliveryError(f"Slack error: {code}")
    if isinstance(error, aiohttp.ClientConnectorError):
        return RetryLater(UNREACHABLE_RETRY_SECONDS, f"Slack unreachable ({error})")
    return OutcomeUnknown(f"no answer from Slack ({type(error).__name__}: {error})")


def _retry_after(error: SlackApiError) -> float:
    wait = retry_after(error.response.headers)
    return UNREACHABLE_RETRY_SECONDS if wait is None else wait
