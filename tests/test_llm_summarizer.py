"""The LLM summarizer: grounded sections from a real `openai.AsyncOpenAI` against a fake endpoint.

Every case ends in a correct card: the model's sections when they check out against the
paper, the offline summarizer's (for a section or the whole summary) when they do not.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openai
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.cards.cards import Card, Section, build_card
from bot.cards.library import Library
from bot.source.arxiv_source import ArxivSource
from bot.source.ids import ArxivId
from bot.store import Store
from bot.summarize import Summary, make_summarizer
from bot.summarize.grounding import Sections, Source, check
from bot.summarize.llm import LLMSummarizer, summarizer_name
from bot.summarize.offline import OfflineSummarizer
from bot.summarize.prompt import PROMPT_VERSION, Answer
from bot.support.config import ConfigError, Language, Settings, load_settings
from bot.words.labels import CARD_LABELS
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.openai_server import (
    API_KEY,
    MISSING,
    MODEL,
    REFERENCE_EXPERIMENTS,
    FakeOpenAI,
    requested_language,
    seed_answer,
)
from tests.fakes.papers import SEED_PAPER, make_paper
from tests.fakes.sleeps import RecordedSleeps
from tests.fakes.telegram_harness import eventually

# Every section of the reference card, in its order; `topics` is added per chat.
REFERENCE_SECTIONS = [
    "authors",
    "category",
    "dates",
    "comments",
    "code",
    "takeaway",
    "keywords",
    "key_points",
    "translated_abstract",
    "method",
    "experiments",
    "applications",
    "abstract",
]
OFFLINE = OfflineSummarizer()
HANG_GUARD = 10.0  # seconds; only turns a hang into a failure, far beyond any correct run


@pytest.fixture(autouse=True)
def _no_ambient_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
async def fake() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI() as server:
        yield server


def llm_settings(fake: FakeOpenAI, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "LLM_BASE_URL": fake.base_url,
        "LLM_API_KEY": API_KEY,
        "LLM_MODEL": MODEL,
        "LLM_TIMEOUT": 2.0,
        **overrides,
    }
    return load_settings(**values)


@pytest.fixture
async def make_llm(fake: FakeOpenAI) -> AsyncIterator[Callable[..., LLMSummarizer]]:
    """Summarizers against `fake` with settings overridden, closed after the test."""
    made: list[LLMSummarizer] = []

    def make(
        now: Callable[[], datetime] | None = None,
        sleep: RecordedSleeps | None = None,
        **overrides: Any,
    ) -> LLMSummarizer:
        options: dict[str, Any] = {"offline": OFFLINE, "backoff": 0.01}
        if now is not None:
            options["now"] = now
        if sleep is not None:
            options["sleep"] = sleep
        summarizer = LLMSummarizer(llm_settings(fake, **overrides), **options)
        made.append(summarizer)
        return summarizer

    yield make
    for summarizer in made:
        await summarizer.aclose()


@pytest.fixture
def llm(make_llm: Callable[..., LLMSummarizer]) -> LLMSummarizer:
    return make_llm()


def offline(language: Language) -> Summary:
    """The seed paper's offline summary: what every whole-summary fallback must equal."""
    return OFFLINE.extract(SEED_PAPER, language)


def section(card: Card, key: str) -> Section:
    found = card.section(key)
    assert found is not None, f"the card has no {key} section"
    return found


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def seed_sections(language: Language = "zh", **overrides: Any) -> Sections:
    return Answer.model_validate(seed_answer(language, **overrides)).sections(language)


def check_seed(language: Language = "zh", **overrides: Any) -> dict[str, str]:
    source = Source.of(SEED_PAPER, reports_experiments=False)
    return check(seed_sections(language, **overrides), source, language)


# -- the card ---------------------------------------------------------------------------


