"""Card sections written by a language model behind any OpenAI-compatible endpoint.

The model earns its place with what extraction cannot do — a Chinese translation, a
takeaway in its own words, method parts the abstract only implies — and is trusted with
none of it: every answer is validated against a schema and grounded against the paper
(`bot.summarize.grounding`) before it is stored. A failing section is asked for once more,
naming the failure, then taken from the offline summarizer; an answer that cannot be used
at all (timeout, 429 past its retries, 5xx, malformed JSON, missing fields, a refusal, the
day's token budget spent) gives the whole offline summary and a log line, never an error:
the card is sent either way.

A whole-summary fallback is returned under the offline summarizer's name, so the store
keeps it as what it is and the next request for the card asks the model again; a summary
with some sections replaced is the model's and is stored under `name`.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import openai
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from openai.types.chat.completion_create_params import ResponseFormat
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.source.papers import Paper
from bot.summarize import Summary
from bot.summarize.grounding import Sections, Source, check
from bot.summarize.offline import OfflineSummarizer
from bot.support.config import Language, Settings

log = logging.getLogger(__name__)

# Bump when the prompt or schema changes: summaries are stored per version, so cards made
# by an older prompt are regenerated rather than mixed with new ones.
PROMPT_VERSION = 1
# The store's summarizer column is 64 characters.
_NAME_LIMIT = 64
_RATE_LIMIT_RETRIES = 2
# The openai client reads OPENAI_API_KEY when given no key; a local server needs none, and
# an ambient OpenAI key must never be sent to some other endpoint.
_NO_KEY = "no-key"
_DETAIL_LIMIT = 200
# "1. ", "2) ", "3、", "- ": numbering the card adds itself; "3.2% faster" is no numbering.
_LIST_MARK = re.compile(r"^\s*(?:\d{1,2}(?:[.)）](?!\d)|[、:：])|[-*•·](?=\s))\s*")
_STRUCTURED_UNSUPPORTED = re.compile(r"response_format|json_schema|structured", re.IGNORECASE)

_SCHEMA_CONFIG = ConfigDict(
    str_strip_whitespace=True, json_schema_extra={"additionalProperties": False}
)


class AnswerMethod(BaseModel):
    model_config = _SCHEMA_CONFIG

    problem: str | None = Field(
        description="The problem the paper addresses and where existing work falls short."
    )
    core_idea: str | None = Field(description="The paper's central idea or approach.")
    framework: str | None = Field(description="The overall structure: stages, modules, parts.")
    key_innovation: str | None = Field(description="What is new compared with prior work.")
    key_design: str | None = Field(
        description="Concrete design choices: objectives, losses, architectures, training."
    )


class Answer(BaseModel):
    model_config = _SCHEMA_CONFIG

    takeaway: str = Field(description="One sentence: the paper's main contribution.")
    keywords: list[str] = Field(description="5 to 8 distinct technical terms of the paper.")
    key_points: list[str] = Field(
        description="Exactly 3 points, unnumbered: the problem, the approach, the main finding."
    )
    translated_abstract: str | None = Field(
        description="zh cards: the whole abstract translated faithfully. en cards: null."
    )
    method: AnswerMethod
    experiments: str | None = Field(
        description="The experimental results the abstract reports; null when it reports no"
        " experiment (a survey, a position paper, pure theory)."
    )
    applications: str | None = Field(
        description="Where the work applies, as the text suggests; null if it suggests none."
    )

    def sections(self, language: Language) -> Sections:
        method = self.method
        return Sections(
            takeaway=self.takeaway,
            keywords=tuple(self.keywords),
            key_points=tuple(_LIST_MARK.sub("", point) for point in self.key_points),
            translated_abstract=(self.translated_abstract or None) if language == "zh" else None,
            problem=method.problem or None,
            core_idea=method.core_idea or None,
            framework=method.framework or None,
            key_innovation=method.key_innovation or None,
            key_design=method.key_design or None,
            experiments=self.experiments or None,
            applications=self.applications or None,
        )


SCHEMA = Answer.model_json_schema()

_SYSTEM = """\
You write the generated sections of a summary card for a new arXiv paper, read by \
researchers who skim dozens of papers a day. Answer with one JSON object that follows this \
JSON schema; each property's description defines its section:
{schema}

