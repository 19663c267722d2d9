"""Reactions on delivered cards, /paperbell foryou and /paperbell forget on Slack, through
the fake Web API and signed Events API callbacks."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from bot.delivery.delivery import Dispatcher
from tests.fakes.papers import SEED_PAPER
from tests.fakes.slack_app import SlackHarness, nth_response, running_slack, texts, user_key
from tests.fakes.slack_server import CHANNEL_ID, USER_ID, Post
from tests.fakes.telegram_harness import emptied, eventually, filled

BOB = "U0BOB"


async def delivered_card(app: SlackHarness) -> Post:
    """The seed paper's card, delivered to the channel by the dispatcher."""
    store = app.core.store
    await store.save_papers([SEED_PAPER])
    chat = await store.ensure_chat("slack", CHANNEL_ID, language="en")
    await store.enqueue_deliveries([(chat.id, SEED_PAPER.arxiv_id)])
    await Dispatcher(store, app.core.library, [app.adapter]).drain()
    return await app.wait_for_card(SEED_PAPER.arxiv_id)


async def favorites(app: SlackHarness, user: str = USER_ID) -> list[str]:
    found = await app.core.store.list_favorites("slack", user_key(user))
    return [f.paper.arxiv_id for f in found]


async def test_a_star_reaction_is_a_favorite_and_removing_it_unfavorites(tmp_path: Path) -> None:
    async with running_slack(tmp_path) as app:
        card = await delivered_card(app)

        assert (await app.react(card, "star")).status == 200
        saved = await eventually(lambda: filled(favorites(app)))
        await app.react(card, "star", added=False)
        assert await eventually(lambda: emptied(favorites(app)))

    assert saved == [SEED_PAPER.arxiv_id]


async def test_a_thumbs_down_reaction_is_a_less_like_this_signal(tmp_path: Path) -> None:
    async with running_slack(tmp_path) as app:
        card = await delivered_card(app)

        await app.react(card, "-1")

        async def disliked() -> list[str] | None:
            signals = await app.core.store.person_signals("slack", user_key())
            return [p.arxiv_id for p in signals.less] or None

        assert await eventually(disliked) == [SEED_PAPER.arxiv_id]
        assert await favorites(app) == []


async def test_foryou_with_too_few_favorites_answers_privately_how_many_are_needed(
    tmp_path: Path,
) -> None:
    async with running_slack(tmp_path) as app:
        await app.command("foryou")
        answer = await nth_response(app)

    assert "it needs 3 more" in texts(answer)
    assert answer.response_type == "ephemeral"


async def test_forget_deletes_the_callers_favorites_after_the_button_and_nobody_elses(
    tmp_path: Path,
) -> None:
    async with running_slack(tmp_path) as app:
        card = await delivered_card(app)
        await app.react(card, "star")
        await app.react(card, "star", user=BOB)
        await eventually(lambda: filled(favorites(app, BOB)))
        await eventually(lambda: filled(favorites(app)))

        await app.command("forget")
        question = await nth_response(app)
        assert "cannot be undone" in texts(question)
        assert await favorites(app) == [SEED_PAPER.arxiv_id]
        post = Post(CHANNEL_ID, question.text, question.blocks, thread_ts=None, ts="1.000001")
        await app.click(post, "forget_confirm", value=user_key())
        done = await nth_response(app, 1)

        assert texts(done).startswith("Done: 1 favorites")
        assert await favorites(app) == []
        assert await favorites(app, BOB) == [SEED_PAPER.arxiv_id]


async def test_foryou_lists_privately_and_its_buttons_open_each_card_privately(
    tmp_path: Path,
) -> None:
    papers = [
        replace(
            SEED_PAPER,
            arxiv_id=f"2508.0818{n}",
            title=f"Visual reinforcement learning {n}",
            published=datetime.now(UTC),
        )
        for n in range(5)
    ]
    async with running_slack(tmp_path) as app:
        await app.core.store.save_papers(papers)
        for paper in papers[:3]:
            await app.core.store.toggle_favorite("slack", user_key(), paper.arxiv_id)

        await app.command("foryou")
        listing = await nth_response(app)
        post = Post(CHANNEL_ID, listing.text, listing.blocks, thread_ts=None, ts="1.000002")
        await app.click(post, "paperbell_open_card_1")
        card = await nth_response(app, 1)

    assert listing.response_type == "ephemeral"
    assert "resembles your ☆" in texts(listing)
    assert card.response_type == "ephemeral"
    assert "Visual reinforcement learning" in texts(card)
