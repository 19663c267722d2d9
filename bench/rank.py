"""Ranking quality and cost: does what people ☆ bring their papers to the top, quickly?

Simulated people follow a broad category (cs.CV) but care about one narrow interest inside
it: one cross-listed category (cs.RO, cs.GR, cs.CL, eess.IV) or one phrase ("gaussian
splatting", "remote sensing", "autonomous driving", …). Each stars 3, 5 or 10 papers of
their interest announced before the mailing; the bot then ranks the next ten announcement
days of cs.CV (about 1,100 papers, each interest 1–8 % of them). Printed per number of
favorites: precision@10 and NDCG@10 of a random order, of today's order (announcement
order, what a chat without ranking gets), of arxiv-sanity-lite's TF-IDF + LinearSVC, and
of paperbell's model; then the time to retrain after a tap, and the time and peak memory
to rank a 2,000-paper mailing for 10,000 people.

Reads `../shared/data/arxiv-2025.jsonl.gz` beside the repository when it is there, else
the in-repo sample (one mailing, one interest: the figures are then only indicative).

    .venv/bin/python bench/rank.py [PATH_TO_arxiv-2025.jsonl.gz]
"""

from __future__ import annotations

import random
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bot.match.ranking import Features, Model, scores, train  # noqa: E402
from bot.source.papers import Paper  # noqa: E402
from tests.fakes.sample_papers import SAMPLE, load_papers  # noqa: E402

FULL = ROOT.parent / "shared" / "data" / "arxiv-2025.jsonl.gz"
BROAD = "cs.CV"
PEOPLE_PER_INTEREST = 5
FAVORITE_COUNTS = (3, 5, 10)
BACKGROUND = 2_000
MAX_SHARE = 0.20
SCALE_PAPERS, SCALE_PEOPLE, SCALE_BATCH = 2_000, 10_000, 500
TARGETS = {"precision": 0.6, "retrain_ms": 50.0, "scale_s": 60.0, "scale_mb": 1024.0}


def _has(phrase: str) -> Callable[[Paper], bool]:
    return lambda paper: phrase in f"{paper.title} {paper.abstract}".lower()


def _cross(category: str) -> Callable[[Paper], bool]:
    return lambda paper: category in paper.categories


INTERESTS: dict[str, Callable[[Paper], bool]] = {
    "cs.RO": _cross("cs.RO"),
    "cs.GR": _cross("cs.GR"),
    "cs.CL": _cross("cs.CL"),
    "eess.IV": _cross("eess.IV"),
    "gaussian splatting": _has("gaussian splatting"),
    "remote sensing": _has("remote sensing"),
    "autonomous driving": _has("autonomous driving"),
    "video generation": _has("video generation"),
    "point cloud": _has("point cloud"),
    "medical": _has("medical"),
}


def split(papers: Sequence[Paper]) -> tuple[list[Paper], list[Paper]]:
    """Papers before the mailing, and the mailing (ten announcement days, or the last day)."""
    days = sorted({p.published for p in papers})
    first = days[-15] if len(days) > 20 else days[-1]
    last = days[-5] if len(days) > 20 else days[-1]
    before = [p for p in papers if p.published < first]
    return before, [p for p in papers if first <= p.published <= last]


def at_10(order: np.ndarray[Any, Any], relevant: np.ndarray[Any, Any]) -> tuple[float, float]:
    top = order[:10]
    gains = relevant[top]
    dcg = float(sum(g / np.log2(rank + 2) for rank, g in enumerate(gains)))
    ideal = float(sum(1 / np.log2(rank + 2) for rank in range(min(10, int(relevant.sum())))))
    return float(gains.mean()), dcg / ideal


