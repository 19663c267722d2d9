"""A card as Slack Block Kit: the whole card, or a compact post with the long sections
as replies in its thread.

Text from arXiv lands in mrkdwn, where `<!channel>` would ping everyone and `*x*` would
turn bold, so it is escaped (`&`, `<`, `>`) and every formatting character that could
open a span is swapped for a look-alike. Text objects are `verbatim` so Slack does not
link-ify names or mentions on its own either. Lengths are counted in UTF-16 units, the
stricter of the ways Slack might count.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.cards.cards import Card, Kind, Section
from bot.render.buttons import Share, ToggleFavorite, encode
from bot.render.escape import mrkdwn_text, mrkdwn_url
from bot.render.layout import (
    ARXIV_LABEL,
    FIELD_SEPARATOR,
    LONG_KINDS,
    MORE_ON_ARXIV,
    PDF_LABEL,
    authors_text,
    one_line,
    paragraphs,
    shorten,
    title_of,
    truncate,
    truncate_to,
    utf16_len,
)
from bot.source.links import Link

FAVORITE_ACTION = "paperbell_favorite"
SHARE_ACTION = "paperbell_share"
OPEN_ARXIV_ACTION = "paperbell_open_arxiv"
OPEN_PDF_ACTION = "paperbell_open_pdf"

HEADER_LIMIT = 150
TEXT_LIMIT = 3000  # a section's text, and each context element
MAX_BLOCKS = 50
# Slack accepts far more, but a card past this is a wall of text in a channel.
TEXT_BUDGET = 12000
_FALLBACK_LIMIT = 300
# Less room than this left in a section: a long line starts a new section instead.
_MIN_ROOM = 200

Block = dict[str, Any]

_OPENER = re.compile(r"(?<![^\W_])[*_~`](?=\S)")
_LOOK_ALIKE = {"*": "∗", "_": "＿", "~": "∼", "`": "ˋ"}
_INLINE_TOP = frozenset({Kind.META, Kind.LINKS})


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """`text` is the notification and screen-reader fallback for `blocks`."""

    text: str
    blocks: list[Block]


def render_slack(card: Card) -> SlackMessage:
    """The whole card in one message."""
    blocks = shorten(card, _card_blocks, _fits, TEXT_BUDGET)
    return SlackMessage(_fallback(card), blocks)


def render_slack_summary(card: Card) -> SlackMessage:
    """The card without its long sections, for a channel post that stays short."""
    sections = tuple(s for s in card.sections if s.kind not in LONG_KINDS)
    return render_slack(dataclasses.replace(card, sections=sections))


def render_slack_thread(card: Card) -> list[SlackMessage]:
    """The long sections left out of `render_slack_summary`, as replies in its thread:
    as few messages as the limits allow, each section cut only if alone it is too long."""
    messages: list[SlackMessage] = []
    blocks: list[Block] = []
    labels: list[str] = []
    for section in card.sections:
        if section.kind not in LONG_KINDS:
            continue
        one = dataclasses.replace(card, sections=(section,))
        alone = shorten(one, _thread_blocks, _fits, TEXT_BUDGET)
        if blocks and not _fits(blocks + alone):
            messages.append(SlackMessage(_mrkdwn(" · ".join(labels)), blocks))
            blocks, labels = [], []
        blocks += alone
        labels.append(section.label)
    if blocks:
        messages.append(SlackMessage(_mrkdwn(" · ".join(labels)), blocks))
    return messages


def _fits(blocks: list[Block]) -> bool:
    return len(blocks) <= MAX_BLOCKS and _text_units(blocks) <= TEXT_BUDGET


def _text_units(value: object) -> int:
    if isinstance(value, dict):
        return sum(
            utf16_len(item) if key == "text" and isinstance(item, str) else _text_units(item)
            for key, item in value.items()
        )
    if isinstance(value, list):
        return sum(map(_text_units, value))
    return 0


def _fallback(card: Card) -> str:
    takeaway = card.section("takeaway")
    summary = title_of(card) + (f" — {one_line(takeaway.text)}" if takeaway else "")
    return _mrkdwn(truncate(summary, _FALLBACK_LIMIT))


def _card_blocks(card: Card, shortened: bool) -> list[Block]:
    toolbar = (
        f"{_link(card.abs_url, ARXIV_LABEL)}: {_code(card.versioned_id)}"
        f" · {_link(card.pdf_url, PDF_LABEL)}"
    )
    title = truncate_to(title_of(card), lambda t: utf16_len(t) <= HEADER_LIMIT)
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": title, "emoji": True}},
        _context([toolbar] + [_body(s, card) for s in card.sections if s.kind in _INLINE_TOP]),
        {"type": "divider"},
    ]
    for section in card.sections:
        if section.kind not in _INLINE_TOP:
            blocks += _sections(_body(section, card))
    if shortened:
        blocks.append(_more(card))
    blocks += [{"type": "divider"}, _actions(card)]
    return blocks


def _thread_blocks(card: Card, shortened: bool) -> list[Block]:
    blocks = [block for section in card.sections for block in _sections(_body(section, card))]
    return [*blocks, _more(card)] if shortened else blocks


def _more(card: Card) -> Block:
    return _context([_link(card.abs_url, MORE_ON_ARXIV[card.language])])


def _actions(card: Card) -> Block:
    labels = card.labels
    return {
        "type": "actions",
        "elements": [
            _button(labels.favorite, FAVORITE_ACTION, value=encode(ToggleFavorite(card.arxiv_id))),
            _button(labels.share, SHARE_ACTION, value=encode(Share(card.arxiv_id))),
            _button(ARXIV_LABEL, OPEN_ARXIV_ACTION, url=card.abs_url),
            _button(PDF_LABEL, OPEN_PDF_ACTION, url=card.pdf_url),
        ],
    }


def _button(
    text: str, action_id: str, *, value: str | None = None, url: str | None = None
) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
    }
    if value is not None:
        button["value"] = value
    if url is not None:
        button["url"] = url
    return button


def _context(texts: list[str]) -> Block:
    return {"type": "context", "elements": [_text_object(text) for text in texts]}


def _text_object(text: str) -> Block:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _top_line(section: Section) -> str:
    """A context element: one "label: value" line, cut to fit the element's limit."""
    label = f"{_bold(section.label)}: "

    def fits(text: str) -> bool:
        return utf16_len(text) <= TEXT_LIMIT

    if section.kind is Kind.LINKS:
        return label + _links_within(section.links, lambda links: fits(label + links))
    value = authors_text(section) if section.key == "authors" else one_line(section.text)
    return label + _mrkdwn(truncate_to(value, lambda v: fits(label + _mrkdwn(v))))


