"""Buttons under a card, as data, and the ☆ callback format the Telegram handler decodes.

Telegram returns `callback_data` verbatim from whoever taps, so anything can arrive there:
`parse_favorite_callback` accepts only what `favorite_callback_data` produces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Telegram rejects a button whose callback_data is longer than this many bytes.
CALLBACK_DATA_MAX_BYTES = 64
_FAVORITE_PREFIX = "fav:"
# New-style IDs (2508.08189) and old-style ones (hep-th/9901001, math.GT/0309136).
_ARXIV_ID = r"\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]+(?:-[a-z]+)*)?/\d{7}"
_FAVORITE = re.compile(rf"{_FAVORITE_PREFIX}({_ARXIV_ID})")


@dataclass(frozen=True, slots=True)
class Button:
    """One button; exactly one of `url`, `callback_data` and `switch_inline_query` is set."""

    text: str
    url: str | None = None
    callback_data: str | None = None
    switch_inline_query: str | None = None

    def __post_init__(self) -> None:
        actions = (self.url, self.callback_data, self.switch_inline_query)
        if sum(action is not None for action in actions) != 1:
            raise ValueError(f"button {self.text!r} needs exactly one action")


def favorite_callback_data(arxiv_id: str) -> str:
    """The ☆ button's callback data for a base arXiv ID (no version: favorites outlive v2)."""
    if not re.fullmatch(_ARXIV_ID, arxiv_id):
        raise ValueError(f"not a base arXiv ID: {arxiv_id!r}")
    data = _FAVORITE_PREFIX + arxiv_id
    if len(data.encode()) > CALLBACK_DATA_MAX_BYTES:
        raise ValueError(f"callback data for {arxiv_id!r} exceeds {CALLBACK_DATA_MAX_BYTES} bytes")
    return data


def parse_favorite_callback(data: str) -> str | None:
    """The base arXiv ID in ☆ callback data, or None for anything this bot did not send."""
    match = _FAVORITE.fullmatch(data)
    return match.group(1) if match else None
