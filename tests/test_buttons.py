"""The one button codec both platforms use: what a button asks for, read back as sent."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.render.buttons import (
    CALLBACK_DATA_MAX_BYTES,
    Action,
    RemoveFavorite,
    Share,
    ShowFavorites,
    ToggleFavorite,
    decode,
    encode,
)

MONTHS = st.integers(min_value=1, max_value=12)
NEW_IDS = st.builds(
    lambda year, month, number: f"{year:02d}{month:02d}.{number:05d}",
    st.integers(min_value=15, max_value=99),
    MONTHS,
    st.integers(min_value=1, max_value=99999),
)
OLD_IDS = st.builds(
    lambda archive, year, month, number: f"{archive}/{year:02d}{month:02d}{number:03d}",
    st.sampled_from(["hep-th", "math", "math.GT", "cond-mat", "cond-mat.stat-mech", "astro-ph"]),
    st.integers(min_value=91, max_value=99),
    MONTHS,
    st.integers(min_value=1, max_value=999),
)
PAPERS = NEW_IDS | OLD_IDS
OWNERS = st.integers(min_value=1, max_value=10**20 - 1).map(str) | st.from_regex(
    r"U[A-Z0-9]{8,12}", fullmatch=True
)
PAGES = st.integers(min_value=1, max_value=9999)
ACTIONS: st.SearchStrategy[Action] = st.one_of(
    st.builds(ToggleFavorite, PAPERS),
    st.builds(Share, PAPERS),
    st.builds(ShowFavorites, OWNERS, PAGES),
    st.builds(RemoveFavorite, OWNERS, PAGES, PAPERS),
)


@given(ACTIONS)
def test_every_button_fits_telegrams_64_bytes_and_reads_back_as_the_same_action(
    action: Action,
) -> None:
    data = encode(action)

    assert len(data.encode()) <= CALLBACK_DATA_MAX_BYTES
    assert decode(data) == action


@given(st.text(max_size=90))
def test_only_data_this_bot_could_have_sent_is_accepted(data: str) -> None:
    action = decode(data)

    assert action is None or encode(action) == data


@pytest.mark.parametrize(
    "data",
    [
        "fr:1:1:2508.08189v2",
        "fr:1:1:2508.081890",
        "fr:1:1:",
        "fl:1:0",
        "fl:1:10000",
        "fl:x y:1",
        "sh:2508.08189 ",
        "fav:../2508.08189",
        "fl:123456789012345678901:1",
    ],
)
def test_versioned_malformed_or_oversized_button_data_is_refused(data: str) -> None:
    assert decode(data) is None


@pytest.mark.parametrize(
    "action",
    [
        ToggleFavorite("2508.08189v2"),
        Share("not an id"),
        ShowFavorites("1", 0),
        ShowFavorites("1:2", 1),
        RemoveFavorite("1", 10000, "2508.08189"),
        ToggleFavorite("a" * 60 + "/0309136"),
    ],
)
def test_no_button_is_made_for_what_could_not_be_read_back(action: Action) -> None:
    with pytest.raises(ValueError, match=r"arXiv ID|bytes"):
        encode(action)
