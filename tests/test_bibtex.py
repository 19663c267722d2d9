"""`/export` BibTeX that any reference manager reads back as the same titles and authors.

The file is read with pybtex, which applies BibTeX's own rules (every brace counts, `@`
starts entries, " and " separates names), and its LaTeX is decoded with pylatexenc, as
an importer such as Zotero does. pylatexenc knows most LaTeX2e text symbols but not the
three the export uses for characters BibTeX cannot take bare, so the reader adds them.
TeX ligatures (`--`, ``` `` ```, `''`) mean in a BibTeX file what they mean in TeX, as in
arXiv's own metadata, so the generated texts leave them out.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pybtex.database import parse_string
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

from bot.render.bibtex import to_bibtex
from bot.source.papers import Paper
from tests.fakes.papers import make_paper
from tests.fakes.telegram_harness import TelegramHarness, running_bot

_SYMBOLS = get_default_latex_context_db()
_SYMBOLS.add_context_category(
    "latex2e-text-symbols",
    prepend=True,
    macros=[
        MacroTextSpec("textbraceleft", "{"),
        MacroTextSpec("textbraceright", "}"),
        MacroTextSpec("textasciicircum", "^"),
    ],
)
_LATEX = LatexNodes2Text(latex_context=_SYMBOLS, math_mode="verbatim")
_KEY = re.compile(r"[a-z]+[0-9]{4}[a-z]+[0-9]*")

HOSTILE_NAMES = [
    "李 华",
    "Jürgen Müller",
    "José Ñúñez-Çelik",
    "Γιώργος Παπαδόπουλος",
    "Research and Development Team",
    "Smith, Jr., John",
    "others",
    "O'Brien {Braces",
    "100% #1 & Co_op",
    "back\\slash @home",
    'Dwayne "The Rock" Johnson',
    "🦊 Fox",
    "x" * 300,
]
HOSTILE_TITLES = [
    "李华的大模型综述",
    "An unbalanced { brace",
    "A closing } brace first",
    "Costs $5, not $6: 100% of #tags & under_scores",
    "Back\\slash, ~tilde^caret and @at",
    "Math $O(n^{2})$ and $\\alpha$ stay",
    "Not math: $a\\$ b$ and ${$ and $50%$",
    'Quotes "like this"',
    "@misc{inner, title = {evil}}",
    "Über Größen: naïve façades",
    "W" * 2000,
]


@dataclass(frozen=True)
class ReadBack:
    key: str
    title: str
    authors: list[str]
    journal: str | None


def read_bibtex(text: str) -> list[ReadBack]:
    """Every entry as an importer reads it: parsed by BibTeX's rules, LaTeX decoded."""
    entries = parse_string(text, "bibtex").entries
    found = []
    for key, entry in entries.items():
        people = entry.persons.get("author", [])
        names = [
            " ".join(p.first_names + p.middle_names + p.prelast_names + p.last_names)
            for p in people
        ]
        journal = entry.fields.get("journal")
        found.append(
            ReadBack(
                key=key,
                title=_LATEX.latex_to_text(entry.fields["title"]),
                authors=[_LATEX.latex_to_text(n) for n in names],
                journal=_LATEX.latex_to_text(journal) if journal else None,
            )
        )
    return found


def reflowed(text: str) -> str:
    return " ".join(text.split())


def paper(n: int, title: str, authors: Sequence[str], **fields: object) -> Paper:
    return make_paper(
        arxiv_id=f"2507.{n:05d}",
        title=title,
        authors=tuple(authors),
        published=datetime(2025, 7, 1, tzinfo=UTC),
        **fields,
    )


def test_hostile_titles_and_authors_read_back_unchanged() -> None:
    papers = [
        paper(n, title, [name, "Ada Lovelace"], journal_ref=f"J. {title}")
        for n, (title, name) in enumerate(zip(HOSTILE_TITLES, HOSTILE_NAMES, strict=False))
    ]
    read = read_bibtex(to_bibtex(papers))
    assert [r.title for r in read] == [reflowed(p.title) for p in papers]
    assert [r.authors for r in read] == [[reflowed(a) for a in p.authors] for p in papers]
    assert [r.journal for r in read] == [reflowed(p.journal_ref or "") for p in papers]


