"""A card as a Telegram message: HTML text (parse_mode=HTML) and an inline keyboard.

The long prose sections go in expandable blockquotes, so the card reads as a summary
until someone opens them. Telegram counts its 4096-character limit on the text left
after parsing the HTML, in UTF-16 code units, so the fit test strips the tags and
decodes the entities first.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bot.cards.cards import Card, Kind, Section
from bot.render.buttons import Button, favorite_callback_data
from bot.render.layout import (
    ARXIV_LABEL,
    FIELD_SEPARATOR,
    INLINE_KINDS,
    MORE_ON_ARXIV,
    PDF_LABEL,
    authors_text,
    one_line,
    paragraphs,
    shorten,
    title_of,
    utf16_len,
)

MESSAGE_LIMIT = 4096
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True, slots=True)
class TelegramMessage:
    html: str
    buttons: tuple[tuple[Button, ...], ...]


def render_telegram(card: Card) -> TelegramMessage:
    def fits(markup: str) -> bool:
        return utf16_len(_visible_text(markup)) <= MESSAGE_LIMIT

    text = shorten(card, _html, fits, MESSAGE_LIMIT)
    return TelegramMessage(text, _buttons(card))


def _visible_text(markup: str) -> str:
    """What Telegram shows for `markup` this module produced (it escapes every `<`)."""
    return html.unescape(_TAG.sub("", markup))


def _buttons(card: Card) -> tuple[tuple[Button, ...], ...]:
    return (
        (
            Button(card.labels.favorite, callback_data=favorite_callback_data(card.arxiv_id)),
            Button(card.labels.share, switch_inline_query=card.arxiv_id),
        ),
        (Button(ARXIV_LABEL, url=card.abs_url), Button(PDF_LABEL, url=card.pdf_url)),
    )


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _link(url: str, text: str) -> str:
    return f'<a href="{html.escape(url)}">{_esc(text)}</a>'


def _html(card: Card, shortened: bool) -> str:
    toolbar = (
        f"{_link(card.abs_url, ARXIV_LABEL)}: <code>{_esc(card.arxiv_id)}</code>v{card.version}"
        f" · {_link(card.pdf_url, PDF_LABEL)}"
    )
    out = f"<b>{_esc(title_of(card))}</b>\n{toolbar}"
    previous_inline = False
    for section in card.sections:
        inline = section.kind in INLINE_KINDS
        out += ("\n" if inline and previous_inline else "\n\n") + _section(section, card)
        previous_inline = inline
    if shortened:
        out += "\n\n" + _link(card.abs_url, MORE_ON_ARXIV[card.language])
    return out


def _section(section: Section, card: Card) -> str:
    label = f"<b>{_esc(section.label)}</b>"
    match section.kind:
        case Kind.META:
            value = authors_text(section) if section.key == "authors" else one_line(section.text)
            return f"{label}: {_esc(value)}"
        case Kind.LINKS:
            return f"{label}: " + " · ".join(_link(link.url, link.label) for link in section.links)
        case Kind.TOPICS:
            names = " ".join(f"<b>{_esc(one_line(t))}</b>" for t in section.items)
            lines = [names] if names else []
            lines += [_esc(one_line(section.text))] if section.text else []
            return f"{label}: " + "\n".join(lines)
        case Kind.KEYWORDS:
            codes = (f"<code>{_esc(one_line(k))}</code>" for k in section.items)
            return f"{label}: " + " ".join(codes)
        case Kind.HEADLINE:
            return f"{label}\n<b>{_esc(one_line(section.text))}</b>"
        case Kind.NUMBERED:
            items = (f"{n}. {_esc(one_line(item))}" for n, item in enumerate(section.items, 1))
            return label + "\n" + "\n".join(items)
        case Kind.FIELDS:
            separator = FIELD_SEPARATOR[card.language]
            body = "\n".join(
                f"<b>{_esc(name)}</b>{separator}{_esc(' '.join(paragraphs(text)))}"
                for name, text in section.fields
            )
            return f"{label}\n<blockquote expandable>{body}</blockquote>"
        case Kind.TEXT | Kind.QUOTE:
            body = "\n\n".join(map(_esc, paragraphs(section.text)))
            return f"{label}\n<blockquote expandable>{body}</blockquote>"
