"""`paperbell export-favorites`: every user's favorites as JSON, to carry between databases.

Favorites are the one thing users make themselves: papers and summaries come back from
arXiv, subscriptions are a command away, but a year of ☆ taps is not. Whole-database
backups (SQLite's online backup, `pg_dump`) are documented in the README; this export is
what survives a move from SQLite to PostgreSQL or between deployments, readable by any
tool, with enough of each paper to know it without arXiv.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.store import Store

FORMAT = "paperbell-favorites"
VERSION = 1


async def export_favorites(store: Store, *, now: datetime | None = None) -> dict[str, Any]:
    favorites = await store.all_favorites()
    return {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": (now or datetime.now(UTC)).isoformat(),
        "count": len(favorites),
        "favorites": [
            {
                "platform": favorite.platform,
                "user_id": favorite.user_id,
                "arxiv_id": favorite.paper.arxiv_id,
                "version": favorite.paper.version,
                "title": favorite.paper.title,
                "authors": list(favorite.paper.authors),
                "url": favorite.paper.abs_url,
                "favorited_at": favorite.favorited_at.isoformat(),
            }
            for favorite in favorites
        ],
    }
