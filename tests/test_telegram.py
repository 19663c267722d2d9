"""Telegram commands, driven as people use them: a message in, the bot's answer out.

paperbell runs for real (`bot.app.run`) with python-telegram-bot talking to the fake Bot
API, which refuses HTML, buttons and lengths Telegram refuses, and to the fake arXiv.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.chat.commands import COMMANDS
from tests.fakes.papers import SEED_PAPER, make_paper
from tests.fakes.telegram_harness import STAR, TelegramHarness, running_bot
from tests.fakes.telegram_server import FakeTelegram

ALICE = 1001
BOB = 1002
GROUP = -1001234567890
CHANNEL = -1009876543210
OTHER_PAPER = make_paper(arxiv_id="2509.01234", version=1, title="Another paper")


@pytest.fixture
async def bot(tmp_path: Path, migrated_sqlite_template: Path) -> AsyncIterator[TelegramHarness]:
    async with running_bot(
        tmp_path, migrated_sqlite_template, papers=(SEED_PAPER, OTHER_PAPER)
    ) as harness:
        yield harness


async def subscriptions_of(bot: TelegramHarness, chat_id: int) -> list[str]:
    chat = await bot.store.get_chat("telegram", str(chat_id))
    if chat is None:
        return []
    return [s.category for s in await bot.store.list_subscriptions(chat.id)]


# -- help ------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["/start", "/help"])
async def test_start_and_help_explain_the_bot_and_list_every_command(
    bot: TelegramHarness, command: str
) -> None:
    alice = bot.tg.user(ALICE)
    reply = await bot.say_one(bot.tg.private_chat(alice), alice, command)
    assert "arXiv" in reply.plain_text
    for listed in COMMANDS:
        assert f"/{listed.name}" in reply.plain_text


async def test_an_unknown_command_in_a_private_chat_points_to_help(bot: TelegramHarness) -> None:
    alice = bot.tg.user(ALICE)
    reply = await bot.say_one(bot.tg.private_chat(alice), alice, "/weather")
    assert "/weather" in reply.plain_text and "/help" in reply.plain_text


# -- /paper ----------------------------------------------------------------------------------


async def test_paper_by_id_answers_with_the_full_card_and_its_four_buttons(
    bot: TelegramHarness,
) -> None:
    alice = bot.tg.user(ALICE)
    card = await bot.say_one(bot.tg.private_chat(alice), alice, "/paper 2508.08189")
    assert card.parse_mode == "HTML"
    assert card.plain_text.startswith(SEED_PAPER.title)
    assert "2508.08189v3" in card.plain_text
    assert "Weijia Wu" in card.plain_text
    favorite, share, abs_page, pdf = card.buttons
    assert (favorite["text"], favorite["callback_data"]) == ("☆ Favorite", STAR)
    assert share["switch_inline_query"] == "2508.08189"
    assert abs_page["url"] == SEED_PAPER.abs_url
    assert pdf["url"] == SEED_PAPER.pdf_url


async def test_paper_takes_links_and_several_ids_and_answers_one_card_each(
    bot: TelegramHarness,
) -> None:
    alice = bot.tg.user(ALICE)
    cards = await bot.say(
        bot.tg.private_chat(alice),
        alice,
        "/paper https://arxiv.org/abs/2508.08189v2 arXiv:2509.01234",
        replies=2,
    )
    assert [c.plain_text.split("\n")[0] for c in cards] == [SEED_PAPER.title, OTHER_PAPER.title]


async def test_paper_with_a_malformed_id_explains_with_examples_without_asking_arxiv(
    bot: TelegramHarness,
) -> None:
    alice = bot.tg.user(ALICE)
    reply = await bot.say_one(bot.tg.private_chat(alice), alice, "/paper 2508.0818x")
    assert "not an arXiv ID" in reply.plain_text and "2508.08189" in reply.plain_text
    assert bot.arxiv.api_requests() == []


async def test_paper_without_an_id_shows_the_usage_with_an_example(bot: TelegramHarness) -> None:
    alice = bot.tg.user(ALICE)
    reply = await bot.say_one(bot.tg.private_chat(alice), alice, "/paper")
    assert "Usage: /paper" in reply.plain_text and "Example: /paper" in reply.plain_text


async def test_a_paper_arxiv_does_not_have_is_named_as_missing(bot: TelegramHarness) -> None:
    alice = bot.tg.user(ALICE)
    reply = await bot.say_one(bot.tg.private_chat(alice), alice, "/paper 2501.99999")
    assert "arXiv has no paper 2501.99999" in reply.plain_text


async def test_paper_shows_at_most_five_papers_per_command(bot: TelegramHarness) -> None:
    alice = bot.tg.user(ALICE)
    ids = " ".join(f"2501.0000{n}" for n in range(1, 8))
    replies = await bot.say(bot.tg.private_chat(alice), alice, f"/paper {ids}", replies=6)
    assert replies[0].plain_text == "Showing the first 5 of 7 papers."
    assert [r.plain_text for r in replies[1:]] == [
        f"arXiv has no paper 2501.0000{n}." for n in range(1, 6)
    ]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
# -- subscriptions ---------------------------------------------------------------------------


async def test_subscribe_then_subscriptions_shows_what_the_chat_receives(
    bot: TelegramHarness,
) -> None:
    alice = bot.tg.user(ALICE)
    chat = bot.tg.private_chat(alice)
    answer = await bot.say_one(chat, alice, "/subscribe cs.SE")
    assert "cs.SE (Software Engineering)" in answer.plain_text
    listing = await bot.say_one(chat, alice, "/subscriptions")
    assert "cs.SE (Software Engineering)" in listing.plain_text
    assert await subscriptions_of(bot, ALICE) == ["cs.SE"]


async def test_subscribe_keeps_keyword_filters_and_named_topics(bot: TelegramHarness) -> None:
    alice = bot.tg.user(ALICE)
    chat = bot.tg.private_chat(alice)
    await bot.say_one(
        chat, alice, '/subscribe cs.CV cs.LG +diffusion -"medical imaging" topic:Robots=robot,arm'
    )
    listing = await bot.say_one(chat, alice, "/subscriptions")
    assert "only diffusion" in listing.plain_text
    assert "not medical imaging" in listing.plain_text
    assert "Robots (robot, arm)" in listing.plain_text
    assert sorted(await subscriptions_of(bot, ALICE)) == ["cs.CV", "cs.LG"]


async def test_subscribing_to_an_unknown_category_names_it_and_saves_nothing(
    bot: TelegramHarness,
) -> None:
    alice = bot.tg.user(ALICE)
    reply = await bot.say_one(bot.tg.private_chat(alice), alice, "/subscribe cs.SE cs.VISION")
    assert "cs.VISION" in reply.plain_text and "Nothing was changed" in reply.plain_text
    assert await subscriptions_of(bot, ALICE) == []


async def test_subscribe_without_a_category_explains_with_an_example(bot: TelegramHarness) -> None:
    alice = bot.tg.user(ALICE)
    reply = await bot.say_one(bot.tg.private_chat(alice), alice, "/subscribe")
    assert "Name at least one arXiv category" in reply.plain_text
    assert "Example: /subscribe" in reply.plain_text


async def test_unsubscribe_removes_one_category_or_all_of_them(bot: TelegramHarness) -> None:
    alice = bot.tg.user(ALICE)
    chat = bot.tg.private_chat(alice)
    await bot.say_one(chat, alice, "/subscribe cs.SE cs.LG cs.CV")
    one = await bot.say_one(chat, alice, "/unsubscribe cs.LG")
    assert "cs.LG" in one.plain_text
    assert sorted(await subscriptions_of(bot, ALICE)) == ["cs.CV", "cs.SE"]
    await bot.say_one(chat, alice, "/unsubscribe")
    assert await subscriptions_of(bot, ALICE) == []
    listing = await bot.say_one(chat, alice, "/subscriptions")
    assert "no subscriptions" in listing.plain_text


async def test_lang_switches_the_chats_cards_to_chinese(bot: TelegramHarness) -> None:
    alice = bot.tg.user(ALICE)
    chat = bot.tg.private_chat(alice)
    switched = await bot.say_one(chat, alice, "/lang zh")
    assert "中文" in switched.plain_text
    card = await bot.say_one(chat, alice, "/paper 2508.08189")
    assert card.buttons[0]["text"] == "☆ 收藏"
    assert "作者" in card.plain_text


async def test_lang_with_an_unsupported_language_explains_the_choice(bot: TelegramHarness) -> None:
    alice = bot.tg.user(ALICE)
    reply = await bot.say_one(bot.tg.private_chat(alice), alice, "/lang fr")
    assert "en or zh" in reply.plain_text and "Example: /lang" in reply.plain_text


async def test_bad_input_is_answered_every_time_and_the_bot_keeps_going(
    bot: TelegramHarness,
) -> None:
    alice = bot.tg.user(ALICE)
    chat = bot.tg.private_chat(alice)
    for text in (
        '/subscribe cs.SE "unbalanced',
        "/subscribe topic:=",
        "/unsubscribe cs.NOPE",
        "/lang",
        "/paper " + "9" * 3000,
        "/paper <b>2508.08189</b>",
        "/favorites@paperbell_bot please",
    ):
        reply = await bot.say_one(chat, alice, text)
        assert reply.plain_text
    assert not bot.run.done()


# -- groups, addressing and admins -----------------------------------------------------------


async def test_a_command_addressed_to_this_bot_in_a_group_is_answered_as_a_reply(
    bot: TelegramHarness,
) -> None:
    alice = bot.tg.user(ALICE)
    group = bot.tg.group(GROUP)
    before = len(bot.sent_in(group))
    command = bot.tg.send_text(group, alice, "/paper@paperbell_bot 2508.08189")
    await bot.tg.wait_for(lambda: len(bot.sent_in(group)) > before, timeout=10)
    [card] = bot.sent_in(group)[before:]
    assert card.plain_text.startswith(SEED_PAPER.title)
    assert card.reply_to_message_id == command["message_id"]


async def test_commands_for_other_bots_and_unknown_bare_commands_are_ignored_in_groups(
    tmp_path: Path, migrated_sqlite_template: Path
) -> None:
    # Without privacy mode the bot sees every message, including other bots' commands.
    tg = FakeTelegram(limits=None, privacy_mode=False)
    async with running_bot(tmp_path, migrated_sqlite_template, tg=tg) as bot:
        alice = bot.tg.user(ALICE)
        group = bot.tg.group(GROUP)
        await bot.only_help_answers(
            group, alice, "/paper@other_bot 2508.08189", "/weather tomorrow", "nice paper!"
        )


async def test_a_member_who_is_not_an_admin_cannot_change_a_groups_subscriptions(
    bot: TelegramHarness,
) -> None:
    bob = bot.tg.user(BOB, "Bob")
    group = bot.tg.group(GROUP)
    for command in ("/subscribe cs.SE", "/unsubscribe", "/lang zh"):
        reply = await bot.say_one(group, bob, command)
        assert "Only chat administrators" in reply.plain_text
    assert await subscriptions_of(bot, GROUP) == []
    asked = [c.params for c in bot.tg.calls_to("getChatMember")]
    assert {(p["chat_id"], p["user_id"]) for p in asked} == {(GROUP, BOB)}


@pytest.mark.parametrize("status", ["administrator", "creator"])
async def test_group_admins_and_the_owner_can_subscribe_the_group(
    bot: TelegramHarness, status: str
) -> None:
    alice = bot.tg.user(ALICE)
    group = bot.tg.group(GROUP)
    bot.tg.set_member(GROUP, ALICE, status)
    reply = await bot.say_one(group, alice, "/subscribe@paperbell_bot cs.SE")
    assert "Subscribed this chat" in reply.plain_text
    assert await subscriptions_of(bot, GROUP) == ["cs.SE"]


async def test_anyone_in_a_group_may_read_subscriptions_and_ask_for_papers(
    bot: TelegramHarness,
) -> None:
    bob = bot.tg.user(BOB, "Bob")
    group = bot.tg.group(GROUP)
    listing = await bot.say_one(group, bob, "/subscriptions")
    card = await bot.say_one(group, bob, "/paper 2508.08189")
    favorites = await bot.say_one(group, bob, "/favorites")
    assert "no subscriptions" in listing.plain_text
    assert card.plain_text.startswith(SEED_PAPER.title)
    assert "no favorites" in favorites.plain_text
    assert bot.tg.calls_to("getChatMember") == []


async def test_a_channel_is_subscribed_by_a_post_of_its_admins(bot: TelegramHarness) -> None:
    channel = bot.tg.channel(CHANNEL, "Vision papers")
    reply = await bot.say_one(channel, None, "/subscribe cs.CV")
    assert "cs.CV" in reply.plain_text
    assert await subscriptions_of(bot, CHANNEL) == ["cs.CV"]
    stored = await bot.store.get_chat("telegram", str(CHANNEL))
    assert stored is not None and stored.title == "Vision papers"
    favorites = await bot.say_one(channel, None, "/favorites")
    assert "belong to people" in favorites.plain_text


async def test_when_telegram_fails_mid_command_the_user_gets_a_polite_answer(
    bot: TelegramHarness,
) -> None:
    alice = bot.tg.user(ALICE)
    group = bot.tg.group(GROUP)
    bot.tg.fail_next("getChatMember", 500, "Internal Server Error")
    reply = await bot.say_one(group, alice, "/subscribe cs.SE")
    assert "Sorry" in reply.plain_text and "try again" in reply.plain_text
    bot.tg.set_member(GROUP, ALICE, "administrator")
    again = await bot.say_one(group, alice, "/subscribe cs.SE")
    assert "Subscribed this chat" in again.plain_text
