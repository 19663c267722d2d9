"""Escaping for each markup the bot writes, defined once for the core and the adapters.

Telegram's HTML parse mode knows only `&`, `<` and `>` as special in text (attributes add
the double quote); Slack's mrkdwn reserves the same three for entities, mentions and
links, and a link's target must not contain `|`, which separates it from its label.
"""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"<[^>]*>")


def html_text(text: str) -> str:
    """`text` as Telegram HTML content, shown exactly as written."""
    return html.escape(text, quote=False)


def html_link(url: str, label: str) -> str:
    return f'<a href="{html.escape(url)}">{html_text(label)}</a>'


def html_visible(markup: str) -> str:
    """What Telegram shows for markup the bot wrote (every `<` in text escaped), for
    counting against its message limit."""
    return html.unescape(_TAG.sub("", markup))


def mrkdwn_text(text: str) -> str:
    """`text` as Slack mrkdwn that cannot open a link, a mention or an entity."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn_url(url: str) -> str:
    """`url` as the target of a `<url|label>` link."""
    return url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