Rules:
- Use only the title, abstract and comments given. Add no fact, result, dataset, baseline \
or comparison they do not state.
- Every number you write must appear in the text; write numbers in digits. Never estimate \
a gain or a percentage.
- When the abstract reports no experiment, experiments is null.
- Keep technical terms, model, method and dataset names and acronyms in their accepted \
form (LLM, RLHF, Transformer, ImageNet); never translate them word by word (LLM is 大语言模型 \
or LLM, never 法学硕士).
- {language}"""

_LANGUAGE_RULES: dict[Language, str] = {
    "zh": "Write every section in Simplified Chinese (简体中文). translated_abstract is a "
    "faithful, complete translation of the whole abstract: every sentence and every number, "
    "nothing added. Each keyword is a Chinese term your translation uses, or a term exactly "
    "as the paper writes it (an acronym or a name such as RLHF).",
    "en": "Write every section in English. translated_abstract is null. Each keyword is a "
    "term as the paper writes it.",
}

_FEEDBACK = """\
These sections failed a check against the paper's text:
{failures}
Rewrite only these sections so that they pass, and answer with the whole JSON object again, \
the other sections unchanged."""


class _Failed(Exception):
    """The model gave nothing usable; `kind` labels the fallback counter."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


@dataclass
class LLMStats:
    """Counters for one summarizer (so one model), read by the metrics endpoint.

    `grounding_failures` counts first answers whose section failed a check, by section;
    `sections_replaced` those still failing after regeneration, replaced by the offline
    summarizer's; `fallbacks` whole summaries given to the offline summarizer, by reason.
    """

    model: str
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    grounding_failures: Counter[str] = field(default_factory=Counter)
    sections_replaced: Counter[str] = field(default_factory=Counter)
    fallbacks: Counter[str] = field(default_factory=Counter)


def summarizer_name(model: str) -> str:
    """`llm:<model>:p<prompt version>`, with a long model name shortened to fit the store."""
    suffix = f":p{PROMPT_VERSION}"
    name = f"llm:{model}{suffix}"
    if len(name) <= _NAME_LIMIT:
        return name
    digest = hashlib.sha256(model.encode()).hexdigest()[:8]
    keep = _NAME_LIMIT - len(f"llm:~{digest}{suffix}")
    return f"llm:{model[:keep]}~{digest}{suffix}"


def _utc_now() -> datetime:
    return datetime.now(UTC)


