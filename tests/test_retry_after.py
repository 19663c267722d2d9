"""One reading of "wait this long" for every server the bot talks to."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from requests.structures import CaseInsensitiveDict

from bot.support.retry_after import retry_after

NOW = datetime(2026, 3, 2, 12, 0, 0, tzinfo=UTC)


def at_noon() -> datetime:
    return NOW


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "7"}, 7.0),
        ({"retry-after": "0.25"}, 0.25),
        ({"RETRY-AFTER": " 3 "}, 3.0),
        ({"Retry-After": "-5"}, 0.0),
        ({"Retry-After": "Mon, 02 Mar 2026 12:00:30 GMT"}, 30.0),
        ({"Retry-After": "Mon, 02 Mar 2026 11:59:00 GMT"}, 0.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "Retry-After": "9"}, 0.25),
        ({"retry-after-ms": "soon", "Retry-After": "9"}, 9.0),
    ],
)
def test_seconds_http_dates_and_milliseconds_are_all_read(
    headers: dict[str, str], seconds: float
) -> None:
    assert retry_after(headers, now=at_noon) == seconds


@pytest.mark.parametrize(
    "headers",
    [None, {}, {"Content-Type": "text/xml"}, {"Retry-After": "soon"}, {"Retry-After": "inf"}],
)
def test_absent_unreadable_or_endless_waits_are_none(headers: dict[str, str] | None) -> None:
    assert retry_after(headers, now=at_noon) is None


def test_the_header_types_of_the_http_clients_are_read_alike() -> None:
    assert retry_after(CaseInsensitiveDict({"Retry-After": "4"}), now=at_noon) == 4.0
    assert retry_after(httpx.Headers({"Retry-After-Ms": "20"}), now=at_noon) == 0.02
