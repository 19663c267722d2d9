"""☆ taps, /favorites pages and /export on Telegram: favorites belong to people, not chats."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from tests.fakes.papers import SEED_PAPER, make_paper
from tests.fakes.telegram_harness import STAR, TelegramHarness, running_bot, star_of
from tests.fakes.telegram_server import JSON, NOT_MODIFIED, TOKEN, SentMessage

ALICE = 1001
BOB = 1002
GROUP = -1001234567890
PAPERS = [
    make_paper(
        arxiv_id=f"2507.0000{n}",
        version=1,
        title=f"Paper number {n}",
        published=datetime(2020 + n, 1, 1, tzinfo=UTC),
    )
    for n in range(1, 8)
]


@pytest.fixture
async def bot(tmp_path: Path, migrated_sqlite_template: Path) -> AsyncIterator[TelegramHarness]:
    async with running_bot(tmp_path, migrated_sqlite_template) as harness:
        yield harness


async def card_in(bot: TelegramHarness, chat: JSON, user: JSON) -> SentMessage:
    return await bot.say_one(chat, user, "/paper 2508.08189")


async def favorite_ids(bot: TelegramHarness, user_id: int) -> list[str]:
    favorites = await bot.store.list_favorites("telegram", str(user_id), limit=100)
    return [f.paper.arxiv_id for f in favorites]


async def keep_in_order(bot: TelegramHarness, user_id: int, papers: list[object]) -> None:
    """`user_id` starred `papers` one after another, the last one most recently."""
    await bot.store.save_papers(PAPERS)
    for paper in PAPERS:
        if paper in papers:
            await bot.store.toggle_favorite("telegram", str(user_id), paper.arxiv_id)


# -- ☆ on a card -----------------------------------------------------------------------------


async def test_tapping_star_in_a_private_chat_saves_the_paper_and_fills_the_star(
    bot: TelegramHarness,
) -> None:
    alice = bot.tg.user(ALICE)
    card = await card_in(bot, bot.tg.private_chat(alice), alice)
    answer = await bot.tap(card, alice, STAR)
    assert answer.text == "★ Saved to your favorites" and not answer.show_alert
    await bot.tg.wait_for(lambda: star_of(card) == "★ Favorite")
    assert await favorite_ids(bot, ALICE) == ["2508.08189"]


async def test_tapping_star_twice_removes_favorite(bot: TelegramHarness) -> None:
    alice = bot.tg.user(ALICE)
    card = await card_in(bot, bot.tg.private_chat(alice), alice)
    await bot.tap(card, alice, STAR)
    await bot.tg.wait_for(lambda: star_of(card) == "★ Favorite")
    answer = await bot.tap(card, alice, STAR)
    assert answer.text == "Removed from your favorites"
    await bot.tg.wait_for(lambda: star_of(card) == "☆ Favorite")
    assert await favorite_ids(bot, ALICE) == []


async def test_two_users_in_a_group_each_keep_only_their_own_favorite(
    bot: TelegramHarness,
) -> None:
    alice, bob = bot.tg.user(ALICE, "Alice"), bot.tg.user(BOB, "Bob")
    group = bot.tg.group(GROUP)
    card = await card_in(bot, group, alice)

    assert (await bot.tap(card, alice, STAR)).text == "★ Saved to your favorites"
    await bot.tg.wait_for(lambda: star_of(card) == "☆ Favorite · 1")
    assert (await bot.tap(card, bob, STAR)).text == "★ Saved to your favorites"
    await bot.tg.wait_for(lambda: star_of(card) == "☆ Favorite · 2")
    assert (await bot.tap(card, alice, STAR)).text == "Removed from your favorites"
    await bot.tg.wait_for(lambda: star_of(card) == "☆ Favorite · 1")

    assert await favorite_ids(bot, ALICE) == []
    assert await favorite_ids(bot, BOB) == ["2508.08189"]
    assert bot.sent_in(group) == [card], "taps are answered privately, never in the group"


async def test_a_card_in_private_shows_the_readers_star_and_in_a_group_shows_nobodys(
    bot: TelegramHarness,
) -> None:
    alice = bot.tg.user(ALICE)
    await bot.store.save_papers([SEED_PAPER])
    await bot.store.toggle_favorite("telegram", str(ALICE), SEED_PAPER.arxiv_id)
    private = await card_in(bot, bot.tg.private_chat(alice), alice)
    in_group = await card_in(bot, bot.tg.group(GROUP), alice)
    assert star_of(private) == "★ Favorite"
    assert star_of(in_group) == "☆ Favorite"


async def test_a_card_in_chinese_keeps_its_label_when_starred(bot: TelegramHarness) -> None:
    alice = bot.tg.user(ALICE, language_code="zh-hans")
    chat = bot.tg.private_chat(alice)
    await bot.say_one(chat, alice, "/lang zh")
    card = await card_in(bot, chat, alice)
    answer = await bot.tap(card, alice, STAR)
    assert answer.text == "★ 已加入你的收藏"
    await bot.tg.wait_for(lambda: star_of(card) == "★ 收藏")


async def test_a_tap_that_changes_nothing_on_screen_is_still_answered(
    bot: TelegramHarness,
) -> None:
    alice = bot.tg.user(ALICE)
    chat = bot.tg.private_chat(alice)
    older = await card_in(bot, chat, alice)
    newer = await card_in(bot, chat, alice)
    await bot.tap(newer, alice, STAR)
    # The older card still shows ☆; tapping it removes the favorite, and ☆ stays as it is.
    answer = await bot.tap(older, alice, STAR)
    assert answer.text == "Removed from your favorites"
    await bot.tg.wait_for(lambda: bot.tg.last_refusal == NOT_MODIFIED)
    assert star_of(older) == "☆ Favorite"
    assert await favorite_ids(bot, ALICE) == []
    assert bot.sent_in(chat) == [older, newer], "no apology for a harmless refusal"


async def test_rapid_double_taps_end_in_the_state_the_label_shows(bot: TelegramHarness) -> None:
    alice = bot.tg.user(ALICE)
    card = await card_in(bot, bot.tg.private_chat(alice), alice)
    first, second = bot.tg.tap(card, alice, STAR), bot.tg.tap(card, alice, STAR)
    await bot.tg.wait_for(lambda: bot.tg.answer_to(first) and bot.tg.answer_to(second))
    await bot.tg.wait_for(lambda: len(bot.tg.calls_to("editMessageReplyMarkup")) == 2)
    assert await favorite_ids(bot, ALICE) == []
    assert star_of(card) == "☆ Favorite"


async def test_forged_or_stale_buttons_get_a_polite_answer_and_change_nothing(
    bot: TelegramHarness,
) -> None:
    alice = bot.tg.user(ALICE)
    chat = bot.tg.private_chat(alice)
    forged = [
        "fav:2508.08189v2",
        "fav:../../etc/passwd",
        "star:2508.08189",
        "fav:1234.56789",
        f"fl:{ALICE}:0",
        f"fr:{ALICE}:1:2508.08189v3",
        f"fr:{ALICE}:1:not-an-id",
        "",
    ]
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(f"b{n}", callback_data=data or " ")]
            for n, data in enumerate(forged)
        ]
    )
    # An old message from an earlier bot version, or a client that made up its buttons.
    async with Bot(TOKEN, base_url=bot.tg.base_url) as other_client:
        await other_client.send_message(ALICE, "an old card", reply_markup=markup)
    [old] = bot.sent_in(chat)
    for data in forged:
        answer = await bot.tap(old, alice, data or " ")
        assert answer.text, data
    unknown = [a.text for a in bot.tg.answers if a.text and "out of date" in a.text]
    assert len(unknown) == 1, "fav:1234.56789 names a paper paperbell never sent"
    assert await favorite_ids(bot, ALICE) == []
    assert bot.tg.calls_to("editMessageReplyMarkup") == []
    assert bot.tg.calls_to("editMessageText") == []


# -- /favorites ------------------------------------------------------------------------------


async def test_favorites_lists_newest_first_in_pages_with_a_remove_button_each(
    bot: TelegramHarness,
) -> None:
    alice = bot.tg.user(ALICE)
    await keep_in_order(bot, ALICE, PAPERS)
    page = await bot.say_one(bot.tg.private_chat(alice), alice, "/favorites")
    lines = page.plain_text.splitlines()
    assert lines[0] == "⭐ Your favorites · 7 · page 1/2"
    assert [line for line in lines if line[:2] in {f"{n}." for n in range(1, 8)}] == [
        f"{n}. Paper number {8 - n}" for n in range(1, 6)
    ]
    assert [b["text"] for b in page.buttons] == ["✖ 1", "✖ 2", "✖ 3", "✖ 4", "✖ 5", "Older ▶"]

    answer = await bot.tap(page, alice, page.buttons[-1]["callback_data"])
    assert answer.text is None
    await bot.tg.wait_for(lambda: "page 2/2" in page.plain_text)
    assert "6. Paper number 2" in page.plain_text and "7. Paper number 1" in page.plain_text
    assert [b["text"] for b in page.buttons] == ["✖ 6", "✖ 7", "◀ Newer"]


async def test_removing_from_the_favorites_list_redraws_the_page(bot: TelegramHarness) -> None:
    alice = bot.tg.user(ALICE)
    await keep_in_order(bot, ALICE, PAPERS[:3])
    page = await bot.say_one(bot.tg.private_chat(alice), alice, "/favorites")
    remove_second = page.buttons[1]["callback_data"]
    answer = await bot.tap(page, alice, remove_second)
    assert answer.text == "Removed from your favorites"
    await bot.tg.wait_for(lambda: "· 2 ·" in page.plain_text)
    assert "Paper number 2" not in page.plain_text
    assert await favorite_ids(bot, ALICE) == ["2507.00003", "2507.00001"]


async def test_removing_the_last_favorite_leaves_an_empty_list_that_says_how_to_add(
    bot: TelegramHarness,
) -> None:
    alice = bot.tg.user(ALICE)
    await keep_in_order(bot, ALICE, PAPERS[:1])
    page = await bot.say_one(bot.tg.private_chat(alice), alice, "/favorites")
    await bot.tap(page, alice, page.buttons[0]["callback_data"])
    await bot.tg.wait_for(lambda: "no favorites yet" in page.plain_text)
    assert page.buttons == []


async def test_only_the_owner_of_a_favorites_list_in_a_group_can_use_its_buttons(
    bot: TelegramHarness,
) -> None:
    alice, bob = bot.tg.user(ALICE, "Alice"), bot.tg.user(BOB, "Bob")
    await keep_in_order(bot, ALICE, PAPERS[:2])
    page = await bot.say_one(bot.tg.group(GROUP), alice, "/favorites")
    assert page.plain_text.startswith("⭐ Alice’s favorites")
    answer = await bot.tap(page, bob, page.buttons[0]["callback_data"])
    assert answer.show_alert and answer.text is not None and "/favorites" in answer.text
    assert await favorite_ids(bot, ALICE) == ["2507.00002", "2507.00001"]


async def test_favorites_follow_the_person_from_a_group_to_their_private_chat(
    bot: TelegramHarness,
) -> None:
    alice, bob = bot.tg.user(ALICE, "Alice"), bot.tg.user(BOB, "Bob")
    group = bot.tg.group(GROUP)
    card = await card_in(bot, group, alice)
    await bot.tap(card, alice, STAR)
    mine = await bot.say_one(bot.tg.private_chat(alice), alice, "/favorites")
    theirs = await bot.say_one(group, bob, "/favorites")
    assert SEED_PAPER.title in mine.plain_text
    assert "no favorites yet" in theirs.plain_text


# -- /export ---------------------------------------------------------------------------------


async def test_export_sends_the_users_favorites_as_a_bibtex_file(bot: TelegramHarness) -> None:
    alice = bot.tg.user(ALICE)
    with_doi = replace(PAPERS[0], doi="10.1000/example.1")
    await bot.store.save_papers([with_doi, SEED_PAPER])
    await bot.store.toggle_favorite("telegram", str(ALICE), with_doi.arxiv_id)
    await bot.store.toggle_favorite("telegram", str(ALICE), SEED_PAPER.arxiv_id)
    reply = await bot.say_one(bot.tg.private_chat(alice), alice, "/export")
    assert reply.document is not None
    assert reply.document.filename == "paperbell-favorites.bib"
    bibtex = reply.document.content.decode()
    assert bibtex.count("@misc{") == 2
    for expected in (
        "eprint = {2508.08189}",
        "title = {{Reinforcement Learning for Large Model: A Survey}}",
        "Weijia Wu and Chen Gao",
        "year = {2025}",
        "url = {https://arxiv.org/abs/2508.08189}",
        "eprint = {2507.00001}",
        "doi = {10.1000/example.1}",
    ):
        assert expected in bibtex
    assert reply.plain_text == "2 favorite papers (BibTeX)"


async def test_export_without_favorites_says_how_to_get_some(bot: TelegramHarness) -> None:
    alice = bot.tg.user(ALICE)
    reply = await bot.say_one(bot.tg.private_chat(alice), alice, "/export")
    assert reply.document is None and "no favorites yet" in reply.plain_text
