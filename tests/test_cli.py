"""`paperbell` as a person runs it: a subprocess, its output and its exit code."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.cli import ROOT, heavy_imports, paperbell
from tests.fakes.papers import SEED_PAPER
from tests.fakes.telegram_html import validate_telegram_html

REFERENCE = ROOT / "tests" / "fixtures" / "seed-card-2508.08189.md"


@pytest.fixture
def arxiv() -> Iterator[FakeArxiv]:
    with FakeArxiv() as server:
        server.add(SEED_PAPER)
        yield server


def test_preview_prints_the_zh_card_with_the_reference_sections_in_order(
    arxiv: FakeArxiv, tmp_path: Path
) -> None:
    result = paperbell(
        "preview", "2508.08189", "--lang", "zh", "--format", "text",
        cwd=tmp_path, ARXIV_API_URL=arxiv.api_url,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    reference_headings = [
        line.split("## ", 1)[1].strip()
        for line in REFERENCE.read_text().splitlines()
        if line.startswith("## ")
    ]
    positions = [result.stdout.index(heading) for heading in reference_headings]
    assert positions == sorted(positions)
    assert SEED_PAPER.title in result.stdout
    assert "https://github.com/weijiawu/Awesome-Visual-Reinforcement-Learning" in result.stdout


def test_preview_in_telegram_format_prints_html_telegram_accepts(
    arxiv: FakeArxiv, tmp_path: Path
) -> None:
    result = paperbell(
        "preview", "arXiv:2508.08189", "--format", "telegram",
        cwd=tmp_path, ARXIV_API_URL=arxiv.api_url,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    validate_telegram_html(result.stdout.rstrip("\n"))


def test_preview_of_a_malformed_id_exits_2_without_asking_arxiv(
    arxiv: FakeArxiv, tmp_path: Path
) -> None:
    result = paperbell("preview", "banana", cwd=tmp_path, ARXIV_API_URL=arxiv.api_url)
    assert result.returncode == 2
    assert "banana" in result.stderr and "2508.08189" in result.stderr
    assert "Traceback" not in result.stderr
    assert arxiv.api_requests() == []


def test_preview_of_an_unknown_paper_says_it_was_not_found(
    arxiv: FakeArxiv, tmp_path: Path
) -> None:
    result = paperbell("preview", "2508.99999", cwd=tmp_path, ARXIV_API_URL=arxiv.api_url)
    assert result.returncode == 1
    assert "2508.99999" in result.stderr and "no paper" in result.stderr


def test_preview_with_arxiv_unreachable_exits_1_with_one_line_naming_the_url(
    tmp_path: Path,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/api/query"
    result = paperbell(
        "preview", "2508.08189", cwd=tmp_path, ARXIV_API_URL=dead, ARXIV_TIMEOUT="0.5"
    )
    assert result.returncode == 1
    assert dead in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_run_without_any_token_says_what_to_configure_on_one_screen(tmp_path: Path) -> None:
    result = paperbell("run", cwd=tmp_path)
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "SLACK_BOT_TOKEN" in result.stderr
    assert "paperbell preview" in result.stderr
    assert len(result.stderr.splitlines()) <= 24


def test_a_bad_setting_stops_start_up_with_one_line(tmp_path: Path) -> None:
    result = paperbell("run", cwd=tmp_path, POLL_INTERVAL_MINUTES="often")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "POLL_INTERVAL_MINUTES" in result.stderr


def test_db_upgrade_creates_the_sqlite_database_and_reports_the_revision(tmp_path: Path) -> None:
    result = paperbell("db", "upgrade", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "paperbell.db").exists()
    current = paperbell("db", "current", cwd=tmp_path)
    assert current.stdout.strip() and current.stdout.strip() in result.stdout


def test_help_imports_none_of_the_heavy_libraries(tmp_path: Path) -> None:
    assert heavy_imports("--help", cwd=tmp_path) == []


def test_a_malformed_preview_imports_none_of_the_heavy_libraries(tmp_path: Path) -> None:
    assert heavy_imports("preview", "not-an-id", cwd=tmp_path) == []


def test_a_preview_does_import_what_it_needs(tmp_path: Path) -> None:
    """The check above can fail: a command that fetches a paper imports arxiv's client."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/api/query"
    imported = heavy_imports(
        "preview", "2508.08189", cwd=tmp_path, ARXIV_API_URL=dead, ARXIV_TIMEOUT="0.5"
    )
    assert "arxiv" in imported
