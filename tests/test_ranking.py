"""Ranking by each person's ☆, end to end through the service and the dispatcher, on real
arXiv papers (tests/fixtures/arxiv-sample.jsonl.gz) and both databases.

The sample's mailing (cs.CV of 2025-11-26, 158 papers) holds 10 papers cross-listed to
cs.RO: a 6 % interest inside the broad category the chat subscribes to.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.chat.replies import Confirm, ForYouList, Notice, Reply
from bot.chat.service import Caller, Service
from bot.delivery.delivery import Dispatcher
from bot.match.rankers import Ranker
from bot.match.ranking import scores
from bot.source.papers import Paper
from bot.store import Chat, Store
from tests.fakes.outbox import StaticSummarizer, TestClock, library, queue
from tests.fakes.platform import InMemoryPlatform
from tests.fakes.sample_papers import MAILING_DAY, load_papers

ROBOTICS = "cs.RO"
# The morning after the mailing; deliveries are queued at the real time, so the dispatcher
# runs on the real clock and /foryou jumps back here.
MAILING_MORNING = datetime(2025, 11, 27, 9, 0, tzinfo=UTC)


def robotics(paper: Paper) -> bool:
    return ROBOTICS in paper.categories


@pytest.fixture(scope="module")
def sample() -> tuple[list[Paper], list[Paper]]:
    papers = load_papers()
    day = datetime.fromisoformat(MAILING_DAY).replace(tzinfo=UTC)
    return [p for p in papers if p.published < day], [p for p in papers if p.published == day]


@pytest.fixture
def clock() -> TestClock:
    return TestClock(datetime.now(UTC))


@pytest.fixture
def ranker(store: Store, clock: TestClock) -> Ranker:
    return Ranker(store, now=clock, debounce=timedelta(0))


@pytest.fixture
def platform() -> InMemoryPlatform:
    return InMemoryPlatform(groups={"-100"})


@pytest.fixture
def service(store: Store, ranker: Ranker, clock: TestClock) -> Service:
    return Service(store, library(store, StaticSummarizer()), "en", now=clock, ranker=ranker)


@pytest.fixture
def dispatcher(
    store: Store, platform: InMemoryPlatform, ranker: Ranker, clock: TestClock
) -> Dispatcher:
    books = library(store, StaticSummarizer())
    return Dispatcher(store, books, [platform], now=clock, ranker=ranker)


async def star(
    service: Service, papers: list[Paper], user: str, chat: str, *, count: int
) -> list[Paper]:
    """`user` taps ☆ on the last `count` of `papers` in `chat`."""
    chosen = papers[-count:]
    for paper in chosen:
        await service.toggle_favorite("memory", user, paper.arxiv_id, chat_id=chat)
    return chosen


async def robotics_fan(
    store: Store,
    service: Service,
    before: list[Paper],
    *,
    cap: int,
    stars: int,
    language: str = "en",
) -> tuple[Chat, list[Paper]]:
    """Person 7's private chat, capped at `cap` a day, after 7 ☆-ed `stars` robotics papers."""
    await store.save_papers(before)
    chat = await store.ensure_chat("memory", "7", language=language)
    await store.set_daily_cap(chat.id, cap)
    return chat, await star(service, [p for p in before if robotics(p)], "7", "7", count=stars)


async def ask(
    service: Service, command: str, args: str = "", user: str = "7", chat: str = "7"
) -> list[Reply]:
    kind = "group" if chat.startswith("-") else "private"
    caller = Caller("memory", chat, kind, user, user_name="Ada")

    async def yes() -> bool:
        return True

    return await service.handle(caller, command, args, can_manage=yes)


