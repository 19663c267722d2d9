"""Papers and summaries to test with: the seed paper from the reference card, and a factory.

The seed paper's metadata is 2508.08189 as arXiv lists it (see
`tests/fixtures/seed-card-2508.08189.md`).
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.source.papers import Paper
from bot.summarize import Method, Summary

SEED_ABSTRACT = (
    "Recent advances at the intersection of reinforcement learning (RL) and visual intelligence"
    " have enabled agents that not only perceive complex visual scenes but also reason, "
    "generate, and act within them. This survey offers a critical and up-to-date synthesis of "
    "the field. We first formalize visual RL problems and trace the evolution of policy-"
    "optimization strategies from RLHF to verifiable reward paradigms, and from Proximal Policy"
    " Optimization to Group Relative Policy Optimization. We then organize more than 200 "
    "representative works into four thematic pillars: multi-modal large language models, visual"
    " generation, unified model frameworks, and vision-language-action models. For each pillar "
    "we examine algorithmic design, reward engineering, benchmark progress, and we distill "
    "trends such as curriculum-driven training, preference-aligned diffusion, and unified "
    "reward modeling. Finally, we review evaluation protocols spanning set-level fidelity, "
    "sample-level preference, and state-level stability, and we identify open challenges that "
    "include sample efficiency, generalization, and safe deployment. Our goal is to provide "
    "researchers and practitioners with a coherent map of the rapidly expanding landscape of "
    "visual RL and to highlight promising directions for future inquiry. Resources are "
    "available at: https://github.com/weijiawu/Awesome-Visual-Reinforcement-Learning."
)

SEED_PAPER = Paper(
    arxiv_id="2508.08189",
    version=3,
    title="Reinforcement Learning for Large Model: A Survey",
    authors=(
        "Weijia Wu",
        "Chen Gao",
        "Joya Chen",
        "Kevin Qinghong Lin",
        "Qingwei Meng",
        "Yiming Zhang",
        "Yuke Qiu",
        "Hong Zhou",
        "Mike Zheng Shou",
    ),
    abstract=SEED_ABSTRACT,
    primary_category="cs.CV",
    categories=("cs.CV",),
    published=datetime(2025, 8, 11, 17, 59, 30, tzinfo=UTC),
    updated=datetime(2025, 12, 23, 9, 12, 5, tzinfo=UTC),
    comment="22 pages",
)


def make_paper(**overrides: Any) -> Paper:
    """The seed paper with some fields replaced; `arxiv_id` alone gives a distinct paper."""
    return dataclasses.replace(SEED_PAPER, **overrides)


def make_summary(language: str = "en", **overrides: Any) -> Summary:
    """A complete hand-written summary, for tests that are about rendering, not summarizing."""
    base = Summary(
        language=language,  # type: ignore[arg-type]
        summarizer="test",
        takeaway="A survey of reinforcement learning for visual intelligence.",
        keywords=("visual RL", "reward engineering", "policy optimization", "VLA", "diffusion"),
        key_points=(
            "Formalizes visual RL and traces policy optimization from RLHF to verifiable rewards.",
            "Organizes more than 200 works into four pillars.",
            "Identifies sample efficiency, generalization and safe deployment as open challenges.",
        ),
        method=Method(
            problem="Visual RL lacks a coherent map.",
            core_idea="Survey and organize the field.",
            framework="Four thematic pillars.",
            key_innovation="A taxonomy of more than 200 works.",
            key_design="Evaluation protocols at set, sample and state level.",
        ),
        experiments=None,
        applications="Robotics and multimodal assistants.",
        translated_abstract="近年来强化学习与视觉智能的交叉进展……" if language == "zh" else None,
    )
    return dataclasses.replace(base, **overrides)


def random_categories(rng: random.Random, pool: Sequence[str], most: int) -> tuple[str, ...]:
    """One to `most` distinct categories from `pool`, the first one primary."""
    return tuple(dict.fromkeys(rng.choices(pool, k=rng.randint(1, most))))


def synthetic_paper(
    arxiv_id: str, categories: tuple[str, ...], submitted: datetime, *, abstract_sentences: int
) -> Paper:
    """A distinct paper for benchmarks that care only about its categories and submission
    time."""
    return Paper(
        arxiv_id=arxiv_id,
        version=1,
        title=f"Paper {arxiv_id}",
        authors=("A. Author",),
        abstract="We study things at some length. " * abstract_sentences,
        primary_category=categories[0],
        categories=categories,
        published=submitted,
        updated=submitted,
    )
