"""paperbell running for real (`bot.app.run`) against the fake Bot API and the fake arXiv.

Tests drive it the way people do — a user posts text, taps a button, types an inline
query — and read what the bot sent back from the fake Telegram server. A second store on
the same SQLite file lets a test arrange or check what the bot remembers.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from bot import app
from bot.source.papers import Paper
from bot.store import Store
from bot.support.config import Settings
from tests.fakes.arxiv_server import FakeArxiv
from tests.fakes.papers import SEED_PAPER
from tests.fakes.telegram_server import (
    JSON,
    TOKEN,
    CallbackAnswer,
    FakeTelegram,
    InlineAnswer,
    SentMessage,
)

STAR = f"fav:{SEED_PAPER.arxiv_id}"
T = TypeVar("T")


def settings_for(tg: FakeTelegram, arxiv: FakeArxiv, database: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": tg.url,
        "ARXIV_API_URL": arxiv.api_url,
        "ARXIV_RSS_URL": arxiv.rss_url,
        "ARXIV_REQUEST_INTERVAL": 0,
        "ARXIV_TIMEOUT": 5,
    }
    return Settings(_env_file=None, **(values | overrides))  # type: ignore[call-arg]


@dataclass
class TelegramHarness:
    tg: FakeTelegram
    arxiv: FakeArxiv
    settings: Settings
    store: Store
    run: asyncio.Task[None]
    stop_event: asyncio.Event

    def sent_in(self, chat: JSON) -> list[SentMessage]:
        return [m for m in self.tg.sent if m.chat_id == chat["id"]]

    async def say(
        self, chat: JSON, user: JSON | None, text: str, *, replies: int = 1
    ) -> list[SentMessage]:
        """`user` posts `text` in `chat`; returns the bot's next `replies` messages there."""
        before = len(self.sent_in(chat))
        self.tg.send_text(chat, user, text)
        await self.tg.wait_for(lambda: len(self.sent_in(chat)) >= before + replies, timeout=10)
        return self.sent_in(chat)[before:]

    async def say_one(self, chat: JSON, user: JSON | None, text: str) -> SentMessage:
        [reply] = await self.say(chat, user, text)
        return reply

    async def only_help_answers(self, chat: JSON, user: JSON, *texts: str) -> None:
        """`user` posts `texts`, then /help; the bot answers /help and nothing else. Stops the
        bot: call it last.

        Updates are handled concurrently, so /help's answer may come before a wrong answer
        to an earlier text. Stopping is the synchronisation point: it waits until every
        update the bot took has been handled, so whatever it would say has been said.
        """
        before = len(self.sent_in(chat))
        for text in texts:
            self.tg.send_text(chat, user, text)
        await self.say(chat, user, "/help")
        await self.stop()
        new = self.sent_in(chat)[before:]
        assert len(new) == 1 and new[0].plain_text.startswith("paperbell posts"), [
            m.plain_text[:80] for m in new
        ]

    async def tap(self, message: SentMessage, user: JSON, data: str) -> CallbackAnswer:
        query_id = self.tg.tap(message, user, data)
        answer = await self.tg.wait_for(lambda: self.tg.answer_to(query_id))
        return answer

    async def inline(self, user: JSON, query: str) -> InlineAnswer:
        query_id = self.tg.inline_query(user, query)
        return await self.tg.wait_for(
            lambda: next(
                (a for a in self.tg.inline_answers if a.inline_query_id == query_id), None
            ),
            timeout=10,
        )

    async def stop(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Stop the bot as SIGTERM would and wait for `run` to return."""
        self.stop_event.set()
        await asyncio.wait_for(self.run, timeout)


async def eventually(check: Callable[[], Awaitable[T | None]], timeout: float = 5.0) -> T:  # noqa: ASYNC109
    """Wait for the bot's own work that leaves no trace on Telegram, such as a store update."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (result := await check()):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still {result!r} after {timeout}s")
        await asyncio.sleep(0.02)
    return result


async def filled(found: Awaitable[list[T]]) -> list[T] | None:
    """For `eventually`: the list once it has something in it."""
    return await found or None


async def emptied(found: Awaitable[list[T]]) -> bool:
    """For `eventually`: whether the list has become empty."""
    return not await found


def star_of(message: SentMessage, data: str = STAR) -> str:
    """The label of the message's ☆ button for `data`, as everyone in the chat sees it."""
    return next(b["text"] for b in message.buttons if b.get("callback_data") == data)


@asynccontextmanager
async def running_bot(
    tmp_path: Path,
    template: Path,
    *,
    papers: Iterable[Paper] = (SEED_PAPER,),
    tg: FakeTelegram | None = None,
    wait_until_polling: bool = True,
    **settings: Any,
) -> AsyncIterator[TelegramHarness]:
    """Run paperbell on a copy of the migrated `template` database until the block ends."""
    database = tmp_path / "paperbell.db"
    shutil.copyfile(template, database)
    fake_tg = tg or FakeTelegram(limits=None)
    with FakeArxiv() as arxiv:
        arxiv.add_all(papers)
        async with fake_tg:
            config = settings_for(fake_tg, arxiv, database, **settings)
            stop = asyncio.Event()
            run = asyncio.create_task(app.run(config, stop))
            store = Store.connect(config.DATABASE_URL)
            harness = TelegramHarness(fake_tg, arxiv, config, store, run, stop)
            try:
                if wait_until_polling:
                    await fake_tg.wait_for(lambda: fake_tg.is_polling or run.done(), timeout=15)
                    if run.done():
                        run.result()
                        raise AssertionError("paperbell stopped during start-up")
                yield harness
            finally:
                stop.set()
                await asyncio.wait_for(run, 15)
                await store.close()
