"""The ranking commands (`/foryou`, `/rank`, `/forget`) and reactions on cards.

Everything answers about the caller alone: a `/foryou` in a group lists the caller's
papers and names no one else's favorites; `/forget` deletes only the caller's signals.
"""

from __future__ import annotations

from typing import Literal

from bot.chat.commands import parse_days, parse_switch
from bot.chat.replies import Confirm, ForYouList, Notice, Reply
from bot.match.rankers import Ranker
from bot.match.ranking import MIN_POSITIVES
from bot.store import Chat, Store
from bot.support.config import Language
from bot.words.ranking import RANKING_MESSAGES

FORGET_ACTION = "forget"
# What a reaction means: ☆ itself, or "more/less like this", which only feed the ranking.
Reaction = Literal["star", "more", "less"]


class RankingCommands:
    def __init__(self, store: Store, ranker: Ranker) -> None:
        self._store = store
        self._ranker = ranker

    async def for_you(
        self,
        platform: str,
        user_id: str,
        args: str,
        *,
        prefix: str,
        language: Language,
        name: str | None,
    ) -> list[Reply]:
        """The caller's best-ranked recent papers; `name` titles the list in a group."""
        messages = RANKING_MESSAGES[language]
        days = parse_days(args, prefix, language)
        found = await self._ranker.for_you(platform, user_id, days)
        if found.needed > 0:
            have = MIN_POSITIVES - found.needed
            return [Notice(messages.for_you_needs.format(have=have, need=found.needed))]
        if not found.suggestions:
            return [Notice(messages.for_you_empty.format(days=days))]
        title = (
            messages.for_you_group_title.format(name=name, days=days)
            if name
            else messages.for_you_title.format(days=days)
        )
        lines = [title, ""]
        for rank, suggestion in enumerate(found.suggestions, 1):
            paper = suggestion.paper
            lines.append(
                messages.for_you_entry.format(
                    rank=rank, title=paper.title, score=suggestion.score, why=suggestion.resembles
                )
            )
            lines.append(f"   {paper.abs_url}")
        papers = tuple(s.paper.arxiv_id for s in found.suggestions)
        return [ForYouList("\n".join(lines), papers)]

    async def set_ranking(
        self, chat: Chat, args: str, *, prefix: str, language: Language
    ) -> list[Reply]:
        messages = RANKING_MESSAGES[language]
        on = parse_switch(args, prefix, language)
        await self._store.set_ranking(chat.id, on=on)
        if not on:
            return [Notice(messages.rank_off)]
        members = await self._store.ranking_members(chat.id)
        ranked = [await self._ranker.model(chat.platform, user) for user in members]
        return [Notice(messages.rank_on if any(ranked) else messages.rank_waiting)]

    def ask_forget(self, user_id: str, language: Language) -> list[Reply]:
        messages = RANKING_MESSAGES[language]
        return [
            Confirm(
                messages.forget_confirm,
                FORGET_ACTION,
                user_id,
                messages.forget_button,
                messages.forget_cancel_button,
            )
        ]

    async def forget(self, platform: str, user_id: str, language: Language) -> str:
        forgotten = await self._ranker.forget(platform, user_id)
        return RANKING_MESSAGES[language].forgotten.format(
            favorites=forgotten.favorites, signals=forgotten.signals
        )

    async def language(self, platform: str, chat_external_id: str) -> Language:
        """The chat's language for answers given outside a command (a button's)."""
        chat = await self._store.get_chat(platform, chat_external_id)
        return chat.language if chat else "en"

    def cancelled(self, language: Language) -> str:
        return RANKING_MESSAGES[language].forget_cancelled

    async def react(
        self,
        platform: str,
        chat_external_id: str,
        user_id: str,
        message_id: str,
        reaction: Reaction,
        *,
        on: bool,
    ) -> bool:
        """A reaction put on (or taken off) a card; False when the message is no single card."""
        paper_id = await self._store.paper_of_message(platform, chat_external_id, message_id)
        if paper_id is None:
            return False
        if reaction == "star":
            starred = await self._store.is_favorite(platform, user_id, paper_id)
            if starred != on:
                await self._store.toggle_favorite(platform, user_id, paper_id)
        else:
            await self._store.set_signal(platform, user_id, paper_id, reaction, on=on)
        await self.note(platform, chat_external_id, user_id)
        return True

    def changed(self, platform: str, user_id: str) -> None:
        self._ranker.changed(platform, user_id)

    async def note(self, platform: str, chat_external_id: str, user_id: str) -> None:
        """The person's signal changed in this chat: it ranks the chat, and retrains soon."""
        chat = await self._store.get_chat(platform, chat_external_id)
        if chat is not None:
            await self._store.note_ranking_member(chat.id, user_id)
        self._ranker.changed(platform, user_id)
