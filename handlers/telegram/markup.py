"""What the Telegram adapter draws besides cards: ☆ labels, favorites pages, digests.

Cards themselves come from `bot.render.telegram_html`; this module only turns its buttons
into python-telegram-bot objects and relabels ☆ for the person or group looking at them.
Button data comes from the core's codec (`bot.render.buttons`), words from its catalogue.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputTextMessageContent,
    LinkPreviewOptions,
)
from telegram.constants import ParseMode

from bot.cards.cards import Card
from bot.chat.favorites import FAVORITES_PER_PAGE
from bot.chat.replies import FavoritesPage
from bot.delivery.platforms import DigestEntry
from bot.render.buttons import (
    Button,
    RemoveFavorite,
    ShowFavorites,
    ToggleFavorite,
    decode,
    encode,
    favorite_callback_data,
)
from bot.render.escape import html_link, html_text, html_visible
from bot.render.layout import one_line, title_of, utf16_len
from bot.render.telegram_html import MESSAGE_LIMIT, TelegramMessage, render_telegram
from bot.support.config import Language
from bot.words.messages import MESSAGES
from bot.words.ranking import RANKING_MESSAGES

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
STAR_OFF = "☆"
STAR_ON = "★"
_STAR_LABEL = re.compile(rf"^[{STAR_OFF}{STAR_ON}]\s*(?P<base>.*?)(?:\s+·\s+\d+)?$")
_TITLE_LIMIT = 200
# Shorter and shorter takeaways, then titles, until a long digest fits one message.
_DIGEST_CUTS: tuple[tuple[int | None, int | None], ...] = (
    (None, None),
    (280, None),
    (160, None),
    (80, None),
    (0, 160),
    (0, 80),
    (0, 40),
)


def star_label(text: str, *, starred: bool | None = None, count: int | None = None) -> str:
    """A ☆ button's label for one viewer (`starred`) or for a whole group (`count`).

    In a group everyone sees the same button, so it shows how many people keep the
    paper rather than one person's star.
    """
    match = _STAR_LABEL.match(text)
    base = match["base"] if match else text
    if starred is not None:
        return f"{STAR_ON if starred else STAR_OFF} {base}"
    return f"{STAR_OFF} {base}" + (f" · {count}" if count else "")


def keyboard(rows: Sequence[Sequence[Button]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    b.text,
                    url=b.url,
                    callback_data=b.callback_data,
                    switch_inline_query=b.switch_inline_query,
                )
                for b in row
            ]
            for row in rows
        ]
    )


def card_message(card: Card, *, starred: bool = False) -> tuple[str, InlineKeyboardMarkup]:
    """The card as HTML and keyboard; `starred` shows ★ to the one person in a private chat."""
    message: TelegramMessage = render_telegram(card)
    rows = message.buttons
    if starred:
        rows = tuple(
            tuple(
                replace(b, text=star_label(b.text, starred=True))
                if isinstance(decode(b.callback_data or ""), ToggleFavorite)
                else b
                for b in row
            )
            for row in rows
        )
    return message.html, keyboard(rows)


def relabel_star(
    markup: InlineKeyboardMarkup, data: str, *, starred: bool | None, count: int | None
) -> InlineKeyboardMarkup:
    """The message's keyboard with the ☆ button carrying `data` relabelled, the rest kept."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    star_label(b.text, starred=starred, count=count), callback_data=data
                )
                if b.callback_data == data
                else b
                for b in row
            ]
            for row in markup.inline_keyboard
        ]
    )


