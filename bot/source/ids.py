"""arXiv identifiers as people paste them: bare, prefixed, versioned, quoted or inside a link.

Everything is checked locally, so a typo costs the user a helpful reply instead of an
arXiv request. Old-style IDs lose their subject class (`math.GT/0309136` is
`math/0309136`) because that is the form arXiv answers with, and paper keys must match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_EXAMPLES = "Try 2508.08189, arXiv:2508.08189v3 or https://arxiv.org/abs/2508.08189."

# Archives that existed before April 2007, when identifiers still named their archive.
_OLD_ARCHIVES = frozenset(
    {
        "acc-phys", "adap-org", "alg-geom", "ao-sci", "astro-ph", "atom-ph", "bayes-an",
        "chao-dyn", "chem-ph", "cmp-lg", "comp-gas", "cond-mat", "cs", "dg-ga", "funct-an",
        "gr-qc", "hep-ex", "hep-lat", "hep-ph", "hep-th", "math", "math-ph", "mtrl-th", "nlin",
        "nucl-ex", "nucl-th", "patt-sol", "physics", "plasm-ph", "q-alg", "q-bio", "quant-ph",
        "solv-int", "supr-con",
    }
)  # fmt: skip

_VERSION = r"(?:v(?P<version>[1-9][0-9]*))?"
_NEW_STYLE = re.compile(r"(?P<yymm>[0-9]{4})\.(?P<number>[0-9]{4,5})" + _VERSION)
_OLD_STYLE = re.compile(
    r"(?P<archive>[a-z-]+)(?:\.[a-z-]+)?/(?P<yymm>[0-9]{4})(?P<number>[0-9]{3})" + _VERSION,
    re.IGNORECASE,
)
_PREFIX = re.compile(r"^arxiv:\s*", re.IGNORECASE)
_LINK = re.compile(
    r"(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/"
    r"(?P<id>[^?#]+?)(?:\.pdf)?/?(?:[?#].*)?",
    re.IGNORECASE,
)
_WRAPPERS = "<>()[]{}\"'`“”‘’«»"
_TRAILING_PUNCTUATION = ".,;:!?"
_SEPARATORS = re.compile(r"[\s,;]+")
_MAX_SHOWN = 40


class InvalidArxivId(ValueError):
    """The message is written for the person who typed the ID, with examples that work."""

    def __init__(self, text: str) -> None:
        self.text = text
        shown = text.strip()
        if len(shown) > _MAX_SHOWN:
            shown = shown[: _MAX_SHOWN - 1] + "…"
        # What replies quote back, so they can be worded in the chat's language.
        self.shown = shown
        if shown:
            super().__init__(f"“{shown}” is not an arXiv ID. {_EXAMPLES}")
        else:
            super().__init__(f"No arXiv ID given. {_EXAMPLES}")


@dataclass(frozen=True, slots=True)
class ArxivId:
    """`base` keys papers everywhere; `version` is only what the user asked for, if anything."""

    base: str
    version: int | None = None

    def __str__(self) -> str:
        return self.base if self.version is None else f"{self.base}v{self.version}"


def parse_arxiv_id(text: str) -> ArxivId:
    candidate = _unwrap(text)
    candidate = _PREFIX.sub("", candidate, count=1)
    link = _LINK.fullmatch(candidate)
    if link:
        candidate = link["id"]
    parsed = _new_style(candidate) or _old_style(candidate)
    if parsed is None:
        raise InvalidArxivId(text)
    return parsed


def parse_arxiv_ids(text: str) -> list[ArxivId]:
    """IDs separated by spaces, commas or semicolons; the first bad one is the one reported."""
    joined = re.sub(r"(?i)\barxiv:\s+", "arXiv:", text)
    return [parse_arxiv_id(token) for token in _SEPARATORS.split(joined) if _unwrap(token)]


def _unwrap(text: str) -> str:
    """Peel quotes, brackets and sentence punctuation that come along with a pasted ID."""
    previous = None
    current = text
    while current != previous:
        previous = current
        current = current.strip().strip(_WRAPPERS).rstrip(_TRAILING_PUNCTUATION)
    return current


def _new_style(candidate: str) -> ArxivId | None:
    """YYMM.NNNN from April 2007, YYMM.NNNNN from January 2015."""
    match = _NEW_STYLE.fullmatch(candidate)
    if match is None:
        return None
    yymm, number = match["yymm"], match["number"]
    if not 1 <= int(yymm[2:]) <= 12 or yymm < "0704" or int(number) == 0:
        return None
    if len(number) != (4 if yymm <= "1412" else 5):
        return None
    return ArxivId(f"{yymm}.{number}", _version(match))


def _old_style(candidate: str) -> ArxivId | None:
    """archive/YYMMNNN, from August 1991 until March 2007."""
    match = _OLD_STYLE.fullmatch(candidate)
    if match is None:
        return None
    archive, yymm, number = match["archive"].lower(), match["yymm"], match["number"]
    year, month = int(yymm[:2]), int(yymm[2:])
    in_use = (91 <= year <= 99) or year <= 6 or (year == 7 and month <= 3)
    if archive not in _OLD_ARCHIVES or not in_use or not 1 <= month <= 12 or int(number) == 0:
        return None
    return ArxivId(f"{archive}/{yymm}{number}", _version(match))


def _version(match: re.Match[str]) -> int | None:
    return int(match["version"]) if match["version"] else None
