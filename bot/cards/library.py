"""Papers and their cards, fetched and summarized once however many chats ask.

Both `/paper` and the scheduler go through here: the store first, arXiv only for what
the store lacks, and one summary per paper and language, shared by every chat.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from bot.cards.cards import Card, build_card
from bot.source.arxiv_source import ArxivSource
from bot.source.ids import ArxivId
from bot.source.papers import Paper
from bot.store import Store
from bot.summarize import Summarizer
from bot.support.config import Language


class Library:
    def __init__(self, store: Store, source: ArxivSource, summarizer: Summarizer) -> None:
        self._store = store
        self._source = source
        self._summarizer = summarizer
        self._summary_locks: dict[tuple[str, str], asyncio.Lock] = {}

    @property
    def summarizer(self) -> Summarizer:
        return self._summarizer

    @property
    def summarizer_name(self) -> str:
        """Which summaries are this library's own, for finding papers not summarized yet."""
        return self._summarizer.name

    async def papers(self, ids: Iterable[ArxivId]) -> dict[str, Paper]:
        """Papers by base ID; a requested newer version than the stored one is refetched."""
        wanted = {i.base: i for i in ids}
        known = await self._store.get_papers(list(wanted))
        stale = [
            i
            for base, i in wanted.items()
            if base not in known or (i.version is not None and i.version > known[base].version)
        ]
        if stale:
            fetched = await self._source.fetch(stale)
            await self._store.save_papers(fetched.values())
            known.update(fetched)
        return {base: known[base] for base in wanted if base in known}

    async def card(self, paper: Paper, language: Language) -> Card:
        """The paper's card in `language`, summarizing it only if no summary is stored yet."""
        key = (paper.arxiv_id, language)
        lock = self._summary_locks.setdefault(key, asyncio.Lock())
        async with lock:
            summary = await self._store.get_summary(paper.arxiv_id, language, self._summarizer.name)
            if summary is None:
                summary = await self._summarizer.summarize(paper, language)
                await self._store.save_summary(paper.arxiv_id, summary)
        if not lock.locked():
            self._summary_locks.pop(key, None)
        return build_card(paper, summary)