def favorites_message(
    page: FavoritesPage, owner_id: str, owner_name: str | None, language: Language
) -> tuple[str, InlineKeyboardMarkup | None]:
    """One page of someone's favorites with a ✖ per paper and paging buttons.

    `owner_name` is set in groups, where the list is shown to everyone but only its owner
    may change it.
    """
    words = MESSAGES[language]
    if page.total == 0:
        return html_text(words.no_favorites), None
    whose = words.your_favorites if owner_name is None else words.someones_favorites
    heading = words.favorites_page.format(
        whose=whose.format(name=owner_name), total=page.total, page=page.page, pages=page.pages
    )
    lines = [f"⭐ <b>{html_text(heading)}</b>"]
    first = (page.page - 1) * FAVORITES_PER_PAGE + 1
    for number, favorite in enumerate(page.entries, first):
        paper = favorite.paper
        authors = paper.authors[0] + (words.et_al if len(paper.authors) > 1 else "")
        lines += [
            "",
            f"{number}. <b>{html_link(paper.abs_url, _cut(one_line(paper.title), _TITLE_LIMIT))}"
            "</b>",
            f"<code>{html_text(paper.arxiv_id)}</code> · {html_text(authors)} · "
            f"{paper.published.year}",
        ]
    remove_row = [
        Button(
            f"✖ {number}",
            callback_data=encode(RemoveFavorite(owner_id, page.page, favorite.paper.arxiv_id)),
        )
        for number, favorite in enumerate(page.entries, first)
    ]
    paging_row = []
    if page.page > 1:
        paging_row.append(
            Button(words.newer, callback_data=encode(ShowFavorites(owner_id, page.page - 1)))
        )
    if page.page < page.pages:
        paging_row.append(
            Button(words.older, callback_data=encode(ShowFavorites(owner_id, page.page + 1)))
        )
    return "\n".join(lines), keyboard([row for row in (remove_row, paging_row) if row])


def digest_message(
    title: str, entries: Sequence[DigestEntry], language: Language
) -> tuple[str, InlineKeyboardMarkup]:
    """Several papers in one message, each with its own ☆ N button, cut to fit Telegram."""
    buttons = [
        Button(f"{STAR_OFF} {number}", callback_data=favorite_callback_data(e.paper.arxiv_id))
        for number, e in enumerate(entries, 1)
    ]
    rows = [buttons[i : i + 5] for i in range(0, len(buttons), 5)]
    for takeaway_limit, title_limit in _DIGEST_CUTS:
        text = _digest_html(title, entries, language, takeaway_limit, title_limit)
        if utf16_len(html_visible(text)) <= MESSAGE_LIMIT:
            break
    return text, keyboard(rows)


def _digest_html(
    title: str,
    entries: Sequence[DigestEntry],
    language: Language,
    takeaway_limit: int | None,
    title_limit: int | None,
) -> str:
    parts = [f"<b>{html_text(one_line(title))}</b>"]
    for number, entry in enumerate(entries, 1):
        paper = entry.paper
        paper_title = _cut(one_line(paper.title), title_limit)
        mark = f"{RANKING_MESSAGES[language].top_mark} " if entry.top else ""
        item = (
            f"{number}. {mark}<b>{html_link(paper.abs_url, paper_title)}</b>"
            f" · <code>{html_text(paper.arxiv_id)}</code>"
        )
        takeaway = _cut(one_line(entry.takeaway), takeaway_limit)
        if takeaway:
            item += f"\n💡 {html_text(takeaway)}"
        parts.append(item)
    parts.append(html_text(MESSAGES[language].digest_footer))
    return "\n\n".join(parts)


def text_parts(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Plain text in as few messages as Telegram takes, broken between lines where possible."""
    parts: list[str] = []
    current: str | None = None
    for line in _fitting_lines(text.split("\n"), limit):
        joined = line if current is None else f"{current}\n{line}"
        if current is not None and utf16_len(joined) > limit:
            parts.append(current)
            joined = line
        current = joined
    if current is not None:
        parts.append(current)
    # Telegram refuses a message of nothing but blanks.
    return [part for part in parts if part.strip()]


def _fitting_lines(lines: list[str], limit: int) -> Iterator[str]:
    for line in lines:
        while utf16_len(line) > limit:
            cut = limit
            while utf16_len(line[:cut]) > limit:
                cut -= 1
            yield line[:cut]
            line = line[cut:]
        yield line


def _cut(text: str, limit: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    if limit == 0:
        return ""
    return text[: limit - 1].rstrip() + "…"


def share_result(card: Card) -> InlineQueryResultArticle:
    """The card as an inline result, so `@bot 2508.08189` can post it into any chat."""
    text, markup = card_message(card)
    takeaway = card.section("takeaway")
    return InlineQueryResultArticle(
        id=card.arxiv_id,
        title=title_of(card),
        input_message_content=InputTextMessageContent(
            text,
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
        ),
        reply_markup=markup,
        url=card.abs_url,
        description=one_line(takeaway.text) if takeaway else None,
    )
