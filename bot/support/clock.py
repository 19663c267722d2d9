"""Time as the core reads it: an injectable aware-UTC clock, and chat time zones.

Discovery, delivery, health and the service take a `Clock` so that tests can set the
date (a Friday, a holiday) instead of waiting for it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def zone(name: str) -> ZoneInfo:
    """A chat's stored time zone; one the system no longer knows falls back to UTC rather
    than failing that chat's digest or status."""
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
        return ZoneInfo("UTC")


def start_of_day(now: datetime, timezone: str) -> datetime:
    """Midnight of `now`'s day in the chat's time zone, in UTC."""
    local = now.astimezone(zone(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def last_occurrence(hhmm: str, timezone: str, now: datetime) -> datetime:
    """The latest moment at or before `now` when the clock in `timezone` read `hhmm`."""
    hour, minute = (int(part) for part in hhmm.split(":"))
    local = now.astimezone(zone(timezone))
    moment = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if moment > local:
        moment -= timedelta(days=1)
    return moment.astimezone(UTC)
