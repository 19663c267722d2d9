"""Card sections written by a language model behind any OpenAI-compatible endpoint.

The model earns its place with what extraction cannot do — a Chinese translation, a
takeaway in its own words, method parts the abstract only implies — and is trusted with
none of it: every answer is validated against a schema and grounded against the paper
(`bot.summarize.grounding`) before it is stored. A failing section is asked for once more,
naming the failure, then taken from the offline summarizer; an answer that cannot be used
at all (timeout, 429 past its retries, 5xx, malformed JSON, missing fields, a refusal, the
day's token budget spent) gives the whole offline summary and a log line, never an error:
the card is sent either way.

This module is the transport: the OpenAI client, rate-limit waits, the json_schema to
json_object fallback, the daily budget and the grounding round; what is asked and what
a valid answer is live in `bot.summarize.prompt`.

A whole-summary fallback is returned under the offline summarizer's name, so the store
keeps it as what it is and the next request for the card asks the model again; a summary
with some sections replaced is the model's and is stored under `name`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import openai
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam
from openai.types.chat.completion_create_params import ResponseFormat

from bot.source.papers import Paper
from bot.summarize import Summary, prompt
from bot.summarize.grounding import Sections, Source, check
from bot.summarize.offline import OfflineSummarizer
from bot.support.config import Language, Settings
from bot.support.retry_after import retry_after

log = logging.getLogger(__name__)

# The store's summarizer column is 64 characters.
_NAME_LIMIT = 64
_RATE_LIMIT_RETRIES = 2
# The openai client reads OPENAI_API_KEY when given no key; a local server needs none, and
# an ambient OpenAI key must never be sent to some other endpoint.
_NO_KEY = "no-key"
_DETAIL_LIMIT = 200
_STRUCTURED_UNSUPPORTED = re.compile(r"response_format|json_schema|structured", re.IGNORECASE)


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
    # Papers in a row the LLM failed for (0 after a success), and why the last one failed:
    # what operator alerts watch (`bot.delivery.alerts.Alerts.llm_streak`).
    failing_in_a_row: int = 0
    last_failure: str = ""


def summarizer_name(model: str) -> str:
    """`llm:<model>:p<prompt version>`, with a long model name shortened to fit the store."""
    suffix = f":p{prompt.PROMPT_VERSION}"
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
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """`sleep` waits out rate limits; tests pass one that records the pause instead."""
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
        self._sleep = sleep
        self._structured = True
        self._day: date | None = None
        self._spent_today = 0

    async def aclose(self) -> None:
        await self._client.close()

    async def summarize(self, paper: Paper, language: Language) -> Summary:
        offline = await self._offline.summarize(paper, language)
        try:
            summary = await self._summarize(paper, language, offline)
            self.stats.failing_in_a_row = 0
            return summary
        except _Failed as failure:
            self.stats.fallbacks[failure.kind] += 1
            self._failed(f"{failure.kind}: {failure}")
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
            self._failed("unexpected error")
            log.exception(
                "LLM %s: %s (%s) uses the offline summary after an unexpected error",
                self.model,
                paper.arxiv_id,
                language,
            )
        return offline

    def _failed(self, reason: str) -> None:
        self.stats.failing_in_a_row += 1
        self.stats.last_failure = reason

    async def _summarize(self, paper: Paper, language: Language, offline: Summary) -> Summary:
        source = Source.of(paper, reports_experiments=offline.experiments is not None)
        messages = prompt.messages(paper, language)
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
        retry: list[ChatCompletionMessageParam] = [
            *messages,
            {"role": "assistant", "content": raw},
            {"role": "user", "content": prompt.feedback(failures)},
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
                wait = retry_after(exc.response.headers)
                if wait is None:
                    wait = self._backoff * 2**rate_limited
                if rate_limited == _RATE_LIMIT_RETRIES or wait > self._timeout:
                    raise _Failed("rate_limited", self._describe(exc)) from None
                rate_limited += 1
                log.info("LLM %s: rate limited, retrying in %.2f s", self.model, wait)
                await self._sleep(wait)
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
                "json_schema": {"name": "summary_card", "schema": prompt.SCHEMA, "strict": True},
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
        return prompt.parse_answer(raw, language), raw
    except prompt.InvalidAnswer as invalid:
        raise _Failed(invalid.kind, str(invalid)) from None