class SanityBaseline:
    """arxiv-sanity-lite's recommender: TF-IDF of title and abstract, LinearSVC(C=0.01)."""

    def __init__(self, background: Sequence[Paper]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.background = background
        self.vectorizer = TfidfVectorizer(
            strip_accents="unicode",
            ngram_range=(1, 2),
            max_features=20_000,
            min_df=3,
            max_df=0.1,
            sublinear_tf=True,
            token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
        )
        self.matrix = self.vectorizer.fit_transform([self.text(p) for p in background])

    @staticmethod
    def text(paper: Paper) -> str:
        return f"{paper.title}. {paper.abstract}"

    def rank(self, favorites: Sequence[Paper], mailing: Sequence[Paper]) -> np.ndarray[Any, Any]:
        from scipy import sparse
        from sklearn.svm import LinearSVC

        starred = self.vectorizer.transform([self.text(p) for p in favorites])
        x = sparse.vstack([starred, self.matrix])
        y = np.array([1] * len(favorites) + [0] * len(self.background))
        svm = LinearSVC(class_weight="balanced", C=0.01, max_iter=10_000, tol=1e-6).fit(x, y)
        found = svm.decision_function(self.vectorizer.transform([self.text(p) for p in mailing]))
        return np.argsort(-found, kind="stable")


def quality(before: list[Paper], mailing: list[Paper]) -> dict[tuple[str, int], list[Any]]:
    background = before[-BACKGROUND:]
    features = Features(background)
    vectors = features.vectors(mailing)
    sanity = SanityBaseline(background)
    rng = random.Random(11)
    results: dict[tuple[str, int], list[Any]] = {}
    for name, wanted in INTERESTS.items():
        relevant = np.array([wanted(p) for p in mailing], dtype=float)
        pool = [p for p in before if wanted(p)][-300:]
        if relevant.sum() < 10 or relevant.mean() > MAX_SHARE or len(pool) < 30:
            continue
        print(f"  interest {name!r}: {relevant.mean():.1%} of the mailing ({int(relevant.sum())})")
        for _ in range(PEOPLE_PER_INTEREST):
            for count in FAVORITE_COUNTS:
                favorites = rng.sample(pool, count)
                model = train(features, favorites)
                assert model is not None
                ours = np.argsort(-scores(features, [model], vectors)[:, 0], kind="stable")
                shuffled = np.array(rng.sample(range(len(mailing)), len(mailing)))
                for method, order in (
                    ("random order", shuffled),
                    ("today's order", np.arange(len(mailing))),
                    ("TF-IDF + LinearSVC", sanity.rank(favorites, mailing)),
                    ("paperbell", ours),
                ):
                    results.setdefault((method, count), []).append(at_10(order, relevant))
    return results


def retrain_ms(before: list[Paper]) -> float:
    features = Features(before[-BACKGROUND:])
    rng = random.Random(5)
    timings = []
    for _ in range(200):
        favorites = rng.sample(before, 10)
        started = time.perf_counter()
        train(features, favorites)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def at_scale(before: list[Paper], mailing: list[Paper]) -> tuple[float, float, float]:
    """Seconds and peak memory (MB, whole process) to rank 2,000 papers for 10,000 people."""
    rng = random.Random(7)
    papers = (mailing * (SCALE_PAPERS // len(mailing) + 1))[:SCALE_PAPERS]
    features = Features(before[-BACKGROUND:])
    models: list[Model] = []
    for _ in range(SCALE_PEOPLE):
        model = train(features, rng.sample(before, rng.choice(FAVORITE_COUNTS)))
        assert model is not None
        models.append(model)
    baseline = rss_mb()
    started = time.perf_counter()
    vectors = features.vectors(papers)
    best = []
    for first in range(0, SCALE_PEOPLE, SCALE_BATCH):
        found = scores(features, models[first : first + SCALE_BATCH], vectors)
        best.append(np.argsort(-found, axis=0)[:10])
    seconds = time.perf_counter() - started
    return seconds, rss_mb(), rss_mb() - baseline


def main() -> None:
    given = Path(sys.argv[1]) if len(sys.argv) > 1 else FULL
    source = given if given.exists() else SAMPLE
    papers = [p for p in load_papers(source) if BROAD in p.categories]
    before, mailing = split(papers)
    print(
        f"data: {source.name}, {len(before)} {BROAD} papers before the mailing,"
        f" {len(mailing)} in it"
    )
    results = dict(sorted(quality(before, mailing).items(), key=lambda kv: kv[0][1]))
    print()
    print("| favorites | method | precision@10 | NDCG@10 |")
    print("|---|---|---|---|")
    for (method, count), values in results.items():
        precision = statistics.mean(v[0] for v in values)
        ndcg = statistics.mean(v[1] for v in values)
        note = f" (target ≥ {TARGETS['precision']})" if method == "paperbell" and count == 5 else ""
        print(f"| {count} | {method} | {precision:.2f}{note} | {ndcg:.2f} |")
    print()
    print(
        f"retrain after a tap (10 favorites, median): {retrain_ms(before):.2f} ms "
        f"(target ≤ {TARGETS['retrain_ms']:.0f} ms)"
    )
    seconds, peak, grown = at_scale(before, mailing)
    print(
        f"rank {SCALE_PAPERS:,} papers for {SCALE_PEOPLE:,} people: {seconds:.1f} s "
        f"(target ≤ {TARGETS['scale_s']:.0f} s), peak memory {peak:.0f} MB for the whole "
        f"process, {grown:.0f} MB of it while ranking (target ≤ {TARGETS['scale_mb']:.0f} MB)"
    )


if __name__ == "__main__":
    main()
