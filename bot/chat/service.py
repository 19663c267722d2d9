"""What people can do with paperbell, whatever platform they use.

Adapters call `handle` with a command name and its argument text and get replies back;
☆ taps, favorites pages and inline sharing have their own entry points. Nothing here
knows how a platform draws a message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.cards.library import Library
from bot.chat.commands import (
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
from bot.chat.coverage import coverage_lines
from bot.chat.favorites import Favorites
from bot.chat.membership import Membership
from bot.chat.ranking import RankingCommands
from bot.chat.replies import CardReply, Notice, Reply
from bot.match.rankers import Ranker
from bot.source.arxiv_calendar import next_mailing, public_at
from bot.source.arxiv_source import ArxivError
from bot.source.ids import InvalidArxivId, parse_arxiv_ids
from bot.source.taxonomy import lookup
from bot.store import Chat, Store, Subscription
from bot.support.clock import Clock, utcnow, zone
from bot.support.config import Language
from bot.words.messages import MESSAGES, moment_text

ChatKind = Literal["private", "group", "channel"]


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is asking, and where. `user_id` is None for posts made as a channel."""

    platform: str
    chat_id: str
    chat_kind: ChatKind
    user_id: str | None
    chat_title: str | None = None
    user_name: str | None = None


def _at(moment: datetime, zone: ZoneInfo, language: Language) -> str:
    return moment_text(moment.astimezone(zone), language)


def _subscription_text(sub: Subscription, language: Language) -> str:
    messages = MESSAGES[language]
    text = sub.category
    if sub.include:
        text += messages.followed_only.format(words=", ".join(sub.include))
    if sub.exclude:
        text += messages.followed_not.format(words=", ".join(sub.exclude))
    return text


def _category_line(code: str) -> str:
    category = lookup(code)
    return f"{code} ({category.name})" if category else code


