"""How long `paperbell run` takes to exit after SIGTERM lands in the middle of a fan-out.

The limit is 10 s: stop taking work, let the sends in flight finish, hand the chats back.
30 chats follow cs.CV, two papers are announced, the fake Bot API answers each card 0.2 s
late, and SIGTERM is sent once ten cards are out. Prints the exit time beside the limit;
tests/test_shutdown.py checks what the exit leaves behind (nothing lost, nothing twice).

    .venv/bin/python bench/shutdown.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.store import migrate
from tests.fakes.mailings import DailyArxiv
from tests.fakes.running_bot import (
    announce,
    delivery_states,
    environment,
    followers,
    start,
    terminate,
)
from tests.fakes.telegram_server import FakeTelegram

CHATS = 30
PAPERS = 2
ANSWER_DELAY = 0.2
SENT_BEFORE_SIGTERM = 10
LIMIT_SECONDS = 10.0


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        migrate.upgrade(url)
        await followers(url, CHATS)
        async with FakeTelegram() as telegram, DailyArxiv() as arxiv:
            announce(arxiv, PAPERS)
            for _ in range(CHATS * PAPERS):
                telegram.delay_next("sendMessage", ANSWER_DELAY)
            bot = await start("run", environment(url, telegram, arxiv), Path(folder))
            await telegram.wait_for(lambda: len(telegram.sent) >= SENT_BEFORE_SIGTERM, timeout=120)
            took, _ = await terminate(bot, within=120)
            states = await delivery_states(url)

    verdict = "OK" if took < LIMIT_SECONDS else "OVER"
    print(f"bench/shutdown.py — SIGTERM after {SENT_BEFORE_SIGTERM} of {CHATS * PAPERS} cards")
    print(f"  {'SIGTERM to exit':<28}{took:8.2f} s   limit {LIMIT_SECONDS:g} s   {verdict}")
    print(f"  {'exit status':<28}{bot.returncode:8d}         expected 0")
    print(f"  {'left for the next run':<28}{states['pending']:8d}         cards still pending")


if __name__ == "__main__":
    asyncio.run(main())
