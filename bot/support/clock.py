"""Time as the core reads it: an injectable aware-UTC clock, and chat time zones.

Discovery, delivery, health and the service take a `Clock` so that tests can set the
date (a Friday, a holiday) instead of waiting for it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
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
