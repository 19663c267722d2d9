"""Block Kit for what the Slack adapter draws around the core's replies: notices, favorites,
App Home, digests, the share modal and share links, and BibTeX snippets. Cards themselves
come from `bot.render`, every word from the catalogue (`bot.words.messages`) in the
conversation's language, and button values from the core's codec (`bot.render.buttons`).

Text from people and from arXiv goes into `plain_text` objects, which Slack never formats,
links or turns into mentions; mrkdwn carries only what the bot builds from IDs and URLs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.chat.replies import FavoritesPage, Subscription
from bot.delivery.platforms import DigestEntry
from bot.render.buttons import RemoveFavorite, ShowFavorites, ToggleFavorite, encode
from bot.render.escape import mrkdwn_text, mrkdwn_url
from bot.render.layout import one_line, truncate, truncate_to, utf16_len
from bot.render.slack_blocks import FAVORITE_ACTION
from bot.source.papers import Paper
from bot.source.taxonomy import lookup
from bot.support.config import Language
from bot.words.labels import CARD_LABELS
from bot.words.messages import MESSAGES, Messages
from bot.words.ranking import RANKING_MESSAGES

Block = dict[str, Any]

UNFAVORITE_ACTION = "paperbell_unfavorite"
NEWER_ACTION = "paperbell_favorites_newer"
OLDER_ACTION = "paperbell_favorites_older"
SHARE_MODAL = "paperbell_share_modal"
SHARE_TARGET_BLOCK = "paperbell_share_target"
SHARE_TARGET_ACTION = "paperbell_share_conversation"

HEADER_TEXT = 150
SECTION_TEXT = 3000
MESSAGE_BLOCKS = 50
FALLBACK_TEXT = 3000
_TITLE = 300
_TAKEAWAY = 1000
# Header, then a section and a context per paper, then one line saying how many were left out.
MAX_DIGEST_ENTRIES = (MESSAGE_BLOCKS - 2) // 2
MAX_HOME_CHANNELS = 20
_CODE_FENCE = "```"


@dataclass(frozen=True, slots=True)
class Message:
    """`text` is what notifications and screen readers show for `blocks`."""

    text: str
    blocks: list[Block]


@dataclass(frozen=True, slots=True)
class ChannelFeed:
    channel_id: str
    subscriptions: tuple[Subscription, ...]


def notice(text: str) -> Message:
    return Message(_fallback(text), [_plain_section(piece) for piece in _pieces(text)])


def favorites_message(page: FavoritesPage, owner: str, words: Messages, prefix: str) -> Message:
    """`owner` is the Slack user whose list it is; only their clicks change it."""
    blocks = [_plain_section(f"☆ {words.your_favorites}"), *_favorites(page, owner, words, prefix)]
    return Message(words.favorites_count.format(total=page.total), blocks)


def home_view(
    page: FavoritesPage,
    owner: str,
    feeds: Sequence[ChannelFeed],
    words: Messages,
    prefix: str,
    *,
    channels_unknown: bool = False,
) -> Block:
    """The App Home tab; `private_metadata` remembers the favorites page on show."""
    blocks: list[Block] = [
        _header(f"☆ {words.your_favorites}"),
        *_favorites(page, owner, words, prefix),
        {"type": "divider"},
    ]
    blocks.append(_header(words.home_subscriptions))
    for feed in feeds[:MAX_HOME_CHANNELS]:
        blocks.append(_mrkdwn_section(f"<#{feed.channel_id}>"))
        lines = "\n".join(_subscription_line(s, words) for s in feed.subscriptions)
        blocks.append({"type": "context", "elements": [_plain(_fit(lines, SECTION_TEXT))]})
    if len(feeds) > MAX_HOME_CHANNELS:
        more = words.home_more_channels.format(count=len(feeds) - MAX_HOME_CHANNELS)
        blocks.append({"type": "context", "elements": [_plain(more)]})
    if channels_unknown:
        blocks.append({"type": "context", "elements": [_plain(words.home_no_channels)]})
    elif not feeds:
        blocks.append(_plain_section(words.home_no_subscriptions.format(prefix=prefix)))
    return {"type": "home", "private_metadata": str(page.page), "blocks": blocks}


def digest(title: str, entries: Sequence[DigestEntry], language: str) -> Message:
    code: Language = "zh" if language == "zh" else "en"
    labels = CARD_LABELS[code]
    blocks: list[Block] = [_header(title)]
    shown = entries if len(entries) * 2 + 1 <= MESSAGE_BLOCKS else entries[:MAX_DIGEST_ENTRIES]
    for number, entry in enumerate(shown, 1):
        mark = f"{RANKING_MESSAGES[code].top_mark} " if entry.top else ""
        text = f"{number}. {mark}{_fit(one_line(entry.paper.title), _TITLE)}"
        if entry.takeaway.strip():
            text += "\n" + _fit(one_line(entry.takeaway), _TAKEAWAY)
        section = _plain_section(text)
        favorite = encode(ToggleFavorite(entry.paper.arxiv_id))
        section["accessory"] = _button(labels.favorite, FAVORITE_ACTION, favorite)
        blocks += [section, _links(entry.paper)]
    if len(shown) < len(entries):
        more = MESSAGES[code].more_papers.format(count=len(entries) - len(shown))
        blocks.append({"type": "context", "elements": [_plain(more)]})
    return Message(_fallback(title), blocks)


def share(permalink: str | None, arxiv_id: str, prefix: str, words: Messages) -> Message:
    """Where the card is, and how to post it into another conversation; `arxiv_id` must be
    a parsed one, which needs no escaping."""
    lines = [words.share_by_command.format(command=f"`{prefix}paper {arxiv_id}`")]
    if permalink:
        lines.insert(0, words.share_link.format(link=_card_link(permalink, words)))
    text = "\n".join(lines)
    return Message(text, [_mrkdwn_section(text)])


def share_modal(arxiv_id: str, origin: str, permalink: str | None, words: Messages) -> Block:
    """Where to post the card; `private_metadata` carries the paper and the conversation the
    Share button was clicked in, where the outcome is told."""
    about = words.share_about.format(arxiv_id=arxiv_id)
    if permalink:
        about += f"\n🔗 {_card_link(permalink, words)}"
    return {
        "type": "modal",
        "callback_id": SHARE_MODAL,
        "private_metadata": json.dumps({"paper": arxiv_id, "origin": origin}),
        "title": _plain(words.share_title),
        "submit": _plain(words.share_submit),
        "close": _plain(words.share_cancel),
        "blocks": [
            {
                "type": "input",
                "block_id": SHARE_TARGET_BLOCK,
                "label": _plain(words.share_target),
                "element": {
                    "type": "conversations_select",
                    "action_id": SHARE_TARGET_ACTION,
                    "placeholder": _plain(words.share_placeholder),
                    "filter": {"include": ["public", "private"], "exclude_bot_users": True},
                },
            },
            {"type": "context", "elements": [_mrkdwn(about)]},
        ],
    }


def shared(channel: str, title: str, words: Messages) -> Message:
    """`channel` is an ID Slack chose, which needs no escaping; `title` is arXiv's."""
    return Message(
        _fallback(words.shared.format(channel=title)),
        [
            _mrkdwn_section(words.shared.format(channel=f"<#{channel}>")),
            _plain_section(_fit(one_line(title), _TITLE) or "…"),
        ],
    )


