"""A sleep that only records how long the code under test asked to wait.

Code that waits (a Retry-After, a backoff) takes a `sleep` callable; given this one, a
test asserts the pauses themselves, exactly, instead of timing the wait on a machine
whose speed it does not know.
"""

from __future__ import annotations

import asyncio


class RecordedSleeps:
    def __init__(self) -> None:
        self.pauses: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)
        await asyncio.sleep(0)  # still a suspension point, as a real sleep is
