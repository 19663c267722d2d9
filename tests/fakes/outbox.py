"""Helpers for outbox, discovery and scheduler tests: a clock, a summarizer, the database.

`TestClock` is the `now` the core's time-aware parts take: it runs at real speed from
wherever a test puts it (a Friday night, a holiday) and can jump, so leases and
retry_after waits elapse as in production while the calendar says what the test wants.
"""

from __future__ import annotations

import dataclasses
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Executable, text, update

from bot.cards.library import Library
from bot.source.arxiv_source import ArxivSource
from bot.source.papers import Paper
from bot.store import Chat, Store
from bot.store.base import SUBSCRIPTIONS
from bot.store.db import create_engine
from bot.summarize import Summary
from bot.support.config import Language
from tests.fakes.papers import make_summary

UNUSED_ARXIV = "http://127.0.0.1:9/api/query"


class TestClock:
    """Real time from `start`, or with `running=False` a clock that moves only when the
    test advances it, so that what the code schedules can be compared exactly."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, start: datetime, *, running: bool = True) -> None:
        self._start = start
        self._running = running
        self._origin = time.monotonic()

    def __call__(self) -> datetime:
        if not self._running:
            return self._start
        return self._start + timedelta(seconds=time.monotonic() - self._origin)

    def jump(self, to: datetime) -> None:
        self._start = to
        self._origin = time.monotonic()

    def advance(self, delta: timedelta) -> None:
        self.jump(self() + delta)


class StaticSummarizer:
    """Summaries without summarizing: the hand-written one, titled after the paper.

    Counts its calls, so tests can check that each paper is summarized once per language.
    """

    name = "static"

    def __init__(self) -> None:
        self.calls: list[tuple[str, Language]] = []

    async def summarize(self, paper: Paper, language: Language) -> Summary:
        self.calls.append((paper.arxiv_id, language))
        return dataclasses.replace(
            make_summary(language), summarizer=self.name, takeaway=f"Takeaway of {paper.title}."
        )


def library(
    store: Store, summarizer: StaticSummarizer, source: ArxivSource | None = None
) -> Library:
    return Library(store, source or ArxivSource(UNUSED_ARXIV, 0.0, 1.0), summarizer)


async def execute(database_url: str, statement: str | Executable, **params: Any) -> list[Any]:
    """SQL on the test database, for setting what no command can (e.g. a past date)."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            query = text(statement) if isinstance(statement, str) else statement
            result = await conn.execute(query, params)
            return list(result.all()) if result.returns_rows else []
    finally:
        await engine.dispose()


async def subscribe(
    store: Store,
    database_url: str,
    chat: Chat,
    categories: list[str],
    *,
    since: datetime,
    include: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
) -> None:
    """Subscribe as if it had happened at `since` (the store stamps the real time)."""
    subs = await store.subscribe(chat.id, categories, include, exclude)
    ids = [sub.id for sub in subs]
    await execute(
        database_url,
        update(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.id.in_(ids)).values(created_at=since),
    )


async def states(database_url: str, chat: Chat | None = None) -> dict[str, str]:
    """Each delivery's state by paper ID (of one chat, or of all with `chat:paper` keys)."""
    rows = await execute(
        database_url,
        "SELECT d.chat_id, d.paper_id, d.state FROM deliveries d ORDER BY d.id",
    )
    if chat is not None:
        return {paper_id: state for chat_id, paper_id, state in rows if chat_id == chat.id}
    return {f"{chat_id}:{paper_id}": state for chat_id, paper_id, state in rows}


async def queue(store: Store, chat: Chat, papers: list[Paper]) -> None:
    """Store papers and queue them for the chat, in order, as discovery would."""
    await store.save_papers(papers)
    await store.enqueue_deliveries((chat.id, p.arxiv_id) for p in papers)