def share_refused(channel: str, arxiv_id: str, reason: str, words: Messages) -> Message:
    """Why the card did not arrive in `channel`; `arxiv_id` must be a parsed one and `reason`
    the catalogue's words."""
    text = words.share_refused.format(
        arxiv_id=arxiv_id, channel=f"<#{channel}>", reason=mrkdwn_text(reason)
    )
    return Message(text, [_mrkdwn_section(text)])


def snippet(filename: str, content: str, caption: str, words: Messages) -> Message:
    """A file shown as code, for workspaces that do not let the app upload files; entries
    that do not fit one message are left out and counted."""
    intro = words.snippet_intro.format(caption=caption, filename=filename)
    entries = [entry for entry in content.split("\n\n") if entry.strip()]
    # Room for the intro and the closing count.
    room = MESSAGE_BLOCKS - 2
    chunks: list[list[str]] = [[]]
    left_out = 0
    for index, entry in enumerate(entries):
        if _code_fits([*chunks[-1], entry]):
            chunks[-1].append(entry)
        elif not _code_fits([entry]):
            left_out += 1
        elif len(chunks) < room:
            chunks.append([entry])
        else:
            left_out += len(entries) - index
            break
    blocks = [_plain_section(intro), *(_code_section(chunk) for chunk in chunks if chunk)]
    if left_out:
        blocks.append(
            {"type": "context", "elements": [_plain(words.snippet_more.format(count=left_out))]}
        )
    return Message(_fallback(intro), blocks)


