"""What the three renderings share, chiefly making a card fit a platform's limit.

A card is made to fit by shortening the card, not the markup: cutting rendered HTML or
mrkdwn could split a tag, an entity or a link. So a renderer hands `shorten` a function
from card to message and a test of whether the message fits, and `shorten` renders ever
shorter cards. Lowest `Section.priority` goes first: trimmed at a word boundary, or
dropped when the longest trim that fits would leave too little to be worth reading.
Essential sections and the title are only trimmed, after every other section has gone;
they shrink to a stub, so a card always fits in the end.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import TypeVar

from bot.cards.cards import Card, Kind, Section
from bot.support.config import Language

R = TypeVar("R")

ELLIPSIS = "…"
# A trimmed section shorter than this says too little; it is dropped instead.
_MIN_KEPT = 40
_LAST_SPACE = re.compile(r"\s(?=\S*$)")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")

# The long prose sections: collapsed on Telegram, moved to the thread on Slack.
LONG_KINDS = frozenset({Kind.TEXT, Kind.FIELDS, Kind.QUOTE})
INLINE_KINDS = frozenset({Kind.META, Kind.LINKS, Kind.TOPICS, Kind.KEYWORDS})
# The reference card writes "**问题定义**：…" with a full-width colon.
FIELD_SEPARATOR: dict[Language, str] = {"zh": "：", "en": ": "}

# The toolbar's links and buttons, the same in every language.
ARXIV_LABEL = "📄 arXiv"
PDF_LABEL = "📥 PDF"
# Closing line of a shortened card, linked to the arXiv page.
MORE_ON_ARXIV: dict[Language, str] = {"zh": "…（完整内容见 arXiv）", "en": "… (full text on arXiv)"}
_MORE_AUTHORS: dict[Language, str] = {"zh": "…（另有 {n} 位作者）", "en": "… (+{n} more)"}

Render = Callable[[Card, bool], R]


def utf16_len(text: str) -> int:
    """Length as Telegram and Slack count it: astral-plane characters take two units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def one_line(text: str) -> str:
    """arXiv wraps titles and abstracts at fixed columns; those line breaks mean nothing."""
    return " ".join(text.split())


def paragraphs(text: str) -> list[str]:
    """Blank lines separate paragraphs in arXiv abstracts; single line breaks are wrapping."""
    return [line for line in map(one_line, _PARAGRAPH_BREAK.split(text)) if line]


