"""The Telegram card (HTML and inline keyboard) and the HTML validator the fake Bot API uses."""

from __future__ import annotations

import re

import pytest

from bot.cards.cards import Card, build_card
from bot.render.buttons import (
    CALLBACK_DATA_MAX_BYTES,
    ToggleFavorite,
    decode,
    favorite_callback_data,
)
from bot.render.telegram_html import MESSAGE_LIMIT, render_telegram
from tests.fakes.cards import (
    HOSTILE_TITLE,
    SIXTY_AUTHORS,
    assert_in_order,
    en_labels,
    hostile_card,
    zh_buttons,
    zh_labels,
)
from tests.fakes.papers import SEED_PAPER, make_paper, make_summary
from tests.fakes.telegram_html import TelegramHTMLError, utf16_len, validate_telegram_html


def shown(card: Card) -> str:
    """What a Telegram user sees of the card, as the validator parses it."""
    return validate_telegram_html(render_telegram(card).html)


# -- layout -----------------------------------------------------------------------------------


def test_seed_card_in_chinese_shows_every_reference_label_in_the_reference_order() -> None:
    card = build_card(SEED_PAPER, make_summary("zh")).for_topics(("RL",))

    assert_in_order(shown(card), zh_labels())


def test_english_card_shows_the_english_labels_in_order_and_no_translated_abstract() -> None:
    card = build_card(SEED_PAPER, make_summary("en")).for_topics(("RL",))

    text = shown(card)

    assert_in_order(text, en_labels())
    assert "📝" not in text


def test_matched_topics_come_right_after_the_takeaway() -> None:
    summary = make_summary("zh")
    card = build_card(SEED_PAPER, summary)

    html = render_telegram(card.for_topics(("RL",))).html

    assert card.labels.topics not in render_telegram(card).html
    assert_in_order(
        html,
        [
            f"<b>{summary.takeaway}</b>",
            f"<b>{card.labels.topics}</b>: <b>RL</b>",
            f"<b>{card.labels.keywords}</b>",
        ],
    )


def test_title_is_bold_and_the_toolbar_links_arxiv_and_pdf() -> None:
    html = render_telegram(build_card(SEED_PAPER, make_summary("zh"))).html

    title, toolbar = html.splitlines()[:2]

    assert title == f"<b>{SEED_PAPER.title}</b>"
    assert toolbar == (
        f'<a href="{SEED_PAPER.abs_url}">📄 arXiv</a>: <code>2508.08189</code>v3'
        f' · <a href="{SEED_PAPER.pdf_url}">📥 PDF</a>'
    )
    assert validate_telegram_html(toolbar) == "📄 arXiv: 2508.08189v3 · 📥 PDF"


def test_meta_lines_and_code_link_follow_the_reference() -> None:
    card = build_card(SEED_PAPER, make_summary("zh"))

    html = render_telegram(card).html

    assert f"<b>作者</b>: {', '.join(SEED_PAPER.authors)}\n" in html
    url = "https://github.com/weijiawu/Awesome-Visual-Reinforcement-Learning"
    assert f'<b>🔗 代码/项目</b>: <a href="{url}">GITHUB</a>' in html


@pytest.mark.parametrize("key", ["translated_abstract", "method", "experiments", "applications"])
def test_long_sections_are_collapsed_in_expandable_blockquotes(key: str) -> None:
    card = build_card(SEED_PAPER, make_summary("zh"))
    section = card.section(key)
    assert section is not None

    html = render_telegram(card).html

    assert f"<b>{section.label}</b>\n<blockquote expandable>" in html


def test_original_abstract_is_quoted_in_full_when_it_fits() -> None:
    card = build_card(SEED_PAPER, make_summary("zh"))

    html = render_telegram(card).html

    quote = f"<b>{card.labels.abstract}</b>\n<blockquote expandable>{SEED_PAPER.abstract}"
    assert quote + "</blockquote>" in html
    assert "arXiv）" not in html.splitlines()[-1]