class LLMSummarizer:
    """One chat.completions request per paper and language, one more if a section fails.

    `LLM_MAX_CONCURRENCY` bounds the requests in flight and `LLM_TIMEOUT` each one, so a
    card waits at most two requests and two rate-limit pauses (each no longer than the
    timeout) before it goes out. Structured output (`json_schema`) is asked for first; an
    endpoint that rejects it (DeepSeek, older vLLM) is asked in `json_object` mode from then
    on, the schema being in the prompt either way.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        offline: OfflineSummarizer | None = None,
        backoff: float = 1.0,
        now: Callable[[], datetime] = _utc_now,
    ) -> None:
        if not settings.LLM_BASE_URL or not settings.LLM_MODEL:
            raise ValueError("the LLM summarizer needs LLM_BASE_URL and LLM_MODEL")
        self.model = settings.LLM_MODEL
        self.name = summarizer_name(self.model)
        self.stats = LLMStats(model=self.model)
        self._key = settings.LLM_API_KEY.get_secret_value() if settings.LLM_API_KEY else ""
        self._client = openai.AsyncOpenAI(
            base_url=settings.LLM_BASE_URL,
            api_key=self._key or _NO_KEY,
            timeout=settings.LLM_TIMEOUT,
            max_retries=0,
        )
        self._timeout = settings.LLM_TIMEOUT
        self._slots = asyncio.Semaphore(settings.LLM_MAX_CONCURRENCY)
        self._budget = settings.LLM_DAILY_TOKEN_BUDGET
        self._offline = offline or OfflineSummarizer()
        self._backoff = backoff
        self._now = now
        self._structured = True
        self._day: date | None = None
        self._spent_today = 0

    async def aclose(self) -> None:
        await self._client.close()

    async def summarize(self, paper: Paper, language: Language) -> Summary:
        offline = await self._offline.summarize(paper, language)
        try:
            return await self._summarize(paper, language, offline)
        except _Failed as failure:
            self.stats.fallbacks[failure.kind] += 1
            log.warning(
                "LLM %s: %s (%s) uses the offline summary: %s",
                self.model,
                paper.arxiv_id,
                language,
                failure,
            )
        except Exception:
            # A card must go out even if this code meets an answer it did not foresee.
            self.stats.fallbacks["error"] += 1
            log.exception(
                "LLM %s: %s (%s) uses the offline summary after an unexpected error",
                self.model,
                paper.arxiv_id,
                language,
            )
        return offline

    async def _summarize(self, paper: Paper, language: Language, offline: Summary) -> Summary:
        source = Source.of(paper, reports_experiments=offline.experiments is not None)
        messages = _messages(paper, language)
        sections, raw = await self._ask(messages, language)
        failures = check(sections, source, language)
        if failures:
            for name, reason in failures.items():
                self.stats.grounding_failures[name] += 1
                log.warning(
                    "LLM %s: %s (%s) %s failed grounding, regenerating: %s",
                    self.model,
                    paper.arxiv_id,
                    language,
                    name,
                    reason,
                )
            sections = await self._regenerate(messages, raw, sections, failures, paper, language)
            failures = check(sections, source, language)
            for name, reason in failures.items():
                self.stats.sections_replaced[name] += 1
                log.warning(
                    "LLM %s: %s (%s) %s failed again, the offline summarizer's is used: %s",
                    self.model,
                    paper.arxiv_id,
                    language,
                    name,
                    reason,
                )
            sections = sections.with_sections_of(Sections.of(offline), failures)
        return sections.summary(language, self.name)

    async def _regenerate(
        self,
        messages: list[ChatCompletionMessageParam],
        raw: str,
        sections: Sections,
        failures: Mapping[str, str],
        paper: Paper,
        language: Language,
    ) -> Sections:
        """The failing sections from a second answer; the passing ones stay as they were."""
        listed = "\n".join(f"- {_json_path(name)}: {reason}" for name, reason in failures.items())
        retry: list[ChatCompletionMessageParam] = [
            *messages,
            {"role": "assistant", "content": raw},
            {"role": "user", "content": _FEEDBACK.format(failures=listed)},
        ]
        try:
            second, _ = await self._ask(retry, language)
        except _Failed as failure:
            log.warning(
                "LLM %s: %s (%s) regeneration failed: %s",
                self.model,
                paper.arxiv_id,
                language,
                failure,
            )
            return sections
        return sections.with_sections_of(second, failures)

    async def _ask(
        self, messages: list[ChatCompletionMessageParam], language: Language
    ) -> tuple[Sections, str]:
        """One answer, parsed; 429s are waited out as told, everything else raises `_Failed`."""
        rate_limited = 0
        while True:
            self._check_budget()
            structured = self._structured
            try:
                response = await self._request(messages, structured)
            except openai.RateLimitError as exc:
                wait = _retry_after(exc.response.headers)
                if wait is None:
                    wait = self._backoff * 2**rate_limited
                if rate_limited == _RATE_LIMIT_RETRIES or wait > self._timeout:
                    raise _Failed("rate_limited", self._describe(exc)) from None
                rate_limited += 1
                log.info("LLM %s: rate limited, retrying in %.2f s", self.model, wait)
                await asyncio.sleep(wait)
                continue
            except openai.BadRequestError as exc:
                if structured and _STRUCTURED_UNSUPPORTED.search(self._describe(exc)):
                    self._structured = False
                    log.info(
                        "LLM %s: the endpoint rejects json_schema (%s); using json_object",
                        self.model,
                        self._describe(exc),
                    )
                    continue
                raise _Failed("rejected", self._describe(exc)) from None
            except openai.APIStatusError as exc:
                raise _Failed("http_error", self._describe(exc)) from None
            except (openai.APITimeoutError, TimeoutError):
                raise _Failed("timeout", f"no answer within {self._timeout:g} s") from None
            except openai.APIConnectionError as exc:
                raise _Failed("unreachable", self._describe(exc)) from None
            self._count_usage(response)
            return _parse(response, language)

    async def _request(
        self, messages: list[ChatCompletionMessageParam], structured: bool
    ) -> ChatCompletion:
        response_format: ResponseFormat = (
            {
                "type": "json_schema",
                "json_schema": {"name": "summary_card", "schema": SCHEMA, "strict": True},
            }
            if structured
            else {"type": "json_object"}
        )
        async with self._slots, asyncio.timeout(self._timeout):
            self.stats.requests += 1
            return await self._client.chat.completions.create(
                model=self.model, messages=messages, response_format=response_format
            )

    def _check_budget(self) -> None:
        if self._budget is None:
            return
        self._roll_day()
        if self._spent_today >= self._budget:
            raise _Failed(
                "budget", f"the daily budget of {self._budget} tokens is spent until 00:00 UTC"
            )

    def _count_usage(self, response: ChatCompletion) -> None:
        if response.usage is None:
            return
        self.stats.prompt_tokens += response.usage.prompt_tokens
        self.stats.completion_tokens += response.usage.completion_tokens
        self._roll_day()
        self._spent_today += response.usage.prompt_tokens + response.usage.completion_tokens

    def _roll_day(self) -> None:
        today = self._now().astimezone(UTC).date()
        if today != self._day:
            self._day, self._spent_today = today, 0

    def _describe(self, exc: openai.APIError) -> str:
        """The server's own message, without the key: some servers echo it back."""
        body = exc.body
        message = body.get("message") if isinstance(body, dict) else None
        status = getattr(exc, "status_code", None)
        text = str(message or exc.message)
        if status is not None:
            text = f"HTTP {status}: {text}"
        if self._key:
            text = text.replace(self._key, "***")
        return text[:_DETAIL_LIMIT]


