"""With `/lang zh`, everything the bot itself says is Chinese, on both platforms.

A person walks every reply, page, modal and notice through the fake Telegram and Slack;
what they read is searched for the English catalogue's sentences. Card content from arXiv
(titles, authors, category names) is not the bot's wording and is left aside.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import pytest

from bot.render.buttons import ShowFavorites, encode
from bot.render.slack_blocks import FAVORITE_ACTION
from bot.words.messages import MESSAGES, Messages
from handlers.slack.blocks import OLDER_ACTION, SHARE_TARGET_ACTION
from tests.fakes.block_kit import block_texts
from tests.fakes.papers import SEED_PAPER
from tests.fakes.slack_app import OTHER_PAPER, SlackHarness, running_slack
from tests.fakes.slack_server import CHANNEL_ID, USER_ID, view_submission_body
from tests.fakes.telegram_harness import TelegramHarness, running_bot
from tests.test_slack_share import click_share, opened_modal

ALICE = 1001
GROUP = -1005550001
_PLACEHOLDER = re.compile(r"\{[^}]*\}")
_PHRASE = re.compile(r"[A-Za-z]{2,}(?:[ ’'-]+[A-Za-z]{2,})+")


def _strings(words: Messages) -> Iterable[str]:
    for field in dataclasses.fields(words):
        value = getattr(words, field.name)
        yield from value.values() if isinstance(value, dict) else [value]


def english_phrases() -> set[str]:
    """Runs of two or more English words in the English catalogue that its Chinese side
    does not share (commands and examples such as `cs.CV cs.LG` are the same in both)."""
    chinese = "\n".join(_strings(MESSAGES["zh"]))
    phrases = {
        phrase
        for text in _strings(MESSAGES["en"])
        for piece in _PLACEHOLDER.split(text)
        for phrase in _PHRASE.findall(piece)
    }
    return {phrase for phrase in phrases if phrase not in chinese}


def english_in(texts: Iterable[str]) -> list[str]:
    phrases = english_phrases()
    return sorted({p for text in texts for p in phrases if p in text})


def test_the_search_finds_an_english_sentence_where_there_is_one() -> None:
    assert english_in(["⭐ Your favorites · 2"]) == ["Your favorites"]
    assert english_in([MESSAGES["zh"].sorry, MESSAGES["zh"].share_title]) == []


# -- Telegram --------------------------------------------------------------------------------


@pytest.fixture
async def telegram(
    tmp_path: Path, migrated_sqlite_template: Path
) -> AsyncIterator[TelegramHarness]:
    async with running_bot(
        tmp_path, migrated_sqlite_template, papers=(SEED_PAPER, OTHER_PAPER)
    ) as bot:
        yield bot


async def test_a_chinese_telegram_chat_reads_no_english_from_the_bot(
    telegram: TelegramHarness,
) -> None:
    tg = telegram.tg
    alice = tg.user(ALICE, language_code="zh-hans")
    chat = tg.private_chat(alice)
    group = tg.group(GROUP)
    tg.set_member(GROUP, ALICE, "administrator")
    read: list[str] = []

    await telegram.say(chat, alice, "/lang zh")
    await telegram.say(group, alice, "/lang zh")
    for command in ("/help", "/status", "/subscriptions", "/categories cs", "/export", "/nope"):
        read += [m.plain_text for m in await telegram.say(chat, alice, command)]
    read += [m.plain_text for m in await telegram.say(group, alice, "/subscribe cs.SE")]
    read += [m.plain_text for m in await telegram.say(chat, alice, "/favorites")]
    cards = await telegram.say(chat, alice, "/paper 2508.08189 2509.01234", replies=2)
    for card in cards:
        star = next(b for b in card.buttons if b.get("callback_data", "").startswith("fav:"))
        read.append(str((await telegram.tap(card, alice, star["callback_data"])).text))
    read += [m.plain_text for m in await telegram.say(chat, alice, "/export")]
    page = await telegram.say_one(group, alice, "/favorites")
    read.append(page.plain_text)
    read += [str(b["text"]) for b in page.buttons]
    remove = next(b for b in page.buttons if b["callback_data"].startswith("fr:"))
    read.append(
        str(
            (
                await telegram.tap(
                    page, tg.user(1002, "Bob", language_code="zh"), remove["callback_data"]
                )
            ).text
        )
    )
    read.append(str((await telegram.tap(page, alice, remove["callback_data"])).text))

    assert english_in(read) == []
    assert any("收藏" in text for text in read)


# -- Slack -----------------------------------------------------------------------------------


@pytest.fixture
async def slack(tmp_path: Path) -> AsyncIterator[SlackHarness]:
    async with running_slack(tmp_path, (SEED_PAPER, OTHER_PAPER)) as harness:
        yield harness


async def test_a_chinese_slack_workspace_reads_no_english_from_the_bot(
    slack: SlackHarness,
) -> None:
    fake = slack.slack
    direct = "D" + USER_ID[1:]
    await slack.command("lang zh")
    await slack.command("lang zh", channel=direct)
    await fake.wait_for(lambda: len(fake.responses) >= 2)
    for command in ("status", "subscribe cs.SE", "favorites", "nope", "paper 2508.08189"):
        await slack.command(command)
    card = await slack.wait_for_card(SEED_PAPER.arxiv_id)
    await slack.click(card, FAVORITE_ACTION)
    await slack.command("paper 2509.01234")
    other = await slack.wait_for_card(OTHER_PAPER.arxiv_id)
    await slack.click(other, FAVORITE_ACTION)
    await fake.wait_for(lambda: len(fake.responses) >= 8)
    await slack.command("favorites")
    await click_share(slack, card)
    modal = await opened_modal(slack)
    await slack.send(view_submission_body(modal, {SHARE_TARGET_ACTION: CHANNEL_ID}))
    await fake.wait_for(lambda: fake.ephemeral)
    await slack.open_home()
    await fake.wait_for(lambda: USER_ID in fake.views)
    await slack.click_in_home(USER_ID, OLDER_ACTION, value=encode(ShowFavorites(USER_ID, 1)))
    await fake.wait_for(lambda: len(fake.responses) >= 9)

    cards = {p.ts for p in fake.posts}
    read = [json.dumps(modal, ensure_ascii=False)]
    read += ["\n".join(block_texts(r.blocks or [])) or r.text for r in fake.responses]
    read += ["\n".join(block_texts(e.blocks or [])) or e.text for e in fake.ephemeral]
    read += ["\n".join(block_texts(view["blocks"])) for view in fake.views.values()]
    read += [p.text for p in fake.posts if p.ts not in cards]

    assert english_in(read) == []
    assert any("收藏" in text for text in read)
