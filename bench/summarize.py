"""LLM summarizer throughput and token use, against the fake OpenAI-compatible endpoint.

Summarizes N papers in both card languages with `LLM_MAX_CONCURRENCY` 1 and 8 and prints
the wall time of each, the requests made (which must be papers × languages: one request
per paper and language), and the prompt and completion tokens per paper as the server
reports them in `usage`, with a day's token use projected from them.

The fake answers after a fixed latency, so the wall time shows the concurrency limit at
work rather than a model's speed; its token counts are an estimate (a token per Chinese
character, one per four other characters), close to what BPE tokenizers count.

    .venv/bin/python bench/summarize.py [--papers 12] [--latency 0.5] [--daily-papers 40]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from dataclasses import dataclass
from pathlib import Path

# `make bench` runs this file directly; the fakes live in the tests package at the root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.summarize.llm import LLMSummarizer
from bot.support.config import Language, load_settings
from tests.fakes.openai_server import API_KEY, MODEL, FakeOpenAI, requested_language
from tests.fakes.papers import make_paper

LANGUAGES: tuple[Language, ...] = ("zh", "en")
CONCURRENCY = (1, 8)
# Eight slots should finish close to eight times sooner while the model's latency dominates.
MIN_SPEEDUP = 4.0


@dataclass(frozen=True)
class Run:
    concurrency: int
    wall: float
    requests: int
    fallbacks: int
    tokens: dict[str, tuple[int, int]]  # language → (prompt, completion) per paper, as reported
    client_counted: bool  # the summarizer's own token count equals the server's


async def run(papers: int, latency: float, concurrency: int) -> Run:
    batch = [make_paper(arxiv_id=f"2508.{i:05d}", title=f"Paper {i}") for i in range(papers)]
    async with FakeOpenAI(latency=latency) as fake:
        settings = load_settings(
            LLM_BASE_URL=fake.base_url,
            LLM_API_KEY=API_KEY,
            LLM_MODEL=MODEL,
            LLM_MAX_CONCURRENCY=concurrency,
            LLM_TIMEOUT=max(30.0, 4 * latency),
        )
        llm = LLMSummarizer(settings)
        started = time.perf_counter()
        await asyncio.gather(
            *(llm.summarize(paper, language) for paper in batch for language in LANGUAGES)
        )
        wall = time.perf_counter() - started
        await llm.aclose()
    tokens: dict[str, tuple[int, int]] = {}
    for language in LANGUAGES:
        answered = [r for r in fake.requests if requested_language(r.body) == language]
        tokens[language] = (
            round(sum(r.prompt_tokens for r in answered) / papers),
            round(sum(r.completion_tokens for r in answered) / papers),
        )
    reported = (
        sum(r.prompt_tokens for r in fake.requests),
        sum(r.completion_tokens for r in fake.requests),
    )
    return Run(
        concurrency,
        wall,
        len(fake.requests),
        sum(llm.stats.fallbacks.values()),
        tokens,
        reported == (llm.stats.prompt_tokens, llm.stats.completion_tokens),
    )


def report(runs: list[Run], papers: int, latency: float, daily_papers: int) -> bool:
    expected = papers * len(LANGUAGES)
    print(
        f"LLM summarizer: {papers} papers × {len(LANGUAGES)} languages against the fake "
        f"endpoint answering in {latency:g} s"
    )
    print(f"{'concurrency':>11}  {'wall time':>9}  {'requests':>8}  {'target':>8}  fallbacks")
    ok = True
    for r in runs:
        ok &= r.requests == expected and r.fallbacks == 0 and r.client_counted
        print(
            f"{r.concurrency:>11}  {r.wall:>7.2f} s  {r.requests:>8}  {expected:>8}  "
            f"{r.fallbacks} (target 0)"
        )
    speedup = runs[0].wall / runs[-1].wall
    ok &= speedup >= MIN_SPEEDUP
    print(
        f"speed-up, concurrency {runs[-1].concurrency} vs {runs[0].concurrency}: "
        f"{speedup:.1f}× (target ≥ {MIN_SPEEDUP:g}×)"
    )
    print("tokens per paper as the server reports them (prompt + completion):")
    for language, (prompt, completion) in runs[0].tokens.items():
        per_day = daily_papers * (prompt + completion)
        print(
            f"  {language}: {prompt} + {completion} = {prompt + completion}; "
            f"a day of {daily_papers} papers in {language}: ≈ {per_day:,} tokens"
        )
    counted = all(r.client_counted for r in runs)
    print("summarizer's token count equals the server's:", "yes" if counted else "NO (target yes)")
    print("result:", "OK" if ok else "BELOW TARGET")
    return ok


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=int, default=12)
    parser.add_argument("--latency", type=float, default=0.5, help="seconds per answer")
    parser.add_argument(
        "--daily-papers", type=int, default=40, help="papers a day, for the projection"
    )
    args = parser.parse_args()
    runs = [await run(args.papers, args.latency, c) for c in CONCURRENCY]
    return 0 if report(runs, args.papers, args.latency, args.daily_papers) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
