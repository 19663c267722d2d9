"""Cards and digests the scheduler sends through the Telegram adapter, and what Telegram's
refusals mean for delivery: wait exactly as asked, stop for a chat that is gone, follow a
group that moved, and never report a send as failed when it may have gone out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, TimedOut

from bot.cards.cards import build_card
from bot.cards.library import Library
from bot.chat.service import Service
from bot.delivery.delivery import Dispatcher
from bot.delivery.platforms import (
    ChatGone,
    ChatMoved,
    DeliveryError,
    DigestEntry,
    OutcomeUnknown,
    Rejected,
    RetryLater,
    TokenRefused,
)
from bot.render.escape import html_visible
from bot.render.telegram_html import render_telegram
from bot.source.arxiv_source import ArxivSource
from bot.store import Store
from bot.summarize.offline import OfflineSummarizer
from handlers.telegram import TelegramAdapter
from handlers.telegram.errors import UNREACHABLE_RETRY_SECONDS, delivery_error
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.papers import SEED_PAPER, make_paper, make_summary
from tests.fakes.telegram_harness import eventually, settings_for, star_of
from tests.fakes.telegram_server import FakeTelegram, FloodLimits, Rate, SentMessage

ALICE = 1001
BOB = 1002
GROUP = -1001234567890
SUPERGROUP = -1009999999999
CARD = build_card(SEED_PAPER, make_summary("en"))


@dataclass
class Running:
    adapter: TelegramAdapter
    tg: FakeTelegram
    store: Store
    library: Library

    def message(self, chat_id: int, message_id: str) -> SentMessage:
        return next(
            m for m in self.tg.sent if (m.chat_id, str(m.message_id)) == (chat_id, message_id)
        )


@asynccontextmanager
async def started(database: Path, tg: FakeTelegram, **options: Any) -> AsyncIterator[Running]:
    """The adapter as `bot.app` runs it, polling the fake; the test plays the scheduler."""
    with FakeArxiv() as arxiv:
        async with tg:
            settings = settings_for(tg, arxiv, database)
            store = Store.connect(settings.DATABASE_URL)
            library = Library(store, ArxivSource.from_settings(settings), OfflineSummarizer())
            service = Service(store, library, "en")
            adapter = TelegramAdapter(settings, service, asyncio.Event(), **options)
            await adapter.start()
            try:
                yield Running(adapter, tg, store, library)
            finally:
                await adapter.stop()
                await store.close()


@pytest.fixture
def database(tmp_path: Path, migrated_sqlite_template: Path) -> Path:
    path = tmp_path / "paperbell.db"
    path.write_bytes(migrated_sqlite_template.read_bytes())
    return path


@pytest.fixture
async def telegram(database: Path) -> AsyncIterator[Running]:
    async with started(database, FakeTelegram(limits=None), request_timeout=0.5) as running:
        yield running


# -- sending ---------------------------------------------------------------------------------


async def test_send_card_posts_the_rendered_card_and_returns_its_message_id(
    telegram: Running,
) -> None:
    message_id = await telegram.adapter.send_card(str(GROUP), CARD)
    posted = telegram.message(GROUP, message_id)
    assert posted.text == render_telegram(CARD).html
    assert posted.parse_mode == "HTML"
    assert [b["text"] for b in posted.buttons] == ["☆ Favorite", "🔗 Share", "📄 arXiv", "📥 PDF"]


async def test_an_operator_notice_is_plain_text_shown_exactly_as_written(
    telegram: Running,
) -> None:
    text = "⚠ cs.CV stale: <feed> still shows 2025-12-01 & nothing newer"

    message_id = await telegram.adapter.send_notice(str(ALICE), text)

    posted = telegram.message(ALICE, message_id)
    assert html_visible(posted.text) == text
    assert posted.buttons == []


async def test_a_card_sent_to_someone_who_already_keeps_the_paper_shows_their_star(
    telegram: Running,
) -> None:
    await telegram.store.save_papers([SEED_PAPER])
    await telegram.store.toggle_favorite("telegram", str(ALICE), SEED_PAPER.arxiv_id)
    mine = telegram.message(ALICE, await telegram.adapter.send_card(str(ALICE), CARD))
    theirs = telegram.message(BOB, await telegram.adapter.send_card(str(BOB), CARD))
    assert (star_of(mine), star_of(theirs)) == ("★ Favorite", "☆ Favorite")


async def test_a_digest_lists_every_paper_with_its_own_star_button(telegram: Running) -> None:
    papers = [make_paper(arxiv_id=f"2507.0000{n}", title=f"Paper {n}") for n in range(1, 8)]
    entries = [DigestEntry(p, f"Takeaway of paper {n}.") for n, p in enumerate(papers, 1)]
    message_id = await telegram.adapter.send_digest(str(GROUP), "cs.SE today", entries, "en")
    digest = telegram.message(GROUP, message_id)
    assert digest.plain_text.startswith("cs.SE today")
    for n in range(1, 8):
        assert f"{n}. Paper {n} · 2507.0000{n}\n💡 Takeaway of paper {n}." in digest.plain_text
    assert [(b["text"], b["callback_data"]) for b in digest.buttons] == [
        (f"☆ {n}", f"fav:2507.0000{n}") for n in range(1, 8)
    ]


async def test_tapping_a_digest_star_keeps_that_paper_and_counts_it_for_the_group(
    telegram: Running,
) -> None:
    papers = [make_paper(arxiv_id=f"2507.0000{n}", title=f"Paper {n}") for n in range(1, 4)]
    await telegram.store.save_papers(papers)
    entries = [DigestEntry(p, "") for p in papers]
    message_id = await telegram.adapter.send_digest(str(GROUP), "Today", entries, "en")
    digest = telegram.message(GROUP, message_id)
    answer_id = telegram.tg.tap(digest, telegram.tg.user(BOB), "fav:2507.00002")
    await telegram.tg.wait_for(lambda: star_of(digest, "fav:2507.00002") == "☆ 2 · 1")
    assert telegram.tg.answer_to(answer_id) is not None
    favorites = await telegram.store.list_favorites("telegram", str(BOB))
    assert [f.paper.arxiv_id for f in favorites] == ["2507.00002"]


async def test_a_digest_too_long_for_one_message_is_shortened_until_telegram_takes_it(
    telegram: Running,
) -> None:
    long_takeaway = "A finding worth a long sentence. " * 12
    papers = [make_paper(arxiv_id=f"2507.{n:05d}", title="A long title " * 8) for n in range(40)]
    entries = [DigestEntry(p, long_takeaway) for p in papers]
    message_id = await telegram.adapter.send_digest(str(ALICE), "Today", entries, "zh")
    digest = telegram.message(ALICE, message_id)
    assert len(digest.buttons) == 40
    assert digest.plain_text.endswith("点 ☆ N 把第 N 篇加入你的收藏。")
    assert all(f"{n}. A long title" in digest.plain_text for n in range(1, 41))


async def test_the_dispatcher_delivers_follows_a_migrated_group_and_drops_a_blocked_user(
    telegram: Running,
) -> None:
    store = telegram.store
    await store.save_papers([SEED_PAPER])
    chats = {}
    for external_id in (ALICE, BOB, GROUP):
        chats[external_id] = chat = await store.ensure_chat(
            "telegram", str(external_id), language="en"
        )
        await store.subscribe(chat.id, ["cs.CV"], (), ())
    await store.enqueue_deliveries([(chat.id, SEED_PAPER.arxiv_id) for chat in chats.values()])
    telegram.tg.block(BOB)
    telegram.tg.group(GROUP, type="group")
    telegram.tg.migrate(GROUP, SUPERGROUP)

    await Dispatcher(store, telegram.library, [telegram.adapter]).drain()

    for chat_id in (ALICE, SUPERGROUP):
        [card] = telegram.tg.messages_in(chat_id)
        assert card.plain_text.startswith(SEED_PAPER.title)
    assert telegram.tg.messages_in(BOB) == []
    blocked = await store.get_chat("telegram", str(BOB))
    assert blocked is not None and not blocked.active
    moved = await store.get_chat("telegram", str(SUPERGROUP))
    assert moved is not None and moved.id == chats[GROUP].id


# -- what Telegram's refusals mean -------------------------------------------------------------


async def test_a_token_telegram_no_longer_accepts_is_token_refused(telegram: Running) -> None:
    telegram.tg.fail_next("sendMessage", 401, "Unauthorized")
    with pytest.raises(TokenRefused, match="TELEGRAM_BOT_TOKEN"):
        await telegram.adapter.send_card(str(ALICE), CARD)


async def test_a_user_who_blocked_the_bot_is_gone_for_good(telegram: Running) -> None:
    telegram.tg.block(ALICE)
    with pytest.raises(ChatGone, match="blocked"):
        await telegram.adapter.send_card(str(ALICE), CARD)


async def test_a_group_that_removed_the_bot_is_gone_for_good(telegram: Running) -> None:
    telegram.tg.group(GROUP)
    telegram.tg.kick(GROUP)
    with pytest.raises(ChatGone, match="kicked"):
        await telegram.adapter.send_card(str(GROUP), CARD)


async def test_a_chat_telegram_does_not_know_is_gone_for_good(telegram: Running) -> None:
    telegram.tg.mark_missing(GROUP)
    with pytest.raises(ChatGone, match="not found"):
        await telegram.adapter.send_digest(str(GROUP), "Today", [DigestEntry(SEED_PAPER, "")], "en")


async def test_a_group_upgraded_to_a_supergroup_names_its_new_id(telegram: Running) -> None:
    telegram.tg.migrate(GROUP, SUPERGROUP)
    with pytest.raises(ChatMoved) as moved:
        await telegram.adapter.send_card(str(GROUP), CARD)
    assert moved.value.new_chat_id == str(SUPERGROUP)
    assert await telegram.adapter.send_card(moved.value.new_chat_id, CARD)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
@pytest.mark.parametrize("timedelta_periods", ["true", "false"])
async def test_flood_control_asks_to_retry_after_exactly_the_time_telegram_gives(
    database: Path, monkeypatch: pytest.MonkeyPatch, timedelta_periods: str
) -> None:
    # python-telegram-bot gives retry_after as a timedelta or as seconds, by this switch.
    monkeypatch.setenv("PTB_TIMEDELTA", timedelta_periods)
    tg = FakeTelegram(limits=FloodLimits(per_chat=Rate(1, 7.0, burst=1)))
    async with started(database, tg) as running:
        await running.adapter.send_card(str(ALICE), CARD)
        with pytest.raises(RetryLater) as flooded:
            await running.adapter.send_card(str(ALICE), CARD)
    assert flooded.value.retry_after == 7.0
    assert len([m for m in tg.sent if m.chat_id == ALICE]) == 1


async def test_a_timeout_after_the_request_went_out_is_an_unknown_outcome_not_a_failure(
    telegram: Running,
) -> None:
    telegram.tg.delay_next("sendMessage", 1.5)
    with pytest.raises(OutcomeUnknown):
        await telegram.adapter.send_card(str(ALICE), CARD)
    assert len(telegram.tg.messages_in(ALICE)) == 1, "the card was posted although no answer came"


async def test_a_server_error_is_retried_later(telegram: Running) -> None:
    telegram.tg.fail_next("sendMessage", 502, "Bad Gateway")
    with pytest.raises(RetryLater) as retry:
        await telegram.adapter.send_card(str(ALICE), CARD)
    assert retry.value.retry_after == UNREACHABLE_RETRY_SECONDS
    assert telegram.tg.messages_in(ALICE) == []


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (Forbidden("Forbidden: user is deactivated"), ChatGone),
        (BadRequest("Bad Request: not enough rights to send text messages to the chat"), ChatGone),
        (BadRequest("Bad Request: CHAT_WRITE_FORBIDDEN"), ChatGone),
        (BadRequest("Bad Request: can't parse entities: unclosed tag"), Rejected),
        (BadRequest("Bad Request: message is too long"), Rejected),
        (Conflict("Conflict: terminated by other getUpdates request"), DeliveryError),
    ],
)
def test_refusals_of_the_chat_and_of_the_message_are_told_apart(
    error: Exception, outcome: type[DeliveryError]
) -> None:
    assert type(delivery_error(error)) is outcome  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("cause", "outcome"),
    [
        (httpx.ConnectError("connection refused"), RetryLater),
        (httpx.ConnectTimeout("connect timed out"), RetryLater),
        (httpx.PoolTimeout("no free connection"), RetryLater),
        (httpx.ReadTimeout("read timed out"), OutcomeUnknown),
        (httpx.RemoteProtocolError("server disconnected"), OutcomeUnknown),
    ],
)
def test_only_a_request_that_never_left_is_safe_to_send_again(
    cause: Exception, outcome: type[DeliveryError]
) -> None:
    error = TimedOut() if isinstance(cause, httpx.TimeoutException) else NetworkError("httpx")
    error.__cause__ = cause
    assert type(delivery_error(error)) is outcome


# -- chats that change -----------------------------------------------------------------------


async def test_when_a_group_becomes_a_supergroup_its_subscriptions_follow(
    telegram: Running,
) -> None:
    chat = await telegram.store.ensure_chat("telegram", str(GROUP), language="zh")
    await telegram.store.subscribe(chat.id, ["cs.SE"], (), ())
    group = telegram.tg.group(GROUP, type="group")
    supergroup = telegram.tg.migrate(GROUP, SUPERGROUP)
    # Telegram announces the upgrade in both chats.
    telegram.tg.push_update(
        "message", {"message_id": 7, "date": 0, "chat": group, "migrate_to_chat_id": SUPERGROUP}
    )
    telegram.tg.push_update(
        "message",
        {"message_id": 1, "date": 0, "chat": supergroup, "migrate_from_chat_id": GROUP},
    )
    moved = await eventually(lambda: telegram.store.get_chat("telegram", str(SUPERGROUP)))
    assert (moved.id, moved.language) == (chat.id, "zh")
    assert [s.category for s in await telegram.store.list_subscriptions(moved.id)] == ["cs.SE"]
    assert await telegram.store.get_chat("telegram", str(GROUP)) is None


async def test_a_user_who_blocks_the_bot_is_marked_inactive_and_back_when_unblocking(
    telegram: Running,
) -> None:
    chat = await telegram.store.ensure_chat("telegram", str(ALICE), language="en")
    alice = telegram.tg.user(ALICE)

    def bot_became(old: str, new: str) -> None:
        def member(status: str) -> dict[str, object]:
            me = {"id": telegram.tg.bot_id, "is_bot": True, "first_name": "PaperBell"}
            return {"status": status, "user": me} | (
                {"until_date": 0} if status == "kicked" else {}
            )

        telegram.tg.push_update(
            "my_chat_member",
            {
                "chat": telegram.tg.private_chat(alice),
                "from": alice,
                "date": 0,
                "old_chat_member": member(old),
                "new_chat_member": member(new),
            },
        )

    async def active() -> bool | None:
        stored = await telegram.store.get_chat("telegram", str(ALICE))
        return stored.active if stored else None

    bot_became("member", "kicked")
    await eventually(lambda: _is(active(), False))
    stored = await telegram.store.get_chat("telegram", str(ALICE))
    assert stored is not None and stored.inactive_reason == "the user blocked the bot"
    bot_became("kicked", "member")
    await eventually(lambda: _is(active(), True))
    assert (await telegram.store.get_chat("telegram", str(ALICE))).id == chat.id  # type: ignore[union-attr]


async def _is(value: Awaitable[object], expected: object) -> bool:
    return await value is expected
