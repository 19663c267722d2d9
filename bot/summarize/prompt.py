"""What the model is asked and what a usable answer looks like: the prompt and its schema.

This is the half of the LLM summarizer that changes when the card changes (a new
section, a sharper rule, another language); how the request travels, retries and falls
back is `bot.summarize.llm`. The schema is a pydantic model so the same definition is
sent to the endpoint as JSON schema and used to validate what comes back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from openai.types.chat import ChatCompletionMessageParam
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.source.papers import Paper
from bot.summarize.grounding import Sections
from bot.support.config import Language

# Bump when the prompt or schema changes: summaries are stored per version, so cards made
# by an older prompt are regenerated rather than mixed with new ones.
PROMPT_VERSION = 1
# "1. ", "2) ", "3、", "- ": numbering the card adds itself; "3.2% faster" is no numbering.
_LIST_MARK = re.compile(r"^\s*(?:\d{1,2}(?:[.)）](?!\d)|[、:：])|[-*•·](?=\s))\s*")
_METHOD_PARTS = ("problem", "core_idea", "framework", "key_innovation", "key_design")

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


class InvalidAnswer(Exception):
    """The model's text does not follow the schema; `kind` labels the fallback counter."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind


def messages(paper: Paper, language: Language) -> list[ChatCompletionMessageParam]:
    system = _SYSTEM.format(schema=json.dumps(SCHEMA), language=_LANGUAGE_RULES[language])
    paper_text = (
        f"Title: {' '.join(paper.title.split())}\n"
        f"Categories: {', '.join(paper.all_categories)}\n"
        f"Comments: {(paper.comment or '').strip() or 'none'}\n"
        f"Abstract:\n{paper.abstract.strip()}"
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": paper_text}]


def feedback(failures: Mapping[str, str]) -> str:
    """The follow-up that names each failing section by its place in the schema."""
    listed = "\n".join(f"- {_json_path(name)}: {reason}" for name, reason in failures.items())
    return _FEEDBACK.format(failures=listed)


def parse_answer(raw: str, language: Language) -> Sections:
    try:
        answer = Answer.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors()
        if any(error["type"] == "json_invalid" for error in errors):
            raise InvalidAnswer("invalid_json", "the answer is not valid JSON") from None
        problems = ", ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'answer'}: {error['msg']}"
            for error in errors[:3]
        )
        raise InvalidAnswer("schema", f"the answer does not match the schema: {problems}") from None
    return answer.sections(language)


def _json_path(name: str) -> str:
    return f"method.{name}" if name in _METHOD_PARTS else name
