"""What a summarizer produces for the card's generated sections, and the interface it meets.

The offline summarizer is the default; an LLM-backed one slots in behind the same
`Summarizer` protocol. A summary is made once per paper and language and stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bot.source.papers import Paper
from bot.support.config import Language, Settings


@dataclass(frozen=True, slots=True)
class Method:
    """The five parts of the card's method section; a part the source gives nothing for is None."""

    problem: str | None = None
    core_idea: str | None = None
    framework: str | None = None
    key_innovation: str | None = None
    key_design: str | None = None


@dataclass(frozen=True, slots=True)
class Summary:
    """Generated sections of one card in one language.

    `experiments` is None when the abstract reports no experiment: the card then says so
    rather than inventing results.
    """

    language: Language
    summarizer: str
    takeaway: str
    keywords: tuple[str, ...]
    key_points: tuple[str, ...]
    method: Method = field(default_factory=Method)
    experiments: str | None = None
    applications: str | None = None
    translated_abstract: str | None = None


class Summarizer(Protocol):
    """Turns a paper into a Summary; `name` is stored with the summary to key reuse."""

    name: str

    async def summarize(self, paper: Paper, language: Language) -> Summary: ...

    async def aclose(self) -> None:
        """Release connections (an HTTP client) at shutdown."""
        ...


def make_summarizer(settings: Settings) -> Summarizer:
    """The LLM summarizer when an endpoint and a model are configured, else the offline one.

    Imported here rather than at the top: both modules import this one, and the offline
    path should not load the openai client at all.
    """
    if settings.LLM_BASE_URL and settings.LLM_MODEL:
        from bot.summarize.llm import LLMSummarizer

        return LLMSummarizer(settings)
    from bot.summarize.offline import OfflineSummarizer

    return OfflineSummarizer()