def test_keys_are_ascii_transliterations_of_the_first_surname() -> None:
    names = ["李 华", "Jürgen Müller", "Γιώργος Παπαδόπουλος", "🦊", "", "123"]
    papers = [paper(n, "Deep Learning Survey", [name]) for n, name in enumerate(names)]
    keys = [r.key for r in read_bibtex(to_bibtex(papers))]
    assert keys == [
        "hua2025deep",
        "muller2025deep",
        "papadopoylos2025deep",
        "fox2025deep",
        "anon2025deep",
        "anon2025deep2",
    ]


def test_the_same_surname_year_and_word_get_distinct_keys() -> None:
    papers = [paper(n, "Graph Networks", ["Wei Zhang"]) for n in range(3)]
    keys = [r.key for r in read_bibtex(to_bibtex(papers))]
    assert keys == ["zhang2025graph", "zhang2025graph2", "zhang2025graph3"]


def test_a_paper_without_authors_has_no_empty_author_field() -> None:
    [entry] = read_bibtex(to_bibtex([paper(1, "Anonymous Work", ["", "  "])]))
    assert entry.authors == [] and entry.key == "anon2025anonymous"


def test_a_lone_dollar_sign_is_text_not_the_start_of_math() -> None:
    [entry] = read_bibtex(
        to_bibtex(
            [
                paper(1, "$", ["A $ B"]),
            ]
        )
    )
    assert (entry.title, entry.authors) == ("$", ["A $ B"])


# Printable text with LaTeX and BibTeX specials often; TeX ligature characters left out.
_TEXT = st.text(
    st.one_of(
        st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="-`'!?"),
        st.sampled_from('${}\\%#&_~^@" '),
    ),
    min_size=1,
    max_size=80,
).filter(lambda s: s.strip())


@settings(max_examples=150, deadline=None)
@given(title=_TEXT, authors=st.lists(_TEXT, min_size=1, max_size=4))
def test_any_title_and_author_text_reads_back_unchanged(title: str, authors: list[str]) -> None:
    [entry] = read_bibtex(to_bibtex([paper(1, title, authors)]))
    assert entry.title == reflowed(title)
    assert entry.authors == [reflowed(a) for a in authors]
    assert _KEY.fullmatch(entry.key)


# -- /export through Telegram ----------------------------------------------------------------

ALICE = 1001


@pytest.fixture
async def bot(tmp_path: Path, migrated_sqlite_template: Path) -> AsyncIterator[TelegramHarness]:
    async with running_bot(tmp_path, migrated_sqlite_template) as harness:
        yield harness


async def test_export_of_hostile_favorites_reads_back_as_the_same_papers(
    bot: TelegramHarness,
) -> None:
    papers = [
        paper(1, "An unbalanced { brace & 100% #1", ["李 华", "Jürgen Müller"]),
        paper(2, "Back\\slash $O(n^{2})$ @misc{x}", ["Research and Development Team"]),
        paper(3, "李华的大模型综述", ["", "Smith, Jr., John"]),
    ]
    await bot.store.save_papers(papers)
    for p in papers:
        await bot.store.toggle_favorite("telegram", str(ALICE), p.arxiv_id)
    alice = bot.tg.user(ALICE)
    reply = await bot.say_one(bot.tg.private_chat(alice), alice, "/export")
    assert reply.document is not None and reply.document.filename == "paperbell-favorites.bib"
    read = read_bibtex(reply.document.content.decode())
    newest_first = list(reversed(papers))
    assert [r.title for r in read] == [p.title for p in newest_first]
    assert [r.authors for r in read] == [[a for a in p.authors if a] for p in newest_first]
    assert [r.key for r in read] == [
        "john2025lihuadedamoxingzongshu",
        "team2025back",
        "hua2025unbalanced",
    ]
    assert reply.plain_text == "3 favorite papers (BibTeX)"