async def test_seed_paper_zh_card_has_every_section_of_the_reference_card(
    fake: FakeOpenAI, llm: LLMSummarizer
) -> None:
    summary = await llm.summarize(SEED_PAPER, "zh")
    card = build_card(SEED_PAPER, summary)

    assert [s.key for s in card.sections] == REFERENCE_SECTIONS
    expected = seed_answer("zh")
    assert summary.summarizer == f"llm:{MODEL}:p{PROMPT_VERSION}"
    assert section(card, "translated_abstract").text == expected["translated_abstract"]
    assert len(section(card, "method").fields) == 5
    assert section(card, "key_points").items == tuple(expected["key_points"])
    # The survey reports no experiment, and the card says so instead of inventing one.
    assert section(card, "experiments").text == CARD_LABELS["zh"].no_experiments
    assert len(fake.requests) == 1


async def test_one_structured_request_carries_the_paper_and_asks_for_chinese(
    fake: FakeOpenAI, llm: LLMSummarizer
) -> None:
    await llm.summarize(SEED_PAPER, "zh")

    (request,) = fake.requests
    assert request.response_format == "json_schema"
    assert request.body["response_format"]["json_schema"]["strict"] is True
    assert request.authorization == f"Bearer {API_KEY}"
    user = request.messages[-1]["content"]
    for part in (SEED_PAPER.title, SEED_PAPER.abstract, SEED_PAPER.comment, "cs.CV"):
        assert part in user
    assert requested_language(request.body) == "zh"


async def test_english_card_has_english_sections_and_no_translation(
    fake: FakeOpenAI, llm: LLMSummarizer
) -> None:
    summary = await llm.summarize(SEED_PAPER, "en")
    card = build_card(SEED_PAPER, summary)

    assert summary.takeaway == seed_answer("en")["takeaway"]
    assert summary.translated_abstract is None
    assert card.section("translated_abstract") is None
    assert requested_language(fake.requests[0].body) == "en"


async def test_numbered_key_points_lose_their_numbers(fake: FakeOpenAI, llm: LLMSummarizer) -> None:
    points = seed_answer("zh")["key_points"]
    fake.answer_next(seed_answer("zh", key_points=[f"{i}. {p}" for i, p in enumerate(points, 1)]))

    summary = await llm.summarize(SEED_PAPER, "zh")

    assert summary.key_points == tuple(points)
    assert len(fake.requests) == 1


def test_list_numbering_is_stripped_but_a_leading_number_is_kept() -> None:
    points = ["1. 提出问题。", "2） 给出方法。", "3.2%的提升来自新损失。"]
    sections = seed_sections(key_points=points)
    assert sections.key_points == ("提出问题。", "给出方法。", "3.2%的提升来自新损失。")


# -- grounding --------------------------------------------------------------------------


async def test_the_reference_cards_invented_20_percent_is_caught_and_regenerated(
    fake: FakeOpenAI, llm: LLMSummarizer, caplog: pytest.LogCaptureFixture
) -> None:
    invented = to_json(seed_answer("zh", experiments=REFERENCE_EXPERIMENTS))
    fake.answer_next(invented, seed_answer("zh"))

    summary = await llm.summarize(SEED_PAPER, "zh")

    assert summary.experiments is None
    assert "20" not in section(build_card(SEED_PAPER, summary), "experiments").text
    _, retry = fake.requests
    feedback = retry.messages[-1]["content"]
    assert "experiments" in feedback and "20" in feedback
    assert retry.messages[-2] == {"role": "assistant", "content": invented}
    assert llm.stats.grounding_failures == {"experiments": 1}
    assert f"LLM {MODEL}" in caplog.text and "experiments failed grounding" in caplog.text


