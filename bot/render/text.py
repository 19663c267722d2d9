"""A card as plain text for terminals (`paperbell preview`): the reference card's layout
in Markdown-ish text, complete, since a terminal has no length limit and no markup to escape."""

from __future__ import annotations

from bot.cards.cards import Card, Kind, Section
from bot.render.layout import (
    ARXIV_LABEL,
    FIELD_SEPARATOR,
    INLINE_KINDS,
    PDF_LABEL,
    authors_text,
    one_line,
    paragraphs,
    title_of,
)


def render_text(card: Card) -> str:
    lines = [
        f"# {title_of(card)}",
        "",
        f"{ARXIV_LABEL}: {card.versioned_id} <{card.abs_url}> · {PDF_LABEL} <{card.pdf_url}>",
    ]
    previous_inline = False
    for section in card.sections:
        inline = section.kind in INLINE_KINDS
        if not (inline and previous_inline):
            lines.append("")
        lines.append(_section(section, card))
        previous_inline = inline
    return "\n".join(lines) + "\n"


def _section(section: Section, card: Card) -> str:
    heading = f"## {section.label}\n\n"
    match section.kind:
        case Kind.META:
            value = authors_text(section) if section.key == "authors" else one_line(section.text)
            return f"{section.label}: {value}"
        case Kind.LINKS:
            links = (f"{link.label} <{link.url}>" for link in section.links)
            return f"{section.label}: " + " · ".join(links)
        case Kind.TOPICS:
            lines = [" · ".join(map(one_line, section.items))] if section.items else []
            lines += [one_line(section.text)] if section.text else []
            return f"{section.label}: " + "\n".join(lines)
        case Kind.KEYWORDS:
            return f"{section.label}: " + " ".join(f"`{one_line(k)}`" for k in section.items)
        case Kind.HEADLINE:
            return heading + one_line(section.text)
        case Kind.NUMBERED:
            items = (f"{n}. {one_line(item)}" for n, item in enumerate(section.items, 1))
            return heading + "\n".join(items)
        case Kind.FIELDS:
            separator = FIELD_SEPARATOR[card.language]
            fields = (
                f"{name}{separator}{' '.join(paragraphs(text))}" for name, text in section.fields
            )
            return heading + "\n\n".join(fields)
        case Kind.TEXT:
            return heading + "\n\n".join(paragraphs(section.text))
        case Kind.QUOTE:
            return heading + "\n>\n".join(f"> {p}" for p in paragraphs(section.text))
