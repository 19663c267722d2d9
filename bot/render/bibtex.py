"""Favorites as BibTeX, so they drop straight into a reference manager."""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.source.papers import Paper

_SPECIAL = re.compile(r"([&%#_])")
_WORD = re.compile(r"[A-Za-z]+")


def _escape(text: str) -> str:
    """Escape BibTeX specials outside $…$ math, which is left as authors wrote it."""
    parts = re.split(r"(\$[^$]*\$)", " ".join(text.split()))
    return "".join(p if p.startswith("$") else _SPECIAL.sub(r"\\\1", p) for p in parts)


def _key(paper: Paper, taken: set[str]) -> str:
    surname = _WORD.findall(paper.authors[0].split()[-1])[0].lower() if paper.authors else "anon"
    first_word = next((w.lower() for w in _WORD.findall(paper.title) if len(w) > 3), "paper")
    key = f"{surname}{paper.published.year}{first_word}"
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
        fields = [
            ("title", "{" + _escape(paper.title) + "}"),
            ("author", " and ".join(_escape(a) for a in paper.authors)),
            ("year", str(paper.published.year)),
            ("eprint", paper.arxiv_id),
            ("archivePrefix", "arXiv"),
            ("primaryClass", paper.primary_category),
            ("url", paper.abs_url),
        ]
        if paper.doi:
            fields.append(("doi", paper.doi))
        if paper.journal_ref:
            fields.append(("journal", _escape(paper.journal_ref)))
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        entries.append(f"@misc{{{_key(paper, taken)},\n{body}\n}}\n")
    return "\n".join(entries)