def _favorites(page: FavoritesPage, owner: str, words: Messages, prefix: str) -> list[Block]:
    if not page.entries:
        return [_plain_section(words.no_favorites)]
    blocks: list[Block] = []
    for favorite in page.entries:
        paper = favorite.paper
        section = _plain_section(_fit(one_line(paper.title), _TITLE) or paper.versioned_id)
        remove = encode(RemoveFavorite(owner, page.page, paper.arxiv_id))
        section["accessory"] = _button(words.remove, UNFAVORITE_ACTION, remove, style="danger")
        starred = favorite.favorited_at.date().isoformat()
        blocks += [section, _links(paper, f"☆ {starred}")]
    if page.pages > 1:
        buttons = []
        if page.page > 1:
            newer = encode(ShowFavorites(owner, page.page - 1))
            buttons.append(_button(words.newer, NEWER_ACTION, newer))
        if page.page < page.pages:
            older = encode(ShowFavorites(owner, page.page + 1))
            buttons.append(_button(words.older, OLDER_ACTION, older))
        blocks.append({"type": "actions", "elements": buttons})
    status = words.favorites_status.format(
        page=page.page, pages=page.pages, total=page.total, prefix=prefix
    )
    blocks.append({"type": "context", "elements": [_plain(status)]})
    return blocks


def _subscription_line(subscription: Subscription, words: Messages) -> str:
    category = lookup(subscription.category)
    line = f"{subscription.category} ({category.name})" if category else subscription.category
    if subscription.include:
        line += words.listed_only.format(words=", ".join(subscription.include))
    if subscription.exclude:
        line += words.listed_not.format(words=", ".join(subscription.exclude))
    return line


def _card_link(permalink: str, words: Messages) -> str:
    return f"<{mrkdwn_url(permalink)}|{mrkdwn_text(words.link_to_card)}>"


def _links(paper: Paper, *extra: str) -> Block:
    """arXiv and PDF links, built only from the paper's ID, which needs no escaping."""
    parts = [
        f"<{mrkdwn_url(paper.abs_url)}|arXiv:{paper.versioned_id}>",
        f"<{mrkdwn_url(paper.pdf_url)}|PDF>",
        paper.primary_category,
        *extra,
    ]
    return {"type": "context", "elements": [_mrkdwn(" · ".join(parts))]}


def _code_fits(entries: list[str]) -> bool:
    return utf16_len(_code_text(entries)) <= SECTION_TEXT


def _code_section(entries: list[str]) -> Block:
    return _mrkdwn_section(_code_text(entries))


def _code_text(entries: list[str]) -> str:
    return _CODE_FENCE + mrkdwn_text("\n\n".join(entries)) + _CODE_FENCE


def _header(text: str) -> Block:
    return {"type": "header", "text": _plain(_fit(text, HEADER_TEXT))}


def _plain_section(text: str) -> Block:
    return {"type": "section", "text": _plain(text)}


def _mrkdwn_section(text: str) -> Block:
    return {"type": "section", "text": _mrkdwn(text)}


def _plain(text: str) -> Block:
    return {"type": "plain_text", "text": text or "…", "emoji": True}


def _mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def _button(text: str, action_id: str, value: str, *, style: str | None = None) -> Block:
    button: Block = {"type": "button", "text": _plain(text), "action_id": action_id, "value": value}
    if style:
        button["style"] = style
    return button


def _pieces(text: str) -> list[str]:
    """`text` in pieces a section holds: whole lines where they fit, long lines cut."""
    pieces: list[str] = []
    current = ""
    for line in text.split("\n"):
        while utf16_len(line) > SECTION_TEXT:
            head = truncate_to(line, lambda t: utf16_len(t) <= SECTION_TEXT - 1)[:-1]
            pieces += [current] if current else []
            pieces.append(head)
            current, line = "", line[len(head) :]
        joined = f"{current}\n{line}" if current else line
        if utf16_len(joined) <= SECTION_TEXT:
            current = joined
        else:
            pieces.append(current)
            current = line
    pieces.append(current)
    return [piece for piece in pieces if piece.strip()] or ["…"]


def _fit(text: str, limit: int) -> str:
    return truncate_to(text, lambda t: utf16_len(t) <= limit)


def _fallback(text: str) -> str:
    """Slack reads a message's `text` as mrkdwn, so it is escaped and kept short."""
    return mrkdwn_text(truncate(one_line(text), FALLBACK_TEXT))
