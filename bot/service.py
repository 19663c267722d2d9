"""What people can do with paperbell, whatever platform they use.

Adapters call `handle` with a command name and its argument text and get replies back;
☆ taps, favorites pages and inline sharing have their own entry points. Nothing here
knows how a platform draws a message.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from bot.arxiv_source import ArxivError
from bot.bibtex import to_bibtex
from bot.commands import (
    MAX_PAPERS_PER_COMMAND,
    UsageError,
    help_text,
    parse_language,
    parse_subscribe,
    parse_unsubscribe,
    usage,
)
from bot.config import Language
from bot.ids import InvalidArxivId, parse_arxiv_ids
from bot.library import Library
from bot.replies import CardReply, Document, FavoritesPage, Notice, Reply
from bot.store import Chat, Store
from bot.taxonomy import lookup

ChatKind = Literal["private", "group", "channel"]
FAVORITES_PER_PAGE = 5


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking, and where. `user_id` is None for posts made as a channel."""

    platform: str
    chat_id: str
    chat_kind: ChatKind
    user_id: str | None
    chat_title: str | None = None


@dataclass(frozen=True, slots=True)
class FavoriteToggle:
    saved: bool
    title: str
    count: int


class UnknownPaper(LookupError):
    """A button or query named a paper the store does not hold (forged or stale)."""


def _category_line(code: str) -> str:
    category = lookup(code)
    return f"{code} ({category.name})" if category else code


