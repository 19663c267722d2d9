"""Command replies under Telegram's flood control: paced with the cards, waited for only
so long, and dropped with one log line rather than a traceback."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.delivery.delivery import Dispatcher
from handlers.telegram.sending import MAX_REPLY_WAIT_SECONDS
from tests.fakes.papers import SEED_PAPER
from tests.fakes.telegram_harness import running_bot
from tests.fakes.telegram_server import FakeTelegram, FloodLimits, Rate
from tests.test_telegram import OTHER_PAPER
from tests.test_telegram_delivery import ALICE, database, started

__all__ = ["database"]

# A little more lenient than the one a second the adapter keeps to, as Telegram is: a
# request may reach it a moment sooner after the previous one than it left.
ONE_A_SECOND = FloodLimits(per_chat=Rate(1, 0.8, burst=1))


async def test_replies_keep_to_the_chats_rate_so_flood_control_never_refuses_them(
    tmp_path: Path, migrated_sqlite_template: Path
) -> None:
    tg = FakeTelegram(limits=ONE_A_SECOND)
    papers = (SEED_PAPER, OTHER_PAPER)
    async with running_bot(tmp_path, migrated_sqlite_template, papers=papers, tg=tg) as bot:
        alice = bot.tg.user(ALICE)
        chat = bot.tg.private_chat(alice)
        cards = await bot.say(chat, alice, "/paper 2508.08189 2509.01234", replies=2)
    assert [c.plain_text.split("\n")[0] for c in cards] == [SEED_PAPER.title, OTHER_PAPER.title]
    assert [c.status for c in tg.calls_to("sendMessage")] == [200, 200]


async def test_a_reply_refused_with_a_short_wait_goes_out_once_the_wait_is_over(
    tmp_path: Path, migrated_sqlite_template: Path
) -> None:
    async with running_bot(tmp_path, migrated_sqlite_template) as bot:
        bot.tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", {"retry_after": 1})
        alice = bot.tg.user(ALICE)
        answer = await bot.say_one(bot.tg.private_chat(alice), alice, "/help")
    refused, sent = bot.tg.calls_to("sendMessage")
    assert answer.plain_text.startswith("paperbell posts")
    assert (refused.status, sent.status) == (429, 200)
    assert sent.at - refused.at >= 1.0


async def test_a_reply_flood_control_holds_back_too_long_is_dropped_with_one_log_line(
    tmp_path: Path, migrated_sqlite_template: Path, caplog: pytest.LogCaptureFixture
) -> None:
    wait = int(MAX_REPLY_WAIT_SECONDS) + 30
    async with running_bot(tmp_path, migrated_sqlite_template) as bot:
        bot.tg.fail_next(
            "sendMessage", 429, f"Too Many Requests: retry after {wait}", {"retry_after": wait}
        )
        alice = bot.tg.user(ALICE)
        chat = bot.tg.private_chat(alice)
        bot.tg.send_text(chat, alice, "/status")
        await bot.tg.wait_for(lambda: len(bot.tg.calls_to("sendMessage")) == 1, timeout=10)
        await bot.tg.wait_for(
            lambda: any("dropped a reply" in r.getMessage() for r in caplog.records), timeout=10
        )
    assert bot.sent_in(chat) == []
    complaints = [
        r for r in caplog.records if r.levelno >= logging.WARNING and "telegram" in r.name
    ]
    assert [r.getMessage() for r in complaints] == [
        f"Telegram: dropped a reply to chat {ALICE}, flood control allows none within 30s"
    ]
    assert all(r.exc_info is None for r in complaints)


async def test_replies_and_cards_to_one_chat_share_its_rate_and_draw_no_429(
    database: Path,
) -> None:
    async with started(database, FakeTelegram(limits=ONE_A_SECOND)) as telegram:
        store = telegram.store
        await store.save_papers([SEED_PAPER])
        chat = await store.ensure_chat("telegram", str(ALICE), language="en")
        await store.enqueue_deliveries([(chat.id, SEED_PAPER.arxiv_id)])
        alice = telegram.tg.user(ALICE)
        private = telegram.tg.private_chat(alice)
        telegram.tg.send_text(private, alice, "/help")
        await telegram.tg.wait_for(lambda: telegram.tg.messages_in(ALICE), timeout=10)
        await Dispatcher(store, telegram.library, [telegram.adapter]).drain()
        await telegram.tg.wait_for(lambda: len(telegram.tg.messages_in(ALICE)) == 2, timeout=10)
    assert [c.status for c in telegram.tg.calls_to("sendMessage")] == [200, 200]
