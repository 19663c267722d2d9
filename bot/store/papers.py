"""Papers and their summaries: stored once, however many chats receive them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.source.papers import Paper
from bot.store.base import PAPER_FIELDS, PAPERS, SUMMARIES, Repository, paper_record
from bot.summarize import Method, Summary
from bot.support.clock import utcnow
from bot.support.config import Language


class PapersRepository(Repository):
    async def save_papers(self, papers: Iterable[Paper]) -> set[str]:
        """Store papers; return the base IDs never stored before.

        A new version of a stored paper replaces its metadata but is not new: it was
        announced once already. An older version than the stored one changes nothing.
        """
        async with self._write() as conn:
            return await self._save_papers(conn, papers, utcnow())

    async def _save_papers(
        self, conn: AsyncConnection, papers: Iterable[Paper], now: datetime
    ) -> set[str]:
        latest: dict[str, Paper] = {}
        for paper in papers:
            seen = latest.get(paper.arxiv_id)
            if seen is None or paper.version >= seen.version:
                latest[paper.arxiv_id] = paper
        if not latest:
            return set()
        insert = (
            self._insert(PAPERS)
            .on_conflict_do_nothing(index_elements=[PAPERS.c.arxiv_id])
            .returning(PAPERS.c.arxiv_id)
        )
        refresh = (
            update(PAPERS)
            .where(
                PAPERS.c.arxiv_id == bindparam("new_arxiv_id"),
                PAPERS.c.version <= bindparam("new_version"),
            )
            .values({name: bindparam(f"new_{name}") for name in PAPER_FIELDS})
        )
        inserted = await conn.execute(
            insert, [{**_paper_values(p), "first_seen_at": now} for p in latest.values()]
        )
        new = set(inserted.scalars())
        known = [
            {f"new_{name}": value for name, value in _paper_values(paper).items()}
            for arxiv_id, paper in latest.items()
            if arxiv_id not in new
        ]
        if known:
            await conn.execute(refresh, known)
        return new

    async def get_paper(self, arxiv_id: str) -> Paper | None:
        return (await self.get_papers([arxiv_id])).get(arxiv_id)

    async def get_papers(self, arxiv_ids: Iterable[str]) -> dict[str, Paper]:
        wanted = set(arxiv_ids)
        if not wanted:
            return {}
        async with self._read() as conn:
            rows = await conn.execute(select(PAPERS).where(PAPERS.c.arxiv_id.in_(wanted)))
            return {row.arxiv_id: paper_record(row) for row in rows}

    # Summaries

    async def get_summary(
        self, paper_id: str, language: Language, summarizer: str
    ) -> Summary | None:
        query = select(SUMMARIES.c.payload).where(
            SUMMARIES.c.paper_id == paper_id,
            SUMMARIES.c.language == language,
            SUMMARIES.c.summarizer == summarizer,
        )
        async with self._read() as conn:
            payload = (await conn.execute(query)).scalar_one_or_none()
        if payload is None:
            return None
        return _summary_record(language, summarizer, payload)

    async def save_summary(self, paper_id: str, summary: Summary) -> None:
        """Store a summary; saving one for the same paper, language and summarizer replaces it.

        Two workers summarizing the same paper at once both succeed; the later one stays.
        """
        insert = self._insert(SUMMARIES).values(
            paper_id=paper_id,
            language=summary.language,
            summarizer=summary.summarizer,
            payload=_summary_payload(summary),
            created_at=utcnow(),
        )
        upsert = insert.on_conflict_do_update(
            index_elements=[SUMMARIES.c.paper_id, SUMMARIES.c.language, SUMMARIES.c.summarizer],
            set_={"payload": insert.excluded.payload, "created_at": insert.excluded.created_at},
        )
        async with self._write() as conn:
            await conn.execute(upsert)


def _paper_values(paper: Paper) -> dict[str, Any]:
    values = {name: getattr(paper, name) for name in PAPER_FIELDS}
    values["authors"] = list(paper.authors)
    values["categories"] = list(paper.categories)
    return values


def _summary_payload(summary: Summary) -> dict[str, Any]:
    """Everything but the language and summarizer, which are columns of their own."""
    payload = dataclasses.asdict(summary)
    del payload["language"], payload["summarizer"]
    return payload


def _summary_record(language: Language, summarizer: str, payload: dict[str, Any]) -> Summary:
    return Summary(
        language=language,
        summarizer=summarizer,
        takeaway=payload["takeaway"],
        keywords=tuple(payload["keywords"]),
        key_points=tuple(payload["key_points"]),
        method=Method(**payload["method"]),
        experiments=payload["experiments"],
        applications=payload["applications"],
        translated_abstract=payload["translated_abstract"],
    )