async def test_under_a_cap_of_5_a_person_who_starred_robotics_gets_more_robotics_than_its_share(
    store: Store,
    service: Service,
    dispatcher: Dispatcher,
    platform: InMemoryPlatform,
    sample: tuple[list[Paper], list[Paper]],
) -> None:
    before, mailing = sample
    chat, _ = await robotics_fan(store, service, before, cap=5, stars=5)

    await queue(store, chat, mailing)
    await dispatcher.drain()

    cards = [s.card for s in platform.sent if s.card is not None]
    digests = [s for s in platform.sent if s.card is None]
    by_id = {p.arxiv_id: p for p in mailing}
    share = sum(map(robotics, mailing)) / len(mailing)
    got = sum(robotics(by_id[card.arxiv_id]) for card in cards) / len(cards)
    assert len(cards) == 5
    assert share < 0.1 and got >= 0.6
    listed = [entry for digest in digests for entry in digest.digest]
    assert len(listed) == len(mailing) - 5
    assert listed[0].top and not listed[-1].top


async def test_a_chat_without_enough_signal_keeps_announcement_order(
    store: Store,
    service: Service,
    dispatcher: Dispatcher,
    platform: InMemoryPlatform,
    sample: tuple[list[Paper], list[Paper]],
) -> None:
    before, mailing = sample
    chat, _ = await robotics_fan(store, service, before, cap=5, stars=2)

    await queue(store, chat, mailing)
    await dispatcher.drain()

    cards = [s.card.arxiv_id for s in platform.sent if s.card is not None]
    assert cards == [p.arxiv_id for p in mailing[:5]]


async def test_rank_off_keeps_announcement_order_despite_enough_signal(
    store: Store,
    service: Service,
    dispatcher: Dispatcher,
    platform: InMemoryPlatform,
    sample: tuple[list[Paper], list[Paper]],
) -> None:
    before, mailing = sample
    chat, _ = await robotics_fan(store, service, before, cap=3, stars=5)

    replies = await ask(service, "rank", "off")
    await queue(store, chat, mailing)
    await dispatcher.drain()

    assert isinstance(replies[0], Notice) and "off" in replies[0].text
    cards = [s.card.arxiv_id for s in platform.sent if s.card is not None]
    assert cards == [p.arxiv_id for p in mailing[:3]]


async def test_a_private_card_among_the_best_says_which_favorite_it_resembles(
    store: Store,
    service: Service,
    dispatcher: Dispatcher,
    platform: InMemoryPlatform,
    sample: tuple[list[Paper], list[Paper]],
) -> None:
    before, mailing = sample
    chat, starred = await robotics_fan(store, service, before, cap=1, stars=5, language="zh")

    await queue(store, chat, mailing)
    await dispatcher.drain()

    card = next(s.card for s in platform.sent if s.card is not None)
    topics = card.section("topics")
    assert topics is not None
    assert topics.text.startswith("与你收藏的相似：")
    assert topics.text.removeprefix("与你收藏的相似：") in {p.title for p in starred}


async def test_a_groups_ranking_reveals_no_members_favorites(
    store: Store,
    service: Service,
    dispatcher: Dispatcher,
    platform: InMemoryPlatform,
    sample: tuple[list[Paper], list[Paper]],
) -> None:
    before, mailing = sample
    await store.save_papers(before)
    group = await store.ensure_chat("memory", "-100", language="en")
    await store.set_daily_cap(group.id, 5)
    interest = [p for p in before if robotics(p)]
    starred = await star(service, interest, "7", "-100", count=5)
    starred += await star(service, interest[:-5], "8", "-100", count=4)

    await queue(store, group, mailing)
    await dispatcher.drain()

    cards = [s.card for s in platform.sent if s.card is not None]
    by_id = {p.arxiv_id: p for p in mailing}
    assert sum(robotics(by_id[card.arxiv_id]) for card in cards) >= 3
    shown = " ".join(
        f"{section.text} {' '.join(section.items)}" for card in cards for section in card.sections
    )
    titles = " ".join(s.title or "" for s in platform.sent)
    for paper in starred:
        assert paper.title not in shown and paper.title not in titles
    assert all(card.section("topics") is None for card in cards)


