"""`/paperbell` in Slack: signed slash commands in over HTTP, cards and ephemeral replies out.

Every test runs the real adapter in HTTP mode against the fake Slack Web API and fake arXiv,
and sends it slash commands exactly as Slack would (form-encoded, signed, with a
response_url the fake hosts).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.render.slack_blocks import (
    FAVORITE_ACTION,
    OPEN_ARXIV_ACTION,
    OPEN_PDF_ACTION,
    SHARE_ACTION,
)
from bot.words.labels import CARD_LABELS
from bot.words.messages import MESSAGES
from tests.fakes.block_kit import block_texts
from tests.fakes.papers import SEED_PAPER
from tests.fakes.slack_app import (
    OTHER_PAPER,
    SlackHarness,
    nth_response,
    running_slack,
    texts,
    user_key,
)
from tests.fakes.slack_server import CHANNEL_ID, USER_ID

LABELS = CARD_LABELS["en"]


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[SlackHarness]:
    async with running_slack(tmp_path, (SEED_PAPER, OTHER_PAPER)) as harness:
        yield harness


async def test_paper_posts_the_card_in_the_channel_with_the_long_sections_in_its_thread(
    app: SlackHarness,
) -> None:
    answer = await app.command("paper 2508.08189")

    assert answer.status == 200
    card = await app.wait_for_card("2508.08189")
    assert card.channel == CHANNEL_ID
    shown = "\n".join(block_texts(card.blocks or []))
    assert SEED_PAPER.title in shown
    actions = [b for b in card.blocks or [] if b["type"] == "actions"][-1]
    assert [e["action_id"] for e in actions["elements"]] == [
        FAVORITE_ACTION,
        SHARE_ACTION,
        OPEN_ARXIV_ACTION,
        OPEN_PDF_ACTION,
    ]
    thread = [p for p in app.slack.posts if p.thread_ts == card.ts]
    in_thread = "\n".join(t for p in thread for t in block_texts(p.blocks or []))
    for long_section in (LABELS.abstract, LABELS.method):
        assert long_section in in_thread
        assert long_section not in shown


async def test_help_is_answered_in_the_acknowledgement_itself(app: SlackHarness) -> None:
    answer = await app.command("")

    assert answer.status == 200
    reply = answer.json()
    assert reply["response_type"] == "ephemeral"
    shown = "\n".join(block_texts(reply["blocks"]))
    assert "/paperbell subscribe" in shown
    assert "/paperbell paper" in shown
    assert app.slack.responses == []


async def test_the_acknowledgement_does_not_wait_for_arxiv(app: SlackHarness) -> None:
    release = app.arxiv.hold()

    async with asyncio.timeout(10):  # Slack itself gives up after 3 s
        answer = await app.command("paper 2509.01234")

    assert answer.status == 200
    assert answer.body == ""
    assert app.slack.posts == []
    release.set()
    await app.wait_for_card("2509.01234")


async def test_bad_input_gets_an_ephemeral_explanation_with_an_example(app: SlackHarness) -> None:
    await app.command("subscribe")

    reply = await nth_response(app)
    assert reply.response_type == "ephemeral"
    assert "Example: /paperbell subscribe" in texts(reply)


async def test_an_unknown_subcommand_points_to_help(app: SlackHarness) -> None:
    await app.command("subscirbe cs.SE")

    reply = await nth_response(app)
    assert reply.response_type == "ephemeral"
    assert "/paperbell help" in texts(reply)


async def test_subscribing_a_channel_shows_in_its_list(app: SlackHarness) -> None:
    await app.command("subscribe cs.SE +flaky")
    subscribed = await nth_response(app)
    await app.command("list")
    listed = await nth_response(app, 1)

    assert "cs.SE" in texts(subscribed)
    assert subscribed.response_type == "ephemeral"
    assert "cs.SE (Software Engineering)" in texts(listed)
    assert "only flaky" in texts(listed)
    chat = await app.core.store.get_chat("slack", CHANNEL_ID)
    assert chat is not None
    assert [s.category for s in await app.core.store.list_subscriptions(chat.id)] == ["cs.SE"]


async def test_unsubscribe_stops_a_category(app: SlackHarness) -> None:
    await app.command("subscribe cs.SE cs.LG")
    await nth_response(app)
    await app.command("unsubscribe cs.LG")

    assert "cs.LG" in texts(await nth_response(app, 1))
    chat = await app.core.store.get_chat("slack", CHANNEL_ID)
    assert chat is not None
    assert [s.category for s in await app.core.store.list_subscriptions(chat.id)] == ["cs.SE"]


async def test_lang_zh_makes_the_channels_cards_chinese(app: SlackHarness) -> None:
    await app.command("lang zh")
    await nth_response(app)
    await app.command("paper 2508.08189")

    card = await app.wait_for_card("2508.08189")
    assert "☆ 收藏" in block_texts(card.blocks or [])


async def test_a_card_for_a_conversation_the_bot_is_not_in_goes_through_the_response_url(
    app: SlackHarness,
) -> None:
    app.slack.set_channel_error(CHANNEL_ID, "not_in_channel")

    await app.command("paper 2508.08189")

    reply = await nth_response(app)
    assert reply.response_type == "in_channel"
    assert SEED_PAPER.title in texts(reply)
    assert any(b["type"] == "actions" for b in reply.blocks or [])
    assert app.slack.posts == []


async def test_several_notices_share_one_reply(app: SlackHarness) -> None:
    await app.command("paper 2508.08189 2601.99999")

    await app.wait_for_card("2508.08189")
    reply = await nth_response(app)
    assert "2601.99999" in texts(reply)
    assert len(app.slack.responses) == 1


async def test_export_uploads_bibtex_to_the_askers_direct_message(app: SlackHarness) -> None:
    await app.core.store.save_papers([SEED_PAPER])
    await app.core.service.toggle_favorite("slack", user_key(), SEED_PAPER.arxiv_id)

    await app.command("export")

    await app.slack.wait_for(lambda: app.slack.files and app.slack.responses)
    (upload,) = app.slack.files
    assert upload.channels == ("D" + USER_ID[1:],)
    assert upload.filename.endswith(".bib")
    assert b"2508.08189" in upload.content
    assert "direct message" in texts(app.slack.responses[0])


async def test_export_falls_back_to_an_inline_snippet_when_uploads_are_refused(
    app: SlackHarness,
) -> None:
    await app.core.store.save_papers([SEED_PAPER])
    await app.core.service.toggle_favorite("slack", user_key(), SEED_PAPER.arxiv_id)
    app.slack.fail_next("files.getUploadURLExternal", "missing_scope")

    await app.command("export")

    reply = await nth_response(app)
    assert app.slack.files == []
    assert reply.response_type == "ephemeral"
    code = [t for t in block_texts(reply.blocks or []) if t.startswith("```")]
    assert code
    assert "2508.08189" in code[0]


async def test_export_without_favorites_says_how_to_get_some(app: SlackHarness) -> None:
    await app.command("export")

    reply = await nth_response(app)
    assert "☆" in texts(reply)
    assert app.slack.files == []


async def test_favorites_lists_the_askers_own_favorites_ephemerally(app: SlackHarness) -> None:
    await app.core.store.save_papers([SEED_PAPER, OTHER_PAPER])
    await app.core.service.toggle_favorite("slack", user_key(), SEED_PAPER.arxiv_id)
    await app.core.service.toggle_favorite("slack", user_key("U0BOB"), OTHER_PAPER.arxiv_id)

    await app.command("favorites")

    reply = await nth_response(app)
    assert reply.response_type == "ephemeral"
    assert SEED_PAPER.title in texts(reply)
    assert OTHER_PAPER.title not in texts(reply)


async def test_a_failing_core_still_answers_the_asker(app: SlackHarness, tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "paperbell.db") as db:
        db.execute("DROP TABLE chats")

    await app.command("list")

    reply = await nth_response(app)
    assert reply.response_type == "ephemeral"
    assert MESSAGES["en"].sorry in texts(reply)


async def test_subscribing_a_private_channel_paperbell_is_not_in_says_to_invite_it(
    app: SlackHarness,
) -> None:
    app.slack.set_channel_error("G0PRIVATE", "channel_not_found")

    await app.command("subscribe cs.SE", channel="G0PRIVATE")

    reply = await nth_response(app)
    assert "Subscribed" in texts(reply)
    assert "/invite @paperbell" in texts(reply)


async def test_subscribing_a_public_channel_needs_no_invitation(app: SlackHarness) -> None:
    app.slack.set_channel_error(CHANNEL_ID, "not_in_channel")

    await app.command("subscribe cs.SE")

    assert "/invite" not in texts(await nth_response(app))


@pytest.mark.parametrize(
    ("policy", "allowed", "refused"),
    [("admins", "U0ADMIN", USER_ID), ("U0CHAIR,U0ADMIN", "U0ADMIN", USER_ID)],
)
async def test_a_subscription_policy_lets_only_its_people_change_a_channel(
    tmp_path: Path, policy: str, allowed: str, refused: str
) -> None:
    async with running_slack(tmp_path, SLACK_SUBSCRIBE_POLICY=policy) as app:
        app.slack.set_user("U0ADMIN", is_admin=True)

        await app.command("subscribe cs.SE", user=refused)
        refusal = await nth_response(app)
        await app.command("subscribe cs.LG", user=allowed)
        await nth_response(app, 1)
        await app.command("list", user=refused)
        listed = await nth_response(app, 2)

    assert "Only" in texts(refusal)
    assert "cs.LG" in texts(listed)
    assert "cs.SE" not in texts(listed)


async def test_anyone_may_subscribe_their_own_direct_message_whatever_the_policy(
    tmp_path: Path,
) -> None:
    async with running_slack(tmp_path, SLACK_SUBSCRIBE_POLICY="admins") as app:
        await app.command("subscribe cs.SE", channel="D0ALICE")

        assert "Subscribed" in texts(await nth_response(app))


async def test_workspace_owners_count_as_admins(tmp_path: Path) -> None:
    async with running_slack(tmp_path, SLACK_SUBSCRIBE_POLICY="admins") as app:
        app.slack.set_user(USER_ID, is_owner=True)

        await app.command("subscribe cs.SE")

        assert "Subscribed" in texts(await nth_response(app))


async def test_digest_and_status_answer_for_the_channel(app: SlackHarness) -> None:
    await app.command("subscribe cs.SE")
    await nth_response(app)
    await app.command("digest 08:30")
    digest = await nth_response(app, 1)
    await app.command("status")
    status = await nth_response(app, 2)

    assert "08:30" in texts(digest)
    assert "cs.SE" in texts(status)
    assert "08:30" in texts(status)
