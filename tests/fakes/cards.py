"""Cards to render in tests: the labels the reference documents give, and hostile input.

The labels come from the reference documents in the repository (the real card for 2508.08189
in Chinese, `tests/fixtures/seed-card-2508.08189.md`, and the table of `docs/CARD.md`, whose
English column names the same sections)
so that renderings are checked against the reference rather than against `bot.words.labels`,
which they would echo.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.cards.cards import Card, build_card
from bot.support.config import Language
from tests.fakes.papers import make_paper, make_summary

ROOT = Path(__file__).resolve().parents[2]
SEED_CARD = ROOT / "tests" / "fixtures" / "seed-card-2508.08189.md"
CARD_SPEC = ROOT / "docs" / "CARD.md"

# "## 📋 核心要点", "**作者**: …", "🎯 **匹配领域**: …", "(更新: 2025-12-23)"
_ZH_LABEL = re.compile(r"^## (.+)$|\*\*([^*]+)\*\*\s*[:：]|\((\w+): \d{4}", re.MULTILINE)
_BUTTON = re.compile(r"<button[^>]*>([^<]+)</button>")


def zh_labels() -> list[str]:
    """Every label of the reference card, in its order (topics included)."""
    body = SEED_CARD.read_text(encoding="utf-8").split("---", 2)[2]
    return [next(group for group in match.groups() if group) for match in _ZH_LABEL.finditer(body)]


def zh_buttons() -> list[str]:
    """The reference toolbar's buttons: ☆ favorite and 🔗 share."""
    return _BUTTON.findall(SEED_CARD.read_text(encoding="utf-8"))


def en_labels() -> list[str]:
    """The English column of CARD.md's table from the authors row on, in order; the row an
    English card omits ("— (English cards omit it)") gives no label."""
    labels: list[str] = []
    for line in CARD_SPEC.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 4 or not cells[0].isdigit() or int(cells[0]) < 3:
            continue
        main, _, aside = cells[3].partition(" (")
        main = main.replace("…", "").strip()
        if main == "—":
            continue
        heading, _, parts = main.partition(": ")
        labels += [heading, *(part for part in parts.split(" · ") if part)]
        if ":" in aside:
            labels.append(aside.split(":")[0])
    return labels


def assert_in_order(text: str, labels: list[str]) -> None:
    position = 0
    for label in labels:
        found = text.find(label, position)
        assert found >= 0, f"{label!r} missing or out of order after {text[:position][-80:]!r}"
        position = found + len(label)


HOSTILE_TITLE = "<script>alert(1)</script> & co: $<$10\\%$>$ error"
HOSTILE_OPENING = (
    "We ping <!channel> and <@U123>, report *bold* gains of $<$10\\%$>$ & more."
    ' Code: https://github.com/org/repo?a=1&b=2|x"q.'
)
HOSTILE_ABSTRACT_LENGTH = 6000
SIXTY_AUTHORS = tuple(f"Author{n} Surname{n}" for n in range(1, 61))


def hostile_card(language: Language = "en") -> Card:
    """Everything arXiv text can throw at a renderer at once: markup in the title, LaTeX
    comparisons, mentions and mrkdwn in a 6,000-character abstract, sixty authors."""
    filler = ' Results hold for x_i < y_i & z > 0, see <tag attr="v"> and `code` ~here~.'
    abstract = HOSTILE_OPENING + filler * (HOSTILE_ABSTRACT_LENGTH // len(filler) + 1)
    paper = make_paper(
        title=HOSTILE_TITLE,
        authors=SIXTY_AUTHORS,
        abstract=abstract[:HOSTILE_ABSTRACT_LENGTH],
        comment="<b>not bold</b> & 12 pages",
    )
    summary = make_summary(
        language,
        takeaway="A <i>takeaway</i> & *stars* <!here>",
        keywords=("<kw>", "a & b", "`tick`"),
    )
    return build_card(paper, summary).for_topics(("<RL>", "*vision*"))
