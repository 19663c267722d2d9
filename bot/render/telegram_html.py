"""A card as a Telegram message: HTML text (parse_mode=HTML) and an inline keyboard.

The long prose sections go in expandable blockquotes, so the card reads as a summary
until someone opens them. Telegram counts its 4096-character limit on the text left
after parsing the HTML, in UTF-16 code units, so the fit test strips the tags and
decodes the entities first.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.cards.cards import Card, Kind, Section
from bot.render.buttons import Button, favorite_callback_data
from bot.render.escape import html_link, html_text, html_visible
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


@dataclass(frozen=True, slots=True)
class TelegramMessage:
    html: str
    buttons: tuple[tuple[Button, ...], ...]


def render_telegram(card: Card) -> TelegramMessage:
    def fits(markup: str) -> bool:
        return utf16_len(html_visible(markup)) <= MESSAGE_LIMIT

    text = shorten(card, _html, fits, MESSAGE_LIMIT)
    return TelegramMessage(text, _buttons(card))


def _buttons(card: Card) -> tuple[tuple[Button, ...], ...]:
    return (
        (
            Button(card.labels.favorite, callback_data=favorite_callback_data(card.arxiv_id)),
            Button(card.labels.share, switch_inline_query=card.arxiv_id),
        ),
        (Button(ARXIV_LABEL, url=card.abs_url), Button(PDF_LABEL, url=card.pdf_url)),
    )


def _html(card: Card, shortened: bool) -> str:
    toolbar = (
        f"{html_link(card.abs_url, ARXIV_LABEL)}: "
        f"<code>{html_text(card.arxiv_id)}</code>v{card.version}"
        f" · {html_link(card.pdf_url, PDF_LABEL)}"
    )
    out = f"<b>{html_text(title_of(card))}</b>\n{toolbar}"
    previous_inline = False
    for section in card.sections:
        inline = section.kind in INLINE_KINDS
        out += ("\n" if inline and previous_inline else "\n\n") + _section(section, card)
        previous_inline = inline
    if shortened:
        out += "\n\n" + html_link(card.abs_url, MORE_ON_ARXIV[card.language])
    return out


def _section(section: Section, card: Card) -> str:
    label = f"<b>{html_text(section.label)}</b>"
    match section.kind:
        case Kind.META:
            value = authors_text(section) if section.key == "authors" else one_line(section.text)
            return f"{label}: {html_text(value)}"
        case Kind.LINKS:
            return f"{label}: " + " · ".join(
                html_link(link.url, link.label) for link in section.links
            )
        case Kind.TOPICS:
            names = " ".join(f"<b>{html_text(one_line(t))}</b>" for t in section.items)
            lines = [names] if names else []
            lines += [html_text(one_line(section.text))] if section.text else []
            return f"{label}: " + "\n".join(lines)
        case Kind.KEYWORDS:
            codes = (f"<code>{html_text(one_line(k))}</code>" for k in section.items)
            return f"{label}: " + " ".join(codes)
        case Kind.HEADLINE:
            return f"{label}\n<b>{html_text(one_line(section.text))}</b>"
        case Kind.NUMBERED:
            items = (f"{n}. {html_text(one_line(item))}" for n, item in enumerate(section.items, 1))
            return label + "\n" + "\n".join(items)
        case Kind.FIELDS:
            separator = FIELD_SEPARATOR[card.language]
            body = "\n".join(
                f"<b>{html_text(name)}</b>{separator}{html_text(' '.join(paragraphs(text)))}"
                for name, text in section.fields
            )
            return f"{label}\n<blockquote expandable>{body}</blockquote>"
        case Kind.TEXT | Kind.QUOTE:
            body = "\n\n".join(map(html_text, paragraphs(section.text)))
            return f"{label}\n<blockquote expandable>{body}</blockquote>"
