"""Cards rendered per second for each format, and the offline summarizer's time per abstract.

Run: .venv/bin/python bench/render.py
Cards are rendered for every chat that receives a paper, so rendering must never be slower
than the send rate Telegram allows (30 messages/s); summarizing happens once per paper.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.cards.cards import Card, build_card
from bot.render.slack_blocks import render_slack
from bot.render.telegram_html import render_telegram
from bot.render.text import render_text
from bot.summarize.offline import OfflineSummarizer
from tests.fakes.cards import hostile_card
from tests.fakes.papers import SEED_PAPER, make_summary

SEND_RATE_LIMIT = 30.0  # Telegram's overall messages per second: rendering must beat it


def per_second(render: Callable[[Card], object], card: Card, seconds: float = 1.0) -> float:
    count, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        render(card)
        count += 1
    return count / elapsed


def summarize_ms(rounds: int = 30) -> tuple[float, float]:
    summarizer = OfflineSummarizer()
    asyncio.run(summarizer.summarize(SEED_PAPER, "en"))  # warm-up: YAKE loads its stopwords
    timings = []
    for _ in range(rounds):
        start = time.perf_counter()
        asyncio.run(summarizer.summarize(SEED_PAPER, "en"))
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings), max(timings)


def main() -> None:
    cards = {
        "seed card (zh)": build_card(SEED_PAPER, make_summary("zh")),
        "hostile card (6,000-char abstract, 60 authors)": hostile_card("en"),
    }
    formats: dict[str, Callable[[Card], object]] = {
        "telegram": render_telegram,
        "slack": render_slack,
        "text": render_text,
    }
    print(f"{'card':48} {'format':9} {'cards/s':>9}   limit it chases")
    for name, card in cards.items():
        for fmt, render in formats.items():
            rate = per_second(render, card)
            verdict = "ok" if rate >= SEND_RATE_LIMIT else "SLOWER THAN SENDING"
            print(
                f"{name:48} {fmt:9} {rate:9.0f}   ≥ {SEND_RATE_LIMIT:.0f}/s "
                f"(Telegram's overall send rate) {verdict}"
            )
    median, worst = summarize_ms()
    print(
        f"\noffline summary of one abstract: median {median:.1f} ms, worst {worst:.1f} ms"
        "   limit: well under 1 s per paper (done once per paper and language)"
    )


if __name__ == "__main__":
    main()
