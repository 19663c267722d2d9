"""Slack beside Telegram on one event loop, fed by one poll.

A channel subscribes with `/paperbell subscribe` and a Telegram group with `/subscribe`;
arXiv then announces new papers, and one poll cycle (the machinery behind `paperbell poll`
and the scheduler in `paperbell run`) must bring each paper to both, summarized once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot import app
from bot.app import load_adapters
from bot.cards.library import Library
from bot.chat.service import Service
from bot.core import Core
from bot.delivery.platforms import ChatAdapter
from bot.schedule.scheduler import Poller
from bot.source.arxiv_source import ArxivSource
from bot.source.papers import Paper
from bot.store import Store, migrate
from bot.summarize import Summary
from bot.summarize.offline import OfflineSummarizer
from bot.support.config import Language, Settings
from handlers.slack import SlackAdapter
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.block_kit import block_texts
from tests.fakes.papers import make_paper
from tests.fakes.running_bot import free_port
from tests.fakes.slack_app import SIGNING_SECRET, slack_settings
from tests.fakes.slack_server import (
    CHANNEL_ID,
    FakeSlack,
    signed_headers,
    slash_command_body,
)
from tests.fakes.telegram_server import TOKEN, FakeTelegram

GROUP_ID = -1001234567890


def new_paper(number: int, category: str) -> Paper:
    """A paper in the mailing two days ahead, so it is announced after today's subscriptions."""
    submitted = datetime.now(UTC)
    return make_paper(
        arxiv_id=f"2601.{number:05d}",
        version=1,
        title=f"New paper {number} in {category}",
        primary_category=category,
        categories=(category,),
        published=submitted,
        updated=submitted,
    )


class CountingSummarizer:
    """The offline summarizer, counting what it is asked to summarize."""

    def __init__(self) -> None:
        self._offline = OfflineSummarizer()
        self.name = self._offline.name
        self.calls: Counter[tuple[str, str]] = Counter()

    async def summarize(self, paper: Paper, language: Language) -> Summary:
        self.calls[(paper.arxiv_id, language)] += 1
        return await self._offline.summarize(paper, language)

    async def aclose(self) -> None:
        await self._offline.aclose()


@dataclass
class Both:
    slack: FakeSlack
    tg: FakeTelegram
    arxiv: FakeArxiv
    adapters: list[ChatAdapter]
    poller: Poller
    summarizer: CountingSummarizer

    @property
    def slack_adapter(self) -> SlackAdapter:
        (adapter,) = [a for a in self.adapters if isinstance(a, SlackAdapter)]
        return adapter

    async def slack_command(self, text: str) -> None:
        body = slash_command_body(text=text, response_url=self.slack.new_response_url())
        url = f"http://127.0.0.1:{self.slack_adapter.port}/slack/events"
        seen = len(self.slack.responses)
        await http_post(url, body, signed_headers(SIGNING_SECRET, body))
        await self.slack.wait_for(lambda: len(self.slack.responses) > seen)

    def slack_cards(self) -> list[str]:
        return [
            text
            for post in self.slack.posts
            if post.channel == CHANNEL_ID and post.thread_ts is None
            for text in block_texts(post.blocks or [])[:1]
        ]

    def telegram_texts(self) -> list[str]:
        return [m.plain_text for m in self.tg.sent if m.chat_id == GROUP_ID]


async def http_post(url: str, body: bytes, headers: dict[str, str]) -> None:
    async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers):
        pass


def both_settings(tmp_path: Path, slack: FakeSlack, tg: FakeTelegram, arxiv: FakeArxiv) -> Settings:
    return slack_settings(tmp_path, slack, arxiv, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=tg.url)


