"""A chat that reads Chinese cards hears the bot's own replies in Chinese too."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest

from bot.cards.library import Library
from bot.chat.commands import COMMANDS
from bot.chat.replies import Notice, Reply
from bot.chat.service import Caller, Service
from bot.source.arxiv_source import ArxivSource
from bot.store import Store
from bot.summarize.offline import OfflineSummarizer
from bot.support.config import Language
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.papers import SEED_PAPER

GROUP = Caller("telegram", "-1001", "group", "42", "Lab")
OTHER_GROUP = Caller("telegram", "-1002", "group", "42", "Other lab")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
A_FRIDAY = datetime(2025, 11, 28, 15, 0, tzinfo=UTC)


async def allowed() -> bool:
    return True


async def refused() -> bool:
    return False


@pytest.fixture
def arxiv() -> Iterator[FakeArxiv]:
    with FakeArxiv() as server:
        server.add(SEED_PAPER)
        yield server


def make_service(store: Store, arxiv: FakeArxiv, default_language: Language) -> Service:
    source = ArxivSource(arxiv.api_url, 0.0, 2.0, rss_url=arxiv.rss_url, backoff=0.01)
    library = Library(store, source, OfflineSummarizer())
    return Service(store, library, default_language, now=lambda: A_FRIDAY)


@pytest.fixture
async def service(store: Store, arxiv: FakeArxiv) -> AsyncIterator[Service]:
    yield make_service(store, arxiv, "en")


async def ask(service: Service, caller: Caller, command: str, args: str = "") -> str:
    replies: list[Reply] = await service.handle(caller, command, args, can_manage=allowed)
    return "\n".join(r.text for r in replies if isinstance(r, Notice))


async def chinese_group(service: Service) -> Caller:
    await ask(service, GROUP, "lang", "zh")
    return GROUP


def is_chinese(text: str) -> bool:
    return CHINESE.search(text) is not None


async def test_switching_to_zh_is_confirmed_in_chinese(service: Service) -> None:
    answer = await ask(service, GROUP, "lang", "zh")
    assert is_chinese(answer) and "Cards in this chat" not in answer


async def test_a_zh_chat_gets_chinese_help_listing_every_command(service: Service) -> None:
    text = await ask(service, await chinese_group(service), "help")
    lines = text.splitlines()
    for command in COMMANDS:
        (line,) = [line for line in lines if line.startswith(f"/{command.name} ")]
        assert is_chinese(line), line
        assert command.summary not in line
    assert is_chinese(lines[0]) and "paperbell" in lines[0]
    assert "/subscribe cs.CV cs.LG" in text


async def test_a_chat_of_a_zh_deployment_gets_chinese_replies_before_choosing(
    store: Store, arxiv: FakeArxiv
) -> None:
    service = make_service(store, arxiv, "zh")
    text = await ask(service, GROUP, "help")
    assert is_chinese(text) and "/subscribe" in text
    assert await store.get_chat("telegram", "-1001") is None


async def test_an_unknown_category_is_explained_in_chinese_with_a_suggestion(
    service: Service, store: Store
) -> None:
    caller = await chinese_group(service)
    text = await ask(service, caller, "subscribe", "cs.VC cs.LG")
    assert is_chinese(text) and "did you mean" not in text
    assert "cs.VC" in text and "cs.CV" in text and "/categories" in text
    chat = await store.get_chat("telegram", "-1001")
    assert chat is not None and await store.list_subscriptions(chat.id) == []


async def test_a_malformed_id_is_explained_in_chinese_with_an_example(
    service: Service, arxiv: FakeArxiv
) -> None:
    text = await ask(service, await chinese_group(service), "paper", "banana")
    assert is_chinese(text) and "not an arXiv ID" not in text
    assert "banana" in text and "2508.08189" in text
    assert arxiv.api_requests() == []


async def test_subscribing_a_zh_chat_is_confirmed_in_chinese(service: Service) -> None:
    caller = await chinese_group(service)
    answer = await ask(service, caller, "subscribe", "cs.CV +diffusion topic:Robotics=robot")
    assert is_chinese(answer) and "Subscribed" not in answer
    assert "cs.CV" in answer and "diffusion" in answer and "Robotics" in answer
    listing = await ask(service, caller, "subscriptions")
    assert is_chinese(listing) and "cs.CV" in listing and "diffusion" in listing


async def test_usage_errors_in_a_zh_chat_are_chinese_and_keep_the_example(
    service: Service,
) -> None:
    caller = await chinese_group(service)
    for command, args, example in (
        ("digest", "25:00", "/digest 08:30 Europe/Berlin"),
        ("cap", "lots", "/cap 20"),
        ("lang", "fr", "/lang zh"),
        ("subscribe", '"cs.CV', "/subscribe cs.CV cs.LG"),
    ):
        text = await ask(service, caller, command, args)
        assert is_chinese(text) and "Usage" not in text, text
        assert example in text


async def test_admin_refusal_in_a_zh_group_is_chinese(service: Service) -> None:
    caller = await chinese_group(service)
    replies = await service.handle(caller, "subscribe", "cs.CV", can_manage=refused)
    (notice,) = replies
    assert isinstance(notice, Notice) and is_chinese(notice.text)


async def test_status_in_a_zh_chat_is_chinese_with_weekdays(service: Service) -> None:
    status = await ask(service, await chinese_group(service), "status")
    assert "Status of this chat" not in status
    assert all(is_chinese(line) for line in status.splitlines())
    assert "12月1日（周一）01:00 UTC" in status  # Sunday 20:00 in New York


async def test_export_without_favorites_in_a_zh_chat_is_chinese(service: Service) -> None:
    text = await ask(service, await chinese_group(service), "export")
    assert is_chinese(text) and "☆" in text


async def test_lang_en_from_a_zh_chat_answers_in_english(service: Service) -> None:
    caller = await chinese_group(service)
    answer = await ask(service, caller, "lang", "en")
    assert not is_chinese(answer)
    assert answer == await ask(service, OTHER_GROUP, "lang", "en")
    assert await ask(service, caller, "help") == await ask(service, OTHER_GROUP, "help")
