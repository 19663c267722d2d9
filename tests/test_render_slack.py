"""The Slack card (Block Kit), its compact post and thread replies, and the Block Kit
validator the fake Slack API uses."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.cards.cards import build_card
from bot.render.slack_blocks import (
    FAVORITE_ACTION,
    OPEN_ARXIV_ACTION,
    OPEN_PDF_ACTION,
    SHARE_ACTION,
    SlackMessage,
    render_slack,
    render_slack_summary,
    render_slack_thread,
)
from tests.fakes.block_kit import BlockKitError, block_texts, utf16_len, validate_blocks
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

LONG_KEYS = ("translated_abstract", "method", "experiments", "applications", "abstract")


def shown(message: SlackMessage) -> str:
    """What a Slack user reads of a message that Slack accepts."""
    validate_blocks(message.blocks, message.text)
    return "\n".join(block_texts(message.blocks))


def text_units(message: SlackMessage) -> int:
    return sum(map(utf16_len, block_texts(message.blocks)))


def mrkdwn_texts(blocks: list[dict[str, Any]]) -> list[str]:
    texts: list[str] = []
    for block in blocks:
        texts += [e["text"] for e in block.get("elements", ()) if e["type"] == "mrkdwn"]
        if block.get("text", {}).get("type") == "mrkdwn":
            texts.append(block["text"]["text"])
    return texts


def actions(message: SlackMessage) -> list[dict[str, Any]]:
    (block,) = [b for b in message.blocks if b["type"] == "actions"]
    elements: list[dict[str, Any]] = block["elements"]
    return elements


# -- layout -----------------------------------------------------------------------------------


def test_seed_card_in_chinese_shows_every_reference_label_in_the_reference_order() -> None:
    card = build_card(SEED_PAPER, make_summary("zh")).for_topics(("RL",))

    assert_in_order(shown(render_slack(card)), zh_labels())


def test_english_card_shows_the_english_labels_in_order_and_no_translated_abstract() -> None:
    card = build_card(SEED_PAPER, make_summary("en")).for_topics(("RL",))

    text = shown(render_slack(card))

    assert_in_order(text, en_labels())
    assert "📝" not in text


def test_matched_topics_come_right_after_the_takeaway() -> None:
    summary = make_summary("en")
    card = build_card(SEED_PAPER, summary)

    text = shown(render_slack(card.for_topics(("RL",))))

    assert card.labels.topics not in shown(render_slack(card))
    assert_in_order(
        text, [f"*{summary.takeaway}*", f"*{card.labels.topics}*: *RL*", card.labels.keywords]
    )


def test_header_then_context_with_toolbar_and_meta_then_sections_then_actions() -> None:
    card = build_card(SEED_PAPER, make_summary("zh"))

    blocks = render_slack(card).blocks

    assert [b["type"] for b in blocks[:3]] == ["header", "context", "divider"]
    assert blocks[0]["text"] == {"type": "plain_text", "text": SEED_PAPER.title, "emoji": True}
    toolbar, authors, *_ = (e["text"] for e in blocks[1]["elements"])
    assert toolbar == (
        f"<{SEED_PAPER.abs_url}|📄 arXiv>: `2508.08189v3` · <{SEED_PAPER.pdf_url}|📥 PDF>"
    )
    assert authors == f"*作者*: {', '.join(SEED_PAPER.authors)}"
    assert [b["type"] for b in blocks[-2:]] == ["divider", "actions"]
    assert {b["type"] for b in blocks[3:-2]} == {"section"}


def test_code_link_is_a_mrkdwn_link_labelled_by_host() -> None:
    card = build_card(SEED_PAPER, make_summary("zh"))

    url = "https://github.com/weijiawu/Awesome-Visual-Reinforcement-Learning"
    assert f"*🔗 代码/项目*: <{url}|GITHUB>" in mrkdwn_texts(render_slack(card).blocks)


def test_original_abstract_is_quoted() -> None:
    card = build_card(SEED_PAPER, make_summary("en"))

    texts = mrkdwn_texts(render_slack(card).blocks)

    assert f"*{card.labels.abstract}*\n>{SEED_PAPER.abstract}" in texts


def test_actions_are_favorite_share_arxiv_and_pdf() -> None:
    message = render_slack(build_card(SEED_PAPER, make_summary("zh")))

    favorite, share, arxiv, pdf = actions(message)

    assert [favorite["text"]["text"], share["text"]["text"]] == zh_buttons()
    assert (favorite["action_id"], favorite["value"]) == (FAVORITE_ACTION, "fav:2508.08189")
    assert (share["action_id"], share["value"]) == (SHARE_ACTION, "sh:2508.08189")
    assert (arxiv["action_id"], arxiv["url"]) == (OPEN_ARXIV_ACTION, SEED_PAPER.abs_url)
    assert (pdf["action_id"], pdf["url"]) == (OPEN_PDF_ACTION, SEED_PAPER.pdf_url)
    assert FAVORITE_ACTION == "paperbell_favorite"
    assert (SHARE_ACTION, OPEN_ARXIV_ACTION, OPEN_PDF_ACTION) == (
        "paperbell_share",
        "paperbell_open_arxiv",
        "paperbell_open_pdf",
    )


def test_fallback_text_names_the_paper_and_its_takeaway() -> None:
    summary = make_summary("en")

    message = render_slack(build_card(SEED_PAPER, summary))

    assert message.text == f"{SEED_PAPER.title} — {summary.takeaway}"


# -- compact post and thread ------------------------------------------------------------------


def test_summary_post_leaves_the_long_sections_to_the_thread() -> None:
    card = build_card(SEED_PAPER, make_summary("zh")).for_topics(("RL",))
    long_labels = [s.label for s in card.sections if s.key in LONG_KEYS]

    top = shown(render_slack_summary(card))
    thread = "\n".join(shown(message) for message in render_slack_thread(card))

    assert not [label for label in long_labels if label in top]
    assert_in_order(top, ["作者", "💡 一句话要点", "匹配领域", "关键词", "📋 核心要点"])
    assert_in_order(thread, long_labels)
    assert [e["action_id"] for e in actions(render_slack_summary(card))][:2] == [
        FAVORITE_ACTION,
        SHARE_ACTION,
    ]


def test_thread_packs_short_sections_into_one_reply() -> None:
    card = build_card(SEED_PAPER, make_summary("zh"))

    (reply,) = render_slack_thread(card)

    assert reply.text == " · ".join(s.label for s in card.sections if s.key in LONG_KEYS)


def test_thread_starts_a_new_reply_rather_than_cut_a_section_that_fits_alone() -> None:
    long_text = "word " * 1800
    summary = make_summary("zh", translated_abstract=long_text)
    card = build_card(make_paper(abstract=long_text), summary)

    replies = render_slack_thread(card)

    assert len(replies) == 2
    for reply in replies:
        assert "…" not in shown(reply)
    assert card.labels.abstract in shown(replies[1])


# -- hostile input and limits -----------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh", "en"])
def test_hostile_text_is_escaped_and_the_card_passes_block_kit(language: str) -> None:
    card = hostile_card(language)  # type: ignore[arg-type]
    message = render_slack(card)

    text = shown(message)
    header, *rest = message.blocks
    payload = json.dumps([message.text, rest], ensure_ascii=False)

    for raw in ("<!channel>", "<@U123>", "<!here>", "<script>", "<tag", "<kw>", "*bold*"):
        assert raw not in payload
    assert "&lt;!channel&gt; and &lt;@U123&gt;, report ∗bold* gains" in text
    assert "$&lt;$10\\\\%$&gt;$ &amp; more" in payload
    assert header["text"] == {"type": "plain_text", "text": HOSTILE_TITLE, "emoji": True}
    assert_in_order(text, [card.labels.authors, SIXTY_AUTHORS[-1], card.labels.takeaway])
    assert text_units(message) <= 12000


def test_hostile_thread_and_summary_pass_block_kit() -> None:
    card = hostile_card("zh")

    for message in [render_slack_summary(card), *render_slack_thread(card)]:
        validate_blocks(message.blocks, message.text)
        assert "<!channel>" not in json.dumps(message.blocks)


def test_formatting_characters_cannot_open_a_span_but_stay_inside_words() -> None:
    card = build_card(
        make_paper(abstract="*bold* _it_ ~strike~ `code` x_i a*b snake_case ~10%"),
        make_summary("en"),
    )

    texts = mrkdwn_texts(render_slack(card).blocks)

    assert (
        f"*{card.labels.abstract}*\n>∗bold* ＿it_ ∼strike~ ˋcode` x_i a*b snake_case ∼10%" in texts
    )


def test_code_link_urls_cannot_break_out_of_the_link() -> None:
    texts = mrkdwn_texts(render_slack(hostile_card("en")).blocks)

    assert "*🔗 Code/Project*: <https://github.com/org/repo?a=1&amp;b=2%7Cx|GITHUB>" in texts


def test_a_title_longer_than_a_header_is_cut_with_an_ellipsis() -> None:
    title = "A very long title about reinforcement learning " * 5
    message = render_slack(build_card(make_paper(title=title), make_summary("en")))

    header = message.blocks[0]["text"]["text"]

    assert len(header) <= 150
    assert header.endswith("…")
    assert title.startswith(header[:-1])
    validate_blocks(message.blocks, message.text)


def test_a_long_abstract_is_split_across_sections_and_kept_whole() -> None:
    abstract = " ".join(f"sentence{n} & <more>." for n in range(250))
    card = build_card(make_paper(abstract=abstract), make_summary("en"))

    texts = mrkdwn_texts(render_slack(card).blocks)

    start = next(i for i, t in enumerate(texts) if t.startswith(f"*{card.labels.abstract}*"))
    pieces = texts[start:]
    assert len(pieces) == 3
    assert all(len(piece) <= 3000 and piece.startswith(">") for piece in pieces[1:])
    joined = pieces[0].split("\n>", 1)[1] + "".join(" " + p.removeprefix(">") for p in pieces[1:])
    assert joined == abstract.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def test_a_card_over_the_text_budget_is_shortened_lowest_priority_first() -> None:
    long_text = "word " * 3000
    card = build_card(make_paper(abstract=long_text), make_summary("en", experiments=long_text))

    message = render_slack(card)
    text = shown(message)

    for dropped in (card.labels.abstract, card.labels.method, card.labels.applications):
        assert dropped not in text
    assert_in_order(text, [card.labels.key_points, card.labels.experiments, "word word"])
    assert 11900 < text_units(message) <= 12000
    assert text.endswith(
        "word…\n<https://arxiv.org/abs/2508.08189|… (full text on arXiv)>"
        "\n☆ Favorite\n🔗 Share\n📄 arXiv\n📥 PDF"
    )


def test_sixty_authors_fit_one_context_element() -> None:
    authors = tuple(f"Author{n} " + "Longname" * 12 for n in range(60))
    message = render_slack(build_card(make_paper(authors=authors), make_summary("en")))

    validate_blocks(message.blocks, message.text)
    (authors_line,) = [t for t in mrkdwn_texts(message.blocks) if t.startswith("*Authors*")]
    assert len(authors_line) <= 3000
    assert authors_line.endswith("…")


# -- the validator ----------------------------------------------------------------------------


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


def buttons(*labels: str, action_id: str | None = None) -> dict[str, Any]:
    return {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": label},
                "action_id": action_id or f"a{n}",
            }
            for n, label in enumerate(labels)
        ],
    }


def test_validator_accepts_a_message_at_every_limit() -> None:
    blocks = [
        header("h" * 150),
        section("s" * 3000),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 10},
        {"type": "divider", "block_id": "d"},
        buttons(*["b" * 75] * 25),
    ]
    blocks += [section("x")] * (50 - len(blocks))

    validate_blocks(blocks, "t" * 40000)


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (header("h" * 151), "must be less than 151 characters [json-pointer:/blocks/0/text/text]"),
        (header("🧪" * 76), "must be less than 151 characters [json-pointer:/blocks/0/text/text]"),
        (
            section("s" * 3001),
            "must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
        ),
        (section(""), "must be more than 0 characters [json-pointer:/blocks/0/text/text]"),
        (
            {"type": "header", "text": {"type": "mrkdwn", "text": "*h*"}},
            "must be a text object of type plain_text [json-pointer:/blocks/0/text]",
        ),
        (
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11},
            "must provide 1 to 10 items [json-pointer:/blocks/0/elements]",
        ),
        (
            buttons("b" * 76),
            "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]",
        ),
        (buttons(*["b"] * 26), "must provide 1 to 25 items [json-pointer:/blocks/0/elements]"),
        (
            buttons("a", "b", action_id="same"),
            "duplicate action_id [json-pointer:/blocks/0/elements/1/action_id]",
        ),
        ({"type": "carousel"}, "unsupported type: carousel [json-pointer:/blocks/0/type]"),
        (
            {**section("s"), "colour": "red"},
            "invalid additional property: colour [json-pointer:/blocks/0]",
        ),
        ({"type": "section"}, "must provide either text or fields [json-pointer:/blocks/0]"),
    ],
)
def test_validator_refuses_blocks_slack_refuses_with_slacks_messages(
    block: dict[str, Any], message: str
) -> None:
    with pytest.raises(BlockKitError) as refused:
        validate_blocks([block], "fallback")

    assert refused.value.error == "invalid_blocks"
    assert refused.value.messages == [message]


def test_validator_refuses_more_than_fifty_blocks() -> None:
    with pytest.raises(BlockKitError) as refused:
        validate_blocks([section("s")] * 51, "fallback")

    assert refused.value.error == "invalid_blocks"
    assert refused.value.messages == ["no more than 50 items allowed [json-pointer:/blocks]"]


def test_validator_allows_a_home_view_its_hundred_blocks() -> None:
    validate_blocks([section("s")] * 100, None, max_blocks=100)
    with pytest.raises(BlockKitError):
        validate_blocks([section("s")] * 101, None, max_blocks=100)


@pytest.mark.parametrize(
    ("blocks", "text", "error"),
    [
        (None, "t" * 40001, "msg_too_long"),
        (None, "", "no_text"),
        ([], None, "no_text"),
        ({"type": "section"}, "x", "invalid_blocks_format"),
    ],
)
def test_validator_names_message_level_errors_as_slack_does(
    blocks: object, text: str | None, error: str
) -> None:
    with pytest.raises(BlockKitError) as refused:
        validate_blocks(blocks, text)

    assert refused.value.error == error


def test_validator_refuses_a_block_id_used_twice() -> None:
    blocks = [{**section("a"), "block_id": "same"}, {**section("b"), "block_id": "same"}]

    with pytest.raises(BlockKitError, match="duplicate block_id"):
        validate_blocks(blocks, "fallback")


def test_block_texts_reads_every_text_in_order() -> None:
    blocks = [header("h"), section("s"), buttons("b")]

    assert block_texts(blocks) == ["h", "s", "b"]
