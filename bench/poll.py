"""arXiv requests per poll cycle, and the spacing between them, against the fake arXiv.

arXiv asks API clients for one request at a time, a few seconds apart; the feed and the
API share that budget here because they share a host. Three polls are measured:

* first sight of a mailing: one feed request for all followed categories, then the
  metadata of the new papers a hundred IDs per request;
* the same mailing again (the next poll, 30 minutes later): the feed only;
* back after three days down: the feed, the catch-up search (a page per hundred papers
  submitted in the look-back window), then the metadata of the feed's papers.

Prints the requests of each poll beside the minimum spacing between request starts and
the configured ARXIV_REQUEST_INTERVAL it must never go under (1 s here to keep the run
short; set ARXIV_REQUEST_INTERVAL to measure another value).

    .venv/bin/python bench/poll.py
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.schedule.discovery import Discovery
from bot.source.arxiv_source import ArxivSource
from bot.source.papers import Paper
from bot.store import Store, migrate
from tests.fakes.arxiv_server import RecordedRequest
from tests.fakes.mailings import DailyArxiv
from tests.fakes.outbox import TestClock, subscribe
from tests.fakes.papers import random_categories, synthetic_paper

INTERVAL = float(os.environ.get("ARXIV_REQUEST_INTERVAL", "1.0"))
CATEGORIES = ["cs.CV", "cs.LG", "cs.CL", "cs.AI", "cs.RO", "stat.ML", "eess.IV", "math.OC"]
MAILING_PAPERS = 420  # a weekday's new and cross-listed papers in these categories
BACKLOG_PAPERS = 900  # three days of submissions while the bot was down
TUESDAY = datetime(2025, 11, 25, 15, 0, tzinfo=UTC)


def make_papers(first: int, count: int, submitted: datetime, rng: random.Random) -> list[Paper]:
    papers = []
    for n in range(first, first + count):
        categories = random_categories(rng, CATEGORIES, 3)
        when = submitted - timedelta(minutes=rng.randint(0, 1200))
        papers.append(synthetic_paper(f"2511.{n:05d}", categories, when, abstract_sentences=20))
    return papers


def describe(requests: list[RecordedRequest]) -> tuple[str, float | None]:
    feeds = sum(1 for r in requests if r.path.startswith("/rss/"))
    metadata = sum(1 for r in requests if r.query.get("id_list"))
    searches = sum(1 for r in requests if r.query.get("search_query"))
    kinds = f"{feeds} feed + {searches} search + {metadata} metadata"
    starts = sorted(r.started for r in requests)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    return kinds, min(gaps) if gaps else None


async def main() -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        migrate.upgrade(url)
        store = Store.connect(url)
        async with DailyArxiv() as arxiv:
            chat = await store.ensure_chat("telegram", "1", language="en")
            await subscribe(store, url, chat, CATEGORIES, since=datetime(2025, 1, 1, tzinfo=UTC))
            source = ArxivSource(arxiv.api_url, INTERVAL, 30.0, rss_url=arxiv.rss_url)
            clock = TestClock(TUESDAY - timedelta(days=1))
            discovery = Discovery(store, source, now=clock)
            friday = datetime(2025, 11, 21, 18, 0, tzinfo=UTC)
            arxiv.mailing(date(2025, 11, 24), *make_papers(9000, 5, friday, rng))
            await discovery.poll()  # the bot has been running: it saw Monday's mailing

            rows = []
            monday = datetime(2025, 11, 24, 18, 0, tzinfo=UTC)
            arxiv.mailing(date(2025, 11, 25), *make_papers(1, MAILING_PAPERS, monday, rng))
            rows.append(await measure("first sight of a mailing", arxiv, clock, discovery, TUESDAY))
            rows.append(
                await measure(
                    "same mailing, 30 min later",
                    arxiv,
                    clock,
                    discovery,
                    TUESDAY + timedelta(minutes=30),
                )
            )
            saturday = datetime(2025, 11, 29, 15, 0, tzinfo=UTC)
            backlog = make_papers(5000, BACKLOG_PAPERS, saturday - timedelta(days=1), rng)
            arxiv.publish(*backlog[: BACKLOG_PAPERS // 2])
            arxiv.mailing(date(2025, 12, 2), *backlog[BACKLOG_PAPERS // 2 :])
            rows.append(
                await measure(
                    "back after 3 days down",
                    arxiv,
                    clock,
                    discovery,
                    datetime(2025, 12, 2, 15, 0, tzinfo=UTC),
                )
            )
        await store.close()

    print("bench/poll.py — arXiv requests per poll cycle (fake arXiv on 127.0.0.1)")
    print(f"  {'poll':<30}{'requests':>9}  {'which':<36}{'min spacing':>12}  limit")
    for name, count, kinds, spacing in rows:
        shown = "—" if spacing is None else f"{spacing:.3f} s"
        verdict = "" if spacing is None else ("OK" if spacing >= INTERVAL else "UNDER")
        print(f"  {name:<30}{count:>9}  {kinds:<36}{shown:>12}  ≥ {INTERVAL:g} s {verdict}")


async def measure(
    name: str, arxiv: DailyArxiv, clock: TestClock, discovery: Discovery, at: datetime
) -> tuple[str, int, str, float | None]:
    before = len(arxiv.requests)
    clock.jump(at)
    found = await discovery.poll()
    requests = arxiv.requests[before:]
    kinds, spacing = describe(requests)
    if found.error:
        kinds += f" (error: {found.error})"
    return name, len(requests), kinds, spacing


if __name__ == "__main__":
    asyncio.run(main())
