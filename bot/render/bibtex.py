"""Favorites as BibTeX, so they drop straight into a reference manager (Zotero, JabRef, …).

arXiv metadata is free text: CJK and accented names, titles with `{`, `%`, `#`, `\\` or
TeX math. One entry that BibTeX cannot read spoils the whole file in most importers, so
every field is escaped to BibTeX's own rules (balanced braces, LaTeX specials as
commands) and every key is plain ASCII, transliterated rather than dropped, so "Müller"
gives `muller…` and "李 华" gives `hua…`. Text stays Unicode: BibTeX 0.99d, biber and the
common importers read UTF-8, and transliterating a title would change it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from anyascii import anyascii

from bot.source.papers import Paper

# Commands rather than `\{`: BibTeX counts every brace, escaped or not, so a lone `\{`
# would swallow the rest of the file.
_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "$": r"\$",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_SPECIAL = re.compile("|".join(re.escape(c) for c in _ESCAPES))
_MATH = re.compile(r"(\$[^$]+\$)")
_LETTERS = re.compile(r"[a-z]+")
# BibTeX reads " and " (any case, outside braces) as a name separator, a comma as
# "Last, First", and a name that is just "others" as "et al.".
_NEEDS_GROUP = re.compile(r"(?i),|\band\b|^others$")
_KEY_PART_LIMIT = 24


def _clean(text: str) -> str:
    """One line, no control characters: a newline could start an `@` line of its own."""
    visible = "".join(c for c in text if unicodedata.category(c) != "Cc" or c.isspace())
    return " ".join(visible.split())


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def _safe_math(part: str) -> bool:
    """`$…$` that cannot unbalance the field or swallow what follows: braces balanced, no
    `%` (a LaTeX comment), and no backslash escaping the closing `$`."""
    return _balanced(part) and "%" not in part and not part.endswith("\\$")


def _escape(text: str) -> str:
    """`text` as BibTeX field content; `$…$` math is kept as written when it is safe to
    (`_safe_math`), so reference managers can still render it."""
    parts = _MATH.split(_clean(text))
    return "".join(
        part
        if _MATH.fullmatch(part) and _safe_math(part)
        else _SPECIAL.sub(lambda m: _ESCAPES[m.group()], part)
        for part in parts
    )


def _verbatim(text: str) -> str:
    """Identifiers (DOIs) are read verbatim by reference managers, so `\\_` would be taken
    literally; only what breaks BibTeX itself is percent-encoded, as in a URL."""
    return _clean(text).replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")


def _author(name: str) -> str:
    escaped = _escape(name)
    return "{" + escaped + "}" if _NEEDS_GROUP.search(_clean(name)) else escaped


def _ascii_word(text: str) -> str:
    return "".join(_LETTERS.findall(anyascii(text).lower()))[:_KEY_PART_LIMIT]


def _key(paper: Paper, taken: set[str]) -> str:
    """`surname` `year` `first long title word`, ASCII letters only; unique in the file."""
    names = [_clean(a) for a in paper.authors if _clean(a)]
    surname = (_ascii_word(names[0].split()[-1]) or _ascii_word(names[0])) if names else ""
    words = (w for w in _LETTERS.findall(anyascii(paper.title).lower()) if len(w) > 3)
    first_word = next(words, "paper")[:_KEY_PART_LIMIT]
    key = f"{surname or 'anon'}{paper.published.year}{first_word}"
    candidate, n = key, 1
    while candidate in taken:
        n += 1
        candidate = f"{key}{n}"
    taken.add(candidate)
    return candidate


def to_bibtex(papers: Iterable[Paper]) -> str:
    taken: set[str] = set()
    entries = []
    for paper in papers:
        authors = [_author(a) for a in paper.authors if _clean(a)]
        fields = [("title", "{" + _escape(paper.title) + "}")]
        if authors:
            fields.append(("author", " and ".join(authors)))
        fields += [
            ("year", str(paper.published.year)),
            ("eprint", paper.arxiv_id),
            ("archivePrefix", "arXiv"),
            ("primaryClass", paper.primary_category),
            ("url", paper.abs_url),
        ]
        if paper.doi:
            fields.append(("doi", _verbatim(paper.doi)))
        if paper.journal_ref:
            fields.append(("journal", _escape(paper.journal_ref)))
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        entries.append(f"@misc{{{_key(paper, taken)},\n{body}\n}}\n")
    return "\n".join(entries)
