"""Scheduled cards and digests into Slack channels, and what each Slack failure means.

The dispatcher only sees `send_card` / `send_digest` and the exceptions they raise, so these
tests pin Slack's answers (from the fake Web API, through the real slack-sdk) to the outcome
the dispatcher acts on: wait exactly Retry-After, drop the channel, give up on the message,
or never resend because it may have been posted.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import open_core
from bot.cards.cards import build_card
from bot.delivery.platforms import (
    ChatGone,
    DigestEntry,
    OutcomeUnknown,
    Rejected,
    RetryLater,
    TokenRefused,
)
from bot.render.buttons import ToggleFavorite, encode
from bot.render.slack_blocks import FAVORITE_ACTION
from handlers.slack import SlackAdapter
from handlers.slack.posting import post_card
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.block_kit import block_texts
from tests.fakes.papers import SEED_PAPER, make_paper, make_summary
from tests.fakes.running_bot import free_port
from tests.fakes.slack_app import running_slack, slack_settings, user_key
from tests.fakes.slack_server import BOT_TOKEN, CHANNEL_ID, USER_ID, FakeSlack, RateLimit

CARD = build_card(SEED_PAPER, make_summary("en"))


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with FakeSlack(rate_limit=None) as fake:
        yield fake


@pytest.fixture
async def arxiv() -> AsyncIterator[FakeArxiv]:
    async with FakeArxiv() as fake:
        yield fake


async def adapter_for(
    tmp_path: Path, slack: FakeSlack, arxiv: FakeArxiv, **settings: object
) -> AsyncIterator[SlackAdapter]:
    config = slack_settings(tmp_path, slack, arxiv, **settings)
    async with open_core(config) as core:
        adapter = SlackAdapter(config, core.service, timeout=1)
        yield adapter
        await adapter.stop()


@pytest.fixture
async def adapter(
    tmp_path: Path, slack: FakeSlack, arxiv: FakeArxiv
) -> AsyncIterator[SlackAdapter]:
    async for made in adapter_for(tmp_path, slack, arxiv):
        yield made


def thread_of(slack: FakeSlack, ts: str) -> list[str]:
    return [t for p in slack.posts if p.thread_ts == ts for t in block_texts(p.blocks or [])]


async def test_a_card_is_posted_with_its_long_sections_in_its_thread(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    ts = await adapter.send_card(CHANNEL_ID, CARD)

    (top,) = [p for p in slack.posts if p.thread_ts is None]
    assert top.ts == ts
    assert top.channel == CHANNEL_ID
    assert SEED_PAPER.title in block_texts(top.blocks or [])
    assert any(CARD.labels.abstract in text for text in thread_of(slack, ts))


async def test_a_429_is_retry_later_with_slacks_exact_retry_after(
    tmp_path: Path, arxiv: FakeArxiv
) -> None:
    async with FakeSlack(rate_limit=RateLimit(retry_after=7)) as slack:
        async for adapter in adapter_for(tmp_path, slack, arxiv):
            slack.fail_next("chat.postMessage", http_status=429)

            with pytest.raises(RetryLater) as raised:
                await adapter.send_card(CHANNEL_ID, CARD)

    assert raised.value.retry_after == 7
    assert slack.posts == []
    assert slack.rate_limited == 1


async def test_flooding_a_channel_is_retry_later_not_a_silent_wait(
    tmp_path: Path, arxiv: FakeArxiv
) -> None:
    async with FakeSlack(rate_limit=RateLimit(per_second=0.2, burst=2)) as slack:
        async for adapter in adapter_for(tmp_path, slack, arxiv):
            await adapter.send_card(CHANNEL_ID, CARD)

            with pytest.raises(RetryLater) as raised:
                await adapter.send_card(CHANNEL_ID, CARD)

    assert raised.value.retry_after == 5
    assert len([p for p in slack.posts if p.thread_ts is None]) == 1


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found", "is_archived"])
async def test_a_channel_the_bot_cannot_post_to_is_gone(
    adapter: SlackAdapter, slack: FakeSlack, error: str
) -> None:
    slack.set_channel_error(CHANNEL_ID, error)  # type: ignore[arg-type]

    with pytest.raises(ChatGone, match=error):
        await adapter.send_card(CHANNEL_ID, CARD)


@pytest.mark.parametrize("error", ["token_revoked", "account_inactive"])
async def test_an_uninstalled_app_or_closed_workspace_is_gone(
    adapter: SlackAdapter, slack: FakeSlack, error: str
) -> None:
    slack.revoke_token(error)  # type: ignore[arg-type]

    with pytest.raises(ChatGone, match=error):
        await adapter.send_card(CHANNEL_ID, CARD)


async def test_a_bot_token_slack_no_longer_accepts_is_token_refused_and_the_channel_kept(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    slack.fail_next("chat.postMessage", "invalid_auth")

    with pytest.raises(TokenRefused, match="SLACK_BOT_TOKEN"):
        await adapter.send_card(CHANNEL_ID, CARD)


async def test_a_message_slack_refuses_is_rejected_and_the_channel_kept(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    slack.fail_next("chat.postMessage", "invalid_blocks")

    with pytest.raises(Rejected):
        await adapter.send_card(CHANNEL_ID, CARD)


async def test_slack_unavailable_is_retry_later(adapter: SlackAdapter, slack: FakeSlack) -> None:
    slack.fail_next("chat.postMessage", "service_unavailable", http_status=503)

    with pytest.raises(RetryLater):
        await adapter.send_card(CHANNEL_ID, CARD)


async def test_a_server_error_may_have_posted_so_the_outcome_is_unknown(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    slack.fail_next("chat.postMessage", "fatal_error", http_status=500)

    with pytest.raises(OutcomeUnknown):
        await adapter.send_card(CHANNEL_ID, CARD)


async def test_no_answer_in_time_is_outcome_unknown(tmp_path: Path, arxiv: FakeArxiv) -> None:
    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    silent = FakeSlack()
    silent.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        async for adapter in adapter_for(tmp_path, silent, arxiv):
            with pytest.raises(OutcomeUnknown):
                await adapter.send_card(CHANNEL_ID, CARD)
    finally:
        server.close()


async def test_slack_unreachable_is_retry_later(tmp_path: Path, arxiv: FakeArxiv) -> None:
    nowhere = FakeSlack()
    nowhere.url = f"http://127.0.0.1:{free_port()}"

    async for adapter in adapter_for(tmp_path, nowhere, arxiv):
        with pytest.raises(RetryLater):
            await adapter.send_card(CHANNEL_ID, CARD)


async def test_a_rate_limited_thread_reply_is_retried_and_the_card_posted_once(
    tmp_path: Path, arxiv: FakeArxiv
) -> None:
    async with FakeSlack(rate_limit=RateLimit(per_second=5, burst=1, retry_after=0)) as slack:
        async for adapter in adapter_for(tmp_path, slack, arxiv):
            ts = await adapter.send_card(CHANNEL_ID, CARD)

    assert slack.rate_limited >= 1
    assert [p.ts for p in slack.posts if p.thread_ts is None] == [ts]
    assert thread_of(slack, ts)


async def test_a_failed_thread_reply_does_not_fail_the_delivered_card(
    slack: FakeSlack,
) -> None:
    async with FakeSlack() as broken:
        broken.revoke_token()
        outbox = AsyncWebClient(token=BOT_TOKEN, base_url=slack.url + "/api/")
        replies = AsyncWebClient(token=BOT_TOKEN, base_url=broken.url + "/api/")

        ts = await post_card(outbox, replies, CHANNEL_ID, CARD)

    assert [p.ts for p in slack.posts] == [ts]
    assert [c.method for c in broken.calls] == ["chat.postMessage"]


def digest_entries(count: int) -> list[DigestEntry]:
    return [
        DigestEntry(
            make_paper(arxiv_id=f"2509.{n:05d}", title=f"Paper {n}"), f"Takeaway of paper {n}."
        )
        for n in range(1, count + 1)
    ]


async def test_an_operator_notice_is_one_message_shown_exactly_as_written(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    text = "⚠ cs.CV stale: <!channel> & <feed> unchanged since 2025-12-01"

    ts = await adapter.send_notice(CHANNEL_ID, text)

    (post,) = slack.posts
    assert post.ts == ts
    assert "\n".join(block_texts(post.blocks or [])) == text


async def test_a_digest_is_one_message_with_a_star_for_each_paper(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    entries = digest_entries(3)

    ts = await adapter.send_digest(CHANNEL_ID, "arXiv digest: 3 new papers", entries, "en")

    (post,) = slack.posts
    assert post.ts == ts
    shown = "\n".join(block_texts(post.blocks or []))
    for entry in entries:
        assert entry.paper.title in shown
        assert entry.takeaway in shown
    stars = [
        block["accessory"]["value"]
        for block in post.blocks or []
        if block.get("accessory", {}).get("action_id") == FAVORITE_ACTION
    ]
    assert stars == [encode(ToggleFavorite(entry.paper.arxiv_id)) for entry in entries]


async def test_a_long_digest_stays_within_slacks_limits_and_counts_the_rest(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    await adapter.send_digest(CHANNEL_ID, "今日论文", digest_entries(30), "zh")

    (post,) = slack.posts
    assert len(post.blocks or []) <= 50
    assert any("另有 6 篇" in text for text in block_texts(post.blocks or []))


async def test_a_digest_to_an_archived_channel_is_gone(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    slack.set_channel_error(CHANNEL_ID, "is_archived")

    with pytest.raises(ChatGone):
        await adapter.send_digest(CHANNEL_ID, "digest", digest_entries(1), "en")


async def test_starring_a_paper_in_a_digest_saves_it_for_the_clicker(tmp_path: Path) -> None:
    async with running_slack(tmp_path) as app:
        (entry,) = digest_entries(1)
        await app.core.store.save_papers([entry.paper])
        await app.adapter.send_digest(CHANNEL_ID, "digest", [entry], "en")

        await app.click(
            app.slack.posts[0], FAVORITE_ACTION, value=encode(ToggleFavorite(entry.paper.arxiv_id))
        )

        await app.slack.wait_for(lambda: app.slack.responses)
        page = await app.core.service.favorites_page("slack", user_key(USER_ID), 1)
    assert [f.paper.arxiv_id for f in page.entries] == [entry.paper.arxiv_id]


async def test_cards_are_paced_at_about_one_message_a_second_per_channel(
    adapter: SlackAdapter, slack: FakeSlack
) -> None:
    await adapter.send_card(CHANNEL_ID, CARD)

    messages_per_card = len(slack.posts)
    assert messages_per_card > 1
    assert adapter.limits.per_chat_per_second * messages_per_card <= 1