class Service(Membership, Favorites):
    def __init__(
        self,
        store: Store,
        library: Library,
        default_language: Language,
        *,
        poll_interval: timedelta | None = None,
        overdue_after: timedelta | None = None,
        replica_lease: timedelta = timedelta(seconds=60),
        now: Clock = utcnow,
        ranker: Ranker | None = None,
    ) -> None:
        """`poll_interval` lets `/status` say when the next poll comes, `overdue_after`
        when a mailing counts as overdue, `replica_lease` which replicas count as live;
        `now` is the clock; the `ranker` is shared with delivery (a service of its own has
        one of its own)."""
        self._overdue_after = overdue_after
        self._store = store
        self._replica_lease = replica_lease
        self._library = library
        self.default_language = default_language
        self._poll_interval = poll_interval
        self._now = now
        self.ranker = ranker or Ranker(store, now=now)
        self.ranking = RankingCommands(store, self.ranker)

    async def language_of(self, platform: str, chat_id: str) -> Language:
        chat = await self._store.get_chat(platform, chat_id)
        return chat.language if chat else self.default_language

    async def handle(
        self,
        caller: Caller,
        command: str,
        args: str,
        *,
        can_manage: Callable[[], Awaitable[bool]],
        prefix: str = "/",
    ) -> list[Reply]:
        """Run one command; bad input becomes a Notice explaining it, never an exception.

        Replies are in the chat's language, like its cards."""
        language = await self.language_of(caller.platform, caller.chat_id)
        messages = MESSAGES[language]
        try:
            if command in ("start", "help"):
                return [Notice(help_text(prefix, language))]
            if command in ("foryou", "forget") and caller.user_id is None:
                return [Notice(messages.favorites_need_a_person)]
            if command == "foryou" and caller.user_id is not None:
                name = caller.user_name if caller.chat_kind != "private" else None
                return await self.ranking.for_you(
                    caller.platform,
                    caller.user_id,
                    args,
                    prefix=prefix,
                    language=language,
                    name=name,
                )
            if command == "forget" and caller.user_id is not None:
                return self.ranking.ask_forget(caller.user_id, language)
            if command in ("subscribe", "unsubscribe", "lang", "digest", "cap", "rank"):
                if caller.chat_kind != "private" and not await can_manage():
                    return [Notice(messages.admins_only)]
                if command == "subscribe":
                    return await self._subscribe(caller, args, prefix, language)
                if command == "unsubscribe":
                    return await self._unsubscribe(caller, args, prefix, language)
                if command == "digest":
                    return await self._set_digest(caller, args, prefix, language)
                if command == "cap":
                    return await self._set_cap(caller, args, prefix, language)
                if command == "rank":
                    chat = await self._chat(caller)
                    return await self.ranking.set_ranking(
                        chat, args, prefix=prefix, language=language
                    )
                return await self._set_language(caller, args, prefix, language)
            if command == "status":
                return await self._status(caller, prefix, language)
            if command == "categories":
                return [Notice(categories_text(args, prefix, language))]
            if command in ("subscriptions", "list"):
                return await self._subscriptions(caller, prefix, language)
            if command == "paper":
                return await self._papers(caller, args, prefix, language)
            if command in ("favorites", "export"):
                if caller.user_id is None:
                    return [Notice(messages.favorites_need_a_person)]
                if command == "favorites":
                    return [await self.favorites_page(caller.platform, caller.user_id, 1)]
                return [await self.export(caller.platform, caller.user_id, language)]
        except UsageError as exc:
            return [Notice(str(exc))]
        return [Notice(messages.unknown_command.format(prefix=prefix, command=command))]

    async def _chat(self, caller: Caller) -> Chat:
        return await self._store.ensure_chat(
            caller.platform,
            caller.chat_id,
            title=caller.chat_title,
            language=self.default_language,
        )

    async def _subscribe(
        self, caller: Caller, args: str, prefix: str, language: Language
    ) -> list[Reply]:
        request = parse_subscribe(args, prefix, language)
        chat = await self._chat(caller)
        await self._store.subscribe(chat.id, request.categories, request.include, request.exclude)
        for topic in request.topics:
            await self._store.set_topic(chat.id, topic.name, topic.terms)
        messages = MESSAGES[language]
        lines = [messages.subscribed]
        lines += [f"• {_category_line(c)}" for c in request.categories]
        if request.include:
            lines.append(messages.only_mentioning.format(words=", ".join(request.include)))
        if request.exclude:
            lines.append(messages.skipping_mentioning.format(words=", ".join(request.exclude)))
        if request.topics:
            lines.append(messages.topics.format(topics=", ".join(t.name for t in request.topics)))
        lines.append(messages.arrives_next_announcement)
        return [Notice("\n".join(lines))]

    async def _unsubscribe(
        self, caller: Caller, args: str, prefix: str, language: Language
    ) -> list[Reply]:
        request = parse_unsubscribe(args, prefix, language)
        messages = MESSAGES[language]
        chat = await self._store.get_chat(caller.platform, caller.chat_id)
        if chat is None:
            return [
                Notice(messages.no_subscriptions.format(usage=usage("subscribe", prefix, language)))
            ]
        removed_topics = [t for t in request.topics if await self._store.remove_topic(chat.id, t)]
        removed: list[str] = []
        if request.categories or not request.topics:
            removed = await self._store.unsubscribe(chat.id, request.categories or None)
        if not removed and not removed_topics:
            return [Notice(messages.nothing_to_remove)]
        parts = []
        if removed:
            parts.append(messages.unsubscribed.format(categories=", ".join(removed)))
        if removed_topics:
            parts.append(messages.removed_topics.format(topics=", ".join(removed_topics)))
        return [Notice(" ".join(parts))]

    async def _subscriptions(self, caller: Caller, prefix: str, language: Language) -> list[Reply]:
        messages = MESSAGES[language]
        chat = await self._store.get_chat(caller.platform, caller.chat_id)
        subscriptions = await self._store.list_subscriptions(chat.id) if chat else []
        if chat is None or not subscriptions:
            return [
                Notice(
                    messages.no_subscriptions_yet.format(usage=usage("subscribe", prefix, language))
                )
            ]
        card_language = chat.language
        lines = [
            messages.receives.format(
                code=card_language, name=messages.language_names[card_language]
            )
        ]
        for sub in subscriptions:
            line = f"• {_category_line(sub.category)}"
            if sub.include:
                line += messages.listed_only.format(words=", ".join(sub.include))
            if sub.exclude:
                line += messages.listed_not.format(words=", ".join(sub.exclude))
            lines.append(line)
        topics = await self._store.list_topics(chat.id)
        if topics:
            listed = "; ".join(f"{t.name} ({', '.join(t.terms)})" for t in topics)
            lines.append(messages.topics.format(topics=listed))
        return [Notice("\n".join(lines))]

    async def _set_language(
        self, caller: Caller, args: str, prefix: str, language: Language
    ) -> list[Reply]:
        chosen = parse_language(args, prefix, language)
        chat = await self._chat(caller)
        await self._store.set_language(chat.id, chosen)
        messages = MESSAGES[chosen]
        return [Notice(messages.language_set.format(name=messages.language_names[chosen]))]

    async def _set_digest(
        self, caller: Caller, args: str, prefix: str, language: Language
    ) -> list[Reply]:
        request = parse_digest(args, prefix, language)
        chat = await self._chat(caller)
        await self._store.set_digest(chat.id, request.time, request.timezone, now=self._now())
        messages = MESSAGES[language]
        if request.time is None:
            return [Notice(messages.digest_off)]
        zone = request.timezone or chat.timezone
        return [Notice(messages.digest_on.format(time=request.time, zone=zone, prefix=prefix))]

    async def _set_cap(
        self, caller: Caller, args: str, prefix: str, language: Language
    ) -> list[Reply]:
        cap = parse_cap(args, prefix, language)
        chat = await self._chat(caller)
        await self._store.set_daily_cap(chat.id, cap)
        messages = MESSAGES[language]
        if cap is None:
            return [Notice(messages.cap_off)]
        return [Notice(messages.cap_on.format(cap=cap))]

    async def _status(self, caller: Caller, prefix: str, language: Language) -> list[Reply]:
        """What a quiet chat wonders about: is it set up, is the bot alive, when is arXiv next."""
        messages = MESSAGES[language]
        now = self._now()
        chat = await self._store.get_chat(caller.platform, caller.chat_id)
        chat_zone = zone(chat.timezone if chat else "UTC")
        lines = [messages.status_title]
        subscriptions = await self._store.list_subscriptions(chat.id) if chat else []
        if subscriptions:
            followed = "; ".join(_subscription_text(s, language) for s in subscriptions)
            lines.append(messages.follows.format(subscriptions=followed))
        else:
            lines.append(messages.follows_nothing.format(prefix=prefix))
        if chat is not None and chat.digest_time:
            lines.append(messages.delivery_digest.format(time=chat.digest_time, zone=chat_zone.key))
        elif chat is not None and chat.daily_cap:
            lines.append(messages.delivery_cap.format(cap=chat.daily_cap))
        else:
            lines.append(messages.delivery_cards)
        if chat is not None:
            outbox = await self._store.chat_deliveries(chat.id)
            last = outbox.last_sent_at
            lines.append(
                messages.last_delivery.format(
                    last=_at(last, chat_zone, language) if last else messages.nothing_yet,
                    waiting=messages.waiting.format(count=outbox.waiting) if outbox.waiting else "",
                    not_delivered=(
                        messages.not_delivered.format(count=outbox.failed) if outbox.failed else ""
                    ),
                )
            )
        poll = await self._store.get_poll_state()
        lines.append(self._poll_line(poll.last_poll_at, chat_zone, language))
        lines.append(await self._replicas_line(language))
        if poll.last_mailing is not None:
            announced = _at(public_at(poll.last_mailing), chat_zone, language)
            if poll.last_mailing_seen_at is None:
                lines.append(messages.last_announcement.format(at=announced))
            else:
                seen = _at(poll.last_mailing_seen_at, chat_zone, language)
                lines.append(messages.last_announcement_received.format(at=announced, seen=seen))
        categories = [s.category for s in subscriptions]
        lines += await coverage_lines(
            self._store, chat, categories, language, now, self._overdue_after
        )
        next_at = _at(public_at(next_mailing(now)), chat_zone, language)
        lines.append(messages.next_announcement.format(at=next_at))
        return [Notice("\n".join(lines))]

    async def _replicas_line(self, language: Language) -> str:
        """Which replica polls arXiv and how many send: "is anyone on duty" at a glance."""
        messages = MESSAGES[language]
        view = await self._store.replica_view(now=self._now(), live_within=self._replica_lease)
        if view.poll_leader is None:
            return messages.replicas_no_poller.format(count=view.dispatchers)
        return messages.replicas.format(leader=view.poll_leader, count=view.dispatchers)

    def _poll_line(self, last_poll: datetime | None, zone: ZoneInfo, language: Language) -> str:
        messages = MESSAGES[language]
        if last_poll is None:
            return messages.not_polled
        at = _at(last_poll, zone, language)
        if self._poll_interval is None:
            return messages.last_poll.format(at=at)
        next_at = _at(last_poll + self._poll_interval, zone, language)
        return messages.last_poll_and_next.format(at=at, next=next_at)

    async def _papers(
        self, caller: Caller, args: str, prefix: str, language: Language
    ) -> list[Reply]:
        messages = MESSAGES[language]
        if not args.strip():
            return [Notice(usage("paper", prefix, language))]
        try:
            ids = parse_arxiv_ids(args)
        except InvalidArxivId as exc:
            return [Notice(messages.not_an_id.format(text=exc.shown))]
        replies: list[Reply] = []
        if len(ids) > MAX_PAPERS_PER_COMMAND:
            replies.append(
                Notice(messages.showing_first.format(shown=MAX_PAPERS_PER_COMMAND, total=len(ids)))
            )
            ids = ids[:MAX_PAPERS_PER_COMMAND]
        try:
            papers = await self._library.papers(ids)
        except ArxivError as exc:
            return [Notice(messages.arxiv_down.format(error=exc))]
        for arxiv_id in ids:
            paper = papers.get(arxiv_id.base)
            if paper is None:
                replies.append(Notice(messages.no_such_paper.format(arxiv_id=arxiv_id)))
            else:
                replies.append(CardReply(await self._library.card(paper, language)))
        return replies

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
