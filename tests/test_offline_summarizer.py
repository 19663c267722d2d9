"""The offline summarizer: every section is extracted from the paper, and nothing is invented."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.source.papers import Paper
from bot.summarize import Summarizer, Summary
from bot.summarize.offline import (
    KEY_POINTS,
    MAX_KEYWORDS,
    MIN_KEYWORDS,
    TAKEAWAY_LIMIT,
    OfflineSummarizer,
    split_sentences,
)
from bot.support.config import Language
from tests.fakes.papers import SEED_PAPER, make_paper

PROPOSAL = (
    "In this paper, we propose SparseViT, a vision transformer that prunes redundant tokens "
    "with a learned scoring module."
)
PROBLEM = "However, existing efficient variants sacrifice accuracy for speed."
FRAMEWORK = (
    "The pipeline consists of a lightweight token scorer followed by a standard transformer "
    "backbone."
)
INNOVATION = "Unlike prior pruning methods, the scorer is learned jointly with the classifier."
DESIGN = "We train the scorer with a ranking loss and a distillation objective."
RESULT = (
    "Experiments show that SparseViT improves accuracy by 3.2% on ImageNet while running "
    "1.8× faster than DeiT-B."
)
USE = "The method can be used for real-time deployment on mobile devices."
CODE = "Code is available at https://github.com/example/sparsevit."
METHOD_SENTENCES = (
    "Vision transformers are accurate image classifiers, but their quadratic cost grows "
    "quickly with the number of tokens.",
    PROBLEM,
    PROPOSAL,
    FRAMEWORK,
    INNOVATION,
    DESIGN,
    RESULT,
    USE,
    CODE,
)
METHOD_PAPER = make_paper(
    arxiv_id="2501.00001",
    title="SparseViT: Learning to Prune Tokens for Fast Vision Transformers",
    abstract=" ".join(METHOD_SENTENCES),
    comment="Accepted at CVPR 2025; 10 pages, 6 figures",
)

SHORT_SENTENCES = (
    "We propose FooNet, a lightweight detector for small drones in aerial video.",
    "FooNet runs at 120 FPS on an embedded board and improves mAP by 2.1% over YOLOv8, "
    "while using half the parameters.",
)
SHORT_PAPER = make_paper(
    arxiv_id="2501.00002", title="FooNet: Fast Drone Detection", abstract=" ".join(SHORT_SENTENCES)
)

LATEX_SENTENCES = (
    "Self-attention costs $\\mathcal{O}(n^2)$ in the sequence length, which is prohibitive for "
    "long inputs, e.g. whole books, i.e. sequences beyond 100k tokens.",
    "Fixed sparse patterns (Child et al. 2019; Zaheer et al. 2020) reduce this to "
    "$\\mathcal{O}(n \\sqrt{n})$ but ignore the content.",
    "We introduce a learned pattern whose scores $s = \\mathrm{top}_k(QK^\\top). V$ is then "
    "gathered once per block.",
    "As shown in Fig. 2, the learned pattern matches full attention vs. fixed patterns at 3.5% "
    "of the memory.",
    "Our implementation is public at https://github.com/example/learned-sparse.",
)
LATEX_PAPER = make_paper(
    arxiv_id="2501.00003",
    title="Learned Sparse Attention for Long Sequences",
    abstract=" ".join(LATEX_SENTENCES),
)

THEORY_PAPER = make_paper(
    arxiv_id="2501.00004",
    title="On the Sample Complexity of Offline Policy Evaluation",
    abstract=(
        "Offline policy evaluation estimates the value of a policy from logged data. "
        "Its sample complexity remains poorly understood when the behaviour policy is unknown. "
        "We prove that 2 samples per state suffice under a concentrability assumption, and that "
        "this bound is tight. Unlike earlier analyses, our argument avoids importance weights "
        "entirely. The result can be used to size datasets for practical offline reinforcement "
        "learning."
    ),
    comment=None,
)

EMPTY_PAPER = make_paper(arxiv_id="2501.00005", abstract="   ", comment=None)

GROUNDING_PAPERS = (SEED_PAPER, METHOD_PAPER, SHORT_PAPER, LATEX_PAPER, THEORY_PAPER, EMPTY_PAPER)


async def summarize(paper: Paper, language: Language = "en") -> Summary:
    return await OfflineSummarizer().summarize(paper, language)


def squash(text: str) -> str:
    return " ".join(text.split())


def source_of(paper: Paper) -> str:
    return squash(f"{paper.title} {paper.abstract}")


def generated_texts(summary: Summary) -> list[str]:
    method = dataclasses.astuple(summary.method)
    texts = [summary.takeaway, *summary.keywords, *summary.key_points, *method]
    texts += [summary.experiments, summary.applications]
    return [t for t in texts if t is not None]


def test_offline_summarizer_meets_the_summarizer_protocol() -> None:
    summarizer: Summarizer = OfflineSummarizer()
    assert summarizer.name == "offline"


async def test_summary_is_labelled_with_the_summarizer_and_language() -> None:
    summary = await summarize(SEED_PAPER, "zh")
    assert (summary.summarizer, summary.language) == ("offline", "zh")


# --- the seed paper: a survey that reports no experiment


async def test_survey_reports_no_experiment_despite_benchmarks_and_a_count_of_works() -> None:
    assert "benchmark" in SEED_PAPER.abstract
    assert "more than 200" in SEED_PAPER.abstract
    summary = await summarize(SEED_PAPER)
    assert summary.experiments is None


async def test_survey_takeaway_is_the_sentence_that_names_the_survey() -> None:
    summary = await summarize(SEED_PAPER)
    assert "survey" in summary.takeaway.lower()
    assert summary.takeaway in split_sentences(SEED_PAPER.abstract)


async def test_survey_keywords_are_five_to_eight_phrases_the_paper_uses() -> None:
    summary = await summarize(SEED_PAPER)
    assert MIN_KEYWORDS <= len(summary.keywords) <= MAX_KEYWORDS
    for keyword in summary.keywords:
        assert keyword in source_of(SEED_PAPER)


async def test_survey_method_has_no_innovation_because_the_abstract_claims_none() -> None:
    summary = await summarize(SEED_PAPER)
    assert summary.method.core_idea == summary.takeaway
    assert summary.method.key_innovation is None
    assert summary.method.problem is not None
    assert "challenges" in summary.method.problem


async def test_survey_applications_name_who_it_is_for() -> None:
    summary = await summarize(SEED_PAPER)
    assert summary.applications is not None
    assert "practitioners" in summary.applications


# --- a typical method paper


async def test_method_paper_takeaway_is_the_proposal() -> None:
    summary = await summarize(METHOD_PAPER)
    assert summary.takeaway == PROPOSAL


async def test_reported_gain_is_an_experiment_highlight() -> None:
    summary = await summarize(METHOD_PAPER)
    assert summary.experiments is not None
    assert RESULT in summary.experiments


async def test_method_parts_are_the_sentences_carrying_their_cues() -> None:
    method = (await summarize(METHOD_PAPER)).method
    assert method.problem == PROBLEM
    assert method.core_idea == PROPOSAL
    assert method.framework == FRAMEWORK
    assert method.key_innovation == INNOVATION
    assert method.key_design == DESIGN


async def test_method_parts_never_repeat_a_sentence() -> None:
    for paper in GROUNDING_PAPERS:
        parts = [p for p in dataclasses.astuple((await summarize(paper)).method) if p]
        assert len(parts) == len(set(parts)), paper.arxiv_id


async def test_applications_come_from_the_sentence_naming_a_use() -> None:
    summary = await summarize(METHOD_PAPER)
    assert summary.applications == USE


async def test_code_availability_is_neither_a_key_point_nor_a_method_part() -> None:
    summary = await summarize(METHOD_PAPER)
    assert CODE not in summary.key_points
    assert CODE not in dataclasses.astuple(summary.method)


async def test_data_merely_said_to_be_available_is_not_code_boilerplate() -> None:
    problem = "Existing detectors fail when little labelled data is available."
    paper = make_paper(abstract=f"{problem} {PROPOSAL} {CODE}")
    summary = await summarize(paper)
    assert summary.method.problem == problem
    assert CODE not in summary.key_points


async def test_key_points_are_three_distinct_sentences_in_reading_order() -> None:
    for paper in (SEED_PAPER, METHOD_PAPER, LATEX_PAPER, THEORY_PAPER):
        summary = await summarize(paper)
        sentences = split_sentences(paper.abstract)
        assert len(set(summary.key_points)) == KEY_POINTS, paper.arxiv_id
        positions = [sentences.index(point) for point in summary.key_points]
        assert positions == sorted(positions), paper.arxiv_id


async def test_key_points_favour_the_result_and_leave_the_proposal_to_the_takeaway() -> None:
    summary = await summarize(METHOD_PAPER)
    assert summary.takeaway == PROPOSAL
    assert PROPOSAL not in summary.key_points
    assert RESULT in summary.key_points


async def test_keywords_never_contain_one_another() -> None:
    for paper in GROUNDING_PAPERS:
        keywords = [k.lower() for k in (await summarize(paper)).keywords]
        for i, keyword in enumerate(keywords):
            for other in keywords[i + 1 :]:
                assert keyword not in other and other not in keyword, (keyword, other)


async def test_keywords_leave_out_stock_phrases_of_abstracts() -> None:
    summary = await summarize(METHOD_PAPER)
    words = {w.lower() for k in summary.keywords for w in k.split()}
    assert not words & {"propose", "show", "improves", "paper"}


async def test_keywords_do_not_straddle_function_words() -> None:
    for paper in GROUNDING_PAPERS:
        for keyword in (await summarize(paper)).keywords:
            inner = keyword.lower().split()[1:-1]
            assert not set(inner) & {"for", "to", "of", "in", "and", "the", "a"}, keyword


async def test_names_are_keywords_but_lone_common_words_only_fill_up() -> None:
    summary = await summarize(METHOD_PAPER)
    assert "SparseViT" in summary.keywords
    assert all(" " in k or k == "SparseViT" for k in summary.keywords)


async def test_a_paper_that_proves_rather_than_measures_reports_no_experiment() -> None:
    summary = await summarize(THEORY_PAPER)
    assert summary.experiments is None
    assert summary.takeaway.startswith("We prove that 2 samples")


# --- short, odd and empty abstracts


async def test_two_sentence_abstract_still_gives_three_distinct_key_points() -> None:
    assert len(split_sentences(SHORT_PAPER.abstract)) == 2
    summary = await summarize(SHORT_PAPER)
    assert len(summary.key_points) == KEY_POINTS
    assert len(set(summary.key_points)) == KEY_POINTS
    for point in summary.key_points:
        assert point in source_of(SHORT_PAPER)


async def test_a_one_clause_abstract_borrows_the_title_as_a_key_point() -> None:
    paper = make_paper(title="Tiny Models Matter", abstract="We study tiny language models.")
    summary = await summarize(paper)
    assert summary.key_points == ("Tiny Models Matter", "We study tiny language models.")


async def test_empty_abstract_falls_back_to_the_title() -> None:
    summary = await summarize(EMPTY_PAPER)
    assert summary.takeaway == EMPTY_PAPER.title
    assert summary.experiments is None
    assert summary.applications is None
    assert summary.method == type(summary.method)()
    assert summary.key_points
    assert len(set(summary.key_points)) == len(summary.key_points)


async def test_without_a_contribution_sentence_the_takeaway_is_the_title() -> None:
    paper = make_paper(
        title="Notes on Batch Normalization",
        abstract="Batch normalization is widely used. Its behaviour at small batch sizes varies.",
    )
    assert (await summarize(paper)).takeaway == paper.title


async def test_long_contribution_is_shortened_at_a_word_boundary() -> None:
    long_proposal = (
        "We propose a method that "
        + " and ".join(f"handles case number {n} of the benchmark suite" for n in range(1, 12))
        + "."
    )
    paper = make_paper(abstract=f"Background matters. {long_proposal} It works.")
    takeaway = (await summarize(paper)).takeaway
    assert len(takeaway) <= TAKEAWAY_LIMIT < len(long_proposal)
    assert takeaway.endswith("…")
    kept = takeaway.removesuffix("…")
    assert long_proposal.startswith(kept)
    assert long_proposal[len(kept)] == " "


async def test_latex_and_abbreviations_do_not_break_sentences() -> None:
    summary = await summarize(LATEX_PAPER)
    assert summary.takeaway == LATEX_SENTENCES[2]
    for point in summary.key_points:
        assert point in LATEX_SENTENCES


# --- the sentence splitter


def test_splitter_survives_abbreviations_latex_decimals_and_urls() -> None:
    assert split_sentences(" ".join(LATEX_SENTENCES)) == list(LATEX_SENTENCES)


def test_splitter_collapses_the_line_breaks_arxiv_puts_in_abstracts() -> None:
    assert split_sentences("We propose a\n  method.\nIt  works.") == [
        "We propose a method.",
        "It works.",
    ]


def test_et_al_ends_a_sentence_only_when_a_new_one_clearly_starts() -> None:
    text = "Our method extends Wu et al. We evaluate it as Wu et al. Transformer-XL did."
    assert split_sentences(text) == [
        "Our method extends Wu et al.",
        "We evaluate it as Wu et al. Transformer-XL did.",
    ]


def test_splitter_handles_question_marks_dotted_abbreviations_and_quotes() -> None:
    sentences = [
        "Can a U.S. benchmark transfer?",
        '"Yes," say the authors w.r.t. vision.',
        "Results differ at 0.5 and 1.5 scale!",
        "Is it enough?",
        "The answer is no.",
        "We show why.",
    ]
    assert split_sentences(" ".join(sentences)) == sentences


def test_splitter_of_empty_text_gives_no_sentences() -> None:
    assert split_sentences(" \n ") == []


# --- grounding and determinism


@pytest.mark.parametrize("paper", GROUNDING_PAPERS, ids=lambda p: p.arxiv_id)
@pytest.mark.parametrize("language", ["en", "zh"])
async def test_every_generated_text_is_lifted_from_title_or_abstract(
    paper: Paper, language: Language
) -> None:
    source = source_of(paper)
    summary = await summarize(paper, language)
    for text in generated_texts(summary):
        for piece in split_sentences(text.removesuffix("…")):
            assert piece in source, piece


@pytest.mark.parametrize("paper", GROUNDING_PAPERS, ids=lambda p: p.arxiv_id)
async def test_every_number_in_a_section_appears_in_the_abstract(paper: Paper) -> None:
    number = re.compile(r"\d+(?:\.\d+)?")
    allowed = set(number.findall(source_of(paper)))
    for text in generated_texts(await summarize(paper)):
        assert set(number.findall(text)) <= allowed, text


async def test_chinese_summary_keeps_the_english_extracts_and_has_no_translation() -> None:
    english = await summarize(METHOD_PAPER, "en")
    chinese = await summarize(METHOD_PAPER, "zh")
    assert chinese.translated_abstract is None
    assert dataclasses.replace(chinese, language="en") == english


async def test_same_paper_gives_the_same_summary_from_fresh_summarizers() -> None:
    for paper in GROUNDING_PAPERS:
        assert await summarize(paper) == await summarize(paper)


def test_summary_does_not_depend_on_the_process_hash_seed() -> None:
    """Stored summaries are reused across restarts, so set ordering must not leak in."""
    script = (
        "from bot.summarize.offline import OfflineSummarizer\n"
        "from tests.test_offline_summarizer import GROUNDING_PAPERS\n"
        "s = OfflineSummarizer()\n"
        "print([s.extract(p, 'en') for p in GROUNDING_PAPERS])\n"
    )
    root = Path(__file__).resolve().parent.parent
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(root)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1
    assert "offline" in outputs.pop()


def test_key_points_do_not_repeat_the_takeaway_when_the_abstract_has_enough_sentences() -> None:
    summary = OfflineSummarizer().extract(SEED_PAPER, "en")
    assert summary.takeaway not in summary.key_points
    assert len(set(summary.key_points)) == 3
