"""Mechanical checks that a generated section says nothing the paper does not.

A language model writes fluent, plausible text, and plausible is the danger: the reference
card's 实验亮点 promises a "20%以上" gain for a survey that reports no experiment. So before
a generated summary is stored, each section is held against the title, abstract and
comments, and a section that fails is named with the reason, for the model to try once
more and, failing again, for the offline summarizer to replace.

The checks are deliberately simple and err towards rejecting:

- Numbers: every number written in digits must occur in the paper as a value. "20%",
  "20 %", "200+", "200多" and "more than 200" reduce to their value, so form never matters;
  "four" in the abstract allows "4". Chinese numerals (四, 百分之二十) are not read — the
  prompt asks for digits — and a value that occurs anywhere in the paper passes wherever it
  is used.
- Experiments: when the abstract reports none (by the offline summarizer's cues), the
  section must be empty or say so ("no …", "未报告 …").
- Keywords: every Latin-script word of a keyword must occur in the paper (plural-blind).
  Chinese keywords cannot be matched against an English abstract, so a Chinese term must
  be mostly (two thirds of its character pairs) present in the checked translation.
- Form: three key points, five to eight distinct keywords, a takeaway, and each section in
  the card's language; a `zh` translation must keep every number of the abstract.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from bot.source.papers import Paper
from bot.summarize import Method, Summary
from bot.support.config import Language

KEY_POINTS = 3
MIN_KEYWORDS = 5
MAX_KEYWORDS = 8
# Chinese runs at roughly a third of the English character count; a tenth is a summary.
_MIN_TRANSLATION_RATIO = 0.15
_MIN_BIGRAM_SHARE = 2 / 3

_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_WORD = re.compile(r"[a-z0-9]+")
_ABSENCE = re.compile(
    r"\b(?:no|not|none|neither|without)\b|n't|未|没有|无(?:实验|实证)|不(?:包含|涉及|含|报告)|并非",
    re.IGNORECASE,
)
_KEYWORD_FILLERS = frozenset({"a", "an", "the", "of", "for", "and", "in", "on", "to", "with"})

_ONES = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_TEENS = (
    *("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen"),
    *("seventeen", "eighteen", "nineteen"),
)
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")
_NUMBER_WORDS: dict[str, int] = {
    "zero": 0,
    "single": 1,
    "twice": 2,
    "double": 2,
    "triple": 3,
    "dozen": 12,
    "hundred": 100,
    "thousand": 1000,
    "million": 10**6,
    "billion": 10**9,
    **{word: n for n, word in enumerate(_ONES, 1)},
    **{word: n for n, word in enumerate(_TEENS, 10)},
    **{word: n for n, word in enumerate(_ORDINALS, 1)},
    **{word: 10 * n for n, word in enumerate(_TENS, 2)},
    **{f"{t}-{o}": 10 * i + j for i, t in enumerate(_TENS, 2) for j, o in enumerate(_ONES, 1)},
}
_NUMBER_WORD = re.compile(r"[a-z]+(?:-[a-z]+)?")


@dataclass(frozen=True, slots=True)
class Sections:
    """A summary's generated sections by name: the unit that is checked and replaced."""

    takeaway: str
    keywords: tuple[str, ...]
    key_points: tuple[str, ...]
    translated_abstract: str | None
    problem: str | None
    core_idea: str | None
    framework: str | None
    key_innovation: str | None
    key_design: str | None
    experiments: str | None
    applications: str | None

    @classmethod
    def of(cls, summary: Summary) -> Sections:
        method = summary.method
        return cls(
            takeaway=summary.takeaway,
            keywords=summary.keywords,
            key_points=summary.key_points,
            translated_abstract=summary.translated_abstract,
            problem=method.problem,
            core_idea=method.core_idea,
            framework=method.framework,
            key_innovation=method.key_innovation,
            key_design=method.key_design,
            experiments=summary.experiments,
            applications=summary.applications,
        )

    def summary(self, language: Language, summarizer: str) -> Summary:
        return Summary(
            language=language,
            summarizer=summarizer,
            takeaway=self.takeaway,
            keywords=self.keywords,
            key_points=self.key_points,
            method=Method(
                problem=self.problem,
                core_idea=self.core_idea,
                framework=self.framework,
                key_innovation=self.key_innovation,
                key_design=self.key_design,
            ),
            experiments=self.experiments,
            applications=self.applications,
            translated_abstract=self.translated_abstract,
        )

    def texts(self, name: str) -> tuple[str, ...]:
        value: str | tuple[str, ...] | None = getattr(self, name)
        if value is None:
            return ()
        return (value,) if isinstance(value, str) else value

    def with_sections_of(self, other: Sections, names: Iterable[str]) -> Sections:
        return dataclasses.replace(self, **{name: getattr(other, name) for name in names})


SECTION_NAMES = tuple(field.name for field in dataclasses.fields(Sections))
# Sections in prose, which must be in the card's language; keywords may be English terms.
_PROSE = tuple(name for name in SECTION_NAMES if name != "keywords")


@dataclass(frozen=True, slots=True)
class Source:
    """What the paper states, in the forms the checks compare against."""

    numbers: frozenset[Decimal]
    abstract_numbers: frozenset[Decimal]
    stems: frozenset[str]
    abstract_length: int
    reports_experiments: bool

    @classmethod
    def of(cls, paper: Paper, *, reports_experiments: bool) -> Source:
        text = _normal(f"{paper.title}\n{paper.abstract}\n{paper.comment or ''}")
        return cls(
            numbers=frozenset(_numbers(text, lenient=True) | _word_numbers(text)),
            abstract_numbers=frozenset(numbers(_URL.sub(" ", paper.abstract))),
            stems=frozenset(_stem(word) for word in _WORD.findall(text.lower())),
            abstract_length=len(" ".join(paper.abstract.split())),
            reports_experiments=reports_experiments,
        )