def _messages(paper: Paper, language: Language) -> list[ChatCompletionMessageParam]:
    system = _SYSTEM.format(schema=json.dumps(SCHEMA), language=_LANGUAGE_RULES[language])
    paper_text = (
        f"Title: {' '.join(paper.title.split())}\n"
        f"Categories: {', '.join(paper.all_categories)}\n"
        f"Comments: {(paper.comment or '').strip() or 'none'}\n"
        f"Abstract:\n{paper.abstract.strip()}"
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": paper_text}]


def _parse(response: ChatCompletion, language: Language) -> tuple[Sections, str]:
    if not response.choices:
        raise _Failed("malformed", "the answer has no choices")
    choice = response.choices[0]
    if choice.message.refusal:
        raise _Failed("refused", choice.message.refusal[:_DETAIL_LIMIT])
    if choice.finish_reason == "length":
        raise _Failed("truncated", "the answer was cut off at the model's token limit")
    raw = choice.message.content or ""
    try:
        answer = Answer.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors()
        if any(error["type"] == "json_invalid" for error in errors):
            raise _Failed("invalid_json", "the answer is not valid JSON") from None
        problems = ", ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'answer'}: {error['msg']}"
            for error in errors[:3]
        )
        raise _Failed("schema", f"the answer does not match the schema: {problems}") from None
    return answer.sections(language), raw


def _json_path(name: str) -> str:
    method_parts = ("problem", "core_idea", "framework", "key_innovation", "key_design")
    return f"method.{name}" if name in method_parts else name


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait: `retry-after-ms` (OpenAI, Azure), else `Retry-After` as seconds
    (fractions allowed, as the openai client allows them) or an HTTP date."""
    if (milliseconds := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