def test_only_the_long_sections_are_collapsed() -> None:
    html = render_telegram(build_card(SEED_PAPER, make_summary("en"))).html

    assert html.count("<blockquote expandable>") == 4


# -- buttons ----------------------------------------------------------------------------------


def test_buttons_are_favorite_and_share_then_arxiv_and_pdf() -> None:
    message = render_telegram(build_card(SEED_PAPER, make_summary("zh")))

    (favorite, share), (arxiv, pdf) = message.buttons

    assert [favorite.text, share.text] == zh_buttons()
    assert decode(favorite.callback_data or "") == ToggleFavorite("2508.08189")
    assert share.switch_inline_query == "2508.08189"
    assert (arxiv.text, arxiv.url) == ("📄 arXiv", SEED_PAPER.abs_url)
    assert (pdf.text, pdf.url) == ("📥 PDF", SEED_PAPER.pdf_url)


def test_english_buttons_use_the_english_labels() -> None:
    message = render_telegram(build_card(SEED_PAPER, make_summary("en")))

    favorite, share = message.buttons[0]

    assert (favorite.text, share.text) == ("☆ Favorite", "🔗 Share")


@pytest.mark.parametrize(
    "arxiv_id", ["2508.08189", "0704.0001", "math.GT/0309136", "hep-th/9901001", "cond-mat/0601001"]
)
def test_favorite_callback_data_round_trips_and_fits_telegrams_limit(arxiv_id: str) -> None:
    data = favorite_callback_data(arxiv_id)

    assert len(data.encode()) <= CALLBACK_DATA_MAX_BYTES
    assert decode(data) == ToggleFavorite(arxiv_id)


@pytest.mark.parametrize(
    "data",
    [
        "",
        "fav:",
        "fav:2508.08189v3",
        "fav:2508.08189 ",
        "FAV:2508.08189",
        "unfav:2508.08189",
        "fav:2508.08189;drop table favorites",
        "fav:../../2508.08189",
        "fav:<b>2508.08189</b>",
        "fav:2508.081890",
    ],
)
def test_forged_favorite_callback_data_is_refused(data: str) -> None:
    assert decode(data) is None


@pytest.mark.parametrize("arxiv_id", ["2508.08189v3", "", "not an id", "a" * 60 + "/0309136"])
def test_favorite_callback_data_is_only_made_for_base_arxiv_ids(arxiv_id: str) -> None:
    with pytest.raises(ValueError, match=r"arXiv ID|bytes"):
        favorite_callback_data(arxiv_id)


def test_old_style_ids_render_with_their_slash_intact() -> None:
    card = build_card(make_paper(arxiv_id="math.GT/0309136", version=2), make_summary("en"))

    message = render_telegram(card)

    assert "<code>math.GT/0309136</code>v2" in message.html
    assert message.buttons[0][0].callback_data == "fav:math.GT/0309136"


# -- hostile input and the length limit -------------------------------------------------------


@pytest.mark.parametrize("language", ["zh", "en"])
def test_hostile_text_is_escaped_and_the_card_still_fits(language: str) -> None:
    card = hostile_card(language)  # type: ignore[arg-type]

    html = render_telegram(card).html
    text = validate_telegram_html(html)

    assert "<script>" not in html
    assert "<!channel>" not in html
    assert text.startswith(HOSTILE_TITLE + "\n")
    assert "<!channel> and <@U123>, report *bold* gains of $<$10\\%$>$ & more." in text
    assert utf16_len(text) <= MESSAGE_LIMIT
    assert_in_order(text, ["📄 arXiv", card.labels.authors, SIXTY_AUTHORS[0], card.labels.takeaway])


def test_a_long_abstract_is_trimmed_first_and_the_card_says_so() -> None:
    card = hostile_card("en")

    text = shown(card)

    abstract, note = text[text.index(card.labels.abstract) :].rsplit("\n\n", 1)
    assert abstract.endswith("<tag…")
    assert note == "… (full text on arXiv)"
    for key in ("key_points", "method", "experiments", "applications", "keywords", "topics"):
        section = card.section(key)
        assert section is not None and section.label in text
    assert MESSAGE_LIMIT - 100 < utf16_len(text) <= MESSAGE_LIMIT


