"""Whatever arXiv and a summarizer produce, every rendering is one the platform accepts."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cards.cards import Card, build_card
from bot.render.buttons import CALLBACK_DATA_MAX_BYTES, Share, ToggleFavorite, decode
from bot.render.slack_blocks import render_slack, render_slack_summary, render_slack_thread
from bot.render.telegram_html import MESSAGE_LIMIT, render_telegram
from bot.render.text import render_text
from bot.summarize import Method
from tests.fakes.block_kit import block_texts, validate_blocks
from tests.fakes.papers import make_paper, make_summary
from tests.fakes.telegram_html import utf16_len, validate_telegram_html

# Markup, mrkdwn and LaTeX characters, astral-plane emoji and CJK, mixed into any text.
_TRICKY = st.sampled_from(
    ["<", ">", "&", '"', "*", "_", "~", "`", "|", "<!channel>", "&amp;", "$<$", "😀", "𝕏", "中文"]
)
_PIECE = st.one_of(st.text(max_size=12), _TRICKY, st.just(" "), st.just("\n"))
_TEXT = st.lists(_PIECE, max_size=12).map("".join)
# Some texts are long: a short piece repeated, so generating them stays cheap.
_LONG = st.builds(lambda piece, times: piece * times, _TEXT, st.integers(1, 600))
_ANY_TEXT = st.one_of(_TEXT, _LONG)
_ARXIV_ID = st.one_of(
    st.from_regex(r"\A\d{4}\.\d{4,5}\Z"),
    st.from_regex(r"\A(math|hep-th|cond-mat|astro-ph)(\.[A-Z]{2})?/\d{7}\Z"),
)


@st.composite
def cards(draw: Any) -> Card:
    language = draw(st.sampled_from(["zh", "en"]))
    paper = make_paper(
        arxiv_id=draw(_ARXIV_ID),
        version=draw(st.integers(1, 99)),
        title=draw(_ANY_TEXT),
        authors=tuple(draw(st.lists(_TEXT, max_size=80))),
        abstract=draw(_ANY_TEXT),
        comment=draw(st.none() | _ANY_TEXT),
    )
    optional = st.none() | _ANY_TEXT
    summary = make_summary(
        language,
        takeaway=draw(_ANY_TEXT.filter(lambda text: text != "")),
        keywords=tuple(draw(st.lists(_TEXT, max_size=10))),
        key_points=tuple(draw(st.lists(_ANY_TEXT, max_size=4))),
        method=Method(*(draw(optional) for _ in range(5))),
        experiments=draw(optional),
        applications=draw(optional),
        translated_abstract=draw(optional),
    )
    topics = tuple(draw(st.lists(_TEXT, max_size=4)))
    return build_card(paper, summary).for_topics(topics)


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(cards())
def test_telegram_card_always_parses_fits_and_keeps_its_essentials(card: Card) -> None:
    message = render_telegram(card)

    text = validate_telegram_html(message.html)

    assert utf16_len(text) <= MESSAGE_LIMIT
    assert "📄 arXiv: " in text
    for key in ("authors", "takeaway"):
        section = card.section(key)
        assert section is None or section.label in text
    favorite = message.buttons[0][0].callback_data or ""
    assert len(favorite.encode()) <= CALLBACK_DATA_MAX_BYTES
    assert decode(favorite) == ToggleFavorite(card.arxiv_id)


@PROPERTY
@given(cards())
def test_slack_card_summary_and_thread_are_always_valid_block_kit(card: Card) -> None:
    full = render_slack(card)
    messages = [full, render_slack_summary(card), *render_slack_thread(card)]

    for message in messages:
        validate_blocks(message.blocks, message.text)
        assert sum(map(utf16_len, block_texts(message.blocks))) <= 12000
        assert "<!channel>" not in message.text
    assert [decode(e["value"]) for e in full.blocks[-1]["elements"][:2]] == [
        ToggleFavorite(card.arxiv_id),
        Share(card.arxiv_id),
    ]


@settings(max_examples=50, deadline=None)
@given(cards())
def test_plain_text_card_shows_every_section_label_in_card_order(card: Card) -> None:
    text = render_text(card)

    position = 0
    for section in card.sections:
        position = text.index(section.label, position) + len(section.label)