def numbers(text: str) -> set[Decimal]:
    """Values of the numbers written in digits, full-width digits included."""
    return _numbers(_normal(text), lenient=False)


def check(sections: Sections, source: Source, language: Language) -> dict[str, str]:
    """Why each failing section fails, by section name; empty when all pass."""
    problems: dict[str, list[str]] = {}

    def fail(name: str, reason: str) -> None:
        problems.setdefault(name, []).append(reason)

    for name in SECTION_NAMES:
        invented = sorted(
            {n for text in sections.texts(name) for n in numbers(text)}.difference(source.numbers)
        )
        if invented:
            listed = ", ".join(_show(n) for n in invented)
            fail(name, f"the number(s) {listed} do not appear in the title, abstract or comments")
    for name in _PROSE:
        for reason in _language_problems(sections.texts(name), language):
            fail(name, reason)

    if not sections.takeaway.strip():
        fail("takeaway", "it is empty")
    if len(sections.key_points) != KEY_POINTS or not all(p.strip() for p in sections.key_points):
        fail("key_points", f"there must be exactly {KEY_POINTS} non-empty points")
    claimed = sections.experiments
    if claimed and not source.reports_experiments and not _ABSENCE.search(claimed):
        fail("experiments", "the abstract reports no experiment, so it must be null or say so")

    translation = None
    if language == "zh":
        translation_problems = _translation_problems(sections.translated_abstract, source)
        for reason in translation_problems:
            fail("translated_abstract", reason)
        if not translation_problems and "translated_abstract" not in problems:
            translation = sections.translated_abstract
    for reason in _keyword_problems(sections.keywords, source, translation):
        fail("keywords", reason)

    return {name: "; ".join(reasons) for name, reasons in problems.items()}


def _translation_problems(translation: str | None, source: Source) -> list[str]:
    if not translation:
        return ["a Chinese card needs the abstract translated"]
    problems = []
    if len(translation) < _MIN_TRANSLATION_RATIO * source.abstract_length:
        problems.append("it is far shorter than the abstract: translate all of it")
    if dropped := source.abstract_numbers - numbers(translation):
        listed = ", ".join(_show(n) for n in sorted(dropped))
        problems.append(f"it leaves out the abstract's number(s) {listed}")
    return problems


def _keyword_problems(
    keywords: tuple[str, ...], source: Source, translation: str | None
) -> list[str]:
    distinct = {k.strip().casefold() for k in keywords if k.strip()}
    problems = []
    if not MIN_KEYWORDS <= len(distinct) <= MAX_KEYWORDS or len(distinct) != len(keywords):
        problems.append(f"there must be {MIN_KEYWORDS} to {MAX_KEYWORDS} distinct keywords")
    unsupported = [k for k in keywords if k.strip() and not _supported(k, source, translation)]
    if unsupported:
        problems.append("not in the paper's text: " + ", ".join(unsupported))
    return problems


def _supported(keyword: str, source: Source, translation: str | None) -> bool:
    normal = _normal(keyword).lower()
    words = [w for w in _WORD.findall(normal) if w not in _KEYWORD_FILLERS]
    runs = _CJK_RUN.findall(normal)
    if not words and not runs:
        return False
    if any(_stem(word) not in source.stems for word in words):
        return False
    return translation is None or all(_in_translation(run, translation) for run in runs)


def _in_translation(run: str, translation: str) -> bool:
    if len(run) == 1:
        return run in translation
    pairs = [run[i : i + 2] for i in range(len(run) - 1)]
    found = sum(1 for pair in pairs if pair in translation)
    return found >= _MIN_BIGRAM_SHARE * len(pairs)


def _language_problems(texts: tuple[str, ...], language: Language) -> list[str]:
    if language == "zh" and any(not _CJK.search(text) for text in texts):
        return ["it must be written in Chinese"]
    if language == "en" and any(_CJK.search(text) for text in texts):
        return ["it must be written in English"]
    return []


def _normal(text: str) -> str:
    """NFKC folds full-width digits, ％ and letters into their ASCII forms."""
    return unicodedata.normalize("NFKC", text)


def _numbers(text: str, *, lenient: bool) -> set[Decimal]:
    """Values in `text`; `lenient` also reads "128,256" as the two numbers of a list."""
    values: set[Decimal] = set()
    for match in _NUMBER.finditer(text):
        values.add(Decimal(match.group().replace(",", "")))
        if lenient and "," in match.group():
            values.update(Decimal(part) for part in match.group().split(","))
    return values


def _word_numbers(text: str) -> set[Decimal]:
    """Numbers spelled out, alone or in compounds: "four pillars", "two-stage", "hundreds"."""
    values: set[Decimal] = set()
    for token in _NUMBER_WORD.findall(text.lower()):
        for word in (token, *token.split("-")):
            value = _NUMBER_WORDS.get(word, _NUMBER_WORDS.get(word.removesuffix("s")))
            if value is not None:
                values.add(Decimal(value))
    return values


def _stem(word: str) -> str:
    """Plural-blind matching: "models" supports "model", "strategies" supports "strategy"."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _show(number: Decimal) -> str:
    return format(number.normalize(), "f")
