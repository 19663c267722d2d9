"""Minutes, not half-hours: how soon a mailing reaches chats, and what it costs arXiv.

The whole poll pipeline (discovery with the stale-category fallback and the audit,
summaries, dispatch, the announcement-aware cadence with the default settings) runs
against the fake arXiv on a simulated clock, so a week passes in well under a minute:

* a normal week, 1-7 December 2025: each weekday's mailing appears in the feed at a
  moment picked here, between 3 minutes before and 9 minutes after arXiv's 20:00 US
  Eastern announcement. Printed: seconds from the feed change to the first card sent,
  for each mailing (target: at most 120 s), and feed requests per simulated day (target:
  at most 100 on a day without incidents; a 304 counts as a request).
* a stale category: on Tuesday 2 December cs.LG's part of the feed keeps showing
  Monday's mailing while cs.CV shows Tuesday's. Printed: the delay until cs.LG's papers
  reached every cs.LG subscriber (through the API), and whether each got each paper once.

The fake answers at once and ARXIV_REQUEST_INTERVAL is not slept here: the cadence still
honours the default 3 s, and the pacing itself is `bench/poll.py`'s subject.

    .venv/bin/python bench/freshness.py
"""

from __future__ import annotations

import asyncio
import collections
import random
import sys
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.schedule.cadence import Cadence
from bot.source.arxiv_calendar import is_mailing_date, public_at, submission_window
from bot.source.papers import Paper
from bot.store import Store, migrate
from bot.support.config import load_settings
from tests.fakes.mailings import DailyArxiv
from tests.fakes.outbox import TestClock, subscribe
from tests.fakes.papers import random_categories, synthetic_paper
from tests.fakes.timeline import SimulatedBot

FIRST_CARD_TARGET = timedelta(seconds=120)
FEED_REQUESTS_TARGET = 100
CATEGORIES = ("cs.CV", "cs.LG", "cs.CL")
PAPERS_PER_MAILING = 40
WEEK = [date(2025, 12, 1) + timedelta(days=n) for n in range(7)]
LONG_AGO = datetime(2025, 11, 1, tzinfo=UTC)


def mailing_papers(day: date, first: int, rng: random.Random) -> list[Paper]:
    start, end = submission_window(day)
    papers = []
    for n in range(first, first + PAPERS_PER_MAILING):
        categories = random_categories(rng, CATEGORIES, 2)
        submitted = start + (end - start) * rng.random()
        papers.append(
            synthetic_paper(f"2512.{n:05d}", categories, submitted, abstract_sentences=10)
        )
    return papers


async def pipeline(
    directory: Path, name: str, clock: TestClock, arxiv: DailyArxiv
) -> tuple[Store, SimulatedBot]:
    url = f"sqlite+aiosqlite:///{directory / name}.db"
    await asyncio.to_thread(migrate.upgrade, url)
    store = Store.connect(url)
    settings = load_settings()
    bot = SimulatedBot(
        store,
        arxiv,
        clock,
        stale_after=timedelta(minutes=settings.STALE_CATEGORY_MINUTES),
        audit_after=timedelta(minutes=settings.AUDIT_AFTER_MINUTES),
        overdue_after=timedelta(minutes=settings.MAILING_OVERDUE_MINUTES),
        cadence=Cadence.from_settings(settings),
    )
    for n, categories in enumerate([("cs.CV",), ("cs.LG",), ("cs.CV", "cs.LG", "cs.CL")]):
        chat = await store.ensure_chat("memory", f"chat{n}", language="en")
        await subscribe(store, url, chat, list(categories), since=LONG_AGO)
    return store, bot


