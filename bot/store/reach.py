"""Whether the database answers, and how to say so when it does not.

A database that is down or refuses the credentials is an expected failure for every
command: one line that names DATABASE_URL (password hidden) and the driver's reason, never
a traceback. `paperbell run` first waits for it with backoff, because containers start in
any order and the bot's may be up before the database's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from bot.store.store import Store
from bot.support.clock import Clock, utcnow

UNREACHABLE = (OperationalError, InterfaceError)
"""What the drivers raise for a server that is down, refuses the user or lacks the database
(and, on SQLite, for a file that cannot be opened)."""

FIRST_DELAY = timedelta(seconds=1)
LONGEST_DELAY = timedelta(seconds=10)


class DatabaseUnreachable(Exception):
    """The database did not answer within the wait; the message is the line to print."""


def describe(url: str | URL, error: BaseException) -> str:
    """One line naming the setting, the URL without its password and the driver's reason."""
    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    cause = error.orig if isinstance(error, DBAPIError) and error.orig is not None else error
    lines = str(cause).strip().splitlines() or [type(cause).__name__]
    reason = " ".join(lines[0].split())
    if parsed.password:
        reason = reason.replace(str(parsed.password), "***")
    return f"cannot use the database DATABASE_URL={shown}: {reason}"


async def ping(url: str | URL) -> None:
    store = Store.connect(url)
    try:
        await store.ping()
    finally:
        await store.close()


async def wait_for_database(
    url: str | URL,
    bound: timedelta,
    echo: Callable[[str], None],
    *,
    now: Clock = utcnow,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Ping until the database answers, doubling the pause up to 10 s, for at most `bound`;
    `echo` gets one line per failed attempt. A SQLite file does not start later, so it gets
    one attempt."""
    if make_url(url).get_backend_name() == "sqlite":
        bound = timedelta(0)
    deadline = now() + bound
    delay = FIRST_DELAY
    attempt = 1
    while True:
        try:
            await ping(url)
            return
        except UNREACHABLE as error:
            line = describe(url, error)
        remaining = deadline - now()
        if remaining <= timedelta(0):
            raise DatabaseUnreachable(
                f"{line} (gave up after {attempt} attempts)" if attempt > 1 else line
            )
        pause = min(delay, remaining)
        echo(f"{line}; trying again in {pause.total_seconds():.3g} s (attempt {attempt})")
        await sleep(pause.total_seconds())
        delay = min(delay * 2, LONGEST_DELAY)
        attempt += 1
