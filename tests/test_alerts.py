"""Operator alerts: one message when an incident starts, one when it ends, never a storm.

The freshness incidents (overdue mailing, stale category, audit shortfall) are driven
through the whole pipeline in `tests/test_freshness.py`; here are the others, and what
happens without ADMIN_CHATS.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.delivery.alerts import Alerts
from bot.delivery.delivery import Dispatcher
from bot.delivery.platforms import TokenRefused
from bot.store import Store
from bot.summarize.llm import LLMSummarizer
from bot.support.config import ConfigError, load_settings
from tests.fakes.openai_server import API_KEY, MODEL, FakeOpenAI
from tests.fakes.outbox import StaticSummarizer, library, queue
from tests.fakes.papers import SEED_PAPER, make_paper
from tests.fakes.platform import InMemoryPlatform


@pytest.fixture
def platform() -> InMemoryPlatform:
    return InMemoryPlatform()


@pytest.fixture
def alerts(platform: InMemoryPlatform) -> Alerts:
    return Alerts([("memory", "admin")], {"memory": platform})


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


def titles(platform: InMemoryPlatform) -> list[str]:
    return [sent.title or "" for sent in platform.sent_to("admin")]


async def test_the_llm_failing_for_n_papers_in_a_row_alerts_once_and_once_when_it_recovers(
    fake: FakeOpenAI, alerts: Alerts, platform: InMemoryPlatform
) -> None:
    settings = load_settings(
        LLM_BASE_URL=fake.base_url, LLM_API_KEY=API_KEY, LLM_MODEL=MODEL, LLM_TIMEOUT=2.0
    )
    llm = LLMSummarizer(settings, backoff=0.01)
    fake.fail_next(500, n=4)
    try:
        for _ in range(4):
            await llm.summarize(SEED_PAPER, "en")
            await alerts.llm_streak(llm.stats, 3)
        await llm.summarize(SEED_PAPER, "en")
        await alerts.llm_streak(llm.stats, 3)
    finally:
        await llm.aclose()

    [failing, recovered] = titles(platform)
    assert failing.startswith("⚠ paperbell: the LLM failed for 3 papers in a row (http_error")
    assert recovered == "✓ paperbell: the LLM summarizes again."


async def test_a_refused_token_alerts_once_keeps_the_papers_and_resolves_when_sends_work(
    store: Store, database_url: str, alerts: Alerts, platform: InMemoryPlatform
) -> None:
    chat = await store.ensure_chat("memory", "1", language="en")
    await queue(store, chat, [make_paper(arxiv_id="2511.00001"), make_paper(arxiv_id="2511.00002")])
    refused = TokenRefused("Telegram refused TELEGRAM_BOT_TOKEN (Unauthorized)")
    platform.fail("1", refused, refused)
    summarizer = StaticSummarizer()
    dispatcher = Dispatcher(
        store, library(store, summarizer), [platform], token_pause=timedelta(0), watch=alerts
    )

    for _ in range(3):
        await dispatcher.drain(wait=timedelta(seconds=1))

    assert platform.papers_to("1") == ["2511.00001", "2511.00002"]
    assert titles(platform) == [
        "⚠ paperbell: memory refuses the bot token: Telegram refused TELEGRAM_BOT_TOKEN "
        "(Unauthorized)",
        "✓ paperbell: memory accepts the bot token again.",
    ]


async def test_a_database_that_answered_only_after_waiting_is_reported_then_resolved(
    alerts: Alerts, platform: InMemoryPlatform, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="bot.delivery.alerts"):
        await alerts.database_at_start("cannot use the database DATABASE_URL=…: refused")
        await alerts.database_at_start(None)

    assert titles(platform) == [
        "⚠ paperbell: the database was unreachable at start: cannot use the database "
        "DATABASE_URL=…: refused",
        "✓ paperbell: the database answers.",
    ]
    assert [r.levelno for r in caplog.records] == [logging.ERROR, logging.INFO]


async def test_replicas_sharing_a_database_announce_an_incident_and_its_end_once(
    store: Store, platform: InMemoryPlatform
) -> None:
    replicas = [Alerts([("memory", "admin")], {"memory": platform}, incidents=store) for _ in "abc"]

    for alerts in replicas:
        await alerts.token_refused("telegram", "401 Unauthorized")
    for alerts in replicas:
        await alerts.token_accepted("telegram")

    assert titles(platform) == [
        "⚠ paperbell: telegram refuses the bot token: 401 Unauthorized",
        "✓ paperbell: telegram accepts the bot token again.",
    ]


async def test_a_restarted_bot_does_not_announce_an_ongoing_incident_again(
    store: Store, platform: InMemoryPlatform
) -> None:
    before = Alerts([("memory", "admin")], {"memory": platform}, incidents=store)
    await before.start("stale:cs.LG", "cs.LG stale")
    after_restart = Alerts([("memory", "admin")], {"memory": platform}, incidents=store)

    assert not await after_restart.start("stale:cs.LG", "cs.LG stale")
    assert await after_restart.end("stale:cs.LG", "cs.LG fresh again")
    assert titles(platform) == ["cs.LG stale", "cs.LG fresh again"]


async def test_without_admin_chats_the_incident_goes_to_the_log_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    alerts = Alerts()
    with caplog.at_level(logging.INFO, logger="bot.delivery.alerts"):
        assert await alerts.start("overdue", "mailing overdue")
        assert not await alerts.start("overdue", "mailing overdue")
        assert await alerts.end("overdue", "mailing arrived")
        assert not await alerts.end("overdue", "mailing arrived")

    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "incident: mailing overdue"),
        ("INFO", "resolved: mailing arrived"),
    ]


def test_admin_chats_are_checked_at_start_with_an_example_of_the_format() -> None:
    settings = load_settings(ADMIN_CHATS=" telegram:-100123 , slack:C0123ABCD ")
    assert settings.admin_chats() == [("telegram", "-100123"), ("slack", "C0123ABCD")]
    with pytest.raises(ConfigError, match=r"ADMIN_CHATS: .*'discord:1' is not telegram:<chat_id>"):
        load_settings(ADMIN_CHATS="telegram:1,discord:1")