async def test_a_hallucination_that_survives_regeneration_gets_the_offline_section(
    fake: FakeOpenAI, llm: LLMSummarizer, caplog: pytest.LogCaptureFixture
) -> None:
    invented = seed_answer("zh", experiments=REFERENCE_EXPERIMENTS)
    fake.answer_next(invented, invented)

    summary = await llm.summarize(SEED_PAPER, "zh")

    assert summary.experiments == offline("zh").experiments
    card = build_card(SEED_PAPER, summary)
    assert section(card, "experiments").text == CARD_LABELS["zh"].no_experiments
    # Only the failing section is replaced: the translation is still the model's.
    assert summary.translated_abstract == invented["translated_abstract"]
    assert summary.summarizer == llm.name
    assert llm.stats.sections_replaced == {"experiments": 1}
    assert "experiments failed again" in caplog.text


async def test_a_regenerated_section_is_taken_while_passing_sections_stay(
    fake: FakeOpenAI, llm: LLMSummarizer
) -> None:
    fixed_takeaway = "综述视觉强化学习的最新进展与开放挑战。"
    fake.answer_next(
        seed_answer("zh", takeaway="将300多项工作归入四个支柱的综述。"),
        seed_answer("zh", takeaway=fixed_takeaway, applications="这个字段不应被采用。"),
    )

    summary = await llm.summarize(SEED_PAPER, "zh")

    assert summary.takeaway == fixed_takeaway
    assert summary.applications == seed_answer("zh")["applications"]


async def test_a_failed_regeneration_keeps_the_good_sections_and_replaces_the_bad(
    fake: FakeOpenAI, llm: LLMSummarizer
) -> None:
    fake.answer_next(seed_answer("zh", problem="现有方法的样本效率只有35%。"))
    fake.fail_next(500)

    summary = await llm.summarize(SEED_PAPER, "zh")

    assert summary.method.problem == offline("zh").method.problem
    assert summary.method.core_idea == seed_answer("zh")["method"]["core_idea"]
    assert len(fake.requests) == 2


@pytest.mark.parametrize(
    "written", ["200+项工作", "200多项工作", "超过200项工作", "２００项", "4个支柱", "22页"]
)
def test_a_number_the_paper_states_passes_in_any_form(written: str) -> None:
    assert check_seed(applications=f"梳理了{written}。") == {}


@pytest.mark.parametrize("written", ["20%以上", "20 %", "２０％", "20+", "200.5项", "2,000项"])
def test_a_number_the_paper_does_not_state_fails_in_any_form(written: str) -> None:
    failures = check_seed(applications=f"性能提升{written}。")
    assert set(failures) == {"applications"}
    assert "do not appear in the title, abstract or comments" in failures["applications"]


SEED_NUMBERS = Source.of(SEED_PAPER, reports_experiments=False).numbers


@given(st.integers(min_value=0, max_value=10**6).filter(lambda n: Decimal(n) not in SEED_NUMBERS))
def test_any_number_the_paper_does_not_state_fails_its_section(n: int) -> None:
    for form in (f"{n}", f"{n}%", f"{n} %", f"{n}+", f"{n}多", f"{n:,}", f"{n}.0"):
        failures = check_seed(takeaway=f"性能提升{form}。")
        assert "takeaway" in failures, form


def test_experiments_for_a_paper_without_experiments_must_say_so() -> None:
    assert "experiments" in check_seed(experiments="该方法在多个基准上表现优异。")
    assert check_seed(experiments="作为综述，摘要未报告实验结果。") == {}


def test_experiments_of_a_paper_with_results_are_kept_when_grounded() -> None:
    paper = make_paper(abstract="We propose X. Experiments show X improves accuracy by 3.2%.")
    source = Source.of(paper, reports_experiments=True)
    sections = seed_sections("en", experiments="X improves accuracy by 3.2%.", keywords=[])
    assert "experiments" not in check(sections, source, "en")
    sections = seed_sections("en", experiments="X improves accuracy by 5%.", keywords=[])
    assert "experiments" in check(sections, source, "en")


