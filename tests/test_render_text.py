"""The plain-text card for terminals: the reference layout, every section, nothing escaped."""

from __future__ import annotations

from bot.cards.cards import build_card
from bot.render.text import render_text
from tests.fakes.cards import (
    HOSTILE_TITLE,
    SIXTY_AUTHORS,
    assert_in_order,
    en_labels,
    hostile_card,
    zh_labels,
)
from tests.fakes.papers import SEED_PAPER, make_summary


def test_seed_card_in_chinese_shows_every_reference_label_in_the_reference_order() -> None:
    card = build_card(SEED_PAPER, make_summary("zh")).for_topics(("RL",))

    assert_in_order(render_text(card), zh_labels())


def test_english_card_shows_the_english_labels_in_order_and_no_translated_abstract() -> None:
    card = build_card(SEED_PAPER, make_summary("en")).for_topics(("RL",))

    text = render_text(card)

    assert_in_order(text, en_labels())
    assert "📝" not in text


def test_matched_topics_come_right_after_the_takeaway() -> None:
    summary = make_summary("en")
    card = build_card(SEED_PAPER, summary)
    with_topics = card.for_topics(("RL", "Robotics"))

    text = render_text(with_topics)

    assert card.labels.topics not in render_text(card)
    assert_in_order(
        text, [summary.takeaway, f"{card.labels.topics}: RL · Robotics", card.labels.keywords]
    )


def test_headings_and_meta_lines_follow_the_reference_markup() -> None:
    card = build_card(SEED_PAPER, make_summary("zh"))

    lines = render_text(card).splitlines()

    assert lines[0] == f"# {SEED_PAPER.title}"
    assert f"## {card.labels.takeaway}" in lines
    assert f"{card.labels.authors}: {', '.join(SEED_PAPER.authors)}" in lines
    assert f"{card.labels.published}: 2025-08-11 ({card.labels.updated}: 2025-12-23)" in lines


def test_toolbar_gives_the_versioned_id_and_both_links() -> None:
    text = render_text(build_card(SEED_PAPER, make_summary("en")))

    toolbar = next(line for line in text.splitlines() if line.startswith("📄 arXiv"))

    assert SEED_PAPER.versioned_id in toolbar
    assert SEED_PAPER.abs_url in toolbar
    assert SEED_PAPER.pdf_url in toolbar


def test_code_link_from_the_abstract_is_listed_by_host() -> None:
    card = build_card(SEED_PAPER, make_summary("zh"))

    text = render_text(card)

    url = "https://github.com/weijiawu/Awesome-Visual-Reinforcement-Learning"
    assert f"{card.labels.code}: GITHUB <{url}>" in text


def test_hostile_text_is_shown_verbatim_and_in_full() -> None:
    card = hostile_card("zh")
    abstract = card.section("abstract")
    assert abstract is not None

    text = render_text(card)

    assert text.startswith(f"# {HOSTILE_TITLE}\n")
    assert ", ".join(SIXTY_AUTHORS) in text
    quoted = "".join(line.removeprefix("> ") for line in text.splitlines() if line.startswith("> "))
    assert quoted == " ".join(abstract.text.split())
    assert_in_order(text, zh_labels())
