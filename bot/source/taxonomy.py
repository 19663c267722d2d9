"""arXiv's category taxonomy: names for codes, and forgiving lookups for codes people type.

Subscriptions store canonical codes only, so `cs.SY` and `eess.SY` (one category under
two names) can never become two subscriptions that notify twice.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

_MAX_SUGGESTIONS = 3
_TYPO_CUTOFF = 0.75
_SWAP_BONUS = 0.15


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    name: str
    group: str


@dataclass(frozen=True, slots=True)
class _Taxonomy:
    groups: dict[str, tuple[Category, ...]]
    by_key: dict[str, Category]  # lower-cased canonical codes and aliases


@cache
def _taxonomy() -> _Taxonomy:
    raw = json.loads(resources.files("bot").joinpath("data/categories.json").read_text("utf-8"))
    groups = {
        group: tuple(Category(code, name, group) for code, name in members.items())
        for group, members in raw["groups"].items()
    }
    by_key = {c.code.lower(): c for members in groups.values() for c in members}
    for alias, canonical in raw["aliases"].items():
        by_key[alias.lower()] = by_key[canonical.lower()]
    return _Taxonomy(groups, by_key)


def lookup(code: str) -> Category | None:
    """The canonical category for a code in any letter case, or for one of its aliases."""
    return _taxonomy().by_key.get(code.strip().lower())


def validate(codes: Iterable[str]) -> tuple[list[Category], list[str]]:
    """Known categories (canonical, each once, in the order given) and the unknown raw codes."""
    known: list[Category] = []
    unknown: list[str] = []
    for code in codes:
        category = lookup(code)
        if category is None:
            unknown.append(code)
        elif category not in known:
            known.append(category)
    return known, unknown


def suggest(code: str) -> list[str]:
    """Canonical codes a mistyped code probably meant, best first, for "did you mean".

    Three mistakes are common: a name typed instead of a code ("robotics"), the right
    subject under the wrong archive ("cs.ML" for stat.ML), and plain typos ("cs.VC").
    """
    taxonomy = _taxonomy()
    typed = code.strip().lower()
    if not typed:
        return []
    words = re.compile(r"\b" + re.escape(typed))
    by_name = [
        c for c in taxonomy.by_key.values() if len(typed) >= 4 and words.search(c.name.lower())
    ]
    _, dot, subject = typed.partition(".")
    same_subject = [c for key, c in taxonomy.by_key.items() if dot and key.endswith("." + subject)]
    typos = sorted(taxonomy.by_key, key=lambda key: -_similarity(typed, key))
    by_typo = [taxonomy.by_key[key] for key in typos if _similarity(typed, key) >= _TYPO_CUTOFF]
    found = [c.code for c in (*by_name, *same_subject, *by_typo)]
    return list(dict.fromkeys(found))[:_MAX_SUGGESTIONS]


def _similarity(typed: str, key: str) -> float:
    """difflib's ratio, nudged up for swapped letters, which it scores like any other typo."""
    ratio = difflib.SequenceMatcher(None, typed, key).ratio()
    return ratio + _SWAP_BONUS if sorted(typed) == sorted(key) else ratio


def groups() -> dict[str, tuple[Category, ...]]:
    """Every canonical category under its group, in arXiv's own order, for help texts."""
    return dict(_taxonomy().groups)