async def normal_week(directory: Path) -> bool:
    rng = random.Random(12)
    clock = TestClock(datetime(2025, 11, 30, 12, 0, tzinfo=UTC))
    async with DailyArxiv(clock=clock) as arxiv:
        arxiv.mailing(date(2025, 11, 28), *mailing_papers(date(2025, 11, 28), 90000, rng))
        store, bot = await pipeline(directory, "week", clock, arxiv)
        changes: dict[date, tuple[datetime, list[Paper]]] = {}
        for n, day in enumerate(d for d in WEEK if is_mailing_date(d)):
            moment = public_at(day) + timedelta(seconds=rng.randint(-180, 540))
            papers = mailing_papers(day, 1 + n * PAPERS_PER_MAILING, rng)
            changes[day] = (moment, papers)
            arxiv.at(moment, lambda day=day, papers=papers: arxiv.mailing(day, *papers))
        await bot.run_until(datetime(2025, 12, 8, 0, 0, tzinfo=UTC))
        await store.close()

    print("Normal week, 1-7 December 2025 (default settings)")
    ok = True
    for day, (moment, papers) in changes.items():
        ids = {p.arxiv_id for p in papers}
        first = next(c for c in bot.cycles if any(set(s.arxiv_ids) & ids for s in c.sent))
        delay = first.at - moment
        ok &= delay <= FIRST_CARD_TARGET
        print(
            f"  mailing {day}: feed changed {moment:%H:%M:%S} UTC, first card after "
            f"{delay.total_seconds():5.0f} s   (target <= {FIRST_CARD_TARGET.seconds} s)"
        )
    per_day = collections.Counter(c.at.date() for c in bot.cycles)
    statuses = collections.Counter(r.status for r in arxiv.feed_requests())
    for day in WEEK:
        ok &= per_day[day] <= FEED_REQUESTS_TARGET
        print(
            f"  {day:%a %d %b}: {per_day[day]:3d} feed requests   "
            f"(target <= {FEED_REQUESTS_TARGET} on a quiet day)"
        )
    print(
        f"  week: {len(arxiv.feed_requests())} feed requests, {statuses[304]} of them answered "
        f"304 Not Modified; {len(arxiv.api_requests())} API requests"
    )
    return ok


async def stale_category(directory: Path) -> bool:
    rng = random.Random(7)
    monday, tuesday = date(2025, 12, 1), date(2025, 12, 2)
    clock = TestClock(public_at(tuesday) - timedelta(hours=1))
    async with DailyArxiv(clock=clock) as arxiv:
        arxiv.mailing(monday, *mailing_papers(monday, 1, rng))
        store, bot = await pipeline(directory, "stale", clock, arxiv)
        papers = mailing_papers(tuesday, 101, rng)
        changed = public_at(tuesday) + timedelta(minutes=2)
        arxiv.at(changed, lambda: arxiv.stale("cs.LG"))
        arxiv.at(changed, lambda: arxiv.mailing(tuesday, *papers))
        await bot.run_until(changed + timedelta(hours=4))
        await store.close()

    learning = [p.arxiv_id for p in papers if "cs.LG" in p.all_categories]
    subscribers = ["chat1", "chat2"]
    ok = True
    latest = timedelta(0)
    for chat in subscribers:
        received = bot.platform.papers_to(chat)
        ok &= all(received.count(arxiv_id) == 1 for arxiv_id in learning)
        for arxiv_id in learning:
            cycle = bot.first_cycle_delivering(chat, arxiv_id)
            if cycle is not None:
                latest = max(latest, cycle.at - changed)
    print("Stale category: cs.LG keeps showing Monday's mailing on Tuesday 2 December")
    print(
        f"  {len(learning)} cs.LG papers, each received exactly once by all "
        f"{len(subscribers)} cs.LG subscribers: {'yes' if ok else 'NO'}"
    )
    print(
        f"  last of them delivered {latest.total_seconds() / 60:.1f} min after the feed "
        f"changed (STALE_CATEGORY_MINUTES={load_settings().STALE_CATEGORY_MINUTES}, then "
        "the API's date query)"
    )
    return ok


async def main() -> int:
    with tempfile.TemporaryDirectory() as directory:
        week_ok = await normal_week(Path(directory))
        print()
        stale_ok = await stale_category(Path(directory))
    return 0 if week_ok and stale_ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