class Service:
    def __init__(self, store: Store, library: Library, default_language: Language) -> None:
        self._store = store
        self._library = library
        self._default_language = default_language

    async def language_of(self, platform: str, chat_id: str) -> Language:
        chat = await self._store.get_chat(platform, chat_id)
        return chat.language if chat else self._default_language

    async def handle(
        self,
        caller: Caller,
        command: str,
        args: str,
        *,
        can_manage: Callable[[], Awaitable[bool]],
        prefix: str = "/",
    ) -> list[Reply]:
        """Run one command; bad input becomes a Notice explaining it, never an exception."""
        try:
            if command in ("start", "help"):
                return [Notice(help_text(prefix))]
            if command in ("subscribe", "unsubscribe", "lang"):
                if caller.chat_kind != "private" and not await can_manage():
                    return [Notice("Only chat administrators can change what this chat receives.")]
                if command == "subscribe":
                    return await self._subscribe(caller, args, prefix)
                if command == "unsubscribe":
                    return await self._unsubscribe(caller, args, prefix)
                return await self._set_language(caller, args, prefix)
            if command in ("subscriptions", "list"):
                return await self._subscriptions(caller, prefix)
            if command == "paper":
                return await self._papers(caller, args, prefix)
            if command in ("favorites", "export"):
                if caller.user_id is None:
                    return [Notice("Favorites belong to people; ask in a private chat or group.")]
                if command == "favorites":
                    return [await self.favorites_page(caller.platform, caller.user_id, 1)]
                return [await self._export(caller.platform, caller.user_id)]
        except UsageError as exc:
            return [Notice(str(exc))]
        return [Notice(f"Unknown command {prefix}{command}. Send {prefix}help for the list.")]

    async def _chat(self, caller: Caller) -> Chat:
        return await self._store.ensure_chat(
            caller.platform,
            caller.chat_id,
            title=caller.chat_title,
            language=self._default_language,
        )

    async def _subscribe(self, caller: Caller, args: str, prefix: str) -> list[Reply]:
        request = parse_subscribe(args, prefix)
        chat = await self._chat(caller)
        await self._store.subscribe(chat.id, request.categories, request.include, request.exclude)
        for topic in request.topics:
            await self._store.set_topic(chat.id, topic.name, topic.terms)
        lines = ["Subscribed this chat to:"]
        lines += [f"• {_category_line(c)}" for c in request.categories]
        if request.include:
            lines.append("Only papers mentioning: " + ", ".join(request.include))
        if request.exclude:
            lines.append("Skipping papers mentioning: " + ", ".join(request.exclude))
        if request.topics:
            lines.append("Topics: " + ", ".join(t.name for t in request.topics))
        lines.append("New papers arrive with the next arXiv announcement.")
        return [Notice("\n".join(lines))]

    async def _unsubscribe(self, caller: Caller, args: str, prefix: str) -> list[Reply]:
        request = parse_unsubscribe(args, prefix)
        chat = await self._store.get_chat(caller.platform, caller.chat_id)
        if chat is None:
            return [Notice(f"This chat has no subscriptions. {usage('subscribe', prefix)}")]
        removed_topics = [t for t in request.topics if await self._store.remove_topic(chat.id, t)]
        removed: list[str] = []
        if request.categories or not request.topics:
            removed = await self._store.unsubscribe(chat.id, request.categories or None)
        if not removed and not removed_topics:
            return [Notice("Nothing to remove: this chat was not subscribed to that.")]
        parts = []
        if removed:
            parts.append("Unsubscribed from " + ", ".join(removed) + ".")
        if removed_topics:
            parts.append("Removed topics: " + ", ".join(removed_topics) + ".")
        return [Notice(" ".join(parts))]

    async def _subscriptions(self, caller: Caller, prefix: str) -> list[Reply]:
        chat = await self._store.get_chat(caller.platform, caller.chat_id)
        subscriptions = await self._store.list_subscriptions(chat.id) if chat else []
        if chat is None or not subscriptions:
            return [Notice(f"This chat has no subscriptions yet.\n{usage('subscribe', prefix)}")]
        lines = [f"This chat receives ({chat.language} cards):"]
        for sub in subscriptions:
            line = f"• {_category_line(sub.category)}"
            if sub.include:
                line += " — only " + ", ".join(sub.include)
            if sub.exclude:
                line += " — not " + ", ".join(sub.exclude)
            lines.append(line)
        topics = await self._store.list_topics(chat.id)
        if topics:
            lines.append("Topics: " + "; ".join(f"{t.name} ({', '.join(t.terms)})" for t in topics))
        return [Notice("\n".join(lines))]

    async def _set_language(self, caller: Caller, args: str, prefix: str) -> list[Reply]:
        language = parse_language(args, prefix)
        chat = await self._chat(caller)
        await self._store.set_language(chat.id, language)  # type: ignore[arg-type]
        return [
            Notice(f"Cards in this chat are now in {'English' if language == 'en' else '中文'}.")
        ]

    async def _papers(self, caller: Caller, args: str, prefix: str) -> list[Reply]:
        if not args.strip():
            return [Notice(usage("paper", prefix))]
        try:
            ids = parse_arxiv_ids(args)
        except InvalidArxivId as exc:
            return [Notice(str(exc))]
        replies: list[Reply] = []
        if len(ids) > MAX_PAPERS_PER_COMMAND:
            replies.append(
                Notice(f"Showing the first {MAX_PAPERS_PER_COMMAND} of {len(ids)} papers.")
            )
            ids = ids[:MAX_PAPERS_PER_COMMAND]
        try:
            papers = await self._library.papers(ids)
        except ArxivError as exc:
            return [Notice(f"arXiv did not answer, try again in a minute. ({exc})")]
        language = await self.language_of(caller.platform, caller.chat_id)
        for arxiv_id in ids:
            paper = papers.get(arxiv_id.base)
            if paper is None:
                replies.append(Notice(f"arXiv has no paper {arxiv_id}."))
            else:
                replies.append(CardReply(await self._library.card(paper, language)))
        return replies

    async def favorites_page(self, platform: str, user_id: str, page: int) -> FavoritesPage:
        total = await self._store.count_favorites(platform, user_id)
        pages = max(1, math.ceil(total / FAVORITES_PER_PAGE))
        page = min(max(1, page), pages)
        entries = await self._store.list_favorites(
            platform, user_id, offset=(page - 1) * FAVORITES_PER_PAGE, limit=FAVORITES_PER_PAGE
        )
        return FavoritesPage(tuple(entries), page, pages, total)

    async def _export(self, platform: str, user_id: str) -> Reply:
        total = await self._store.count_favorites(platform, user_id)
        if total == 0:
            return Notice("You have no favorites yet. Tap ☆ under a card to add one.")
        favorites = await self._store.list_favorites(platform, user_id, offset=0, limit=total)
        content = to_bibtex(f.paper for f in favorites).encode()
        return Document("paperbell-favorites.bib", content, f"{total} favorite papers (BibTeX)")

    async def toggle_favorite(self, platform: str, user_id: str, paper_id: str) -> FavoriteToggle:
        paper = await self._store.get_paper(paper_id)
        if paper is None:
            raise UnknownPaper(paper_id)
        saved = await self._store.toggle_favorite(platform, user_id, paper_id)
        count = await self._store.favorite_count(paper_id, platform)
        return FavoriteToggle(saved, paper.title, count)

    async def remove_favorite(self, platform: str, user_id: str, paper_id: str) -> bool:
        return await self._store.remove_favorite(platform, user_id, paper_id)

    async def share_cards(self, query: str, language: Language) -> list[CardReply]:
        """Cards for an inline share query; anything that is not an ID yields nothing."""
        try:
            ids = parse_arxiv_ids(query)[:MAX_PAPERS_PER_COMMAND]
            papers = await self._library.papers(ids)
        except (InvalidArxivId, ArxivError):
            return []
        return [
            CardReply(await self._library.card(papers[i.base], language))
            for i in ids
            if i.base in papers
        ]
