"""How long a server asked us to wait, read the same way for arXiv, the LLM and Slack.

RFC 9110 allows `Retry-After` as seconds or as an HTTP date; OpenAI and Azure add
`retry-after-ms`, which is more precise and wins when present. Fractional seconds are
accepted because the openai client accepts them. An unreadable or infinite value counts
as no value, so each caller falls back to its own backoff instead of waiting forever.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime

from bot.support.clock import Clock, utcnow


def retry_after(headers: Mapping[str, str] | None, *, now: Clock = utcnow) -> float | None:
    """Seconds to wait (never negative), or None when the headers do not say."""
    if not headers:
        return None
    lowered = {name.lower(): value for name, value in headers.items()}
    milliseconds = _seconds(lowered.get("retry-after-ms"))
    if milliseconds is not None:
        return milliseconds / 1000
    value = lowered.get("retry-after")
    if value is None:
        return None
    seconds = _seconds(value)
    if seconds is not None:
        return seconds
    try:
        when = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now()).total_seconds())


def _seconds(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(0.0, seconds) if math.isfinite(seconds) else None
