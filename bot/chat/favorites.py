"""Each person's ☆: toggled from any card, paged through, exported as BibTeX, forgotten.

Favorites belong to a person (platform + user), not to the chat the ☆ was tapped in, so the
same list follows them from a group to a private chat; the chat only decides whose ranking
the tap also feeds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bot.chat.ranking import RankingCommands
from bot.chat.replies import Document, FavoritesPage, Notice, Reply
from bot.render.bibtex import to_bibtex
from bot.store import Store
from bot.support.config import Language
from bot.words.messages import MESSAGES

FAVORITES_PER_PAGE = 5


@dataclass(frozen=True, slots=True)
class FavoriteToggle:
    saved: bool
    title: str
    count: int


class UnknownPaper(LookupError):
    """A button or query named a paper the store does not hold (forged or stale)."""


class Favorites:
    """Mixed into `Service`, beside `Membership`."""

    _store: Store
    ranking: RankingCommands

    async def favorites_page(self, platform: str, user_id: str, page: int) -> FavoritesPage:
        total = await self._store.count_favorites(platform, user_id)
        pages = max(1, math.ceil(total / FAVORITES_PER_PAGE))
        page = min(max(1, page), pages)
        entries = await self._store.list_favorites(
            platform, user_id, offset=(page - 1) * FAVORITES_PER_PAGE, limit=FAVORITES_PER_PAGE
        )
        return FavoritesPage(tuple(entries), page, pages, total)

    async def export(self, platform: str, user_id: str, language: Language) -> Reply:
        messages = MESSAGES[language]
        total = await self._store.count_favorites(platform, user_id)
        if total == 0:
            return Notice(messages.no_favorites)
        favorites = await self._store.list_favorites(platform, user_id, offset=0, limit=total)
        content = to_bibtex(f.paper for f in favorites).encode()
        return Document(
            "paperbell-favorites.bib", content, messages.export_caption.format(total=total)
        )

    async def toggle_favorite(
        self, platform: str, user_id: str, paper_id: str, *, chat_id: str | None = None
    ) -> FavoriteToggle:
        """Flip a ☆; `chat_id` is where it was tapped, whose ranking the person joins."""
        paper = await self._store.get_paper(paper_id)
        if paper is None:
            raise UnknownPaper(paper_id)
        saved = await self._store.toggle_favorite(platform, user_id, paper_id)
        count = await self._store.favorite_count(paper_id, platform)
        if chat_id is not None:
            await self.ranking.note(platform, chat_id, user_id)
        return FavoriteToggle(saved, paper.title, count)

    async def is_favorite(self, platform: str, user_id: str, paper_id: str) -> bool:
        return await self._store.is_favorite(platform, user_id, paper_id)

    async def remove_favorite(self, platform: str, user_id: str, paper_id: str) -> bool:
        removed = await self._store.remove_favorite(platform, user_id, paper_id)
        self.ranking.changed(platform, user_id)
        return removed
