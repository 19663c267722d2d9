"""Buttons under a card, as data, and the one codec for what a tapped button asks for.

Telegram hands back `callback_data` and Slack a button's `value` verbatim from whoever
taps, forged or stale, so both platforms carry `encode(action)` and read it back with
`decode`, which accepts only what `encode` could have produced. Telegram refuses a button
whose data is longer than 64 bytes; `encode` refuses to make one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Telegram rejects a button whose callback_data is longer than this many bytes.
CALLBACK_DATA_MAX_BYTES = 64
# New-style IDs (2508.08189) and old-style ones (hep-th/9901001, math.GT/0309136).
ARXIV_ID = r"\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]+(?:-[a-z]+)*)?/\d{7}"
# Whose favorites list a button pages: a Telegram user ID or a Slack user ID.
_OWNER = r"[A-Za-z0-9]{1,20}"
_PAGE = r"[1-9][0-9]{0,3}"
_GRAMMAR = re.compile(
    rf"fav:(?P<fav>{ARXIV_ID})"
    rf"|sh:(?P<share>{ARXIV_ID})"
    rf"|fl:(?P<owner>{_OWNER}):(?P<page>{_PAGE})"
    rf"|fr:(?P<r_owner>{_OWNER}):(?P<r_page>{_PAGE}):(?P<remove>{ARXIV_ID})"
    rf"|card:(?P<card>{ARXIV_ID})"
)


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


@dataclass(frozen=True, slots=True)
class ToggleFavorite:
    """☆ under a card: keep the paper in the tapper's favorites, or let it go."""

    paper: str


@dataclass(frozen=True, slots=True)
class Share:
    """🔗 under a card (Slack; Telegram shares through inline mode instead)."""

    paper: str


@dataclass(frozen=True, slots=True)
class ShowFavorites:
    """Show page `page` of `owner`'s favorites; only the owner may."""

    owner: str
    page: int


@dataclass(frozen=True, slots=True)
class RemoveFavorite:
    """✖ on a favorites list: drop `paper`, then show page `page` again."""

    owner: str
    page: int
    paper: str


@dataclass(frozen=True, slots=True)
class OpenCard:
    """A numbered button on a /foryou list: show that paper's card to whoever taps."""

    paper: str


Action = ToggleFavorite | Share | ShowFavorites | RemoveFavorite | OpenCard


def encode(action: Action) -> str:
    """The button data for `action`; ValueError for what no button may carry (a versioned
    or malformed arXiv ID, a page out of range, more than 64 bytes)."""
    match action:
        case ToggleFavorite(paper):
            data = f"fav:{paper}"
        case Share(paper):
            data = f"sh:{paper}"
        case ShowFavorites(owner, page):
            data = f"fl:{owner}:{page}"
        case RemoveFavorite(owner, page, paper):
            data = f"fr:{owner}:{page}:{paper}"
        case OpenCard(paper):
            data = f"card:{paper}"
    if len(data.encode()) > CALLBACK_DATA_MAX_BYTES:
        raise ValueError(f"button data {data!r} exceeds {CALLBACK_DATA_MAX_BYTES} bytes")
    if decode(data) != action:
        raise ValueError(f"not a button this bot makes (base arXiv ID, page 1-9999): {action}")
    return data


def decode(data: str) -> Action | None:
    """The action a tapped button asks for, or None for anything this bot did not send."""
    match = _GRAMMAR.fullmatch(data)
    if match is None or len(data.encode()) > CALLBACK_DATA_MAX_BYTES:
        return None
    if match["fav"]:
        return ToggleFavorite(match["fav"])
    if match["share"]:
        return Share(match["share"])
    if match["owner"]:
        return ShowFavorites(match["owner"], int(match["page"]))
    if match["card"]:
        return OpenCard(match["card"])
    return RemoveFavorite(match["r_owner"], int(match["r_page"]), match["remove"])


def favorite_callback_data(arxiv_id: str) -> str:
    """The ☆ button's data for a base arXiv ID (no version: favorites outlive v2)."""
    return encode(ToggleFavorite(arxiv_id))
