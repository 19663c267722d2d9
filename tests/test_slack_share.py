"""🔗 Share in Slack: the button opens a modal to pick a conversation, and submitting it
posts the paper's card there.

Driven as a person drives it: a signed block_actions click carrying a trigger_id the fake
Slack issued, the modal read back from the fake's views.open, then a signed view_submission
with a conversation picked in it. The fake's own views.open rules are specified at the end.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.render.slack_blocks import SHARE_ACTION
from bot.words.labels import CARD_LABELS
from handlers.slack.blocks import SHARE_MODAL, SHARE_TARGET_ACTION
from tests.fakes.block_kit import block_texts
from tests.fakes.papers import SEED_PAPER
from tests.fakes.slack_app import Answer, SlackHarness, running_slack
from tests.fakes.slack_server import (
    BOT_TOKEN,
    CHANNEL_ID,
    TEAM_DOMAIN,
    USER_ID,
    ChannelError,
    Ephemeral,
    FakeSlack,
    Post,
    Response,
    block_actions_body,
    view_submission_body,
)

JOURNAL_CLUB = "C0JOURNAL"
CHINESE_GROUP = "C0ZHONGWEN"
SECRET_GROUP = "G0SECRET"


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[SlackHarness]:
    async with running_slack(tmp_path, (SEED_PAPER,)) as harness:
        yield harness


async def post_card(app: SlackHarness) -> Post:
    await app.command(f"paper {SEED_PAPER.arxiv_id}")
    return await app.wait_for_card(SEED_PAPER.arxiv_id)


async def click_share(app: SlackHarness, card: Post) -> Answer:
    """Click 🔗 Share under `card`, as Slack sends it: with a fresh trigger_id and response_url."""
    body = block_actions_body(
        action_id=SHARE_ACTION,
        channel=card.channel,
        message_ts=card.ts,
        blocks=card.blocks or [],
        response_url=app.slack.new_response_url(),
        trigger_id=app.slack.new_trigger_id(),
    )
    return await app.send(body)


async def opened_modal(app: SlackHarness) -> dict[str, Any]:
    await app.slack.wait_for(lambda: app.slack.modals)
    return app.slack.modals[-1]


async def share_into(app: SlackHarness, channel: str) -> Post:
    """Post a card, share it into `channel` through the modal; the original card."""
    card = await post_card(app)
    await click_share(app, card)
    modal = await opened_modal(app)
    answer = await app.send(view_submission_body(modal, {SHARE_TARGET_ACTION: channel}))
    assert answer.status == 200
    # An empty acknowledgement closes the modal.
    assert answer.body == ""
    return card


async def told(app: SlackHarness) -> Ephemeral:
    """What the sharer was told privately about where the card went."""
    await app.slack.wait_for(lambda: app.slack.ephemeral)
    return app.slack.ephemeral[-1]


def text_of(message: Ephemeral | Post | Response) -> str:
    return "\n".join(block_texts(message.blocks or [])) or message.text


def permalink_of(card: Post) -> str:
    return f"https://{TEAM_DOMAIN}.slack.com/archives/{card.channel}/p{card.ts.replace('.', '')}"


async def test_share_opens_a_modal_to_pick_a_conversation_with_the_cards_permalink(
    app: SlackHarness,
) -> None:
    card = await post_card(app)

    answer = await click_share(app, card)

    assert answer.status == 200
    modal = await opened_modal(app)
    assert modal["callback_id"] == SHARE_MODAL
    inputs = [block for block in modal["blocks"] if block["type"] == "input"]
    assert [block["element"]["type"] for block in inputs] == ["conversations_select"]
    assert permalink_of(card) in "\n".join(block_texts(modal["blocks"]))
    assert SEED_PAPER.arxiv_id in modal["private_metadata"]
    assert app.slack.responses == []


async def test_submitting_the_modal_posts_the_full_card_in_the_chosen_channel(
    app: SlackHarness,
) -> None:
    card = await share_into(app, JOURNAL_CLUB)

    shared = await app.wait_for_card(SEED_PAPER.arxiv_id, channel=JOURNAL_CLUB)
    assert shared.blocks == card.blocks
    threads = [p for p in app.slack.posts if p.thread_ts == shared.ts]
    originals = [p for p in app.slack.posts if p.thread_ts == card.ts]
    assert [p.blocks for p in threads] == [p.blocks for p in originals]


async def test_the_sharer_is_told_privately_where_the_card_went(app: SlackHarness) -> None:
    card = await share_into(app, JOURNAL_CLUB)

    note = await told(app)
    assert (note.channel, note.user) == (card.channel, USER_ID)
    assert f"<#{JOURNAL_CLUB}>" in text_of(note)
    assert SEED_PAPER.title in text_of(note)


async def test_a_card_shared_into_a_chinese_chat_is_in_chinese(app: SlackHarness) -> None:
    await app.command("lang zh", channel=CHINESE_GROUP)
    await app.slack.wait_for(lambda: app.slack.responses)
    assert await app.core.service.language_of("slack", CHINESE_GROUP) == "zh"

    card = await share_into(app, CHINESE_GROUP)

    shared = await app.wait_for_card(SEED_PAPER.arxiv_id, channel=CHINESE_GROUP)
    assert CARD_LABELS["zh"].favorite in text_of(shared)
    assert CARD_LABELS["en"].favorite in text_of(card)
    assert CARD_LABELS["en"].favorite not in text_of(shared)


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found"])
async def test_sharing_where_paperbell_is_not_a_member_says_to_invite_it(
    app: SlackHarness, error: ChannelError
) -> None:
    app.slack.set_channel_error(SECRET_GROUP, error)

    await share_into(app, SECRET_GROUP)

    note = await told(app)
    assert "/invite @paperbell" in text_of(note)
    assert f"<#{SECRET_GROUP}>" in text_of(note)
    assert [p for p in app.slack.posts if p.channel == SECRET_GROUP] == []


async def test_when_slack_will_not_open_the_modal_share_answers_with_the_permalink(
    app: SlackHarness,
) -> None:
    card = await post_card(app)
    # The app took longer than Slack allows a trigger_id to live.
    app.slack.trigger_seconds = 0

    await click_share(app, card)

    await app.slack.wait_for(lambda: app.slack.responses)
    reply = app.slack.responses[0]
    assert reply.response_type == "ephemeral"
    assert permalink_of(card) in text_of(reply)
    assert f"/paperbell paper {SEED_PAPER.arxiv_id}" in text_of(reply)
    assert [c.error for c in app.slack.calls if c.method == "views.open"] == ["expired_trigger_id"]
    assert app.slack.modals == []


# -- what the fake's views.open refuses, as Slack does ------------------------------------------


def modal(**overrides: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": "pick",
        "title": {"type": "plain_text", "text": "Pick one"},
        "submit": {"type": "plain_text", "text": "Go"},
        "blocks": [
            {
                "type": "input",
                "block_id": "where",
                "label": {"type": "plain_text", "text": "Where"},
                "element": {"type": "conversations_select", "action_id": "conversation"},
            }
        ],
    }
    view.update(overrides)
    return view


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(rate_limit=None) as fake:
        yield fake


def client_of(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=slack.url + "/api/", retry_handlers=[])


async def refusal(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as refused:
        await call
    data: dict[str, Any] = refused.value.response.data  # type: ignore[assignment]
    return data


async def test_views_open_opens_a_valid_modal_once_per_trigger(slack: FakeSlack) -> None:
    client = client_of(slack)
    trigger = slack.new_trigger_id()

    opened = await client.views_open(trigger_id=trigger, view=modal())

    assert opened["view"]["id"] == slack.modals[0]["id"]
    again = await refusal(client.views_open(trigger_id=trigger, view=modal()))
    assert again["error"] == "exchanged_trigger_id"
    assert len(slack.modals) == 1


async def test_views_open_refuses_a_trigger_slack_never_issued_or_one_too_old(
    slack: FakeSlack,
) -> None:
    client = client_of(slack)

    unknown = await refusal(client.views_open(trigger_id="123.456.abc", view=modal()))
    missing = await refusal(client.api_call("views.open", json={"view": modal()}))
    slack.trigger_seconds = 0
    expired = await refusal(client.views_open(trigger_id=slack.new_trigger_id(), view=modal()))

    assert unknown["error"] == "invalid_trigger_id"
    assert missing["error"] == "invalid_arguments"
    assert expired["error"] == "expired_trigger_id"
    assert slack.modals == []


@pytest.mark.parametrize(
    ("overrides", "pointer"),
    [
        ({"title": {"type": "plain_text", "text": "x" * 25}}, "/view/title/text"),
        ({"submit": {"type": "plain_text", "text": "x" * 25}}, "/view/submit/text"),
        ({"close": {"type": "mrkdwn", "text": "Cancel"}}, "/view/close"),
        ({"type": "home"}, "/view/type"),
        ({"blocks": [{"type": "divider"}] * 101}, "/view/blocks"),
        ({"submit": None}, "/view"),
        (
            {
                "blocks": [
                    {
                        "type": "input",
                        "label": {"type": "plain_text", "text": "Where"},
                        "element": {"type": "channels_select"},
                    }
                ]
            },
            "/view/blocks/0/element",
        ),
    ],
)
async def test_views_open_refuses_a_modal_slack_would_not_show(
    slack: FakeSlack, overrides: dict[str, Any], pointer: str
) -> None:
    view = {k: v for k, v in modal(**overrides).items() if v is not None}

    refused = await refusal(
        client_of(slack).views_open(trigger_id=slack.new_trigger_id(), view=view)
    )

    assert refused["error"] == "invalid_arguments"
    messages = refused["response_metadata"]["messages"]
    assert any(m.endswith(f"[json-pointer:{pointer}]") for m in messages), messages
    assert slack.modals == []


async def test_a_message_cannot_carry_an_input_block(slack: FakeSlack) -> None:
    refused = await refusal(
        client_of(slack).chat_postMessage(channel=CHANNEL_ID, text="pick", blocks=modal()["blocks"])
    )

    assert refused["error"] == "invalid_blocks"
    assert slack.posts == []


async def test_a_modal_cannot_be_submitted_with_a_required_input_left_empty(
    slack: FakeSlack,
) -> None:
    opened = await client_of(slack).views_open(trigger_id=slack.new_trigger_id(), view=modal())

    with pytest.raises(ValueError, match="left empty"):
        view_submission_body(opened["view"], {})
    with pytest.raises(ValueError, match="no input"):
        view_submission_body(opened["view"], {"conversation": CHANNEL_ID, "other": CHANNEL_ID})
