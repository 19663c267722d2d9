"""The fake Telegram server behaves like Telegram for python-telegram-bot 22 pointed at it."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
    ChatMemberAdministrator,
    ChatMemberMember,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    MessageEntity,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes
from telegram.request import HTTPXRequest

from tests.fakes.telegram_html import utf16_len
from tests.fakes.telegram_server import (
    MARKDOWN_UNSUPPORTED,
    TOKEN,
    FakeTelegram,
    FloodLimits,
    Rate,
)

ALICE = 1001
BOB = 1002
GROUP = -1001234567890
STAR = "star:2508.08189"


def keyboard(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(buttons)])


def bot_for(tg: FakeTelegram, token: str = TOKEN, **request: Any) -> Bot:
    return Bot(
        token,
        base_url=tg.base_url,
        base_file_url=tg.base_file_url,
        request=HTTPXRequest(**request) if request else None,
    )


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(limits=None) as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with bot_for(tg) as client:
        yield client


# -- identity and wire format --------------------------------------------------------------


async def test_get_me_reports_the_token_id_and_the_configured_username() -> None:
    async with FakeTelegram(bot_username="groupbell_bot") as tg, bot_for(tg) as bot:
        me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "groupbell_bot", True)


async def test_an_unknown_token_raises_invalid_token(tg: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        await bot_for(tg, "654321:WRONG-token").get_me()
    assert tg.calls[-1].status == 401


async def test_an_unknown_method_answers_404_not_found(bot: Bot, tg: FakeTelegram) -> None:
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy", api_kwargs={"chat_id": ALICE})
    assert (tg.calls[-1].method, tg.calls[-1].status) == ("sendTelepathy", 404)


async def test_json_bodies_are_accepted_and_errors_have_telegrams_shape(tg: FakeTelegram) -> None:
    async with aiohttp.ClientSession() as http:
        url = f"{tg.base_url}{TOKEN}/sendMessage"
        async with http.post(url, json={"chat_id": str(ALICE), "text": "hi"}) as ok:
            sent = await ok.json()
        async with http.post(url, json={"chat_id": ALICE, "text": ""}) as refused:
            error = await refused.json()
    assert sent["ok"] is True
    assert sent["result"]["chat"]["id"] == ALICE
    assert refused.status == 400
    assert error == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message text is empty",
    }


# -- sending and recording ----------------------------------------------------------------


async def test_a_sent_message_is_returned_like_telegram_and_recorded_as_sent(
    bot: Bot, tg: FakeTelegram
) -> None:
    markup = keyboard(InlineKeyboardButton("☆", callback_data=STAR))
    message = await bot.send_message(
        ALICE, "<b>RL for Large Models</b> &amp; more", parse_mode="HTML", reply_markup=markup
    )
    assert message.text == "RL for Large Models & more"
    assert message.reply_markup == markup
    [sent] = tg.messages_in(ALICE)
    assert sent.message_id == message.message_id
    assert sent.text == "<b>RL for Large Models</b> &amp; more"
    assert sent.parse_mode == "HTML"
    assert sent.reply_markup == markup.to_dict()
    assert tg.calls_to("sendMessage")[0].params["chat_id"] == ALICE


async def test_message_ids_count_up_per_chat_including_the_users_messages(
    bot: Bot, tg: FakeTelegram
) -> None:
    alice = tg.user(ALICE)
    tg.send_text(tg.private_chat(alice), alice, "/start")
    first = await bot.send_message(ALICE, "welcome")
    elsewhere = await bot.send_message(BOB, "welcome")
    assert (first.message_id, elsewhere.message_id) == (2, 1)


async def test_a_reply_must_point_at_a_message_in_the_chat(bot: Bot, tg: FakeTelegram) -> None:
    alice = tg.user(ALICE)
    command = tg.send_text(tg.group(GROUP), alice, "/paper 2508.08189")
    reply = await bot.send_message(GROUP, "card", reply_to_message_id=command["message_id"])
    assert tg.sent[-1].reply_to_message_id == command["message_id"]
    assert reply.reply_to_message is not None
    with pytest.raises(BadRequest):
        await bot.send_message(GROUP, "card", reply_to_message_id=999)
    assert tg.last_refusal == "Bad Request: message to be replied not found"


async def test_the_document_upload_is_stored_with_its_name_and_bytes(
    bot: Bot, tg: FakeTelegram
) -> None:
    bibtex = b"@article{wu2025rl,\n  title={Reinforcement Learning for Large Model}\n}\n"
    message = await bot.send_document(
        ALICE, bibtex, filename="2508.08189.bib", caption="<i>BibTeX</i>", parse_mode="HTML"
    )
    [document] = tg.documents
    assert (document.filename, document.content) == ("2508.08189.bib", bibtex)
    assert message.document is not None
    assert message.document.file_name == "2508.08189.bib"
    assert message.caption == "BibTeX"
    resent = await bot.send_document(BOB, message.document.file_id)
    assert tg.documents[-1].content == bibtex
    assert resent.chat.id == BOB


async def test_a_caption_over_1024_characters_is_refused(bot: Bot, tg: FakeTelegram) -> None:
    with pytest.raises(BadRequest):
        await bot.send_document(ALICE, b"x", filename="a.txt", caption="c" * 1025)
    assert tg.last_refusal == "Bad Request: message caption is too long"
    assert tg.documents == []


# -- what Telegram refuses ------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        "<blink>new paper</blink>",  # a tag Telegram does not support
        "<b>unclosed bold",
        "Q&A about RL",  # a bare ampersand
    ],
)
async def test_html_telegram_cannot_parse_is_refused(bot: Bot, tg: FakeTelegram, html: str) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(ALICE, html, parse_mode="HTML")
    assert (tg.last_refusal or "").startswith("Bad Request: can't parse entities: ")
    assert tg.sent == []


async def test_text_length_is_counted_in_utf16_code_units(bot: Bot, tg: FakeTelegram) -> None:
    longest = "😀" * 2048
    too_long = "😀" * 2049
    assert (len(too_long), utf16_len(too_long)) == (2049, 4098)
    await bot.send_message(ALICE, longest)
    with pytest.raises(BadRequest):
        await bot.send_message(ALICE, too_long)
    assert tg.last_refusal == "Bad Request: message is too long"
    assert [m.text for m in tg.sent] == [longest]


async def test_html_markup_does_not_count_towards_the_length(bot: Bot) -> None:
    text = "<b>" + "x" * 4096 + "</b>"
    message = await bot.send_message(ALICE, text, parse_mode="HTML")
    assert len(message.text or "") == 4096


async def test_blank_text_is_refused_as_empty(bot: Bot, tg: FakeTelegram) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(ALICE, "  \n ")
    assert tg.last_refusal == "Bad Request: message text is empty"


async def test_markdown_is_refused_rather_than_accepted_unchecked(
    bot: Bot, tg: FakeTelegram
) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(ALICE, "*bold*", parse_mode="MarkdownV2")
    assert tg.last_refusal == MARKDOWN_UNSUPPORTED


async def test_entities_must_lie_inside_the_text(bot: Bot, tg: FakeTelegram) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(ALICE, "hello", entities=[MessageEntity("bold", 0, 6)])
    assert tg.last_refusal == (
        "Bad Request: entity beginning at UTF-16 offset 0 ends after the end of the text at "
        "UTF-16 offset 6"
    )


@pytest.mark.parametrize("data", ["x" * 65, "я" * 33])  # 33 Cyrillic letters are 66 bytes
async def test_callback_data_over_64_bytes_is_refused(
    bot: Bot, tg: FakeTelegram, data: str
) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(
            ALICE, "card", reply_markup=keyboard(InlineKeyboardButton("☆", callback_data=data))
        )
    assert tg.last_refusal == "Bad Request: BUTTON_DATA_INVALID"


async def test_callback_data_of_exactly_64_bytes_is_accepted(bot: Bot, tg: FakeTelegram) -> None:
    data = "x" * 64
    await bot.send_message(
        ALICE, "card", reply_markup=keyboard(InlineKeyboardButton("☆", callback_data=data))
    )
    assert tg.sent[0].buttons == [{"text": "☆", "callback_data": data}]


@pytest.mark.parametrize(
    ("url", "refusal"),
    [
        (
            "ftp://arxiv.org/pdf/2508.08189",
            "Bad Request: inline keyboard button URL 'ftp://arxiv.org/pdf/2508.08189' is "
            "invalid: Unsupported URL protocol",
        ),
        ("http://localhost:8000/paper", "Bad Request: BUTTON_URL_INVALID"),
        ("arxiv", "Bad Request: inline keyboard button URL 'arxiv' is invalid: Wrong HTTP URL"),
    ],
)
async def test_button_urls_must_be_web_links(
    bot: Bot, tg: FakeTelegram, url: str, refusal: str
) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(
            ALICE, "card", reply_markup=keyboard(InlineKeyboardButton("PDF", url=url))
        )
    assert tg.last_refusal == refusal


async def test_a_button_needs_exactly_one_action(bot: Bot, tg: FakeTelegram) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(ALICE, "card", reply_markup=keyboard(InlineKeyboardButton("☆")))
    assert tg.last_refusal == (
        "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
        "inline keyboard"
    )
    both = InlineKeyboardButton("☆", callback_data=STAR, url="https://arxiv.org/abs/2508.08189")
    with pytest.raises(BadRequest):
        await bot.send_message(ALICE, "card", reply_markup=keyboard(both))
    assert "exactly one of the optional fields must be used" in (tg.last_refusal or "")
    assert tg.sent == []


# -- scripted chats ---------------------------------------------------------------------------


async def test_a_blocked_user_answers_forbidden(bot: Bot, tg: FakeTelegram) -> None:
    tg.block(ALICE)
    with pytest.raises(Forbidden):
        await bot.send_message(ALICE, "new papers")
    assert tg.last_refusal == "Forbidden: bot was blocked by the user"
    await bot.send_message(BOB, "new papers")
    assert [m.chat_id for m in tg.sent] == [BOB]


async def test_a_kicked_bot_is_forbidden_in_that_group(bot: Bot, tg: FakeTelegram) -> None:
    tg.kick(tg.group(GROUP)["id"])
    with pytest.raises(Forbidden):
        await bot.send_message(GROUP, "new papers")
    assert tg.last_refusal == "Forbidden: bot was kicked from the supergroup chat"


async def test_a_missing_chat_is_not_found(bot: Bot, tg: FakeTelegram) -> None:
    tg.mark_missing(ALICE)
    with pytest.raises(BadRequest):
        await bot.send_message(ALICE, "new papers")
    with pytest.raises(BadRequest):
        await bot.send_message("@nobody_here", "new papers")
    assert [c.description for c in tg.calls_to("sendMessage")] == [
        "Bad Request: chat not found",
        "Bad Request: chat not found",
    ]


async def test_a_migrated_group_names_its_new_id(bot: Bot, tg: FakeTelegram) -> None:
    tg.group(-4001, "Vision reading group", type="group")
    tg.migrate(-4001, GROUP)
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(-4001, "new papers")
    assert migrated.value.new_chat_id == GROUP
    assert tg.last_refusal == "Bad Request: group chat was upgraded to a supergroup chat"
    await bot.send_message(migrated.value.new_chat_id, "new papers")
    assert (await bot.get_chat(GROUP)).title == "Vision reading group"


async def test_fail_next_fails_one_call_only(bot: Bot, tg: FakeTelegram) -> None:
    tg.fail_next("sendMessage", 502, "Bad Gateway")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(ALICE, "new papers")
    await bot.send_message(ALICE, "new papers")
    assert [c.status for c in tg.calls_to("sendMessage")] == [502, 200]
    assert len(tg.sent) == 1


async def test_a_delayed_answer_times_out_although_the_message_was_posted(
    tg: FakeTelegram,
) -> None:
    tg.delay_next("sendMessage", 2.0)
    async with bot_for(tg, read_timeout=0.2) as bot:
        with pytest.raises(TimedOut):
            await bot.send_message(ALICE, "new papers")
    assert [m.text for m in tg.messages_in(ALICE)] == ["new papers"]


# -- flood control ------------------------------------------------------------------------------


async def test_flooding_a_chat_answers_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    limits = FloodLimits(per_chat=Rate(1, 7.0, burst=1))
    async with FakeTelegram(limits=limits) as tg, bot_for(tg) as bot:
        await bot.send_message(ALICE, "one")
        with pytest.raises(RetryAfter) as flooded:
            await bot.send_message(ALICE, "two")
        await bot.send_message(BOB, "another chat is not held back")
    assert flooded.value.retry_after == dt.timedelta(seconds=7)
    assert tg.throttled == 1
    assert [m.text for m in tg.messages_in(ALICE)] == ["one"]


async def test_groups_have_a_per_minute_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with FakeTelegram(limits=FloodLimits(per_group=Rate(2, 60.0))) as tg, bot_for(tg) as bot:
        await bot.send_message(GROUP, "one")
        await bot.send_message(GROUP, "two")
        with pytest.raises(RetryAfter) as flooded:
            await bot.send_message(GROUP, "three")
        await bot.send_message(ALICE, "private chats are not groups")
    assert flooded.value.retry_after == dt.timedelta(seconds=30)


async def test_the_overall_limit_spans_chats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    async with FakeTelegram(limits=FloodLimits(overall=Rate(3, 1.0))) as tg, bot_for(tg) as bot:
        for chat in (ALICE, BOB, 1003):
            await bot.send_message(chat, "new papers")
        with pytest.raises(RetryAfter):
            await bot.send_message(1004, "new papers")
    assert tg.throttled == 1


async def test_without_limits_nothing_is_throttled(bot: Bot, tg: FakeTelegram) -> None:
    await asyncio.gather(*(bot.send_message(ALICE, f"card {i}") for i in range(40)))
    assert (len(tg.messages_in(ALICE)), tg.throttled) == (40, 0)


# -- updates: long polling and webhooks ----------------------------------------------------------


async def test_a_queued_command_arrives_by_get_updates_with_its_entity(
    bot: Bot, tg: FakeTelegram
) -> None:
    alice = tg.user(ALICE, "Alice", "alice", language_code="zh")
    tg.send_text(tg.private_chat(alice), alice, "/paper@paperbell_bot 2508.08189")
    [update] = await bot.get_updates(timeout=1)
    message = update.message
    assert message is not None and message.from_user is not None
    assert message.from_user.language_code == "zh"
    assert message.parse_entities([MessageEntity.BOT_COMMAND]) == {
        MessageEntity("bot_command", 0, 20): "/paper@paperbell_bot"
    }


async def test_command_offsets_count_utf16_code_units(tg: FakeTelegram, bot: Bot) -> None:
    alice = tg.user(ALICE)
    tg.send_text(tg.private_chat(alice), alice, "📚 /paper 2508.08189")
    [update] = await bot.get_updates(timeout=1)
    assert update.message is not None
    assert update.message.entities == (MessageEntity("bot_command", 3, 6),)


async def test_a_long_poll_returns_as_soon_as_an_update_arrives() -> None:
    async with FakeTelegram(max_poll_timeout=30) as tg, bot_for(tg) as bot:
        alice = tg.user(ALICE)
        poll = asyncio.create_task(bot.get_updates(timeout=30, read_timeout=35))
        await tg.wait_for(lambda: tg.is_polling)
        tg.send_text(tg.private_chat(alice), alice, "/start")
        updates = await asyncio.wait_for(poll, timeout=5)
    assert [u.message.text for u in updates if u.message] == ["/start"]


async def test_an_offset_confirms_the_updates_before_it(bot: Bot, tg: FakeTelegram) -> None:
    alice = tg.user(ALICE)
    chat = tg.private_chat(alice)
    tg.send_text(chat, alice, "/start")
    tg.send_text(chat, alice, "/help")
    first = await bot.get_updates()
    again = await bot.get_updates()
    assert [u.update_id for u in again] == [u.update_id for u in first]
    assert await bot.get_updates(offset=first[-1].update_id + 1) == ()
    assert tg.pending_updates == 0


async def test_privacy_mode_hides_group_chatter_not_meant_for_the_bot(
    bot: Bot, tg: FakeTelegram
) -> None:
    alice = tg.user(ALICE)
    group = tg.group(GROUP)
    for text in ("nice paper!", "/paper@other_bot 1", "/paper@PaperBell_bot 2", "/digest"):
        tg.send_text(group, alice, text)
    updates = await bot.get_updates()
    assert [u.message.text for u in updates if u.message] == ["/paper@PaperBell_bot 2", "/digest"]


async def test_a_second_poller_terminates_the_first_with_conflict() -> None:
    async with (
        FakeTelegram(max_poll_timeout=30) as tg,
        bot_for(tg) as first,
        bot_for(tg) as second,
    ):
        poll = asyncio.create_task(first.get_updates(timeout=30, read_timeout=35))
        await tg.wait_for(lambda: tg.is_polling)
        assert await second.get_updates(timeout=0) == ()
        with pytest.raises(Conflict):
            await asyncio.wait_for(poll, timeout=5)
        assert tg.last_refusal == (
            "Conflict: terminated by other getUpdates request; make sure that only one bot "
            "instance is running"
        )


async def test_updates_go_to_the_webhook_and_get_updates_then_conflicts(
    bot: Bot, tg: FakeTelegram
) -> None:
    received: list[tuple[dict[str, Any], str | None]] = []
    failures_left = [1]

    async def webhook(request: web.Request) -> web.Response:
        if failures_left[0]:
            failures_left[0] -= 1
            return web.Response(status=500)
        token = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        received.append((await request.json(), token))
        return web.Response()

    app = web.Application()
    app.router.add_post("/telegram", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        url = f"http://127.0.0.1:{runner.addresses[0][1]}/telegram"
        await bot.set_webhook(url, secret_token="s3cret")
        with pytest.raises(Conflict):
            await bot.get_updates()
        assert tg.last_refusal == (
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook "
            "to delete the webhook first"
        )
        alice = tg.user(ALICE)
        tg.send_text(tg.private_chat(alice), alice, "/start")
        await tg.wait_for(lambda: received)
    finally:
        await runner.cleanup()
    [(update, secret)] = received
    assert update["message"]["text"] == "/start"
    assert secret == "s3cret"
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == (url, 0)
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"


async def test_a_public_webhook_must_be_https(bot: Bot, tg: FakeTelegram) -> None:
    with pytest.raises(BadRequest):
        await bot.set_webhook("http://paperbell.example.org/telegram")
    assert tg.last_refusal == "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"


# -- callbacks, inline queries, edits -------------------------------------------------------------


async def test_tapping_a_button_delivers_the_stored_message_and_the_answer_is_recorded(
    bot: Bot, tg: FakeTelegram
) -> None:
    alice = tg.user(ALICE)
    await bot.send_message(
        ALICE, "card", reply_markup=keyboard(InlineKeyboardButton("☆", callback_data=STAR))
    )
    [card] = tg.sent
    query_id = tg.tap(card, alice, STAR)
    [update] = await bot.get_updates()
    query = update.callback_query
    assert query is not None and query.message is not None
    assert (query.id, query.data, query.message.message_id) == (query_id, STAR, card.message_id)
    await bot.answer_callback_query(query_id, text="Saved ★")
    assert tg.answer_to(query_id) is not None
    assert [a.text for a in tg.answers] == ["Saved ★"]
    with pytest.raises(BadRequest):
        await bot.answer_callback_query(query_id, text="Saved ★")
    assert tg.last_refusal == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )


async def test_tapping_a_button_the_message_does_not_have_is_a_test_error(
    bot: Bot, tg: FakeTelegram
) -> None:
    await bot.send_message(
        ALICE, "card", reply_markup=keyboard(InlineKeyboardButton("☆", callback_data=STAR))
    )
    with pytest.raises(ValueError, match="no button"):
        tg.tap(tg.sent[0], tg.user(ALICE), "star:0000.00000")


async def test_an_identical_edit_is_not_modified_and_a_text_edit_drops_the_keyboard(
    bot: Bot, tg: FakeTelegram
) -> None:
    markup = keyboard(InlineKeyboardButton("☆", callback_data=STAR))
    message = await bot.send_message(ALICE, "card", reply_markup=markup)
    with pytest.raises(BadRequest):
        await bot.edit_message_reply_markup(ALICE, message.message_id, reply_markup=markup)
    assert (tg.last_refusal or "").startswith("Bad Request: message is not modified: ")
    starred = keyboard(InlineKeyboardButton("★", callback_data=STAR))
    await bot.edit_message_reply_markup(ALICE, message.message_id, reply_markup=starred)
    assert tg.sent[0].buttons == [{"text": "★", "callback_data": STAR}]
    await bot.edit_message_text("card, edited", ALICE, message.message_id)
    assert (tg.sent[0].plain_text, tg.sent[0].reply_markup) == ("card, edited", None)


async def test_a_deleted_message_is_gone_for_edits_and_second_deletes(
    bot: Bot, tg: FakeTelegram
) -> None:
    message = await bot.send_message(ALICE, "card")
    assert await bot.delete_message(ALICE, message.message_id)
    assert tg.messages_in(ALICE) == []
    with pytest.raises(BadRequest):
        await bot.delete_message(ALICE, message.message_id)
    assert tg.last_refusal == "Bad Request: message to delete not found"
    with pytest.raises(BadRequest):
        await bot.edit_message_text("again", ALICE, message.message_id)
    assert tg.last_refusal == "Bad Request: message to edit not found"


def article(result_id: str, text: str = "<b>card</b>") -> InlineQueryResultArticle:
    return InlineQueryResultArticle(
        result_id, "Reinforcement Learning for Large Model", InputTextMessageContent(text, "HTML")
    )


async def test_inline_answers_are_validated_and_recorded(bot: Bot, tg: FakeTelegram) -> None:
    query_id = tg.inline_query(tg.user(ALICE), "visual rl")
    [update] = await bot.get_updates()
    assert update.inline_query is not None and update.inline_query.query == "visual rl"
    refusals = {
        "Bad Request: too many inline query results specified": [
            article(str(i)) for i in range(51)
        ],
        "Bad Request: RESULT_ID_INVALID": [article("x" * 65)],
        "Bad Request: RESULT_ID_DUPLICATE": [article("a"), article("a")],
        "Bad Request: MESSAGE_TOO_LONG": [article("a", "😀" * 2049)],
    }
    for refusal, results in refusals.items():
        with pytest.raises(BadRequest):
            await bot.answer_inline_query(query_id, results)
        assert tg.last_refusal == refusal
    with pytest.raises(BadRequest):
        await bot.answer_inline_query(query_id, [article("a", "<b>open")])
    assert tg.last_refusal == (
        "Bad Request: can't parse InlineQueryResult: Can't parse entities: Can't find end tag "
        'corresponding to start tag "b"'
    )
    await bot.answer_inline_query(query_id, [article("2508.08189")], cache_time=0)
    [answer] = tg.inline_answers
    assert [r["id"] for r in answer.results] == ["2508.08189"]
    assert answer.cache_time == 0


# -- commands, chats, members ----------------------------------------------------------------------


async def test_commands_are_stored_per_scope_and_language(bot: Bot, tg: FakeTelegram) -> None:
    await bot.set_my_commands([BotCommand("paper", "Show a paper")])
    await bot.set_my_commands([BotCommand("paper", "查看论文")], language_code="zh")
    await bot.set_my_commands(
        [BotCommand("digest", "Post today's digest")], scope=BotCommandScopeChat(GROUP)
    )
    assert [c.description for c in await bot.get_my_commands(language_code="zh")] == ["查看论文"]
    assert set(tg.commands) == {("default", ""), ("default", "zh"), (f"chat:{GROUP}", "")}
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("Paper", "Show a paper")])
    assert tg.last_refusal == "Bad Request: BOT_COMMAND_INVALID"


async def test_chat_member_statuses_are_scripted_per_chat_and_user(
    bot: Bot, tg: FakeTelegram
) -> None:
    tg.set_member(GROUP, ALICE, "creator")
    tg.set_member(GROUP, BOB, "administrator")
    assert isinstance(await bot.get_chat_member(GROUP, ALICE), ChatMemberOwner)
    assert isinstance(await bot.get_chat_member(GROUP, BOB), ChatMemberAdministrator)
    assert isinstance(await bot.get_chat_member(GROUP, 1003), ChatMemberMember)
    assert isinstance(await bot.get_chat_member(-1009, BOB), ChatMemberMember)


async def test_get_chat_describes_registered_and_unregistered_chats(
    bot: Bot, tg: FakeTelegram
) -> None:
    tg.channel(-1005550001, "arXiv cs.CV", username="cscv_papers")
    channel = await bot.get_chat("@cscv_papers")
    assert (channel.id, channel.type, channel.title) == (-1005550001, "channel", "arXiv cs.CV")
    assert (await bot.get_chat(ALICE)).type == "private"


# -- running modes -----------------------------------------------------------------------------


async def test_wait_for_raises_timeout_error_when_nothing_happens(tg: FakeTelegram) -> None:
    with pytest.raises(TimeoutError, match="still false"):
        await tg.wait_for(lambda: tg.sent, timeout=0.05)


async def test_a_fake_in_a_background_thread_serves_another_event_loop() -> None:
    with FakeTelegram.start_in_thread(limits=None) as tg:
        async with bot_for(tg) as bot:
            alice = tg.user(ALICE)
            tg.send_text(tg.private_chat(alice), alice, "/start")
            [update] = await bot.get_updates(timeout=1)
            assert update.message is not None
            await bot.send_message(ALICE, "welcome")
            [sent] = await tg.wait_for(lambda: tg.messages_in(ALICE))
    assert sent.text == "welcome"


async def test_a_polling_application_answers_a_command_and_a_tap_end_to_end() -> None:
    async def paper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None and context.args
        star = InlineKeyboardButton("☆", callback_data=STAR)
        await update.message.reply_html(f"<b>{context.args[0]}</b>", reply_markup=keyboard(star))

    async def starred(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query: CallbackQuery | None = update.callback_query
        assert query is not None
        await query.answer("Saved")
        await query.edit_message_reply_markup(
            keyboard(InlineKeyboardButton("★", callback_data=STAR))
        )

    async with FakeTelegram() as tg:
        app = Application.builder().token(TOKEN).base_url(tg.base_url).build()
        app.add_handlers([CommandHandler("paper", paper), CallbackQueryHandler(starred)])
        async with app:
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(timeout=10)
            alice = tg.user(ALICE)
            command = tg.send_text(tg.group(GROUP), alice, "/paper@paperbell_bot 2508.08189")
            [card] = await tg.wait_for(lambda: tg.messages_in(GROUP))
            query_id = tg.tap(card, alice, STAR)
            await tg.wait_for(lambda: card.buttons[0]["text"] == "★")
            await app.updater.stop()
            await app.stop()
    assert (card.text, card.reply_to_message_id) == ("<b>2508.08189</b>", command["message_id"])
    assert [(a.query_id, a.text) for a in tg.answers] == [(query_id, "Saved")]