def test_sections_below_the_one_being_trimmed_are_dropped_whole() -> None:
    long_text = "word " * 1500
    card = build_card(make_paper(abstract=long_text), make_summary("en", experiments=long_text))

    text = shown(card)

    for dropped in (card.labels.abstract, card.labels.method, card.labels.applications):
        assert dropped not in text
    experiments = text[text.index(card.labels.experiments) :]
    assert experiments.startswith(f"{card.labels.experiments}\nword word")
    assert experiments.endswith("word…\n\n… (full text on arXiv)")
    assert_in_order(text, [card.labels.key_points, *make_summary("en").key_points])
    assert MESSAGE_LIMIT - 100 < utf16_len(text) <= MESSAGE_LIMIT


def test_sixty_long_author_names_shrink_to_the_first_few_and_a_count() -> None:
    authors = tuple(f"Author{n} " + "Longname" * 12 for n in range(60))
    card = build_card(make_paper(authors=authors), make_summary("en"))

    text = shown(card)

    line = next(line for line in text.splitlines() if line.startswith("Authors: "))
    listed = re.fullmatch(r"Authors: (.*) … \(\+(\d+) more\)", line)
    assert listed is not None
    names = listed.group(1).split(", ")
    assert names == list(authors[: len(names)])
    assert len(names) + int(listed.group(2)) == 60
    assert card.labels.takeaway in text
    assert utf16_len(text) <= MESSAGE_LIMIT


def test_chinese_author_overflow_is_counted_in_chinese() -> None:
    authors = tuple(f"作者{n}" * 30 for n in range(60))

    text = shown(build_card(make_paper(authors=authors), make_summary("zh")))

    assert re.search(r"…（另有 \d+ 位作者）", text)


def test_astral_characters_count_twice_against_the_limit() -> None:
    card = build_card(make_paper(abstract="🧪" * 3000), make_summary("en"))

    text = shown(card)

    assert utf16_len(text) <= MESSAGE_LIMIT
    assert "🧪🧪🧪…" in text


def test_trimming_never_cuts_inside_an_entity() -> None:
    card = build_card(make_paper(abstract="<&>" * 3000), make_summary("en"))

    text = shown(card)

    assert "<&><&>" in text
    assert utf16_len(text) <= MESSAGE_LIMIT


def test_a_huge_title_is_trimmed_but_kept_with_the_other_essentials() -> None:
    card = build_card(make_paper(title="Title " * 2000), make_summary("en"))

    text = shown(card)

    assert text.startswith("Title Title")
    assert_in_order(text, ["…\n📄 arXiv", card.labels.authors, card.labels.takeaway])


# -- the validator ----------------------------------------------------------------------------


def test_validator_accepts_every_tag_telegram_supports_and_decodes_entities() -> None:
    html = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        "<strike>k</strike><del>d</del><tg-spoiler>p</tg-spoiler>"
        '<span class="tg-spoiler">q</span><code>c</code><pre>p</pre>'
        '<pre><code class="language-python">x</code></pre><a href="https://arxiv.org/">a</a>'
        "<blockquote>q</blockquote><blockquote expandable>e</blockquote>"
        " &lt;&gt;&amp;&quot; &#60;&#x3C;&lt"
    )

    assert validate_telegram_html(html) == 'bsieunskdpqcpxaqe <>&" <<<'


