"""`paperbell export-favorites`: every user's favorites, as JSON, from either database."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.ops.backup import export_favorites
from bot.store import Store
from bot.support.config import Settings
from tests.conftest import sqlite_url
from tests.fakes.papers import SEED_PAPER, make_paper

ROOT = Path(__file__).resolve().parent.parent


def paperbell_export(database_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
    env.update(PYTHONPATH=str(ROOT), DATABASE_URL=database_url)
    return subprocess.run(
        [sys.executable, "-m", "bot", "export-favorites"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_export_lists_every_users_favorites_on_every_platform(store: Store) -> None:
    other = make_paper(arxiv_id="2511.00042", title="Another paper", version=2)
    await store.save_papers([SEED_PAPER, other])
    starred = [
        ("telegram", "42", SEED_PAPER.arxiv_id),
        ("telegram", "42", other.arxiv_id),
        ("telegram", "7", other.arxiv_id),
        ("slack", "U0ALICE", SEED_PAPER.arxiv_id),
    ]
    for platform, user, paper in starred:
        await store.toggle_favorite(platform, user, paper)
    await store.toggle_favorite("slack", "U0BOB", other.arxiv_id)
    await store.toggle_favorite("slack", "U0BOB", other.arxiv_id)  # unstarred again

    exported = await export_favorites(store)

    assert (exported["format"], exported["version"]) == ("paperbell-favorites", 1)
    assert exported["count"] == len(starred)
    listed = [(f["platform"], f["user_id"], f["arxiv_id"]) for f in exported["favorites"]]
    assert sorted(listed) == sorted(starred)
    [entry] = [f for f in exported["favorites"] if f["user_id"] == "7"]
    assert entry["title"] == "Another paper"
    assert entry["version"] == 2
    assert entry["url"] == other.abs_url
    assert entry["authors"] == list(other.authors)
    assert datetime.fromisoformat(entry["favorited_at"]) <= datetime.now(UTC)


async def test_a_users_favorites_are_exported_in_the_order_they_were_starred(
    store: Store,
) -> None:
    papers = [make_paper(arxiv_id=f"2511.0010{n}") for n in range(5)]
    await store.save_papers(papers)
    for paper in reversed(papers):
        await store.toggle_favorite("telegram", "42", paper.arxiv_id)

    exported = await export_favorites(store)

    assert [f["arxiv_id"] for f in exported["favorites"]] == [p.arxiv_id for p in reversed(papers)]


async def test_the_command_prints_the_export_as_json(
    migrated_sqlite_template: Path, tmp_path: Path
) -> None:
    path = tmp_path / "paperbell.db"
    shutil.copyfile(migrated_sqlite_template, path)
    store = Store.connect(sqlite_url(path))
    try:
        await store.save_papers([SEED_PAPER])
        await store.toggle_favorite("slack", "U0ALICE", SEED_PAPER.arxiv_id)
    finally:
        await store.close()

    result = paperbell_export(sqlite_url(path), tmp_path)

    assert result.returncode == 0, result.stderr
    exported = json.loads(result.stdout)
    assert [(f["user_id"], f["title"]) for f in exported["favorites"]] == [
        ("U0ALICE", SEED_PAPER.title)
    ]


def test_an_unreachable_database_is_one_line_and_exit_1(tmp_path: Path) -> None:
    result = paperbell_export("postgresql://paperbell@127.0.0.1:9/paperbell", tmp_path)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("paperbell: cannot use the database DATABASE_URL=")
    assert "Connection refused" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