def _links_within(links: tuple[Link, ...], fits: Callable[[str], bool]) -> str:
    shown = ""
    for link in links:
        longer = (
            f"{shown} · {_link(link.url, link.label)}" if shown else _link(link.url, link.label)
        )
        if not fits(longer):
            break
        shown = longer
    return shown


def _body(section: Section, card: Card) -> str:
    label = _bold(section.label)
    match section.kind:
        case Kind.META | Kind.LINKS:
            return _top_line(section)
        case Kind.TOPICS:
            names = " ".join(_bold(topic) for topic in section.items)
            lines = [names] if names else []
            lines += [_mrkdwn(one_line(section.text))] if section.text else []
            return f"{label}: " + "\n".join(lines)
        case Kind.KEYWORDS:
            return f"{label}: " + " ".join(_code(keyword) for keyword in section.items)
        case Kind.HEADLINE:
            return f"{label}\n{_bold(section.text)}"
        case Kind.NUMBERED:
            items = (f"{n}. {_mrkdwn(one_line(item))}" for n, item in enumerate(section.items, 1))
            return label + "\n" + "\n".join(items)
        case Kind.FIELDS:
            separator = FIELD_SEPARATOR[card.language]
            fields = (
                f"{_bold(name)}{separator}{_mrkdwn(' '.join(paragraphs(text)))}"
                for name, text in section.fields
            )
            return label + "\n" + "\n".join(fields)
        case Kind.TEXT:
            return label + "\n" + "\n\n".join(map(_mrkdwn, paragraphs(section.text)))
        case Kind.QUOTE:
            return label + "\n" + "\n>\n".join(f">{_mrkdwn(p)}" for p in paragraphs(section.text))


def _sections(text: str) -> list[Block]:
    return [{"type": "section", "text": _text_object(chunk)} for chunk in _chunks(text)]


def _chunks(text: str) -> list[str]:
    """`text` in pieces that fit a section: lines kept whole where they fit, a longer one
    cut between words, never inside an escape or a link; a quoted line stays quoted."""
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        joined = f"{current}\n{line}" if current else line
        if utf16_len(joined) <= TEXT_LIMIT:
            current = joined
            continue
        if utf16_len(line) <= TEXT_LIMIT:
            chunks.append(current)
            current = line
            continue
        room = TEXT_LIMIT - utf16_len(current) - 1 if current else TEXT_LIMIT
        if room < _MIN_ROOM:
            chunks.append(current)
            current, room = "", TEXT_LIMIT
        pieces = _split_line(line, room)
        if current:
            pieces[0] = f"{current}\n{pieces[0]}"
        chunks += pieces[:-1]
        current = pieces[-1]
    chunks.append(current)
    return [chunk for chunk in chunks if chunk.strip()]


def _split_line(line: str, first: int) -> list[str]:
    """`line` in pieces of at most `first`, then `TEXT_LIMIT`, units."""
    prefix = ">" if line.startswith(">") else ""
    pieces: list[str] = []
    rest, limit = line, first
    while utf16_len(rest) > limit:
        end = max(_cut(rest, limit), len(prefix) + 1)
        pieces.append(rest[:end])
        rest, limit = prefix + rest[end:].lstrip(" "), TEXT_LIMIT
    return [*pieces, rest]


def _cut(text: str, limit: int) -> int:
    """Where to cut `text` so the head has at most `limit` units: at the last space if it
    is near the end, and never inside an escape (`&amp;`) or a link (`<url|label>`)."""
    end = min(limit, len(text))
    end -= max(utf16_len(text[:end]) - limit, 0)
    space = text.rfind(" ", 0, end)
    if space >= end * 2 // 3:
        end = space
    head = text[:end]
    escape = head.rfind("&")
    if escape >= 0 and ";" not in head[escape:]:
        end = escape
    link = head.rfind("<")
    if link > head.rfind(">"):
        end = min(end, link)
    return max(end, 1)


def _mrkdwn(raw: str) -> str:
    return mrkdwn_text(_OPENER.sub(lambda m: _LOOK_ALIKE[m.group()], raw))


def _bold(raw: str) -> str:
    content = _mrkdwn(one_line(raw).replace("*", "∗"))
    return f"*{content}*" if content else ""


def _code(raw: str) -> str:
    escaped = mrkdwn_text(one_line(raw).replace("`", "ˋ"))
    return f"`{escaped}`" if escaped else ""


def _link(url: str, label: str) -> str:
    return f"<{mrkdwn_url(url)}|{_mrkdwn(label)}>"
