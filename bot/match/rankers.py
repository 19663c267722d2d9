"""Who ranks a chat, and the models behind it: kept in memory, rebuilt from the store.

A private chat is ranked by its person, a group by the members who ☆-ed or reacted there
(their scores put on one scale and averaged, so no one member decides and none is named).
A chat with no member above `MIN_POSITIVES` keeps announcement order.

Models are never stored: a tap drops the person's model and retrains it in a worker thread
after `debounce` (several quick taps retrain once), so the tap's answer never waits for it.
Whatever is missing (after a restart, say) is trained when first needed. The shared
features are refitted on the newest stored papers every `refresh`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.match.ranking import MIN_POSITIVES, Features, Model, normalised, resembles, scores, train
from bot.source.papers import Paper
from bot.store import Chat, Store
from bot.store.signals import Forgotten
from bot.support.clock import Clock, utcnow

if TYPE_CHECKING:
    from scipy import sparse

FOR_YOU_SIZE = 10
TOP_SHARE = 4  # the best quarter of a mailing (at most TOP_MOST papers) counts as its top
TOP_MOST = 10
MAX_CACHED_PAPERS = 50_000


@dataclass(frozen=True, slots=True)
class ChatRanking:
    """Where each of a chat's papers ranks; `top` are marked in digests, `resembles`
    (private chats only) names the favorite each top paper is closest to."""

    ranks: dict[str, int]
    top: frozenset[str]
    resembles: dict[str, str]

    def position(self, paper_id: str) -> int:
        """Rank of a paper (0 is best); papers it never saw come after all it did."""
        return self.ranks.get(paper_id, len(self.ranks))


@dataclass(frozen=True, slots=True)
class Suggestion:
    paper: Paper
    score: float
    resembles: str


@dataclass(frozen=True, slots=True)
class ForYou:
    """A person's best-ranked recent papers, or (`needed` > 0) how many more ☆ it takes."""

    suggestions: tuple[Suggestion, ...]
    needed: int = 0