def test_keywords_must_be_supported_by_the_text() -> None:
    reference_keywords = [
        *("视觉强化学习", "多模态模型", "奖励工程", "课程驱动训练", "统一奖励建模"),
        *("智能体决策", "样本效率", "安全部署"),
    ]
    failures = check_seed(keywords=reference_keywords)
    assert "智能体决策" in failures["keywords"]
    assert "多模态模型" not in failures["keywords"]  # near enough to 多模态大语言模型
    english = ["visual RL", "reward engineering", "sample efficiency", "RLHF", "diffusion"]
    assert "keywords" not in check_seed("en", keywords=english)
    assert "quantum" in check_seed("en", keywords=[*english[:4], "quantum annealing"])["keywords"]


def test_a_chinese_card_written_in_english_fails_its_prose_sections() -> None:
    failures = check_seed(takeaway=seed_answer("en")["takeaway"], problem="In English.")
    assert set(failures) == {"takeaway", "problem"}
    assert "Chinese" in failures["takeaway"]


def test_a_translation_must_be_whole_and_keep_the_abstracts_numbers() -> None:
    assert "translated_abstract" in check_seed(translated_abstract=None)
    assert "translated_abstract" in check_seed(translated_abstract="一篇视觉强化学习综述。")
    whole = seed_answer("zh")["translated_abstract"]
    failures = check_seed(translated_abstract=whole.replace("200多项", "数百项"))
    assert "200" in failures["translated_abstract"]


def test_key_points_and_keywords_are_counted() -> None:
    points = seed_answer("zh")["key_points"]
    assert "key_points" in check_seed(key_points=points[:2])
    assert "keywords" in check_seed(keywords=["视觉强化学习", "奖励工程", "RLHF"])


def test_source_numbers_include_spelled_out_ones() -> None:
    source = Source.of(SEED_PAPER, reports_experiments=False)
    assert {Decimal(4), Decimal(200), Decimal(22)} <= source.numbers


# -- whole-summary fallbacks ------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ('{"takeaway": "综述", "keywords": [', "invalid_json"),
        ("Sure! Here is the summary card you asked for: a survey of visual RL.", "invalid_json"),
        (seed_answer("zh", key_points=MISSING), "schema"),
        (seed_answer("zh", keywords="视觉强化学习, 奖励工程"), "schema"),
        ([seed_answer("zh")], "schema"),
    ],
    ids=["truncated-json", "prose", "missing-field", "wrong-type", "not-an-object"],
)
async def test_an_unusable_answer_gives_the_offline_summary(
    fake: FakeOpenAI,
    llm: LLMSummarizer,
    caplog: pytest.LogCaptureFixture,
    answer: Any,
    reason: str,
) -> None:
    fake.answer_next(answer if isinstance(answer, str) else to_json(answer))

    summary = await llm.summarize(SEED_PAPER, "zh")

    assert summary == offline("zh")
    assert llm.stats.fallbacks == {reason: 1}
    assert "uses the offline summary" in caplog.text
    assert len(fake.requests) == 1


async def test_a_slow_server_falls_back_within_the_timeout(
    fake: FakeOpenAI, make_llm: Callable[..., LLMSummarizer]
) -> None:
    llm = make_llm(LLM_TIMEOUT=0.2)
    fake.delay_next(3600)  # no answer within the test: only the timeout can end the request

    summary = await asyncio.wait_for(llm.summarize(SEED_PAPER, "zh"), HANG_GUARD)

    assert summary == offline("zh")
    assert llm.stats.fallbacks == {"timeout": 1}

    async def recorded() -> bool:  # the fake records the request once it notices the hang-up
        return bool(fake.requests)

    await eventually(recorded, timeout=HANG_GUARD)
    assert [r.status for r in fake.requests] == [499]