async def test_foryou_with_fewer_than_3_favorites_says_how_many_more_are_needed(
    store: Store, service: Service, sample: tuple[list[Paper], list[Paper]]
) -> None:
    before, _ = sample
    await store.save_papers(before)
    await star(service, before, "7", "7", count=1)

    replies = await ask(service, "foryou")

    assert isinstance(replies[0], Notice)
    assert "you have 1, it needs 2 more" in replies[0].text


async def test_foryou_lists_the_callers_ten_best_with_the_favorite_each_resembles(
    store: Store, service: Service, clock: TestClock, sample: tuple[list[Paper], list[Paper]]
) -> None:
    before, mailing = sample
    clock.jump(MAILING_MORNING)
    await store.save_papers(before + mailing)
    starred = await star(service, [p for p in before if robotics(p)], "7", "-100", count=5)

    replies = await ask(service, "foryou", "3", chat="-100")

    listing = replies[0]
    assert isinstance(listing, ForYouList)
    assert listing.text.startswith("For Ada: your best-ranked papers of the last 3 days")
    assert listing.text.count("resembles your ☆: ") == 10
    assert not {p.arxiv_id for p in starred} & set(listing.papers)
    by_id = {p.arxiv_id: p for p in mailing}
    assert len(listing.papers) == 10 and sum(robotics(by_id[i]) for i in listing.papers) >= 6


async def test_foryou_refuses_a_number_of_days_out_of_range(service: Service) -> None:
    replies = await ask(service, "foryou", "45")

    assert isinstance(replies[0], Notice)
    assert "from 1 to 30" in replies[0].text


async def test_thumbs_down_on_a_card_lowers_papers_like_it(
    store: Store,
    service: Service,
    ranker: Ranker,
    dispatcher: Dispatcher,
    platform: InMemoryPlatform,
    sample: tuple[list[Paper], list[Paper]],
) -> None:
    before, mailing = sample
    await store.save_papers(before)
    chat = await store.ensure_chat("memory", "7", language="en")
    await star(service, [p for p in before if robotics(p)], "7", "7", count=5)
    disliked, like_it = [p for p in mailing if robotics(p)][:2]
    await queue(store, chat, [disliked])
    await dispatcher.drain()
    message_id = platform.sent[-1].message_id
    features = await ranker.features()
    vectors = await ranker.vectors([like_it])

    before_score = scores(features, [await ranker.model("memory", "7")], vectors)[0, 0]  # type: ignore[list-item]
    assert await service.ranking.react("memory", "7", "7", message_id, "less", on=True)
    await ranker.settle()
    after_score = scores(features, [await ranker.model("memory", "7")], vectors)[0, 0]  # type: ignore[list-item]

    assert after_score < before_score


async def test_forget_removes_everything_of_that_person_and_nothing_of_anyone_else(
    store: Store,
    service: Service,
    ranker: Ranker,
    sample: tuple[list[Paper], list[Paper]],
) -> None:
    before, _ = sample
    await store.save_papers(before)
    group = await store.ensure_chat("memory", "-100", language="en")
    await star(service, before, "7", "-100", count=4)
    await star(service, before, "8", "-100", count=3)
    for user in ("7", "8"):
        await store.set_signal("memory", user, before[0].arxiv_id, "less", on=True)

    replies = await ask(service, "forget", chat="-100")
    assert isinstance(replies[0], Confirm) and replies[0].owner == "7"
    answer = await service.ranking.forget("memory", "7", "en")

    assert answer.startswith("Done: 4 favorites and 1 reactions deleted")
    mine = await store.person_signals("memory", "7")
    theirs = await store.person_signals("memory", "8")
    assert (len(mine.favorites), len(mine.less)) == (0, 0)
    assert (len(theirs.favorites), len(theirs.less)) == (3, 1)
    assert await store.ranking_members(group.id) == ["8"]
    assert await ranker.model("memory", "7") is None
