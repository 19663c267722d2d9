"""Command replies under Slack's rate limits: a card still refused after the client has
waited out Retry-After is dropped with one log line, and the bot goes on answering."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.fakes.papers import SEED_PAPER
from tests.fakes.slack_app import nth_response, running_slack, texts
from tests.fakes.slack_server import RateLimit

# Slack's Retry-After as 0 seconds, so the client's own retries do not slow the test.
NO_WAIT = RateLimit(per_second=100, burst=100, retry_after=0)


async def test_a_card_slack_keeps_refusing_is_dropped_with_one_log_line_not_a_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_slack(tmp_path, (SEED_PAPER,), rate_limit=NO_WAIT) as app:
        for _ in range(4):  # the first try and the client's three retries
            app.slack.fail_next("chat.postMessage", http_status=429)
        await app.command(f"paper {SEED_PAPER.arxiv_id}")
        await app.slack.wait_for(
            lambda: sum(c.method == "chat.postMessage" for c in app.slack.calls) == 4
        )
        await app.command("status")
        answer = await nth_response(app, 0)
    # Stopping the adapter let the refused command's handling finish.

    assert "Status of this chat" in texts(answer)
    complaints = [
        r for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("handlers")
    ]
    assert [r.getMessage() for r in complaints] == [
        "Slack: dropped the rest of /paperbell paper in C0PAPERS, still rate limited"
    ]
    assert all(r.exc_info is None for r in complaints)