async def test_a_429_is_waited_out_as_retry_after_says(
    fake: FakeOpenAI, make_llm: Callable[..., LLMSummarizer]
) -> None:
    sleeps = RecordedSleeps()
    llm = make_llm(sleep=sleeps)
    fake.fail_next(429, retry_after=0.3)

    summary = await llm.summarize(SEED_PAPER, "zh")

    assert summary.summarizer == llm.name
    limited, answered = fake.requests
    assert (limited.status, answered.status) == (429, 200)
    assert sleeps.pauses == [0.3]


async def test_a_429_asking_for_longer_than_the_timeout_falls_back_at_once(
    fake: FakeOpenAI, make_llm: Callable[..., LLMSummarizer]
) -> None:
    sleeps = RecordedSleeps()
    llm = make_llm(sleep=sleeps, LLM_TIMEOUT=0.5)
    fake.fail_next(429, retry_after=30)

    summary = await llm.summarize(SEED_PAPER, "en")

    assert summary == offline("en")
    assert sleeps.pauses == []
    assert llm.stats.fallbacks == {"rate_limited": 1}
    assert len(fake.requests) == 1


async def test_a_429_that_persists_gives_up_after_two_retries(
    fake: FakeOpenAI, make_llm: Callable[..., LLMSummarizer]
) -> None:
    sleeps = RecordedSleeps()
    llm = make_llm(sleep=sleeps)
    fake.fail_next(429, n=5)  # no Retry-After: the summarizer's own backoff, doubling

    summary = await llm.summarize(SEED_PAPER, "en")

    assert summary == offline("en")
    assert [r.status for r in fake.requests] == [429, 429, 429]
    assert sleeps.pauses == [0.01, 0.02]


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_a_server_error_falls_back_without_retrying(
    fake: FakeOpenAI, llm: LLMSummarizer, status: int
) -> None:
    fake.fail_next(status)

    summary = await llm.summarize(SEED_PAPER, "zh")

    assert summary == offline("zh")
    assert llm.stats.fallbacks == {"http_error": 1}
    assert len(fake.requests) == 1


async def test_an_endpoint_without_json_schema_is_asked_in_json_object_mode_from_then_on() -> None:
    async with FakeOpenAI(json_schema=False) as deepseek:
        llm = LLMSummarizer(llm_settings(deepseek), offline=OFFLINE)
        try:
            first = await llm.summarize(SEED_PAPER, "zh")
            second = await llm.summarize(make_paper(arxiv_id="2508.00002"), "zh")
        finally:
            await llm.aclose()

    assert first.summarizer == second.summarizer == llm.name
    assert [(r.response_format, r.status) for r in deepseek.requests] == [
        ("json_schema", 400),
        ("json_object", 200),
        ("json_object", 200),
    ]


