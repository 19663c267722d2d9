"""What people can do with paperbell, whatever platform they use.

Adapters call `handle` with a command name and its argument text and get replies back;
☆ taps, favorites pages and inline sharing have their own entry points. Nothing here
knows how a platform draws a message.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.arxiv_calendar import next_mailing, public_at
from bot.arxiv_source import ArxivError
from bot.bibtex import to_bibtex
from bot.commands import (
    MAX_PAPERS_PER_COMMAND,
    UsageError,
    categories_text,
    help_text,
    parse_cap,
    parse_digest,
    parse_language,
    parse_subscribe,
    parse_unsubscribe,
    usage,
)
from bot.config import Language
from bot.ids import InvalidArxivId, parse_arxiv_ids
from bot.library import Library
from bot.replies import CardReply, Document, FavoritesPage, Notice, Reply
from bot.store import Chat, Store, Subscription
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


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _at(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%a %d %b %H:%M %Z")


def _subscription_text(sub: Subscription) -> str:
    text = sub.category
    if sub.include:
        text += " (only " + ", ".join(sub.include) + ")"
    if sub.exclude:
        text += " (not " + ", ".join(sub.exclude) + ")"
    return text


def _category_line(code: str) -> str:
    category = lookup(code)
    return f"{code} ({category.name})" if category else code


class Service:
    def __init__(
        self,
        store: Store,
        library: Library,
        default_language: Language,
        *,
        poll_interval: timedelta | None = None,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        """`poll_interval` lets `/status` say when the next poll comes; `now` is the clock."""
        self._store = store
        self._library = library
        self._default_language = default_language
        self._poll_interval = poll_interval
        self._now = now

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
            if command in ("subscribe", "unsubscribe", "lang", "digest", "cap"):
                if caller.chat_kind != "private" and not await can_manage():
                    return [Notice("Only chat administrators can change what this chat receives.")]
                if command == "subscribe":
                    return await self._subscribe(caller, args, prefix)
                if command == "unsubscribe":
                    return await self._unsubscribe(caller, args, prefix)
                if command == "digest":
                    return await self._set_digest(caller, args, prefix)
                if command == "cap":
                    return await self._set_cap(caller, args, prefix)
                return await self._set_language(caller, args, prefix)
            if command == "status":
                return await self._status(caller, prefix)
            if command == "categories":
                return [Notice(categories_text(args, prefix))]
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

    async def _set_digest(self, caller: Caller, args: str, prefix: str) -> list[Reply]:
        request = parse_digest(args, prefix)
        chat = await self._chat(caller)
        await self._store.set_digest(chat.id, request.time, request.timezone, now=self._now())
        if request.time is None:
            return [Notice("Digest off: each new paper arrives as its own card again.")]
        zone = request.timezone or chat.timezone
        return [
            Notice(
                f"From now on this chat gets one digest a day at {request.time} ({zone}) listing "
                f"the new papers, instead of one card each. {prefix}digest off to go back."
            )
        ]

    async def _set_cap(self, caller: Caller, args: str, prefix: str) -> list[Reply]:
        cap = parse_cap(args, prefix)
        chat = await self._chat(caller)
        await self._store.set_daily_cap(chat.id, cap)
        if cap is None:
            return [Notice("No daily limit: every new paper arrives as a card.")]
        return [
            Notice(
                f"At most {cap} cards a day here; the rest of a day's papers come together "
                "in one digest message."
            )
        ]

    async def _status(self, caller: Caller, prefix: str) -> list[Reply]:
        """What a quiet chat wonders about: is it set up, is the bot alive, when is arXiv next."""
        now = self._now()
        chat = await self._store.get_chat(caller.platform, caller.chat_id)
        zone = _zone(chat.timezone if chat else "UTC")
        lines = ["Status of this chat:"]
        subscriptions = await self._store.list_subscriptions(chat.id) if chat else []
        if subscriptions:
            lines.append("• Follows: " + "; ".join(_subscription_text(s) for s in subscriptions))
        else:
            lines.append(f"• Follows nothing yet: {prefix}subscribe CATEGORY to start.")
        if chat is not None and chat.digest_time:
            lines.append(f"• Delivery: one digest a day at {chat.digest_time} ({zone.key}).")
        elif chat is not None and chat.daily_cap:
            lines.append(f"• Delivery: cards, at most {chat.daily_cap} a day, then a digest.")
        else:
            lines.append("• Delivery: one card per paper.")
        if chat is not None:
            outbox = await self._store.chat_deliveries(chat.id)
            last = _at(outbox.last_sent_at, zone) if outbox.last_sent_at else "nothing yet"
            extra = f", {outbox.waiting} waiting" if outbox.waiting else ""
            extra += f", {outbox.failed} not delivered" if outbox.failed else ""
            lines.append(f"• Last delivery: {last}{extra}.")
        poll = await self._store.get_poll_state()
        lines.append("• " + self._poll_line(poll.last_poll_at, zone))
        if poll.last_mailing is not None:
            line = f"• Last arXiv announcement: {_at(public_at(poll.last_mailing), zone)}"
            if poll.last_mailing_seen_at is not None:
                line += f", received {_at(poll.last_mailing_seen_at, zone)}"
            lines.append(line + ".")
        lines.append(
            f"• Next arXiv announcement: {_at(public_at(next_mailing(now)), zone)} "
            "(none on Friday and Saturday evenings or holidays; dates are approximate)."
        )
        return [Notice("\n".join(lines))]

    def _poll_line(self, last_poll: datetime | None, zone: ZoneInfo) -> str:
        if last_poll is None:
            return "Not polled arXiv yet."
        line = f"Last poll of arXiv: {_at(last_poll, zone)}"
        if self._poll_interval is not None:
            line += f"; next about {_at(last_poll + self._poll_interval, zone)}"
        return line + "."

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

    async def subscriptions_of(
        self, platform: str, chat_ids: Iterable[str]
    ) -> dict[str, list[Subscription]]:
        """What each of someone's chats follows, for an overview such as Slack's App Home;
        chats without subscriptions are left out."""
        return await self._store.subscriptions_of_chats(platform, chat_ids)

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
