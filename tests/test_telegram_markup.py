"""The Telegram adapter's own markup: ☆ labels, favorites-list callback data, long texts."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.render.layout import utf16_len
from handlers.telegram.markup import (
    FavoritesAction,
    parse_favorites_action,
    star_label,
    text_parts,
)

PAPER_IDS = st.sampled_from(
    ["2508.08189", "0704.0001", "2412.12345", "hep-th/9901001", "cond-mat/0101001", "math/0309136"]
)


def test_a_star_shows_one_persons_state_in_private_and_a_count_in_groups() -> None:
    assert star_label("☆ Favorite", starred=True) == "★ Favorite"
    assert star_label("★ Favorite", starred=False) == "☆ Favorite"
    assert star_label("☆ 收藏 · 2", count=3) == "☆ 收藏 · 3"
    assert star_label("☆ Favorite · 1", count=0) == "☆ Favorite"
    assert star_label("☆ 4", count=2) == "☆ 4 · 2"


@given(
    owner=st.integers(min_value=1, max_value=10**20 - 1),
    page=st.integers(min_value=1, max_value=9999),
    paper=st.none() | PAPER_IDS,
)
def test_favorites_buttons_fit_telegrams_64_bytes_and_read_back_as_sent(
    owner: int, page: int, paper: str | None
) -> None:
    action = FavoritesAction(str(owner), page, paper)
    assert len(action.data().encode()) <= 64
    assert parse_favorites_action(action.data()) == action


@given(st.text(max_size=80))
def test_only_callback_data_this_bot_could_have_sent_is_accepted(data: str) -> None:
    action = parse_favorites_action(data)
    assert action is None or action.data() == data


def test_versioned_or_malformed_paper_ids_in_favorites_buttons_are_refused() -> None:
    for data in ("fr:1:1:2508.08189v2", "fr:1:1:2508.8189", "fr:1:1:", "fl:1:0", "fl:x:1"):
        assert parse_favorites_action(data) is None


@given(st.lists(st.text(alphabet="ab😀 ", max_size=900), min_size=1, max_size=30))
def test_long_text_is_split_between_lines_into_messages_telegram_takes(lines: list[str]) -> None:
    parts = text_parts("\n".join(lines), limit=1000)
    assert all(0 < utf16_len(part) <= 1000 and part.strip() for part in parts)
    assert [line for part in parts for line in part.split("\n") if line.strip()] == [
        line for line in lines if line.strip()
    ]


def test_a_single_line_longer_than_a_message_is_cut_without_splitting_a_character() -> None:
    parts = text_parts("😀" * 3000)
    assert [utf16_len(p) for p in parts] == [4096, 1904]
    assert "".join(parts) == "😀" * 3000
