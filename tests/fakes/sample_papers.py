"""Real arXiv papers from `tests/fixtures/arxiv-sample.jsonl.gz`, as the store keeps them.

The sample is cs.CV: every paper announced on 2025-11-26 (the mailing the tests rank,
10 of its 158 cross-listed to cs.RO) and the five weeks before it (500 papers without
cs.RO and the last 40 with it: favorites and background). `bench/rank.py` reads the full
data set in the same format when it sits beside the repository.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

from bot.source.papers import Paper

SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "arxiv-sample.jsonl.gz"
MAILING_DAY = "2025-11-26"


def load_papers(path: Path = SAMPLE) -> list[Paper]:
    """Papers in the data set's order (announcement day, then ID)."""
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [to_paper(json.loads(line)) for line in lines]


def to_paper(record: dict[str, object]) -> Paper:
    day = datetime.fromisoformat(str(record["published"])).replace(tzinfo=UTC)
    categories = tuple(str(c) for c in record["categories"])  # type: ignore[attr-defined]
    return Paper(
        arxiv_id=str(record["id"]),
        version=1,
        title=str(record["title"]),
        authors=tuple(str(a) for a in record["authors"]),  # type: ignore[attr-defined]
        abstract=str(record["abstract"]),
        primary_category=categories[0],
        categories=categories,
        published=day,
        updated=day,
        comment=str(record["comment"]) if record.get("comment") else None,
    )
