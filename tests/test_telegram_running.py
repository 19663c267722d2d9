"""Running the Telegram adapter: start-up, the command menu, inline sharing, webhook mode,
a second instance on the same token, and stopping — in-process and as `paperbell run`."""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from telegram import Bot

from bot.chat.commands import COMMANDS
from bot.support.config import Settings
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.papers import SEED_PAPER
from tests.fakes.running_bot import free_port
from tests.fakes.telegram_harness import TelegramHarness, eventually, running_bot
from tests.fakes.telegram_server import TOKEN, FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
ALICE = 1001
SECRET = "s3cret-Token_1"
STOP_GUARD = 15.0  # seconds; only turns a stop that hangs into a failure


@pytest.fixture
async def bot(tmp_path: Path, migrated_sqlite_template: Path) -> AsyncIterator[TelegramHarness]:
    async with running_bot(tmp_path, migrated_sqlite_template) as harness:
        yield harness


def errors_from_telegram(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.ERROR and r.name.startswith(("handlers.telegram", "telegram"))
    ]


# -- start-up ----------------------------------------------------------------------------------


async def test_start_registers_the_command_menu_in_english_and_chinese(
    bot: TelegramHarness,
) -> None:
    english = bot.tg.commands[("default", "")]
    chinese = bot.tg.commands[("default", "zh")]
    names = [c.name for c in COMMANDS]
    assert [c["command"] for c in english] == names
    assert [c["command"] for c in chinese] == names
    assert english[names.index("paper")]["description"] == "the full card of any paper"
    assert chinese[names.index("paper")]["description"] == "任意论文的完整卡片"


