"""Matching a day's papers against a large deployment's subscriptions.

2,000 papers against 100,000 subscriptions, a realistic mix: category popularity is
Zipf-like (a few categories such as cs.CV and cs.LG draw most followers and papers),
chats follow one to several categories, about 20% of subscriptions carry keyword
filters drawn from a Zipf-like vocabulary, a few subscriptions are younger than the
mailing, and a quarter of the papers arrive as cross-lists.

Prints the time to build the index and to match (target: under 1 s together on this
2-core machine), the time to walk every (chat, paper) pair the match yields (the
queueing step's input, reported separately), and peak memory (tracemalloc, measured in
a second run because tracing slows Python down).

    .venv/bin/python bench/match.py
"""

from __future__ import annotations

import gc
import random
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.match.matching import Announced, Match, Matcher
from bot.source.papers import Paper
from bot.source.taxonomy import groups
from bot.store.records import Subscription

PAPERS = 2_000
SUBSCRIPTIONS = 100_000
FILTERED_SHARE = 0.20
TARGET_SECONDS = 1.0
MAILING = datetime(2026, 3, 9, 0, 0, tzinfo=UTC)


def zipf_weights(n: int, s: float = 1.1) -> list[float]:
    return [1 / (rank**s) for rank in range(1, n + 1)]


def vocabulary(rng: random.Random) -> list[str]:
    stems = [
        "diffusion", "transformer", "robot", "graph", "segmentation", "reinforcement",
        "language", "vision", "attention", "retrieval", "federated", "quantum", "causal",
        "contrastive", "adversarial", "benchmark", "detection", "tracking", "planning",
        "reasoning", "agent", "speech", "translation", "compression", "pruning",
        "distillation", "alignment", "safety", "privacy", "fairness", "kernel", "bayesian",
        "sparse", "manifold", "topology", "lattice", "spectral", "tensor", "operator",
        "control", "optimization",
    ]  # fmt: skip
    phrases = [f"{a} {b}" for a, b in zip(stems, stems[7:] + stems[:7], strict=True)]
    words = [f"{stem}{suffix}" for stem in stems for suffix in ("", "s", "ing")]
    terms = stems + phrases + words
    rng.shuffle(terms)
    return terms


def subscriptions(
    rng: random.Random, categories: list[str], terms: list[str]
) -> list[Subscription]:
    weights = zipf_weights(len(categories))
    term_weights = zipf_weights(len(terms), 1.0)
    subs: list[Subscription] = []
    chat_id = 0
    while len(subs) < SUBSCRIPTIONS:
        chat_id += 1
        wanted = min(1 + int(rng.expovariate(0.6)), 8)
        followed = dict.fromkeys(rng.choices(categories, weights, k=wanted))
        for category in followed:
            include: tuple[str, ...] = ()
            exclude: tuple[str, ...] = ()
            if rng.random() < FILTERED_SHARE:
                include = tuple(rng.choices(terms, term_weights, k=rng.randint(1, 3)))
                if rng.random() < 0.3:
                    exclude = tuple(rng.choices(terms, term_weights, k=1))
            age = (
                timedelta(days=rng.uniform(1, 400)) if rng.random() > 0.01 else -timedelta(hours=2)
            )
            subs.append(
                Subscription(len(subs) + 1, chat_id, category, include, exclude, MAILING - age)
            )
    return subs[:SUBSCRIPTIONS]


def papers(rng: random.Random, categories: list[str], terms: list[str]) -> list[Announced]:
    weights = zipf_weights(len(categories))
    term_weights = zipf_weights(len(terms), 0.8)
    filler = ["we", "propose", "method", "results", "show", "model", "data", "approach"]
    announced = []
    for n in range(PAPERS):
        listed = list(dict.fromkeys(rng.choices(categories, weights, k=rng.randint(1, 4))))
        words = rng.choices(terms, term_weights, k=12) + rng.choices(filler, k=140)
        rng.shuffle(words)
        paper = Paper(
            arxiv_id=f"2603.{n:05d}",
            version=1,
            title=" ".join(words[:10]).capitalize(),
            authors=("A. Author", "B. Author"),
            abstract=" ".join(words[10:]) + ".",
            primary_category=listed[0],
            categories=tuple(listed),
            published=MAILING - timedelta(days=1),
            updated=MAILING - timedelta(days=1),
        )
        cross = len(listed) > 1 and rng.random() < 0.25
        announced.append(Announced(paper, MAILING, cross_only=cross))
    return announced


def run(subs: list[Subscription], announced: list[Announced]) -> tuple[float, float, list[Match]]:
    start = time.perf_counter()
    matcher = Matcher(subs, MAILING)
    built = time.perf_counter()
    matches = matcher.match(announced)
    return built - start, time.perf_counter() - built, matches


def walk(matches: list[Match]) -> tuple[float, int]:
    start = time.perf_counter()
    pairs = sum(1 for m in matches for _ in m.chat_ids())
    return time.perf_counter() - start, pairs


def main() -> None:
    rng = random.Random(20260309)
    categories = [c.code for members in groups().values() for c in members]
    rng.shuffle(categories)
    terms = vocabulary(rng)
    subs = subscriptions(rng, categories, terms)
    announced = papers(rng, categories, terms)
    chats = len({s.chat_id for s in subs})
    filtered = sum(1 for s in subs if s.include or s.exclude)

    gc.collect()
    build, match, matches = min((run(subs, announced) for _ in range(3)), key=lambda r: r[0] + r[1])
    walked, pairs = walk(matches)
    del matches
    tracemalloc.start()
    run(subs, announced)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"bench/match.py — {PAPERS:,} papers × {SUBSCRIPTIONS:,} subscriptions")
    print(f"  {chats:,} chats, {len(categories)} categories, {filtered:,} filtered subscriptions")
    print(f"  {'index build':<28}{build:8.3f} s")
    print(f"  {'match':<28}{match:8.3f} s")
    total = build + match
    verdict = "OK" if total < TARGET_SECONDS else "OVER"
    print(f"  {'build + match':<28}{total:8.3f} s   target < {TARGET_SECONDS:.1f} s   {verdict}")
    print(f"  {'walk (chat, paper) pairs':<28}{walked:8.3f} s   ({pairs:,} pairs)")
    print(f"  {'peak memory (tracemalloc)':<28}{peak / 2**20:8.1f} MiB")


if __name__ == "__main__":
    main()
