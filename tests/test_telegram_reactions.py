"""Reactions on delivered cards and /forget on Telegram, through the fake Bot API."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cards.library import Library
from bot.chat.service import Service
from bot.delivery.delivery import Dispatcher
from bot.source.arxiv_source import ArxivSource
from bot.store import Store
from bot.summarize.offline import OfflineSummarizer
from handlers.telegram import TelegramAdapter
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.papers import SEED_PAPER
from tests.fakes.telegram_harness import emptied, eventually, filled, settings_for
from tests.fakes.telegram_server import FakeTelegram, SentMessage

ALICE = 1001
BOB = 1002
GROUP = -100555


@dataclass
class Running:
    tg: FakeTelegram
    store: Store
    dispatcher: Dispatcher

    async def card_for(self, user_id: int) -> SentMessage:
        """The seed paper's card, delivered to the user's private chat by the dispatcher."""
        await self.store.save_papers([SEED_PAPER])
        chat = await self.store.ensure_chat("telegram", str(user_id), language="en")
        await self.store.enqueue_deliveries([(chat.id, SEED_PAPER.arxiv_id)])
        await self.dispatcher.drain()
        return self.tg.messages_in(user_id)[-1]


@pytest.fixture
async def bot(tmp_path: Path, migrated_sqlite_template: Path) -> AsyncIterator[Running]:
    database = tmp_path / "paperbell.db"
    shutil.copyfile(migrated_sqlite_template, database)
    with FakeArxiv() as arxiv:
        async with FakeTelegram(limits=None) as tg:
            settings = settings_for(tg, arxiv, database)
            store = Store.connect(settings.DATABASE_URL)
            library = Library(store, ArxivSource.from_settings(settings), OfflineSummarizer())
            service = Service(store, library, "en")
            adapter = TelegramAdapter(settings, service, asyncio.Event())
            await adapter.start()
            try:
                yield Running(tg, store, Dispatcher(store, library, [adapter]))
            finally:
                await adapter.stop()
                await store.close()


async def favorites(store: Store, user_id: int) -> list[str]:
    return [f.paper.arxiv_id for f in await store.list_favorites("telegram", str(user_id))]


async def test_a_heart_reaction_on_a_card_is_a_star_and_taking_it_off_unfavorites(
    bot: Running,
) -> None:
    alice = bot.tg.user(ALICE)
    bot.tg.private_chat(alice)
    card = await bot.card_for(ALICE)

    bot.tg.react(card, alice, ["❤"])
    saved = await eventually(lambda: filled(favorites(bot.store, ALICE)))
    bot.tg.react(card, alice, [], old=["❤"])
    assert await eventually(lambda: emptied(favorites(bot.store, ALICE)))

    assert saved == [SEED_PAPER.arxiv_id]


async def test_in_a_group_a_heart_counts_once_paperbell_is_an_administrator(
    bot: Running,
) -> None:
    alice = bot.tg.user(ALICE)
    bot.tg.group(GROUP)
    card = await bot.card_for(GROUP)

    unsent = bot.tg.react(card, alice, ["❤"])
    bot.tg.set_member(GROUP, bot.tg.bot_id, "administrator")
    bot.tg.react(card, alice, ["❤"])
    saved = await eventually(lambda: filled(favorites(bot.store, ALICE)))

    assert unsent is None
    assert saved == [SEED_PAPER.arxiv_id]


async def test_a_thumbs_down_is_a_less_like_this_signal_and_no_favorite(
    bot: Running,
) -> None:
    alice = bot.tg.user(ALICE)
    bot.tg.private_chat(alice)
    card = await bot.card_for(ALICE)

    bot.tg.react(card, alice, ["👎"])

    async def disliked() -> list[str] | None:
        signals = await bot.store.person_signals("telegram", str(ALICE))
        return [p.arxiv_id for p in signals.less] or None

    assert await eventually(disliked) == [SEED_PAPER.arxiv_id]
    assert await favorites(bot.store, ALICE) == []


async def test_forget_asks_first_and_then_deletes_only_the_callers_favorites(
    bot: Running,
) -> None:
    alice, bob = bot.tg.user(ALICE), bot.tg.user(BOB)
    await bot.store.save_papers([SEED_PAPER])
    for user in (ALICE, BOB):
        await bot.store.toggle_favorite("telegram", str(user), SEED_PAPER.arxiv_id)

    bot.tg.send_text(bot.tg.private_chat(alice), alice, "/forget")
    question = await bot.tg.wait_for(lambda: next(iter(bot.tg.messages_in(ALICE)), None))
    assert "cannot be undone" in (question.text or "")
    bot.tg.tap(question, bob, f"forget:yes:{ALICE}")
    bot.tg.tap(question, alice, f"forget:yes:{ALICE}")
    await bot.tg.wait_for(lambda: (question.text or "").startswith("Done: 1 favorites"))

    assert await favorites(bot.store, ALICE) == []
    assert await favorites(bot.store, BOB) == [SEED_PAPER.arxiv_id]


async def test_foryou_in_a_group_names_the_caller_and_its_buttons_open_the_cards(
    bot: Running,
) -> None:
    alice = bot.tg.user(ALICE, first_name="Alice")
    group = bot.tg.group(-100777)
    papers = [
        replace(
            SEED_PAPER,
            arxiv_id=f"2508.0818{n}",
            title=f"Visual reinforcement learning {n}",
            published=datetime.now(UTC),
        )
        for n in range(5)
    ]
    await bot.store.save_papers(papers)
    for paper in papers[:3]:
        await bot.store.toggle_favorite("telegram", str(ALICE), paper.arxiv_id)

    bot.tg.send_text(group, alice, "/foryou 30")
    listing = await bot.tg.wait_for(lambda: next(iter(bot.tg.messages_in(group["id"])), None))
    assert (listing.text or "").startswith("For Alice: your best-ranked papers")
    bot.tg.tap(listing, alice, listing.buttons[0]["callback_data"])
    card = await bot.tg.wait_for(lambda: next(iter(bot.tg.messages_in(group["id"])[1:]), None))

    assert [b["text"] for b in listing.buttons] == ["📄 1", "📄 2"]
    assert "Visual reinforcement learning" in (card.text or "")