class Ranker:
    def __init__(
        self,
        store: Store,
        *,
        now: Clock = utcnow,
        debounce: timedelta = timedelta(seconds=2),
        background: int = 2_000,
        refresh: timedelta = timedelta(hours=12),
    ) -> None:
        self._store = store
        self._now = now
        self._debounce = debounce
        self._background = background
        self._refresh = refresh
        self._features: Features | None = None
        self._features_at: datetime | None = None
        self._models: dict[tuple[str, str], Model | None] = {}
        self._retraining: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._vectors: sparse.csr_matrix | None = None
        self._rows: dict[str, int] = {}
        self._lock = asyncio.Lock()

    async def features(self) -> Features:
        async with self._lock:
            now = self._now()
            if (
                self._features is None
                or self._features_at is None
                or now - self._features_at > self._refresh
            ):
                background = await self._store.recent_papers(limit=self._background)
                self._features = await asyncio.to_thread(Features, background)
                self._features_at = now
                self._models.clear()
                self._vectors = None
                self._rows = {}
            return self._features

    async def vectors(self, papers: Sequence[Paper]) -> sparse.csr_matrix:
        """The papers' vectors; each paper is vectorised once per features, however many
        chats and people rank it."""
        from scipy import sparse

        features = await self.features()
        new = list({p.arxiv_id: p for p in papers if p.arxiv_id not in self._rows}.values())
        if new or self._vectors is None:
            if len(self._rows) + len(new) > MAX_CACHED_PAPERS:
                self._vectors, self._rows = None, {}
                new = list({p.arxiv_id: p for p in papers}.values())
            added = await asyncio.to_thread(features.vectors, new)
            first = len(self._rows)
            self._vectors = (
                added
                if self._vectors is None
                else sparse.vstack([self._vectors, added], format="csr")
            )
            self._rows.update((p.arxiv_id, first + i) for i, p in enumerate(new))
        assert self._vectors is not None
        return self._vectors[[self._rows[p.arxiv_id] for p in papers]]

    async def model(self, platform: str, user_id: str) -> Model | None:
        features = await self.features()
        key = (platform, user_id)
        if key not in self._models:
            signals = await self._store.person_signals(platform, user_id)
            self._models[key] = await asyncio.to_thread(
                train, features, signals.favorites, signals.more, signals.less
            )
        return self._models[key]

    def changed(self, platform: str, user_id: str) -> None:
        """A person's signal changed: retrain them soon, off the caller's path."""
        key = (platform, user_id)
        pending = self._retraining.pop(key, None)
        if pending is not None:
            pending.cancel()
        # A model nobody has asked for yet is trained when first needed, not now.
        if key in self._models or pending is not None:
            self._models.pop(key, None)
            self._retraining[key] = asyncio.create_task(self._retrain(key))

    async def _retrain(self, key: tuple[str, str]) -> None:
        await asyncio.sleep(self._debounce.total_seconds())
        await self.model(*key)
        self._retraining.pop(key, None)

    async def settle(self) -> None:
        """Wait for the retraining in progress (tests; shutdown)."""
        while self._retraining:
            await asyncio.gather(*self._retraining.values(), return_exceptions=True)

    async def close(self) -> None:
        for task in self._retraining.values():
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*self._retraining.values(), return_exceptions=True)
        self._retraining.clear()

    async def forget(self, platform: str, user_id: str) -> Forgotten:
        key = (platform, user_id)
        pending = self._retraining.pop(key, None)
        if pending is not None:
            pending.cancel()
        forgotten = await self._store.forget_person(platform, user_id)
        self._models.pop(key, None)
        return forgotten

    async def rank_chat(
        self, chat: Chat, paper_ids: Sequence[str], *, private: bool
    ) -> ChatRanking | None:
        """The chat's ranking of its papers, or None: ranking is off, or no one has enough ☆.

        Cheap for the many chats nobody ranks: two small queries, no paper loaded."""
        import numpy as np

        if not paper_ids or not await self._store.ranking_on(chat.id):
            return None
        members = await self._store.ranking_members(chat.id)
        models = [m for m in [await self.model(chat.platform, u) for u in members] if m]
        if not models:
            return None
        stored = await self._store.get_papers(paper_ids)
        papers = [stored[i] for i in paper_ids if i in stored]
        if not papers:
            return None
        vectors = await self.vectors(papers)
        found = scores(await self.features(), models, vectors)
        combined = np.mean([normalised(found[:, i]) for i in range(len(models))], axis=0)
        order = np.argsort(-combined, kind="stable")
        top = order[: min(TOP_MOST, math.ceil(len(papers) / TOP_SHARE))]
        why: dict[str, str] = {}
        if private and len(models) == 1:
            for index in top:
                title = resembles(models[0], vectors[int(index)])
                if title is not None:
                    why[papers[int(index)].arxiv_id] = title
        return ChatRanking(
            {papers[int(i)].arxiv_id: rank for rank, i in enumerate(order)},
            frozenset(papers[int(i)].arxiv_id for i in top),
            why,
        )

    async def for_you(self, platform: str, user_id: str, days: int) -> ForYou:
        import numpy as np

        model = await self.model(platform, user_id)
        if model is None:
            signals = await self._store.person_signals(platform, user_id)
            have = len(signals.favorites) + len(signals.more)
            return ForYou((), needed=MIN_POSITIVES - have)
        starred = {
            p.arxiv_id for p in (await self._store.person_signals(platform, user_id)).favorites
        }
        recent = await self._store.papers_published_since(self._now() - timedelta(days=days))
        candidates = [p for p in recent if p.arxiv_id not in starred]
        if not candidates:
            return ForYou(())
        vectors = await self.vectors(candidates)
        found = scores(await self.features(), [model], vectors)[:, 0]
        best = np.argsort(-found, kind="stable")[:FOR_YOU_SIZE]
        return ForYou(
            tuple(
                Suggestion(
                    candidates[int(i)],
                    float(found[int(i)]),
                    resembles(model, vectors[int(i)]) or "",
                )
                for i in best
            )
        )