@pytest.fixture
async def both(tmp_path: Path) -> AsyncIterator[Both]:
    """Both adapters started on this loop over one core, as `paperbell run` builds them."""
    ahead = datetime.now(UTC) + timedelta(days=2)
    async with AsyncExitStack() as stack:
        slack = await stack.enter_async_context(FakeSlack(rate_limit=None))
        tg = await stack.enter_async_context(FakeTelegram(limits=None))
        arxiv = await stack.enter_async_context(FakeArxiv(announced=ahead))
        settings = both_settings(tmp_path, slack, tg, arxiv)
        await asyncio.to_thread(migrate.upgrade, settings.DATABASE_URL)
        store = Store.connect(settings.DATABASE_URL)
        stack.push_async_callback(store.close)
        source = ArxivSource.from_settings(settings)
        summarizer = CountingSummarizer()
        library = Library(store, source, summarizer)
        service = Service(store, library, settings.DEFAULT_LANGUAGE)
        core = Core(settings, store, source, library, service, asyncio.Event())
        adapters = load_adapters(core)
        for adapter in adapters:
            await adapter.start()
            stack.push_async_callback(adapter.stop)
        await tg.wait_for(lambda: tg.is_polling, timeout=15)
        poller = Poller.build(store, source, library, adapters)
        yield Both(slack, tg, arxiv, adapters, poller, summarizer)


async def test_a_telegram_group_and_a_slack_channel_both_get_each_new_paper_summarized_once(
    both: Both,
) -> None:
    group = both.tg.group(GROUP_ID, "Reading group")
    alice = both.tg.user(1, "Alice")
    both.tg.set_member(GROUP_ID, alice["id"], "administrator")
    both.tg.send_text(group, alice, "/subscribe cs.SE")
    await both.tg.wait_for(lambda: both.telegram_texts())
    assert "Subscribed" in both.telegram_texts()[0]
    await both.slack_command("subscribe cs.SE")
    papers = [new_paper(1, "cs.SE"), new_paper(2, "cs.SE"), new_paper(3, "astro-ph.GA")]
    both.arxiv.add_all(papers)

    await both.poller.cycle(wait=timedelta(seconds=5))

    await both.slack.wait_for(lambda: len(both.slack_cards()) == 2)
    await both.tg.wait_for(lambda: len(both.telegram_texts()) == 3)
    assert both.slack_cards() == [papers[0].title, papers[1].title]
    for paper in papers[:2]:
        assert any(paper.title in text for text in both.telegram_texts())
    assert not any(papers[2].title in text for text in both.telegram_texts())
    assert both.summarizer.calls == Counter({(p.arxiv_id, "en"): 1 for p in papers[:2]})


async def test_a_slack_subscription_then_a_poll_delivers_only_new_papers_of_its_category(
    both: Both,
) -> None:
    await both.slack_command("subscribe cs.SE")
    both.arxiv.add_all([new_paper(4, "cs.SE"), new_paper(5, "cs.CL")])

    first = await both.poller.cycle(wait=timedelta(seconds=5))
    await both.slack.wait_for(lambda: both.slack_cards())
    await both.poller.cycle(wait=timedelta(seconds=5))

    assert first.delivered == 1
    assert both.slack_cards() == [new_paper(4, "cs.SE").title]


async def test_paperbell_run_serves_telegram_and_slack_side_by_side(tmp_path: Path) -> None:
    async with (
        FakeSlack(rate_limit=None) as slack,
        FakeTelegram(limits=None) as tg,
        FakeArxiv() as arxiv,
    ):
        port = free_port()
        settings = both_settings(tmp_path, slack, tg, arxiv).model_copy(
            update={"SLACK_HTTP_PORT": port}
        )
        stop = asyncio.Event()
        running = asyncio.create_task(app.run(settings, stop))
        await tg.wait_for(lambda: tg.is_polling or running.done(), timeout=15)
        group = tg.group(GROUP_ID)
        tg.send_text(group, tg.user(1, "Alice"), "/help")
        body = slash_command_body(text="list", response_url=slack.new_response_url())
        await http_post(
            f"http://127.0.0.1:{port}/slack/events", body, signed_headers(SIGNING_SECRET, body)
        )

        await tg.wait_for(lambda: any(m.chat_id == GROUP_ID for m in tg.sent), timeout=10)
        await slack.wait_for(lambda: slack.responses)
        stop.set()
        await asyncio.wait_for(running, 15)

    assert "no subscriptions" in slack.responses[0].text