async def test_the_fake_rejects_what_the_real_service_rejects(fake: FakeOpenAI) -> None:
    client = openai.AsyncOpenAI(base_url=fake.base_url, api_key=API_KEY, max_retries=0)
    messages: Any = [{"role": "user", "content": "Summarize."}]
    loose_schema: Any = {"type": "object", "properties": {"a": {"type": "string"}}}
    try:
        with pytest.raises(openai.BadRequestError, match="json"):
            await client.chat.completions.create(
                model=MODEL, messages=messages, response_format={"type": "json_object"}
            )
        with pytest.raises(openai.BadRequestError, match="additionalProperties"):
            await client.chat.completions.create(
                model=MODEL,
                messages=messages,
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "x", "schema": loose_schema, "strict": True},
                },
            )
        with pytest.raises(openai.NotFoundError):
            await client.chat.completions.create(model="gpt-nonexistent", messages=messages)
        wrong = openai.AsyncOpenAI(base_url=fake.base_url, api_key="sk-wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            await wrong.chat.completions.create(model=MODEL, messages=messages)
        await wrong.close()
    finally:
        await client.close()


# -- once per paper, concurrency, budget -----------------------------------------------


async def test_requests_made_equal_papers_times_languages(
    fake: FakeOpenAI, llm: LLMSummarizer
) -> None:
    papers = [make_paper(arxiv_id=f"2508.0010{i}", title=f"Paper {i}") for i in range(5)]
    languages: tuple[Language, ...] = ("zh", "en")

    summaries = await asyncio.gather(
        *(llm.summarize(paper, language) for paper in papers for language in languages)
    )

    assert all(s.summarizer == llm.name for s in summaries)
    asked = {
        (r.messages[-1]["content"].splitlines()[0], requested_language(r.body))
        for r in fake.requests
    }
    assert len(fake.requests) == len(asked) == len(papers) * len(languages)
    assert llm.stats.requests == len(fake.requests)
    assert llm.stats.prompt_tokens > 0 and llm.stats.completion_tokens > 0


@pytest.mark.parametrize("limit", [1, 3])
async def test_no_more_requests_are_in_flight_than_the_concurrency_limit(
    fake: FakeOpenAI, make_llm: Callable[..., LLMSummarizer], limit: int
) -> None:
    llm = make_llm(LLM_MAX_CONCURRENCY=limit)
    fake.latency = 0.05
    papers = [make_paper(arxiv_id=f"2508.0020{i}") for i in range(8)]

    await asyncio.gather(*(llm.summarize(paper, "en") for paper in papers))

    assert fake.max_concurrent == limit
    assert len(fake.requests) == len(papers)


async def test_a_spent_daily_budget_falls_back_until_the_next_utc_day(
    fake: FakeOpenAI, make_llm: Callable[..., LLMSummarizer], caplog: pytest.LogCaptureFixture
) -> None:
    clock = [datetime(2026, 3, 1, 23, 0, tzinfo=UTC)]
    llm = make_llm(now=lambda: clock[0], LLM_DAILY_TOKEN_BUDGET=100)

    assert (await llm.summarize(SEED_PAPER, "en")).summarizer == llm.name
    assert llm.stats.prompt_tokens + llm.stats.completion_tokens > 100
    spent = await llm.summarize(make_paper(arxiv_id="2508.00301"), "en")
    assert spent.summarizer == "offline"
    assert len(fake.requests) == 1
    assert "daily budget of 100 tokens" in caplog.text

    clock[0] += timedelta(hours=1)
    assert (await llm.summarize(make_paper(arxiv_id="2508.00302"), "en")).summarizer == llm.name
    assert len(fake.requests) == 2


async def test_a_summary_is_made_once_and_reused_from_the_store(
    fake: FakeOpenAI, llm: LLMSummarizer, store: Store
) -> None:
    with FakeArxiv() as arxiv:
        arxiv.add(SEED_PAPER)
        library = Library(store, ArxivSource(arxiv.api_url, 0.0, 2.0), llm)
        paper = (await library.papers([ArxivId(SEED_PAPER.arxiv_id)]))[SEED_PAPER.arxiv_id]

        cards = await asyncio.gather(*(library.card(paper, "zh") for _ in range(3)))
        again = await library.card(paper, "zh")

    assert len(fake.requests) == 1
    assert all(card == again for card in cards)
    stored = await store.get_summary(SEED_PAPER.arxiv_id, "zh", llm.name)
    assert (
        stored is not None
        and stored.translated_abstract == seed_answer("zh")["translated_abstract"]
    )


async def test_a_whole_fallback_is_stored_as_offline_so_the_model_is_asked_again(
    fake: FakeOpenAI, llm: LLMSummarizer, store: Store
) -> None:
    await store.save_papers([SEED_PAPER])
    library = Library(store, ArxivSource("http://127.0.0.1:9/unused", 0.0, 1.0), llm)
    fake.fail_next(503)

    first = await library.card(SEED_PAPER, "zh")
    second = await library.card(SEED_PAPER, "zh")

    assert section(first, "translated_abstract").text == CARD_LABELS["zh"].no_translation
    assert section(second, "translated_abstract").text == seed_answer("zh")["translated_abstract"]
    assert len(fake.requests) == 2


def test_long_model_names_still_fit_the_store_and_stay_distinct() -> None:
    long_a = "accounts/fireworks/models/deepseek-r1-distill-llama-70b-instruct-a"
    long_b = long_a[:-1] + "b"
    names = {summarizer_name(long_a), summarizer_name(long_b)}
    assert len(names) == 2
    assert all(len(name) <= 64 and name.endswith(f":p{PROMPT_VERSION}") for name in names)
    assert summarizer_name(MODEL) == f"llm:{MODEL}:p{PROMPT_VERSION}"


# -- configuration and secrets ----------------------------------------------------------


async def test_make_summarizer_uses_the_llm_only_when_endpoint_and_model_are_set(
    fake: FakeOpenAI,
) -> None:
    chosen = make_summarizer(llm_settings(fake))
    assert isinstance(chosen, LLMSummarizer) and chosen.name == summarizer_name(MODEL)
    await chosen.aclose()
    for missing in ({"LLM_MODEL": ""}, {"LLM_BASE_URL": ""}, {"LLM_BASE_URL": None}):
        assert isinstance(make_summarizer(llm_settings(fake, **missing)), OfflineSummarizer)
    assert isinstance(make_summarizer(load_settings()), OfflineSummarizer)


async def test_without_a_key_the_client_sends_a_placeholder_not_an_ambient_openai_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-ambient-do-not-send")
    async with FakeOpenAI(api_key=None) as ollama:
        llm = LLMSummarizer(llm_settings(ollama, LLM_API_KEY=""), offline=OFFLINE)
        summary = await llm.summarize(SEED_PAPER, "en")
        await llm.aclose()

    assert summary.summarizer == llm.name
    assert "sk-ambient" not in (ollama.requests[0].authorization or "")


async def test_the_api_key_never_reaches_the_logs(
    fake: FakeOpenAI, llm: LLMSummarizer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake.fail_next(502, message=f"upstream refused Authorization: Bearer {API_KEY}")
    fake.fail_next(429, retry_after=0.01, message=f"key {API_KEY} is over its quota")
    fake.fail_next(429, retry_after=0.01, message=f"key {API_KEY} is over its quota")
    fake.fail_next(429, retry_after=0.01, message=f"key {API_KEY} is over its quota")

    await llm.summarize(SEED_PAPER, "zh")
    await llm.summarize(SEED_PAPER, "zh")
    await llm.summarize(SEED_PAPER, "zh")

    assert "upstream refused" in caplog.text and "over its quota" in caplog.text
    assert API_KEY not in caplog.text
    assert all(API_KEY not in (record.exc_text or "") for record in caplog.records)


async def test_a_wrong_key_falls_back_and_is_not_logged(
    fake: FakeOpenAI, make_llm: Callable[..., LLMSummarizer], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong_key = "sk-wrong-0123456789abcdef"
    llm = make_llm(LLM_API_KEY=wrong_key)

    summary = await llm.summarize(SEED_PAPER, "zh")

    assert summary == offline("zh")
    assert "HTTP 401" in caplog.text
    assert wrong_key not in caplog.text


def test_llm_settings_are_validated_one_line_each() -> None:
    with pytest.raises(ConfigError, match=r"^LLM_BASE_URL:"):
        load_settings(LLM_BASE_URL="api.deepseek.com")
    with pytest.raises(ConfigError, match=r"^LLM_MAX_CONCURRENCY:"):
        load_settings(LLM_MAX_CONCURRENCY=0)
    settings = load_settings()
    assert (settings.LLM_MAX_CONCURRENCY, settings.LLM_TIMEOUT) == (4, 60)
    assert settings.LLM_DAILY_TOKEN_BUDGET is None


def test_sections_round_trip_through_a_summary() -> None:
    summary = dataclasses.replace(offline("zh"), translated_abstract="译文")
    assert Sections.of(summary).summary("zh", summary.summarizer) == summary
