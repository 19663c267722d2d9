"""The fake arXiv, mailing by mailing: the feed shows one day's announcements at a time.

`FakeArxiv`'s feed lists every paper it was ever given, which is right for a single
poll but not for tests that span days: arXiv's feed shows only the current mailing
(dated midnight US Eastern), empty on weekends and holidays, while the API keeps
answering for every paper ever announced. `DailyArxiv` adds exactly that, and the
feed's known failures: a category stuck on the previous mailing (`stale`), a paper the
feed leaves out (`omit`), and changes that happen at a moment of a simulated clock
(`at`), so a test or benchmark can announce a mailing while the bot is polling.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.source.papers import Paper
from tests.fakes import arxiv_server
from tests.fakes.arxiv_server import AnnounceType, FakeArxiv, rss_feed

EASTERN = ZoneInfo("America/New_York")


class DailyArxiv(FakeArxiv):
    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        """`clock`: the time `at` changes are due by; without one, `at` is unavailable."""
        super().__init__(announced=datetime(2000, 1, 1, tzinfo=EASTERN))
        self._feed: list[str] = []
        self._previous: list[str] = []
        self._previous_day: datetime | None = None
        self._stale: set[str] = set()
        self._omitted: set[str] = set()
        self._clock = clock
        self._due: list[tuple[datetime, Callable[[], None]]] = []

    def mailing(self, day: date, *announced: Paper | tuple[Paper, AnnounceType]) -> None:
        """The feed now shows the mailing dated `day` with these papers (new unless typed);
        the API knows them from now on, along with every earlier one."""
        self._previous, self._previous_day = self._feed, self.announced
        self.announced = datetime.combine(day, time(0), EASTERN)
        self._feed = []
        for item in announced:
            paper, kind = item if isinstance(item, tuple) else (item, "new")
            self.add(paper, kind)
            self._feed.append(paper.arxiv_id)

    def quiet(self, day: date) -> None:
        """An empty feed dated `day`, as on a weekend, a holiday or a broken feed."""
        self.mailing(day)

    def publish(self, *papers: Paper) -> None:
        """Papers the API knows but no feed shows (announced while nobody looked)."""
        self.add_all(papers)

    def stale(self, category: str, stuck: bool = True) -> None:
        """The category's part of the feed keeps showing the previous mailing, dated as
        it was, and none of the current mailing's papers whose primary category it is."""
        (self._stale.add if stuck else self._stale.discard)(category)

    def omit(self, arxiv_id: str) -> None:
        """The feed leaves this paper out although it was announced (the API has it)."""
        self._omitted.add(arxiv_id)

    def at(self, moment: datetime, change: Callable[[], None]) -> None:
        """Make `change` (e.g. `lambda: fake.mailing(...)`) once the clock reaches `moment`."""
        assert self._clock is not None, "give DailyArxiv a clock to schedule changes"
        self._due.append((moment, change))
        self._due.sort(key=lambda due: due[0])

    def _apply_due(self) -> None:
        while self._due and self._clock is not None and self._due[0][0] <= self._clock():
            _, change = self._due.pop(0)
            change()

    def _query(
        self, params: dict[str, str], fault: arxiv_server._Fault | None
    ) -> tuple[int, bytes]:
        self._apply_due()
        return super()._query(params, fault)

    def _rss(self, categories: list[str], fault: arxiv_server._Fault | None) -> bytes:
        self._apply_due()
        wanted = set(categories)
        papers = {paper.arxiv_id: (paper, kind) for paper, kind in self._snapshot()}
        shown: list[tuple[str, bool]] = [
            (i, False) for i in self._feed if papers[i][0].primary_category not in self._stale
        ]
        shown += [(i, True) for i in self._previous if papers[i][0].primary_category in self._stale]
        items = []
        dates = {}
        if fault is None or fault.kind != "empty":
            for arxiv_id, old in shown:
                paper, kind = papers[arxiv_id]
                if arxiv_id in self._omitted or not wanted & set(paper.all_categories):
                    continue
                items.append((paper, arxiv_server._feed_type(paper, kind, wanted)))
                if old and self._previous_day is not None:
                    dates[arxiv_id] = self._previous_day
        return rss_feed(categories, items, self.announced, dates)