def title_of(card: Card) -> str:
    """The card's title on one line; the versioned ID stands in for an empty one."""
    return one_line(card.title) or card.versioned_id


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters (at least the ellipsis), cut at the last word boundary
    when it is near the cut, so text without spaces (Chinese) is cut anywhere."""
    if len(text) <= limit:
        return text
    cut = text[: max(limit - 1, 0)]
    space = _LAST_SPACE.search(cut)
    if space and space.start() >= len(cut) * 2 // 3:
        cut = cut[: space.start()]
    return cut.rstrip() + ELLIPSIS


def truncate_to(text: str, fits: Callable[[str], bool]) -> str:
    """The longest `truncate(text, n)` that `fits`, for hard per-element caps."""
    if fits(text):
        return text
    low, high = 1, len(text) - 1
    best = truncate(text, 1)
    while low <= high:
        middle = (low + high) // 2
        candidate = truncate(text, middle)
        if fits(candidate):
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best


def authors_text(section: Section) -> str:
    """The author line: a shortened one is in `text`, with every name still in `items` so
    it can be shortened again from the full list."""
    return section.text or ", ".join(one_line(name) for name in section.items)


def shorten(card: Card, render: Render[R], fits: Callable[[R], bool], cap: int) -> R:
    """`render(card, False)` if it fits, else the rendering of the longest shortened card
    that fits; `render(..., True)` must add a note that the card was shortened.

    `cap` is the most characters the platform could ever show of one section: anything
    longer is cut to it before the search, which keeps every rendering cheap.
    """

    def attempt(candidate: Card) -> R | None:
        rendered = render(candidate, True)
        return rendered if fits(rendered) else None

    current = _capped(card, cap)
    if current == card:
        whole = render(card, False)
        if fits(whole):
            return whole
    elif (capped := attempt(current)) is not None:
        return capped

    for section in sorted(current.sections, key=lambda s: (s.essential, s.priority)):
        without = _with_section(current, section.key, None)
        if not section.essential and attempt(without) is None:
            current = without
            continue
        size = _size(section)
        lowest = 1 if section.essential else min(_MIN_KEPT, size)
        best = _largest(_trimming(current, section), lowest, size - 1, attempt)
        if best is not None:
            return best
        if not section.essential:
            return render(without, True)
        current = _trimming(current, section)(lowest)

    title = title_of(current)
    best = _largest(
        lambda n: dataclasses.replace(current, title=truncate(title, n)), 1, len(title), attempt
    )
    return best if best is not None else render(dataclasses.replace(current, title=ELLIPSIS), True)


def _capped(card: Card, cap: int) -> Card:
    sections = tuple(
        _trimmed(s, cap, card.language) if _size(s) > cap else s for s in card.sections
    )
    title = card.title if len(card.title) <= cap else truncate(card.title, cap)
    return dataclasses.replace(card, title=title, sections=sections)


def _largest(
    make: Callable[[int], Card], low: int, high: int, attempt: Callable[[Card], R | None]
) -> R | None:
    """Binary search for the largest budget whose card fits (more budget never renders less)."""
    best: R | None = None
    while low <= high:
        middle = (low + high) // 2
        rendered = attempt(make(middle))
        if rendered is None:
            high = middle - 1
        else:
            best, low = rendered, middle + 1
    return best


def _trimming(card: Card, section: Section) -> Callable[[int], Card]:
    return lambda budget: _with_section(card, section.key, _trimmed(section, budget, card.language))


def _with_section(card: Card, key: str, replacement: Section | None) -> Card:
    sections = (replacement if s.key == key else s for s in card.sections)
    return dataclasses.replace(card, sections=tuple(s for s in sections if s is not None))


def _size(section: Section) -> int:
    if section.links:
        return len(section.links)
    if section.fields:
        return sum(len(name) + len(text) for name, text in section.fields)
    if section.key == "authors":
        return len(authors_text(section))
    if section.items:
        return sum(len(item) for item in section.items)
    return len(section.text)


def _trimmed(section: Section, budget: int, language: Language) -> Section:
    """`section` with its content cut to `budget` characters (links: to `budget` links)."""
    replace = dataclasses.replace
    if section.links:
        return replace(section, links=section.links[:budget])
    if section.fields:
        names = [name for name, _ in section.fields]
        texts = _clip([text for _, text in section.fields], budget - sum(map(len, names)))
        return replace(section, fields=tuple(zip(names, texts, strict=False)))
    if section.key == "authors":
        return replace(section, text=_first_authors(section.items, budget, language))
    if section.items:
        return replace(section, items=tuple(_clip(list(section.items), budget)))
    return replace(section, text=truncate(section.text, budget))


def _clip(items: list[str], budget: int) -> list[str]:
    """Whole items while they fit, then the next one cut to what is left."""
    kept: list[str] = []
    for item in items:
        if len(item) <= budget:
            kept.append(item)
            budget -= len(item)
            continue
        if budget >= _MIN_KEPT or not kept:
            kept.append(truncate(item, max(budget, 1)))
        break
    return kept


def _first_authors(names: tuple[str, ...], budget: int, language: Language) -> str:
    """As many leading names as fit in `budget` characters, then how many are left out."""
    names = tuple(one_line(name) for name in names)
    kept: list[str] = []
    used = 0
    for name in names:
        used += len(name) + (2 if kept else 0)
        if used > budget:
            break
        kept.append(name)
    if not kept and names:
        kept = [truncate(names[0], max(budget, 1))]
    listed = ", ".join(kept)
    rest = len(names) - len(kept)
    return f"{listed} {_MORE_AUTHORS[language].format(n=rest)}" if rest else listed
