"""☆, share and App Home in Slack: clicks in as Slack's block_actions, replies and views out.

A card is posted with `/paperbell paper`, then people click its buttons; the fake Slack
records the ephemeral replies (through each click's response_url) and the Home views.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.render.buttons import RemoveFavorite, ShowFavorites, ToggleFavorite, encode
from bot.render.slack_blocks import FAVORITE_ACTION, OPEN_PDF_ACTION, SHARE_ACTION
from handlers.slack.blocks import NEWER_ACTION, OLDER_ACTION, UNFAVORITE_ACTION
from tests.fakes.block_kit import block_texts
from tests.fakes.papers import SEED_PAPER, make_paper
from tests.fakes.slack_app import (
    OTHER_PAPER,
    SlackHarness,
    nth_response,
    running_slack,
    texts,
    user_key,
)
from tests.fakes.slack_server import CHANNEL_ID, TEAM_DOMAIN, USER_ID, Post

BOB = "U0BOB"


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[SlackHarness]:
    async with running_slack(tmp_path, (SEED_PAPER, OTHER_PAPER)) as harness:
        yield harness


async def post_card(app: SlackHarness, arxiv_id: str = SEED_PAPER.arxiv_id) -> Post:
    await app.command(f"paper {arxiv_id}")
    return await app.wait_for_card(arxiv_id)


async def favorite_ids(app: SlackHarness, user: str) -> list[str]:
    page = await app.core.service.favorites_page("slack", user_key(user), 1)
    return [favorite.paper.arxiv_id for favorite in page.entries]


def home_text(app: SlackHarness, user: str) -> str:
    return "\n".join(block_texts(app.slack.views[user]["blocks"]))


async def test_two_users_starring_the_same_card_each_get_only_their_own_favorite(
    app: SlackHarness,
) -> None:
    card = await post_card(app)

    await app.click(card, FAVORITE_ACTION, user=USER_ID)
    await nth_response(app, 0)
    await app.click(card, FAVORITE_ACTION, user=BOB)
    await nth_response(app, 1)
    await app.click(card, FAVORITE_ACTION, user=USER_ID)
    await nth_response(app, 2)

    assert await favorite_ids(app, USER_ID) == []
    assert await favorite_ids(app, BOB) == [SEED_PAPER.arxiv_id]
    assert "Saved" in texts(app.slack.responses[1])
    assert "Removed" in texts(app.slack.responses[2])


async def test_star_answers_only_the_clicker_and_leaves_the_card_alone(app: SlackHarness) -> None:
    card = await post_card(app)

    await app.click(card, FAVORITE_ACTION)

    reply = await nth_response(app, 0)
    assert reply.response_type == "ephemeral"
    assert not reply.replace_original
    assert SEED_PAPER.title in texts(reply)
    assert not any(call.method == "chat.update" for call in app.slack.calls)
    assert app.slack.posts[0] == card


async def test_star_updates_the_clickers_app_home(app: SlackHarness) -> None:
    card = await post_card(app)

    await app.click(card, FAVORITE_ACTION)

    await app.slack.wait_for(lambda: USER_ID in app.slack.views)
    assert SEED_PAPER.title in home_text(app, USER_ID)


async def test_star_on_a_card_posted_before_the_button_codec_still_saves_it(
    app: SlackHarness,
) -> None:
    card = await post_card(app)

    await app.click(card, FAVORITE_ACTION, value=SEED_PAPER.arxiv_id)

    await nth_response(app, 0)
    assert await favorite_ids(app, USER_ID) == [SEED_PAPER.arxiv_id]


async def test_a_forged_star_for_an_unknown_paper_saves_nothing(app: SlackHarness) -> None:
    card = await post_card(app)

    await app.click(card, FAVORITE_ACTION, value=encode(ToggleFavorite("2601.99999")))

    reply = await nth_response(app, 0)
    assert "2601.99999" in texts(reply)
    assert await favorite_ids(app, USER_ID) == []


async def test_share_offers_the_cards_permalink_and_how_to_post_it_elsewhere(
    app: SlackHarness,
) -> None:
    card = await post_card(app)

    await app.click(card, SHARE_ACTION)

    reply = await nth_response(app, 0)
    permalink = f"https://{TEAM_DOMAIN}.slack.com/archives/{CHANNEL_ID}/p{card.ts.replace('.', '')}"
    assert reply.response_type == "ephemeral"
    assert permalink in texts(reply)
    assert "/paperbell paper 2508.08189" in texts(reply)


async def test_link_buttons_are_acknowledged_and_do_nothing_else(app: SlackHarness) -> None:
    card = await post_card(app)
    calls = len(app.slack.calls)

    answer = await app.click(card, OPEN_PDF_ACTION)

    assert answer.status == 200
    assert len(app.slack.calls) == calls
    assert app.slack.responses == []


async def test_app_home_lists_favorites_newest_first(app: SlackHarness) -> None:
    await app.core.store.save_papers([SEED_PAPER, OTHER_PAPER])
    await app.core.service.toggle_favorite("slack", user_key(), SEED_PAPER.arxiv_id)
    await app.core.service.toggle_favorite("slack", user_key(), OTHER_PAPER.arxiv_id)

    await app.open_home()

    await app.slack.wait_for(lambda: USER_ID in app.slack.views)
    shown = home_text(app, USER_ID)
    assert shown.index(OTHER_PAPER.title) < shown.index(SEED_PAPER.title)


async def test_removing_a_favorite_in_app_home_redraws_it_without_that_paper(
    app: SlackHarness,
) -> None:
    await app.core.store.save_papers([SEED_PAPER, OTHER_PAPER])
    await app.core.service.toggle_favorite("slack", user_key(), SEED_PAPER.arxiv_id)
    await app.core.service.toggle_favorite("slack", user_key(), OTHER_PAPER.arxiv_id)
    await app.open_home()
    await app.slack.wait_for(lambda: USER_ID in app.slack.views)
    first_view = app.slack.views[USER_ID]

    await app.click_in_home(
        USER_ID, UNFAVORITE_ACTION, value=encode(RemoveFavorite(USER_ID, 1, SEED_PAPER.arxiv_id))
    )

    await app.slack.wait_for(lambda: app.slack.views[USER_ID] is not first_view)
    assert SEED_PAPER.title not in home_text(app, USER_ID)
    assert OTHER_PAPER.title in home_text(app, USER_ID)
    assert await favorite_ids(app, USER_ID) == [OTHER_PAPER.arxiv_id]


async def test_app_home_pages_through_many_favorites(app: SlackHarness) -> None:
    papers = [make_paper(arxiv_id=f"2509.0{n:04d}", title=f"Paper number {n}") for n in range(1, 8)]
    await app.core.store.save_papers(papers)
    for paper in papers:
        await app.core.service.toggle_favorite("slack", user_key(), paper.arxiv_id)
    await app.open_home()
    await app.slack.wait_for(lambda: USER_ID in app.slack.views)
    first_view = app.slack.views[USER_ID]
    assert "Paper number 7" in home_text(app, USER_ID)
    assert "Paper number 1" not in home_text(app, USER_ID)

    await app.click_in_home(USER_ID, OLDER_ACTION, value=encode(ShowFavorites(USER_ID, 2)))

    await app.slack.wait_for(lambda: app.slack.views[USER_ID] is not first_view)
    assert "Paper number 1" in home_text(app, USER_ID)
    assert "Paper number 7" not in home_text(app, USER_ID)
    assert app.slack.views[USER_ID]["private_metadata"] == "2"


async def test_the_ephemeral_favorites_list_pages_in_place(app: SlackHarness) -> None:
    papers = [make_paper(arxiv_id=f"2509.0{n:04d}", title=f"Paper number {n}") for n in range(1, 8)]
    await app.core.store.save_papers(papers)
    for paper in papers:
        await app.core.service.toggle_favorite("slack", user_key(), paper.arxiv_id)
    await app.command("favorites")
    first = await nth_response(app, 0)
    shown = Post(CHANNEL_ID, first.text, first.blocks, None, "1700000000.000100")

    await app.click(shown, OLDER_ACTION, value=encode(ShowFavorites(USER_ID, 2)))

    second = await nth_response(app, 1)
    assert second.replace_original
    assert "Paper number 1" in texts(second)
    assert NEWER_ACTION in str(second.blocks)


async def test_app_home_shows_what_the_users_channels_follow_and_nothing_else(
    app: SlackHarness,
) -> None:
    app.slack.set_members(CHANNEL_ID, USER_ID, BOB)
    app.slack.set_members("C0SECRET", BOB)
    await app.command("subscribe cs.SE")
    await app.command("subscribe astro-ph.GA", channel="C0SECRET")
    await app.slack.wait_for(lambda: len(app.slack.responses) == 2)

    await app.open_home()

    await app.slack.wait_for(lambda: USER_ID in app.slack.views)
    shown = home_text(app, USER_ID)
    assert f"<#{CHANNEL_ID}>" in shown
    assert "cs.SE (Software Engineering)" in shown
    assert "astro-ph.GA" not in shown


async def test_subscribing_redraws_the_askers_app_home(app: SlackHarness) -> None:
    app.slack.set_members(CHANNEL_ID, USER_ID)

    await app.command("subscribe cs.SE")

    await app.slack.wait_for(lambda: USER_ID in app.slack.views)
    assert "cs.SE" in home_text(app, USER_ID)


async def test_app_home_without_channel_scopes_still_shows_favorites(app: SlackHarness) -> None:
    await app.core.store.save_papers([SEED_PAPER])
    await app.core.service.toggle_favorite("slack", user_key(), SEED_PAPER.arxiv_id)
    app.slack.fail_next("users.conversations", "missing_scope")

    await app.open_home()

    await app.slack.wait_for(lambda: USER_ID in app.slack.views)
    assert SEED_PAPER.title in home_text(app, USER_ID)
    assert "channels:read" in home_text(app, USER_ID)


async def test_a_replayed_event_is_processed_once(app: SlackHarness) -> None:
    await app.open_home(event_id="Ev0REPLAYED")
    await app.slack.wait_for(lambda: USER_ID in app.slack.views)

    answer = await app.open_home(event_id="Ev0REPLAYED")
    await app.open_home(BOB)
    await app.slack.wait_for(lambda: BOB in app.slack.views)

    assert answer.status == 200
    publishes = [c for c in app.slack.calls if c.method == "views.publish"]
    assert [c.args["user_id"] for c in publishes] == [USER_ID, BOB]
