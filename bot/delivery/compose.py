"""What a chat is sent for its queued papers: each paper's card as this chat sees it, or a
digest of several, best-ranked first when the chat's people rank.

Built lazily (`Prepare`), once the dispatcher holds the chat and has waited out its limits,
so a message is composed from the store as it is at send time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

from bot.cards.library import Library
from bot.delivery.platforms import DigestEntry, Platform
from bot.match.matching import matched_topics
from bot.match.rankers import ChatRanking
from bot.source.papers import Paper
from bot.store import Chat, Store, Topic
from bot.store.records import OutboxEntry
from bot.words.ranking import RANKING_MESSAGES

Send = Callable[[], Awaitable[str]]
Prepare = Callable[[], Awaitable[Send]]


class Composer:
    def __init__(self, store: Store, library: Library, platforms: Mapping[str, Platform]) -> None:
        self._store = store
        self._library = library
        self._platforms = platforms

    def card(
        self,
        chat: Chat,
        entry: OutboxEntry,
        topics: Sequence[Topic],
        ranking: ChatRanking | None,
    ) -> Prepare:
        async def prepare() -> Send:
            paper = await self._paper(entry.paper_id)
            card = await self._library.card(paper, chat.language)
            card = card.for_topics(matched_topics(paper, topics))
            if entry.late:
                card = card.as_late()
            favorite = ranking.resembles.get(paper.arxiv_id) if ranking else None
            if favorite:
                line = RANKING_MESSAGES[chat.language].resembles.format(title=favorite)
                card = card.with_topic_line(line)
            platform = self._platforms[chat.platform]
            return lambda: platform.send_card(chat.external_id, card)

        return prepare

    def digest(
        self,
        chat: Chat,
        batch: Sequence[OutboxEntry],
        title: str,
        ranking: ChatRanking | None,
    ) -> Prepare:
        async def prepare() -> Send:
            listed = []
            for entry in batch:
                paper = await self._paper(entry.paper_id)
                takeaway = (await self._library.card(paper, chat.language)).section("takeaway")
                top = ranking is not None and paper.arxiv_id in ranking.top
                listed.append(DigestEntry(paper, takeaway.text if takeaway else "", top))
            platform = self._platforms[chat.platform]
            return lambda: platform.send_digest(chat.external_id, title, listed, chat.language)

        return prepare

    async def _paper(self, paper_id: str) -> Paper:
        paper = await self._store.get_paper(paper_id)
        if paper is None:
            raise LookupError(f"paper {paper_id} is queued but not stored")
        return paper


def best_first(entries: Sequence[OutboxEntry], ranking: ChatRanking | None) -> list[OutboxEntry]:
    """Entries best-ranked first; queue order without a ranking, and among unranked ones."""
    if ranking is None:
        return list(entries)
    return sorted(entries, key=lambda entry: ranking.position(entry.paper_id))
