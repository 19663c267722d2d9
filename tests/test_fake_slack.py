"""The fake Slack behaves like Slack for the real slack-sdk and slack-bolt clients.

Every test drives the fake through the client libraries the app uses, so an answer the real
service would not give (or a refusal it would not make) shows up here, not in adapter tests.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any
from urllib.parse import parse_qs

import aiohttp
import pytest
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from tests.fakes.slack_server import (
    BOT_TOKEN,
    BOT_USER_ID,
    CHANNEL_ID,
    RESPONSE_URL_USES,
    TEAM_ID,
    USER_ID,
    FakeSlack,
    RateLimit,
    app_home_opened_event,
    block_actions_body,
    sign,
    signed_headers,
    slash_command_body,
)

SIGNING_SECRET = "0123456789abcdef0123456789abcdef"


def section(text: str = "hello") -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(action_id: str, text: str = "☆ Favorite", value: str = "2508.08189") -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": text},
        "value": value,
    }


def card_blocks() -> list[dict[str, Any]]:
    return [
        {"type": "header", "text": {"type": "plain_text", "text": "Visual RL survey"}},
        section("*Takeaway*: a map of visual reinforcement learning"),
        {"type": "divider"},
        {
            "type": "actions",
            "block_id": "card_actions",
            "elements": [button("paperbell_favorite"), button("paperbell_share", "🔗 Share")],
        },
    ]


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(rate_limit=None) as fake:
        yield fake


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=slack.url + "/api/")


async def slack_error(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        await call
    return caught.value


# -- posting ----------------------------------------------------------------------------------


async def test_posting_a_valid_card_records_it_under_the_returned_ts(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    blocks = card_blocks()
    response = await client.chat_postMessage(channel=CHANNEL_ID, text="New paper", blocks=blocks)

    (post,) = slack.posts
    assert response["ok"] is True
    assert (response["channel"], response["ts"]) == (CHANNEL_ID, post.ts)
    assert response["message"]["blocks"] == blocks
    assert response["message"]["user"] == BOT_USER_ID
    assert (post.channel, post.text, post.blocks, post.thread_ts) == (
        CHANNEL_ID,
        "New paper",
        blocks,
        None,
    )


async def test_a_thread_reply_keeps_its_parent_ts_and_every_ts_is_new(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    parent = await client.chat_postMessage(channel=CHANNEL_ID, text="card")
    reply = await client.chat_postMessage(
        channel=CHANNEL_ID, text="details", thread_ts=parent["ts"]
    )

    assert slack.posts[1].thread_ts == parent["ts"]
    assert reply["message"]["thread_ts"] == parent["ts"]
    assert float(reply["ts"]) > float(parent["ts"])


async def test_posting_to_a_user_id_lands_in_the_bots_direct_message(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    response = await client.chat_postMessage(channel=USER_ID, text="hi")

    assert response["channel"].startswith("D")
    assert slack.posts[0].channel == response["channel"]


async def test_form_encoded_calls_with_blocks_as_a_json_string_are_understood(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    blocks = card_blocks()
    await client.api_call(
        "chat.postMessage",
        data={"channel": CHANNEL_ID, "text": "form", "blocks": json.dumps(blocks)},
    )

    assert slack.posts[0].blocks == blocks


async def test_blocks_that_are_not_json_are_refused_as_invalid_format(
    client: AsyncWebClient,
) -> None:
    error = await slack_error(
        client.api_call("chat.postMessage", data={"channel": CHANNEL_ID, "blocks": "[{"})
    )
    assert error.response["error"] == "invalid_blocks_format"


async def test_fifty_one_blocks_are_refused_as_invalid_blocks(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    error = await slack_error(
        client.chat_postMessage(channel=CHANNEL_ID, text="x", blocks=[section()] * 51)
    )

    assert error.response["error"] == "invalid_blocks"
    assert error.response["errors"]
    assert error.response["response_metadata"]["messages"][0].startswith("[ERROR]")
    assert slack.posts == []


async def test_fifty_blocks_are_accepted(slack: FakeSlack, client: AsyncWebClient) -> None:
    await client.chat_postMessage(channel=CHANNEL_ID, text="x", blocks=[section()] * 50)
    assert len(slack.posts[0].blocks or ()) == 50


@pytest.mark.parametrize("length", [150, 151])
async def test_a_header_may_hold_150_characters_and_no_more(
    slack: FakeSlack, client: AsyncWebClient, length: int
) -> None:
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * length}}
    call = client.chat_postMessage(channel=CHANNEL_ID, text="x", blocks=[header])

    if length <= 150:
        await call
        assert len(slack.posts) == 1
    else:
        assert (await slack_error(call)).response["error"] == "invalid_blocks"
        assert slack.posts == []


OVER_THE_LIMIT = {
    "header_in_mrkdwn": {"type": "header", "text": {"type": "mrkdwn", "text": "*h*"}},
    "section_text_3001": section("s" * 3001),
    "eleven_fields": {
        "type": "section",
        "fields": [{"type": "mrkdwn", "text": "f"}] * 11,
    },
    "field_of_2001": {"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]},
    "eleven_context_elements": {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "c"}] * 11,
    },
    "twenty_six_buttons": {
        "type": "actions",
        "elements": [button(f"b{i}") for i in range(26)],
    },
    "button_text_76": {"type": "actions", "elements": [button("b", text="t" * 76)]},
    "button_value_2001": {"type": "actions", "elements": [button("b", value="v" * 2001)]},
    "action_id_256": {"type": "actions", "elements": [button("a" * 256)]},
    "duplicate_action_id": {"type": "actions", "elements": [button("same"), button("same")]},
    "url_3001": {
        "type": "actions",
        "elements": [{**button("open"), "url": "https://arxiv.org/" + "a" * 2990}],
    },
    "block_id_256": {**section(), "block_id": "b" * 256},
    "unknown_type": {"type": "carousel"},
}


@pytest.mark.parametrize("block", OVER_THE_LIMIT.values(), ids=OVER_THE_LIMIT.keys())
async def test_blocks_slack_refuses_are_refused(
    slack: FakeSlack, client: AsyncWebClient, block: dict[str, Any]
) -> None:
    error = await slack_error(client.chat_postMessage(channel=CHANNEL_ID, text="x", blocks=[block]))

    assert error.response["error"] == "invalid_blocks"
    assert slack.posts == []


async def test_a_block_id_used_twice_in_one_message_is_refused(client: AsyncWebClient) -> None:
    blocks = [{**section(), "block_id": "same"}, {**section(), "block_id": "same"}]
    error = await slack_error(client.chat_postMessage(channel=CHANNEL_ID, text="x", blocks=blocks))
    assert error.response["error"] == "invalid_blocks"


async def test_text_over_40000_characters_is_too_long(client: AsyncWebClient) -> None:
    await client.chat_postMessage(channel=CHANNEL_ID, text="t" * 40_000)
    error = await slack_error(client.chat_postMessage(channel=CHANNEL_ID, text="t" * 40_001))
    assert error.response["error"] == "msg_too_long"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_a_message_without_text_or_blocks_is_refused(client: AsyncWebClient) -> None:
    error = await slack_error(client.chat_postMessage(channel=CHANNEL_ID))
    assert error.response["error"] == "no_text"


# -- rate limits ------------------------------------------------------------------------------


async def test_flooding_a_channel_gets_429_with_retry_after_while_other_channels_flow() -> None:
    async with FakeSlack(rate_limit=RateLimit(per_second=1.0, burst=2)) as slack:
        client = AsyncWebClient(token=BOT_TOKEN, base_url=slack.url + "/api/")
        for _ in range(2):
            await client.chat_postMessage(channel=CHANNEL_ID, text="burst")
        error = await slack_error(client.chat_postMessage(channel=CHANNEL_ID, text="one too many"))
        await client.chat_postMessage(channel="C0OTHER", text="elsewhere")

    assert error.response.status_code == 429
    assert error.response["error"] == "ratelimited"
    assert int(error.response.headers["Retry-After"]) >= 1
    assert slack.rate_limited == 1
    assert [post.text for post in slack.posts] == ["burst", "burst", "elsewhere"]


async def test_slack_sdks_rate_limit_retry_handler_gets_the_message_through() -> None:
    # retry_after=0: the handler sleeps Retry-After plus up to one second, so keep it short.
    limit = RateLimit(per_second=5.0, burst=1, retry_after=0)
    async with FakeSlack(rate_limit=limit) as slack:
        client = AsyncWebClient(
            token=BOT_TOKEN,
            base_url=slack.url + "/api/",
            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=5)],
        )
        await client.chat_postMessage(channel=CHANNEL_ID, text="first")
        await client.chat_postMessage(channel=CHANNEL_ID, text="second")

    assert slack.rate_limited >= 1
    assert [post.text for post in slack.posts] == ["first", "second"]


async def test_a_scripted_429_counts_and_the_next_call_succeeds(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.fail_next("chat.postMessage", http_status=429)

    error = await slack_error(client.chat_postMessage(channel=CHANNEL_ID, text="x"))
    await client.chat_postMessage(channel=CHANNEL_ID, text="x")

    assert error.response.status_code == 429
    assert "Retry-After" in error.response.headers
    assert slack.rate_limited == 1
    assert len(slack.posts) == 1


# -- auth and scripted failures ---------------------------------------------------------------


async def test_auth_test_describes_the_bot(slack: FakeSlack, client: AsyncWebClient) -> None:
    response = await client.auth_test()
    assert (response["team_id"], response["user_id"]) == (TEAM_ID, BOT_USER_ID)
    assert response["bot_id"].startswith("B")
    assert response["url"].startswith("https://")


async def test_a_missing_token_is_not_authed_and_a_wrong_one_is_invalid(
    slack: FakeSlack,
) -> None:
    anonymous = AsyncWebClient(base_url=slack.url + "/api/")
    stranger = AsyncWebClient(token="xoxb-not-ours", base_url=slack.url + "/api/")

    assert (await slack_error(anonymous.auth_test())).response["error"] == "not_authed"
    assert (await slack_error(stranger.auth_test())).response["error"] == "invalid_auth"


async def test_a_token_inside_a_json_body_is_ignored_like_slack_does(slack: FakeSlack) -> None:
    async with aiohttp.ClientSession() as session:
        response = await session.post(
            slack.url + "/api/chat.postMessage",
            json={"token": BOT_TOKEN, "channel": CHANNEL_ID, "text": "x"},
        )
        body = await response.json()
    assert body == {"ok": False, "error": "not_authed"}


async def test_a_form_token_field_authenticates(slack: FakeSlack) -> None:
    async with aiohttp.ClientSession() as session:
        response = await session.post(slack.url + "/api/auth.test", data={"token": BOT_TOKEN})
        body = await response.json()
    assert body["ok"] is True


@pytest.mark.parametrize("error", ["token_revoked", "account_inactive"])
async def test_a_revoked_token_fails_every_call(
    slack: FakeSlack, client: AsyncWebClient, error: Any
) -> None:
    await client.auth_test()
    slack.revoke_token(error)

    assert (await slack_error(client.auth_test())).response["error"] == error
    failed = await slack_error(client.chat_postMessage(channel=CHANNEL_ID, text="x"))
    assert failed.response["error"] == error


async def test_fail_next_fails_one_call_of_that_method_only(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.fail_next("chat.postMessage", http_status=503)
    slack.fail_next("chat.postMessage", "channel_not_found")

    await client.auth_test()
    server_error = await slack_error(client.chat_postMessage(channel=CHANNEL_ID, text="x"))
    refused = await slack_error(client.chat_postMessage(channel=CHANNEL_ID, text="x"))
    await client.chat_postMessage(channel=CHANNEL_ID, text="x")

    assert server_error.response.status_code == 503
    assert refused.response["error"] == "channel_not_found"
    assert len(slack.posts) == 1


def test_fail_next_needs_an_error_or_an_error_status() -> None:
    with pytest.raises(ValueError):
        FakeSlack().fail_next("chat.postMessage")


async def test_an_unknown_method_is_refused(client: AsyncWebClient) -> None:
    error = await slack_error(client.api_call("chat.postMesage"))
    assert error.response["error"] == "unknown_method"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_every_call_is_recorded_with_its_outcome(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    await client.chat_postMessage(channel=CHANNEL_ID, text="x")
    await slack_error(client.chat_postMessage(channel=CHANNEL_ID))

    assert [(c.method, c.error) for c in slack.calls] == [
        ("chat.postMessage", None),
        ("chat.postMessage", "no_text"),
    ]
    assert slack.calls[0].args["text"] == "x"
    assert all("token" not in call.args for call in slack.calls)


# -- channels ---------------------------------------------------------------------------------


async def test_a_channel_the_bot_left_refuses_posts_until_it_joins(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.set_channel_error(CHANNEL_ID, "not_in_channel")

    error = await slack_error(client.chat_postMessage(channel=CHANNEL_ID, text="x"))
    info = await client.conversations_info(channel=CHANNEL_ID)
    await client.conversations_join(channel=CHANNEL_ID)
    await client.chat_postMessage(channel=CHANNEL_ID, text="x")

    assert error.response["error"] == "not_in_channel"
    assert info["channel"]["is_member"] is False
    assert len(slack.posts) == 1


async def test_an_archived_channel_refuses_posts_and_joins(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.set_channel_error(CHANNEL_ID, "is_archived")

    post = await slack_error(client.chat_postMessage(channel=CHANNEL_ID, text="x"))
    join = await slack_error(client.conversations_join(channel=CHANNEL_ID))
    info = await client.conversations_info(channel=CHANNEL_ID)

    assert post.response["error"] == join.response["error"] == "is_archived"
    assert info["channel"]["is_archived"] is True


async def test_a_deleted_channel_is_not_found_anywhere(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.set_channel_error(CHANNEL_ID, "channel_not_found")

    for call in (
        client.chat_postMessage(channel=CHANNEL_ID, text="x"),
        client.chat_postEphemeral(channel=CHANNEL_ID, user=USER_ID, text="x"),
        client.conversations_info(channel=CHANNEL_ID),
    ):
        assert (await slack_error(call)).response["error"] == "channel_not_found"


async def test_channels_are_addressed_by_id_not_by_name(client: AsyncWebClient) -> None:
    error = await slack_error(client.chat_postMessage(channel="#papers", text="x"))
    assert error.response["error"] == "channel_not_found"


async def test_clearing_a_channel_error_restores_the_channel(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.set_channel_error(CHANNEL_ID, "channel_not_found")
    slack.set_channel_error(CHANNEL_ID, None)
    await client.chat_postMessage(channel=CHANNEL_ID, text="x")
    assert len(slack.posts) == 1


async def test_private_channels_cannot_be_joined_by_a_bot(client: AsyncWebClient) -> None:
    error = await slack_error(client.conversations_join(channel="G0PRIVATE"))
    assert error.response["error"] == "method_not_supported_for_channel_type"


# -- other messages ---------------------------------------------------------------------------


async def test_an_ephemeral_message_is_recorded_for_its_user(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    response = await client.chat_postEphemeral(
        channel=CHANNEL_ID, user=USER_ID, text="Saved to favorites"
    )

    (message,) = slack.ephemeral
    assert (message.channel, message.user, message.text) == (
        CHANNEL_ID,
        USER_ID,
        "Saved to favorites",
    )
    assert response["message_ts"] == message.message_ts
    assert slack.posts == []


async def test_updating_a_message_replaces_it_and_keeps_blocks_left_out(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    blocks = card_blocks()
    posted = await client.chat_postMessage(channel=CHANNEL_ID, text="v1", blocks=blocks)

    await client.chat_update(channel=CHANNEL_ID, ts=posted["ts"], text="v2")

    (post,) = slack.posts
    assert (post.ts, post.text, post.blocks, post.edited) == (posted["ts"], "v2", blocks, True)


async def test_updating_a_message_that_does_not_exist_is_refused(
    client: AsyncWebClient,
) -> None:
    error = await slack_error(client.chat_update(channel=CHANNEL_ID, ts="1.000001", text="x"))
    assert error.response["error"] == "message_not_found"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_an_update_is_held_to_the_block_kit_limits(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    posted = await client.chat_postMessage(channel=CHANNEL_ID, text="v1")
    error = await slack_error(
        client.chat_update(channel=CHANNEL_ID, ts=posted["ts"], blocks=[section()] * 51)
    )
    assert error.response["error"] == "invalid_blocks"
    assert slack.posts[0].text == "v1"


async def test_a_permalink_points_at_the_message(client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel=CHANNEL_ID, text="x")
    response = await client.chat_getPermalink(channel=CHANNEL_ID, message_ts=posted["ts"])

    assert response["permalink"].endswith(
        f"/archives/{CHANNEL_ID}/p{posted['ts'].replace('.', '')}"
    )
    missing = await slack_error(client.chat_getPermalink(channel=CHANNEL_ID, message_ts="1.5"))
    assert missing.response["error"] == "message_not_found"


# -- App Home and users -----------------------------------------------------------------------


async def test_publishing_a_home_view_records_it_per_user(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    first = await client.views_publish(
        user_id=USER_ID, view={"type": "home", "blocks": [section("mine")]}
    )
    await client.views_publish(user_id="U0BOB", view={"type": "home", "blocks": [section("bob's")]})
    again = await client.views_publish(
        user_id=USER_ID, view={"type": "home", "blocks": [section("mine, updated")]}
    )

    assert set(slack.views) == {USER_ID, "U0BOB"}
    assert slack.views[USER_ID]["blocks"] == [section("mine, updated")]
    assert first["view"]["id"] == again["view"]["id"] == slack.views[USER_ID]["id"]


async def test_only_home_views_with_at_most_100_blocks_can_be_published(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "t"}, "blocks": []}
    too_long = {"type": "home", "blocks": [section()] * 101}

    for view in (modal, too_long):
        error = await slack_error(client.views_publish(user_id=USER_ID, view=view))
        assert error.response["error"] == "invalid_arguments"
    assert slack.views == {}
    await client.views_publish(user_id=USER_ID, view={"type": "home", "blocks": [section()] * 100})
    assert len(slack.views[USER_ID]["blocks"]) == 100


async def test_a_home_view_is_held_to_the_block_kit_limits(client: AsyncWebClient) -> None:
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}
    error = await slack_error(
        client.views_publish(user_id=USER_ID, view={"type": "home", "blocks": [header]})
    )
    assert error.response["error"] == "invalid_arguments"
    (message,) = error.response["response_metadata"]["messages"]
    assert "[json-pointer:/view/blocks/0/text/text]" in message


async def test_publishing_over_a_stale_hash_is_a_conflict(client: AsyncWebClient) -> None:
    home = {"type": "home", "blocks": [section()]}
    first = await client.views_publish(user_id=USER_ID, view=home)
    await client.views_publish(user_id=USER_ID, view=home, hash=first["view"]["hash"])

    stale = await slack_error(
        client.views_publish(user_id=USER_ID, view=home, hash=first["view"]["hash"])
    )
    assert stale.response["error"] == "hash_conflict"


async def test_users_are_members_unless_made_admins_or_owners(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.set_user("U0ADMIN", is_admin=True)
    slack.set_user("U0OWNER", is_owner=True, locale="zh-CN")

    member = (await client.users_info(user=USER_ID))["user"]
    admin = (await client.users_info(user="U0ADMIN"))["user"]
    owner = (await client.users_info(user="U0OWNER", include_locale=True))["user"]

    assert (member["is_admin"], member["is_owner"]) == (False, False)
    assert (admin["is_admin"], admin["is_owner"]) == (True, False)
    assert (owner["is_admin"], owner["is_owner"], owner["locale"]) == (True, True, "zh-CN")
    assert "locale" not in member
    missing = await slack_error(client.users_info(user="nobody"))
    assert missing.response["error"] == "user_not_found"


# -- files ------------------------------------------------------------------------------------


async def test_files_upload_v2_stores_the_content_where_it_was_shared(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    bibtex = "@article{wu2025visualrl,\n  title={Reinforcement Learning in Vision}\n}\n"
    response = await client.files_upload_v2(
        channel=CHANNEL_ID,
        content=bibtex,
        filename="2508.08189.bib",
        title="BibTeX",
        initial_comment="Citation",
    )

    (stored,) = slack.files
    assert stored.content == bibtex.encode()
    assert (stored.filename, stored.title, stored.channels) == (
        "2508.08189.bib",
        "BibTeX",
        (CHANNEL_ID,),
    )
    assert stored.initial_comment == "Citation"
    assert response["file"]["id"] == stored.id
    assert response["file"]["size"] == len(bibtex.encode())


async def test_completing_an_upload_that_never_happened_is_refused(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    issued = await client.files_getUploadURLExternal(filename="a.txt", length=3)

    error = await slack_error(
        client.files_completeUploadExternal(files=[{"id": issued["file_id"]}])
    )
    assert error.response["error"] == "file_not_found"
    assert slack.files == []


async def test_uploads_to_a_channel_the_bot_left_are_refused(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    slack.set_channel_error(CHANNEL_ID, "not_in_channel")
    error = await slack_error(
        client.files_upload_v2(channel=CHANNEL_ID, content="x", filename="x.txt")
    )
    assert error.response["error"] == "not_in_channel"


# -- clients in other threads -----------------------------------------------------------------


@pytest.fixture
def threaded_slack() -> Iterator[FakeSlack]:
    with FakeSlack.start_in_thread(rate_limit=None) as fake:
        yield fake


def test_the_sync_web_client_works_against_a_server_in_its_own_thread(
    threaded_slack: FakeSlack,
) -> None:
    client = WebClient(token=BOT_TOKEN, base_url=threaded_slack.url + "/api/")

    assert client.auth_test()["user_id"] == BOT_USER_ID
    client.chat_postMessage(channel=CHANNEL_ID, text="sync", blocks=card_blocks())
    client.files_upload_v2(channel=CHANNEL_ID, content=b"\x00bytes", filename="b.bin")

    assert threaded_slack.posts[0].blocks == card_blocks()
    assert threaded_slack.files[0].content == b"\x00bytes"
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel=CHANNEL_ID, text="x", blocks=[section()] * 51)
    assert caught.value.response["error"] == "invalid_blocks"


async def test_wait_for_returns_once_a_client_in_another_thread_posted(
    threaded_slack: FakeSlack,
) -> None:
    client = WebClient(token=BOT_TOKEN, base_url=threaded_slack.url + "/api/")
    posting = asyncio.create_task(
        asyncio.to_thread(client.chat_postMessage, channel=CHANNEL_ID, text="later")
    )

    await threaded_slack.wait_for(lambda: threaded_slack.posts, timeout=5)
    await posting
    assert threaded_slack.posts[0].text == "later"


async def test_wait_for_gives_up_after_its_timeout(slack: FakeSlack) -> None:
    with pytest.raises(TimeoutError):
        await slack.wait_for(lambda: slack.posts, timeout=0.05)


# -- response_url -----------------------------------------------------------------------------


async def test_replies_to_a_response_url_are_recorded(slack: FakeSlack) -> None:
    url = slack.new_response_url()
    webhook = AsyncWebhookClient(url)

    sent = await webhook.send(text="Subscribed to cs.CV", response_type="in_channel")
    await webhook.send(text="x", blocks=card_blocks(), replace_original=True)

    assert sent.status_code == 200
    first, second = slack.responses
    assert (first.text, first.response_type, first.url) == (
        "Subscribed to cs.CV",
        "in_channel",
        url,
    )
    assert second.response_type == "ephemeral"
    assert (second.blocks, second.replace_original) == (card_blocks(), True)


async def test_a_response_url_takes_five_replies_and_only_issued_urls_work(
    slack: FakeSlack,
) -> None:
    webhook = AsyncWebhookClient(slack.new_response_url())
    statuses = [(await webhook.send(text=str(n))).status_code for n in range(RESPONSE_URL_USES + 1)]
    forged = await AsyncWebhookClient(slack.url + "/response/forged").send(text="x")

    assert statuses == [200] * RESPONSE_URL_USES + [404]
    assert forged.status_code == 404
    assert len(slack.responses) == RESPONSE_URL_USES


async def test_a_response_url_reply_is_held_to_the_block_kit_limits(slack: FakeSlack) -> None:
    webhook = AsyncWebhookClient(slack.new_response_url())
    refused = await webhook.send(text="x", blocks=[section()] * 51)
    assert refused.status_code == 400
    assert "invalid_blocks" in refused.body
    assert slack.responses == []


# -- requests Slack sends to the app ----------------------------------------------------------


def test_sign_reproduces_slacks_documented_example() -> None:
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
        b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
        b"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F"
        b"commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    assert (
        sign("8f742231b10e8888abcd99yyyzzz85a5", 1531420618, body)
        == "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )


@pytest.mark.parametrize(
    "body",
    [
        slash_command_body(text="sub cs.CV", response_url="http://127.0.0.1/response/x"),
        block_actions_body(action_id="paperbell_favorite"),
        app_home_opened_event(),
    ],
    ids=["slash_command", "block_actions", "event"],
)
def test_signed_headers_pass_slack_sdks_verifier_and_a_stale_timestamp_does_not(
    body: bytes,
) -> None:
    verifier = SignatureVerifier(SIGNING_SECRET)
    fresh = signed_headers(SIGNING_SECRET, body)
    stale = signed_headers(
        SIGNING_SECRET, body, timestamp=int(fresh["X-Slack-Request-Timestamp"]) - 600
    )

    assert verifier.is_valid_request(body, fresh)
    assert not verifier.is_valid_request(body, stale)
    assert not verifier.is_valid_request(body + b" ", fresh)


def test_a_slash_command_body_carries_slacks_fields() -> None:
    body = slash_command_body(
        "/paperbell", "paper 2508.08189", response_url="http://r", user_id="U0BOB"
    )
    fields = {
        key: values[0] for key, values in parse_qs(body.decode(), keep_blank_values=True).items()
    }

    assert fields["command"] == "/paperbell"
    assert fields["text"] == "paper 2508.08189"
    assert (fields["user_id"], fields["team_id"], fields["channel_id"]) == (
        "U0BOB",
        TEAM_ID,
        CHANNEL_ID,
    )
    assert fields["response_url"] == "http://r"
    assert fields["trigger_id"]


def test_a_button_click_carries_the_clicked_buttons_block_and_value() -> None:
    body = block_actions_body(
        action_id="paperbell_favorite", message_ts="1700000000.000100", blocks=card_blocks()
    )
    payload = json.loads(parse_qs(body.decode())["payload"][0])

    (action,) = payload["actions"]
    assert payload["type"] == "block_actions"
    assert (action["block_id"], action["value"], action["type"]) == (
        "card_actions",
        "2508.08189",
        "button",
    )
    assert payload["container"]["message_ts"] == "1700000000.000100"
    assert payload["message"]["blocks"] == card_blocks()


def test_an_app_home_click_comes_from_the_view() -> None:
    view = {"id": "V0HOME", "type": "home", "blocks": card_blocks()}
    payload = json.loads(
        parse_qs(block_actions_body(action_id="paperbell_share", view=view).decode())["payload"][0]
    )
    assert payload["container"] == {"type": "view", "view_id": "V0HOME"}
    assert "message" not in payload
    assert payload["actions"][0]["block_id"] == "card_actions"


def test_a_replayed_event_keeps_its_event_id() -> None:
    first = json.loads(app_home_opened_event("U0BOB", event_id="Ev0REPLAY"))
    again = json.loads(app_home_opened_event("U0BOB", event_id="Ev0REPLAY"))
    fresh = json.loads(app_home_opened_event("U0BOB"))

    assert first["event_id"] == again["event_id"] == "Ev0REPLAY"
    assert fresh["event_id"] != first["event_id"]
    assert (first["event"]["type"], first["event"]["user"]) == ("app_home_opened", "U0BOB")


async def test_a_bolt_app_handles_the_helpers_requests_end_to_end(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    app = AsyncApp(signing_secret=SIGNING_SECRET, client=client)
    clicked: list[str] = []

    @app.command("/paperbell")
    async def command(ack: AsyncAck, respond: AsyncRespond, command: dict[str, Any]) -> None:
        await ack()
        await respond(f"you said {command['text']}")

    @app.action("paperbell_favorite")
    async def favorite(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        clicked.append(body["actions"][0]["value"])

    @app.event("app_home_opened")
    async def home(event: dict[str, Any], client: AsyncWebClient) -> None:
        await client.views_publish(
            user_id=event["user"], view={"type": "home", "blocks": [section("home")]}
        )

    async def deliver(body: bytes, secret: str = SIGNING_SECRET) -> int:
        headers: dict[str, str | Sequence[str]] = {**signed_headers(secret, body)}
        request = AsyncBoltRequest(body=body.decode(), headers=headers)
        return (await app.async_dispatch(request)).status

    command_body = slash_command_body(text="help", response_url=slack.new_response_url())
    assert await deliver(command_body) == 200
    assert (
        await deliver(block_actions_body(action_id="paperbell_favorite", blocks=card_blocks()))
        == 200
    )
    assert await deliver(app_home_opened_event()) == 200
    assert await deliver(command_body, secret="not-the-secret") == 401

    await slack.wait_for(lambda: slack.responses and USER_ID in slack.views)
    assert slack.responses[0].text == "you said help"
    assert clicked == ["2508.08189"]
    assert slack.views[USER_ID]["blocks"] == [section("home")]
