"""When arXiv announces, so that a quiet day is told apart from a missed one.

arXiv makes each day's *mailing* public at about 20:00 US Eastern on the evening before
the date the mailing carries: the mailing dated Monday goes out on Sunday evening, the
one dated Friday on Thursday evening, and there is none dated Saturday or Sunday. A
mailing holds what was submitted before 14:00 Eastern on the previous weekday.

This is an approximation on purpose: arXiv publishes its holiday schedule a year at a
time (https://info.arxiv.org/help/availability.html) and shifts announcements now and
then. `HOLIDAYS` below is a short hand-kept list of mailing dates that do not happen;
when it is wrong the only cost is a warning about an empty feed (a missing holiday) or a
catch-up query one poll later than ideal (an extra one).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
ANNOUNCED_AT = time(20, 0)  # Eastern, the evening before the mailing's date
SUBMISSION_CUTOFF = time(14, 0)  # Eastern, on the weekday before the mailing's date

# Mailing dates without a mailing: New Year's Day, Independence Day, Thanksgiving and
# Christmas as arXiv has usually observed them. Approximate; see the module docstring.
HOLIDAYS: frozenset[date] = frozenset(
    {
        date(2025, 1, 1), date(2025, 7, 4), date(2025, 11, 27), date(2025, 12, 25),
        date(2026, 1, 1), date(2026, 7, 3), date(2026, 11, 26), date(2026, 12, 25),
        date(2027, 1, 1), date(2027, 7, 5), date(2027, 11, 25), date(2027, 12, 24),
    }
)  # fmt: skip

_MAX_SEARCH_DAYS = 40  # more than any gap the calendar can produce


def is_mailing_date(day: date) -> bool:
    return day.weekday() < 5 and day not in HOLIDAYS


def public_at(mailing: date) -> datetime:
    """When the mailing dated `mailing` is announced, in UTC."""
    evening = datetime.combine(mailing - timedelta(days=1), ANNOUNCED_AT, EASTERN)
    return evening.astimezone(UTC)


def feed_closes_at(mailing: date) -> datetime:
    """When the announcement feed stops showing the mailing: the end of its date, Eastern."""
    return datetime.combine(mailing + timedelta(days=1), time(0), EASTERN).astimezone(UTC)


def mailing_of_feed(pub_date: datetime) -> date:
    """The mailing an RSS channel carries: its pubDate is midnight Eastern of that date."""
    return pub_date.astimezone(EASTERN).date()


def latest_mailing(now: datetime) -> date:
    """The newest mailing already public at `now`."""
    day = now.astimezone(EASTERN).date() + timedelta(days=1)
    for _ in range(_MAX_SEARCH_DAYS):
        if is_mailing_date(day) and public_at(day) <= now:
            return day
        day -= timedelta(days=1)
    raise ValueError(f"no mailing within {_MAX_SEARCH_DAYS} days before {now}")


def next_mailing(now: datetime) -> date:
    """The first mailing not yet public at `now`."""
    day = now.astimezone(EASTERN).date()
    for _ in range(_MAX_SEARCH_DAYS):
        if is_mailing_date(day) and public_at(day) > now:
            return day
        day += timedelta(days=1)
    raise ValueError(f"no mailing within {_MAX_SEARCH_DAYS} days after {now}")


def expected_in_feed(now: datetime, feed_delay: timedelta) -> date | None:
    """The mailing the feed must be showing at `now`, or None on a quiet day.

    A mailing is expected from `feed_delay` after it went public (the feed lags the
    announcement) until the end of its date; Saturdays, Sundays and holidays expect none.
    """
    mailing = latest_mailing(now - feed_delay)
    return mailing if now < feed_closes_at(mailing) else None


def missed_mailings(since: datetime, now: datetime, feed_delay: timedelta) -> list[date]:
    """Mailings whose whole time in the feed fell between `since` and `now`.

    Nobody polled while they were visible, so only an API query can still find them.
    """
    missed = []
    day = (since - feed_delay).astimezone(EASTERN).date()
    while public_at(day) <= now:
        if (
            is_mailing_date(day)
            and public_at(day) + feed_delay > since
            and feed_closes_at(day) <= now
        ):
            missed.append(day)
        day += timedelta(days=1)
    return missed


def cutoff_of(mailing: date) -> datetime:
    """Submissions before this moment (and after the previous mailing's) are in `mailing`."""
    day = mailing - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return datetime.combine(day, SUBMISSION_CUTOFF, EASTERN).astimezone(UTC)


def mailing_of_submission(submitted: datetime) -> date:
    """The mailing a first version submitted at `submitted` was (or will be) announced in."""
    day = submitted.astimezone(EASTERN).date()
    for _ in range(_MAX_SEARCH_DAYS):
        if is_mailing_date(day) and cutoff_of(day) > submitted:
            return day
        day += timedelta(days=1)
    raise ValueError(f"no mailing within {_MAX_SEARCH_DAYS} days after {submitted}")


def previous_mailing(mailing: date) -> date:
    """The mailing before `mailing`."""
    day = mailing - timedelta(days=1)
    for _ in range(_MAX_SEARCH_DAYS):
        if is_mailing_date(day):
            return day
        day -= timedelta(days=1)
    raise ValueError(f"no mailing within {_MAX_SEARCH_DAYS} days before {mailing}")


def submission_window(mailing: date) -> tuple[datetime, datetime]:
    """First versions submitted in this span are announced in `mailing`: what the API's
    submittedDate query asks for when the feed cannot be trusted."""
    return cutoff_of(previous_mailing(mailing)), cutoff_of(mailing)