async def test_a_token_telegram_refuses_stops_paperbell_with_one_clear_line(
    tmp_path: Path, migrated_sqlite_template: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_bot(
        tmp_path,
        migrated_sqlite_template,
        wait_until_polling=False,
        TELEGRAM_BOT_TOKEN="654321:WRONG-token",
    ) as bot:
        await asyncio.wait_for(asyncio.shield(bot.run), 10)
    assert errors_from_telegram(caplog) == [
        "Telegram refused TELEGRAM_BOT_TOKEN; check it with @BotFather (/token)"
    ]


async def test_while_telegram_is_unreachable_start_up_keeps_trying_until_stopped(
    tmp_path: Path, migrated_sqlite_template: Path, caplog: pytest.LogCaptureFixture
) -> None:
    unreachable = f"http://127.0.0.1:{free_port()}"
    async with running_bot(
        tmp_path, migrated_sqlite_template, wait_until_polling=False, TELEGRAM_API_URL=unreachable
    ) as bot:

        async def warned() -> bool:
            return f"Telegram is unreachable at {unreachable}" in caplog.text

        await eventually(warned)
        assert not bot.run.done()
        await bot.stop()  # fails, rather than hangs, if the stop is not heard while retrying
        assert bot.run.result() is None
    assert errors_from_telegram(caplog) == []


# -- inline sharing ----------------------------------------------------------------------------


async def test_an_inline_query_with_an_id_offers_the_card_to_post_in_any_chat(
    bot: TelegramHarness,
) -> None:
    answer = await bot.inline(bot.tg.user(ALICE), "2508.08189")
    [article] = answer.results
    assert (article["type"], article["id"]) == ("article", "2508.08189")
    assert article["title"] == SEED_PAPER.title
    content = article["input_message_content"]
    assert content["parse_mode"] == "HTML"
    assert content["message_text"].startswith(f"<b>{SEED_PAPER.title}</b>")
    buttons = [b for row in article["reply_markup"]["inline_keyboard"] for b in row]
    assert [
        b.get("callback_data") or b.get("switch_inline_query") or b["url"] for b in buttons
    ] == [
        "fav:2508.08189",
        "2508.08189",
        SEED_PAPER.abs_url,
        SEED_PAPER.pdf_url,
    ]
    assert answer.is_personal


async def test_an_inline_query_with_an_arxiv_link_is_answered_in_the_users_language(
    bot: TelegramHarness,
) -> None:
    li = bot.tg.user(1003, "Li", language_code="zh-hans")
    answer = await bot.inline(li, "https://arxiv.org/abs/2508.08189v3")
    [article] = answer.results
    assert "作者" in article["input_message_content"]["message_text"]


@pytest.mark.parametrize("query", ["", "reinforcement learning", "2508.0818"])
async def test_an_inline_query_that_is_not_an_id_gets_no_card_but_a_hint(
    bot: TelegramHarness, query: str
) -> None:
    answer = await bot.inline(bot.tg.user(ALICE), query)
    assert answer.results == []
    hint = bot.tg.calls_to("answerInlineQuery")[-1].params["button"]
    assert hint["start_parameter"] == "share" and "2508.08189" in hint["text"]


# -- webhook mode ------------------------------------------------------------------------------


async def test_in_webhook_mode_updates_arrive_by_post_with_the_secret_token(
    tmp_path: Path, migrated_sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[bytes] = []
    real_compare = hmac.compare_digest

    def spy(offered: bytes, expected: bytes) -> bool:
        compared.append(offered)
        return real_compare(offered, expected)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    async with running_bot(
        tmp_path,
        migrated_sqlite_template,
        wait_until_polling=False,
        TELEGRAM_WEBHOOK_URL=url,
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        TELEGRAM_WEBHOOK_LISTEN="127.0.0.1",
        TELEGRAM_WEBHOOK_PORT=port,
    ) as bot:
        [registered] = await bot.tg.wait_for(lambda: bot.tg.calls_to("setWebhook"), timeout=10)
        assert registered.params["url"] == url
        assert registered.params["secret_token"] == SECRET
        assert "callback_query" in registered.params["allowed_updates"]
        alice = bot.tg.user(ALICE)
        reply = await bot.say_one(bot.tg.private_chat(alice), alice, "/start")
        assert "arXiv" in reply.plain_text
        assert bot.tg.calls_to("getUpdates") == []
    assert compared and all(offered == SECRET.encode() for offered in compared)


async def test_a_webhook_request_without_the_right_secret_is_refused_unread(
    tmp_path: Path, migrated_sqlite_template: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    update = {
        "update_id": 99,
        "message": {
            "message_id": 1,
            "date": 0,
            "chat": {"id": ALICE, "type": "private", "first_name": "Alice"},
            "from": {"id": ALICE, "is_bot": False, "first_name": "Alice"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }
    async with (
        running_bot(
            tmp_path,
            migrated_sqlite_template,
            wait_until_polling=False,
            TELEGRAM_WEBHOOK_URL=url,
            TELEGRAM_WEBHOOK_SECRET=SECRET,
            TELEGRAM_WEBHOOK_LISTEN="127.0.0.1",
            TELEGRAM_WEBHOOK_PORT=port,
        ) as bot,
        aiohttp.ClientSession() as http,
    ):
        await bot.tg.wait_for(lambda: bot.tg.calls_to("setWebhook"), timeout=10)
        statuses = []
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": SECRET[:-1] + "2"}):
            async with http.post(url, json=update, headers=headers) as response:
                statuses.append(response.status)
        secret = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with http.post(url, data=b"{not json", headers=secret) as response:
            statuses.append(response.status)
        assert statuses == [403, 403, 400]
        assert bot.tg.sent == []
        async with http.post(url, json=update, headers=secret) as response:
            assert response.status == 200
        await bot.tg.wait_for(lambda: bot.tg.messages_in(ALICE), timeout=10)


async def test_without_a_configured_secret_every_replica_registers_the_same_unguessable_one(
    tmp_path: Path, migrated_sqlite_template: Path
) -> None:
    registered = []
    for replica in ("a", "b"):
        port = free_port()
        (tmp_path / replica).mkdir()
        async with running_bot(
            tmp_path / replica,
            migrated_sqlite_template,
            wait_until_polling=False,
            TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/",
            TELEGRAM_WEBHOOK_LISTEN="127.0.0.1",
            TELEGRAM_WEBHOOK_PORT=port,
        ) as bot:
            [call] = await bot.tg.wait_for(lambda: bot.tg.calls_to("setWebhook"), timeout=10)
            async with (
                aiohttp.ClientSession() as http,
                http.post(f"http://127.0.0.1:{port}/", json={"update_id": 1}) as response,
            ):
                assert response.status == 403
            registered.append(call.params["secret_token"])

    first, second = registered
    assert len(first) >= 32 and TOKEN.split(":")[1] not in first
    assert first == second


async def test_a_webhook_port_already_taken_stops_paperbell_with_one_line(
    tmp_path: Path, migrated_sqlite_template: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with running_bot(
            tmp_path,
            migrated_sqlite_template,
            wait_until_polling=False,
            TELEGRAM_WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
            TELEGRAM_WEBHOOK_LISTEN="127.0.0.1",
            TELEGRAM_WEBHOOK_PORT=port,
        ) as bot:
            await asyncio.wait_for(asyncio.shield(bot.run), 10)
    [line] = errors_from_telegram(caplog)
    assert line.startswith("Telegram could not start:") and str(port) in line
    assert bot.tg.calls_to("setWebhook") == []


# -- a second instance, and stopping -----------------------------------------------------------


async def test_a_second_poller_on_the_token_stops_paperbell_with_one_line_not_a_loop(
    tmp_path: Path, migrated_sqlite_template: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tg = FakeTelegram(limits=None, max_poll_timeout=30)
    async with (
        running_bot(tmp_path, migrated_sqlite_template, tg=tg) as bot,
        Bot(TOKEN, base_url=tg.base_url) as other_instance,
    ):
        # The other instance's long poll cuts off paperbell's: 409 Conflict.
        other_poll = asyncio.create_task(other_instance.get_updates(timeout=20, read_timeout=25))
        await asyncio.wait_for(asyncio.shield(bot.run), 5)
        # paperbell left without one last getUpdates, which would cut the other one off in turn.
        assert not other_poll.done() and tg.is_polling
        alice = tg.user(ALICE)
        tg.send_text(tg.private_chat(alice), alice, "/start")
        [update] = await asyncio.wait_for(other_poll, 5)
    assert update.message is not None and update.message.text == "/start"
    [line] = errors_from_telegram(caplog)
    assert "409 Conflict" in line and "one paperbell per bot token" in line
    assert len([c for c in tg.calls_to("getUpdates") if c.status == 409]) == 1


async def test_stopping_does_not_wait_for_a_slow_arxiv(bot: TelegramHarness) -> None:
    answer = bot.arxiv.hold()
    alice = bot.tg.user(ALICE)
    bot.tg.send_text(bot.tg.private_chat(alice), alice, "/paper 2508.08189")

    async def asked_arxiv() -> bool:
        return bool(bot.arxiv.api_requests())

    await eventually(asked_arxiv)
    try:
        # Waiting for arXiv's answer would outlast the guard: it never comes, and the
        # source's tries and timeouts add up to far more.
        await bot.stop(timeout=STOP_GUARD)
        [asked] = bot.arxiv.api_requests()
        assert asked.finished is None, "arXiv had not answered when the bot had stopped"
        assert bot.tg.messages_in(ALICE) == []
    finally:
        answer.set()


def test_paperbell_run_answers_on_telegram_and_exits_cleanly_on_sigterm(tmp_path: Path) -> None:
    with FakeArxiv() as arxiv, FakeTelegram.start_in_thread(limits=None) as tg:
        arxiv.add(SEED_PAPER)
        env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
        env.update(
            PYTHONPATH=str(ROOT),
            DATABASE_URL=f"sqlite:///{tmp_path / 'paperbell.db'}",
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=tg.url,
            ARXIV_API_URL=arxiv.api_url,
            ARXIV_RSS_URL=arxiv.rss_url,
            ARXIV_REQUEST_INTERVAL="0",
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            alice = tg.user(ALICE)
            asyncio.run(tg.wait_for(lambda: tg.is_polling, timeout=30))
            tg.send_text(tg.private_chat(alice), alice, "/paper 2508.08189")
            [card] = asyncio.run(tg.wait_for(lambda: tg.messages_in(ALICE), timeout=30))
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=STOP_GUARD)  # a hang guard, not a target
        finally:
            process.kill()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert card.plain_text.startswith(SEED_PAPER.title)
    assert not tg.is_polling