# Byte offsets and wording from tdlib's own parse_html tests (test/message_entities.cpp).
TDLIB_REFUSALS = {
    "🏟 🏟&lt;<abacaba": "Unclosed start tag at byte offset 13",
    "🏟 🏟&lt;<abac aba>": 'Unsupported start tag "abac" at byte offset 13',
    "🏟 🏟&lt;<i   =aba>": 'Empty attribute name in the tag "i" at byte offset 13',
    "🏟 🏟&lt;<i    aba>": (
        'Expected equal sign in declaration of an attribute of the tag "i" at byte offset 13'
    ),
    "🏟 🏟&lt;<i    aba  =  ": 'Unclosed start tag "i" at byte offset 13',
    "🏟 🏟&lt;<i    aba  =  190azAz-.,": "Unexpected end of name token at byte offset 27",
    '🏟 🏟&lt;<i    aba  =  "&lt;&gt;&quot;>': "Unclosed start tag at byte offset 13",
    "🏟 🏟&lt;</": "Unexpected end tag at byte offset 13",
    "🏟 🏟&lt;<b></b></": "Unexpected end tag at byte offset 20",
    "🏟 🏟&lt;<i>a</i   ": "Unclosed end tag at byte offset 17",
    "🏟 🏟&lt;<i>a</em   >": 'Unmatched end tag at byte offset 17, expected "</i>", found "</em>"',
}


@pytest.mark.parametrize("html", TDLIB_REFUSALS, ids=range(len(TDLIB_REFUSALS)))
def test_validator_refuses_what_tdlib_refuses_in_tdlibs_words(html: str) -> None:
    with pytest.raises(TelegramHTMLError) as refused:
        validate_telegram_html(html)

    assert str(refused.value) == "Bad Request: can't parse entities: " + TDLIB_REFUSALS[html]


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<script>alert(1)</script>", 'Unsupported start tag "script"'),
        ("line<br>break", 'Unsupported start tag "br"'),
        ('<span class="x">s</span>', 'must have class "tg-spoiler"'),
        ("<b>never closed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>crossed</b></i>", 'expected "</i>", found "</b>"'),
        ("1 < 2", 'Unsupported start tag ""'),
        ("ends with <", "Unclosed start tag"),
        ("R&D", 'Unescaped "&"'),
        ("&nbsp;", 'Unescaped "&"'),
        ("2 > 1", 'Unescaped ">"'),
        ("<code><b>x</b></code>", '"code" can\'t contain "b"'),
        ("<pre><i>x</i></pre>", '"pre" can\'t contain "i"'),
        ('<a href="https://a.org"><code>x</code></a>', '"a" can\'t contain "code"'),
        ("<blockquote><blockquote>x</blockquote></blockquote>", 'can\'t contain "blockquote"'),
        ('<a href="javascript:alert(1)">x</a>', 'Tag "a" needs an http'),
        ("<a>no href</a>", 'Tag "a" needs an http'),
    ],
)
def test_validator_refuses_markup_telegram_would_refuse_or_alter(html: str, reason: str) -> None:
    with pytest.raises(TelegramHTMLError, match=r"^Bad Request: can't parse entities: ") as refused:
        validate_telegram_html(html)

    assert reason in str(refused.value)


def test_validator_refuses_an_entity_that_decodes_to_a_lone_surrogate() -> None:
    with pytest.raises(TelegramHTMLError, match="unmatched surrogate"):
        validate_telegram_html("&#xDFDF;")


@pytest.mark.parametrize(
    ("html", "too_long"),
    [
        ("a" * 4096, False),
        ("a" * 4097, True),
        ("<b>" + "a" * 4096 + "</b>", False),
        ("&amp;" * 4096, False),
        ("😀" * 2048, False),
        ("😀" * 2049, True),
        ("  " + "a" * 4096 + "\n\n", False),
    ],
)
def test_validator_counts_the_limit_in_utf16_units_of_the_parsed_text(
    html: str, too_long: bool
) -> None:
    if too_long:
        with pytest.raises(TelegramHTMLError, match=r"^Bad Request: message is too long$"):
            validate_telegram_html(html)
    else:
        assert utf16_len(validate_telegram_html(html)) <= MESSAGE_LIMIT


def test_validator_refuses_a_message_that_is_empty_once_parsed() -> None:
    with pytest.raises(TelegramHTMLError, match=r"^Bad Request: message text is empty$"):
        validate_telegram_html("<b> </b>\n")
