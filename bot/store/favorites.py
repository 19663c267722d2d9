"""Per-user favorites: the one thing people make themselves, so never lost or shared."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select

from bot.store.base import FAVORITES, PAPERS, Repository, paper_record
from bot.store.records import FavoritePaper, UserFavorite
from bot.support.clock import utcnow


class FavoritesRepository(Repository):
    async def toggle_favorite(self, platform: str, user_id: str, paper_id: str) -> bool:
        """Flip a user's star on a paper; True when it is a favorite afterwards.

        If two taps by the same user race on PostgreSQL, both may find no star to remove;
        the unique constraint lets one insert count and the other answers with the state
        they both leave behind: a favorite.
        """
        async with self._write() as conn:
            removed = await conn.execute(
                delete(FAVORITES).where(*_favorite_key(platform, user_id, paper_id))
            )
            if removed.rowcount > 0:
                return False
            await conn.execute(
                self._insert(FAVORITES)
                .values(platform=platform, user_id=user_id, paper_id=paper_id, created_at=utcnow())
                .on_conflict_do_nothing(
                    index_elements=[FAVORITES.c.platform, FAVORITES.c.user_id, FAVORITES.c.paper_id]
                )
            )
            return True

    async def remove_favorite(self, platform: str, user_id: str, paper_id: str) -> bool:
        query = delete(FAVORITES).where(*_favorite_key(platform, user_id, paper_id))
        async with self._write() as conn:
            return (await conn.execute(query)).rowcount > 0

    async def is_favorite(self, platform: str, user_id: str, paper_id: str) -> bool:
        query = select(FAVORITES.c.id).where(*_favorite_key(platform, user_id, paper_id))
        async with self._read() as conn:
            return (await conn.execute(query)).first() is not None

    async def list_favorites(
        self, platform: str, user_id: str, *, offset: int = 0, limit: int = 10
    ) -> list[FavoritePaper]:
        """One page of a user's favorites, the most recently starred first."""
        query = (
            select(PAPERS, FAVORITES.c.created_at.label("favorited_at"))
            .join(FAVORITES, FAVORITES.c.paper_id == PAPERS.c.arxiv_id)
            .where(FAVORITES.c.platform == platform, FAVORITES.c.user_id == user_id)
            .order_by(FAVORITES.c.created_at.desc(), FAVORITES.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        async with self._read() as conn:
            rows = await conn.execute(query)
            return [
                FavoritePaper(paper=paper_record(row), favorited_at=row.favorited_at)
                for row in rows
            ]

    async def count_favorites(self, platform: str, user_id: str) -> int:
        query = select(func.count()).where(
            FAVORITES.c.platform == platform, FAVORITES.c.user_id == user_id
        )
        async with self._read() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def favorite_count(self, paper_id: str, platform: str) -> int:
        """How many users of a platform starred a paper."""
        query = select(func.count()).where(
            FAVORITES.c.paper_id == paper_id, FAVORITES.c.platform == platform
        )
        async with self._read() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def all_favorites(self) -> list[UserFavorite]:
        """Every favorite of every user, by platform and user, oldest first: a migration
        between databases carries them all."""
        query = (
            select(
                PAPERS,
                FAVORITES.c.platform,
                FAVORITES.c.user_id,
                FAVORITES.c.created_at.label("favorited_at"),
            )
            .join(FAVORITES, FAVORITES.c.paper_id == PAPERS.c.arxiv_id)
            .order_by(
                FAVORITES.c.platform, FAVORITES.c.user_id, FAVORITES.c.created_at, FAVORITES.c.id
            )
        )
        async with self._read() as conn:
            return [
                UserFavorite(row.platform, row.user_id, paper_record(row), row.favorited_at)
                for row in await conn.execute(query)
            ]


def _favorite_key(platform: str, user_id: str, paper_id: str) -> tuple[Any, ...]:
    return (
        FAVORITES.c.platform == platform,
        FAVORITES.c.user_id == user_id,
        FAVORITES.c.paper_id == paper_id,
    )
