"""arXiv's announcement calendar: evenings, weekends, holidays, daylight saving time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.source.arxiv_calendar import (
    expected_in_feed,
    latest_mailing,
    mailing_of_feed,
    mailing_of_submission,
    missed_mailings,
    next_mailing,
    public_at,
)

DELAY = timedelta(hours=4, minutes=30)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_a_mailing_goes_public_at_20_00_new_york_time_the_evening_before() -> None:
    assert public_at(date(2025, 11, 25)) == utc(2025, 11, 25, 1, 0)  # EST, UTC-5
    assert public_at(date(2025, 6, 10)) == utc(2025, 6, 10, 0, 0)  # EDT, UTC-4


def test_fridays_mailing_is_the_last_until_sunday_evening() -> None:
    friday_night = utc(2025, 11, 22, 3, 0)  # Friday 22:00 in New York

    assert next_mailing(friday_night) == date(2025, 11, 24)
    assert public_at(next_mailing(friday_night)) == utc(2025, 11, 24, 1, 0)  # Sunday 20:00


def test_a_holiday_mailing_is_skipped() -> None:
    wednesday_night = utc(2025, 11, 27, 2, 0)  # Wednesday 21:00 in New York, Thanksgiving eve

    assert latest_mailing(wednesday_night) == date(2025, 11, 26)
    assert next_mailing(wednesday_night) == date(2025, 11, 28)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (utc(2025, 11, 25, 15, 0), date(2025, 11, 25)),  # Tuesday daytime
        (utc(2025, 11, 25, 2, 0), date(2025, 11, 24)),  # announced an hour ago: feed lags
        (utc(2025, 11, 27, 15, 0), None),  # Thanksgiving
        (utc(2025, 11, 28, 15, 0), date(2025, 11, 28)),  # Friday shows Thursday's evening's
        (utc(2025, 11, 29, 15, 0), None),  # Saturday
        (utc(2025, 11, 30, 23, 0), None),  # Sunday, before the evening's announcement
    ],
)
def test_the_feed_is_expected_to_show_a_mailing_only_on_announcement_days(
    moment: datetime, expected: date | None
) -> None:
    assert expected_in_feed(moment, DELAY) == expected


def test_the_feed_date_names_the_mailing() -> None:
    midnight_in_new_york = datetime.fromisoformat("2025-11-25T00:00:00-05:00")

    assert mailing_of_feed(midnight_in_new_york) == date(2025, 11, 25)


@pytest.mark.parametrize(
    ("submitted", "mailing"),
    [
        (utc(2025, 11, 24, 18, 59), date(2025, 11, 25)),  # Monday 13:59 New York
        (utc(2025, 11, 24, 19, 1), date(2025, 11, 26)),  # Monday 14:01: next day's
        (utc(2025, 11, 21, 20, 0), date(2025, 11, 25)),  # Friday afternoon: Tuesday's
        (utc(2025, 11, 23, 12, 0), date(2025, 11, 25)),  # Sunday: Tuesday's
        (utc(2025, 11, 25, 20, 0), date(2025, 11, 28)),  # before Thanksgiving: Friday's
    ],
)
def test_a_submission_lands_in_the_mailing_after_the_14_00_cutoff(
    submitted: datetime, mailing: date
) -> None:
    assert mailing_of_submission(submitted) == mailing


def test_mailings_nobody_polled_during_are_reported_as_missed() -> None:
    last_poll = utc(2025, 11, 21, 15, 0)  # Friday
    back = utc(2025, 11, 26, 15, 0)  # Wednesday

    assert missed_mailings(last_poll, back, DELAY) == [date(2025, 11, 24), date(2025, 11, 25)]
    assert missed_mailings(utc(2025, 11, 25, 15, 0), back, DELAY) == []
