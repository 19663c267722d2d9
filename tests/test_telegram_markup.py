"""The Telegram adapter's own markup: ☆ labels and long texts."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.render.layout import utf16_len
from handlers.telegram.markup import star_label, text_parts


def test_a_star_shows_one_persons_state_in_private_and_a_count_in_groups() -> None:
    assert star_label("☆ Favorite", starred=True) == "★ Favorite"
    assert star_label("★ Favorite", starred=False) == "☆ Favorite"
    assert star_label("☆ 收藏 · 2", count=3) == "☆ 收藏 · 3"
    assert star_label("☆ Favorite · 1", count=0) == "☆ Favorite"
    assert star_label("☆ 4", count=2) == "☆ 4 · 2"


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
