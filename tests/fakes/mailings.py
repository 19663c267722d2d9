"""The fake arXiv, mailing by mailing: the feed shows one day's announcements at a time.

`FakeArxiv`'s feed lists every paper it was ever given, which is right for a single
poll but not for tests that span days: arXiv's feed shows only the current mailing
(dated midnight US Eastern), empty on weekends and holidays, while the API keeps
answering for every paper ever announced. `DailyArxiv` adds exactly that.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.source.papers import Paper
from tests.fakes import arxiv_server
from tests.fakes.arxiv_server import AnnounceType, FakeArxiv, rss_feed

EASTERN = ZoneInfo("America/New_York")


class DailyArxiv(FakeArxiv):
    def __init__(self) -> None:
        super().__init__(announced=datetime(2000, 1, 1, tzinfo=EASTERN))
        self._feed: list[str] = []

    def mailing(self, day: date, *announced: Paper | tuple[Paper, AnnounceType]) -> None:
        """The feed now shows the mailing dated `day` with these papers (new unless typed);
        the API knows them from now on, along with every earlier one."""
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

    def _rss(self, categories: list[str], fault: object) -> bytes:
        wanted = set(categories)
        shown = set(self._feed)
        items = []
        if getattr(fault, "kind", None) != "empty":
            for paper, kind in self._snapshot():
                if paper.arxiv_id in shown and wanted & set(paper.all_categories):
                    items.append((paper, arxiv_server._feed_type(paper, kind, wanted)))
        items.sort(key=lambda item: self._feed.index(item[0].arxiv_id))
        return rss_feed(categories, items, self.announced)
