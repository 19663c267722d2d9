"""Which chats get which papers: categories, keyword filters, topics, subscription age."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.match.matching import Announced, Matcher, matched_topics, normalize_term
from bot.source.papers import Paper
from bot.store.records import Subscription, Topic
from tests.fakes.papers import make_paper

ANNOUNCED = datetime(2026, 3, 9, 0, 0, tzinfo=UTC)
BEFORE = ANNOUNCED - timedelta(days=30)
_ids = itertools.count(1)


def sub(
    chat_id: int,
    category: str,
    include: Sequence[str] = (),
    exclude: Sequence[str] = (),
    created_at: datetime = BEFORE,
) -> Subscription:
    return Subscription(next(_ids), chat_id, category, tuple(include), tuple(exclude), created_at)


def paper(
    arxiv_id: str = "2603.00001",
    categories: Sequence[str] = ("cs.CV",),
    title: str = "A study of things",
    abstract: str = "We study things.",
) -> Paper:
    return make_paper(
        arxiv_id=arxiv_id,
        primary_category=categories[0],
        categories=tuple(categories),
        title=title,
        abstract=abstract,
    )


def chats_for(
    subscriptions: Sequence[Subscription], *papers: Paper, cross_only: bool = False
) -> dict[str, list[int]]:
    announced = [Announced(p, ANNOUNCED, cross_only) for p in papers]
    matches = Matcher(subscriptions, ANNOUNCED).match(announced)
    return {m.paper.arxiv_id: sorted(m.chat_ids()) for m in matches}


def test_a_paper_reaches_subscribers_of_its_primary_category_and_of_its_cross_lists() -> None:
    subs = [sub(1, "cs.CV"), sub(2, "cs.LG"), sub(3, "cs.CL")]

    found = chats_for(subs, paper(categories=("cs.CV", "cs.LG")))

    assert found == {"2603.00001": [1, 2]}


def test_a_chat_following_several_categories_of_a_paper_gets_it_once() -> None:
    subs = [sub(1, "cs.CV"), sub(1, "cs.LG"), sub(1, "cs.AI"), sub(2, "cs.LG")]

    found = chats_for(subs, paper(categories=("cs.CV", "cs.LG", "cs.AI")))

    assert found == {"2603.00001": [1, 2]}


def test_a_cross_list_announcement_skips_subscribers_of_the_primary_category() -> None:
    subs = [sub(1, "cs.CV"), sub(2, "cs.RO"), sub(3, "cs.CV"), sub(3, "cs.RO")]

    found = chats_for(subs, paper(categories=("cs.CV", "cs.RO")), cross_only=True)

    assert found == {"2603.00001": [2, 3]}


def test_papers_nobody_follows_are_left_out() -> None:
    found = chats_for([sub(1, "math.AG")], paper(categories=("cs.CV",)))

    assert found == {}


def test_include_terms_need_one_hit_in_title_or_abstract() -> None:
    subs = [sub(1, "cs.CV", include=["diffusion", "gaussian splatting"])]
    in_title = paper("2603.00001", title="Diffusion for everything")
    in_abstract = paper("2603.00002", abstract="We fit Gaussian Splatting to scenes.")
    neither = paper("2603.00003", title="Transformers", abstract="Attention again.")

    found = chats_for(subs, in_title, in_abstract, neither)

    assert found == {"2603.00001": [1], "2603.00002": [1]}


def test_terms_match_whole_words_only() -> None:
    subs = [sub(1, "cs.CV", include=["diffusion"]), sub(2, "cs.CV", include=["RL"])]
    diffusive = paper("2603.00001", abstract="A diffusive process and controlled trials.")
    exact = paper("2603.00002", abstract="Offline RL with diffusion, at scale.")

    found = chats_for(subs, diffusive, exact)

    assert found == {"2603.00002": [1, 2]}


def test_terms_ignore_case_punctuation_and_spacing_inside_phrases() -> None:
    subs = [sub(1, "cs.CV", include=['"Vision-Language  Models"'])]
    hyphen_free = paper("2603.00001", abstract="Large vision language models (VLMs) are big.")
    other = paper("2603.00002", abstract="Language models of vision.")

    found = chats_for(subs, hyphen_free, other)

    assert found == {"2603.00001": [1]}


def test_an_exclude_term_anywhere_drops_the_paper() -> None:
    subs = [sub(1, "cs.CV", include=["segmentation"], exclude=["medical imaging"])]
    medical = paper("2603.00001", abstract="Segmentation for medical imaging of lungs.")
    street = paper("2603.00002", abstract="Segmentation of street scenes.")

    found = chats_for(subs, medical, street)

    assert found == {"2603.00002": [1]}


def test_filters_apply_per_subscription_not_per_chat() -> None:
    subs = [sub(1, "cs.CV", include=["robot"]), sub(1, "cs.RO")]
    robot_free = paper(categories=("cs.CV", "cs.RO"), abstract="Grasping with arms.")

    assert chats_for(subs, robot_free) == {"2603.00001": [1]}
    assert chats_for(subs[:1], robot_free) == {}


def test_a_subscription_gets_only_papers_announced_after_it_was_made() -> None:
    old = sub(1, "cs.CV", created_at=ANNOUNCED - timedelta(hours=1))
    new = sub(2, "cs.CV", created_at=ANNOUNCED + timedelta(minutes=5))
    exact = sub(3, "cs.CV", created_at=ANNOUNCED)
    announced = [
        Announced(paper("2603.00001"), ANNOUNCED),
        Announced(paper("2603.00002"), ANNOUNCED + timedelta(days=1)),
    ]

    matches = Matcher([old, new, exact], ANNOUNCED).match(announced)

    found = {m.paper.arxiv_id: sorted(m.chat_ids()) for m in matches}
    assert found == {"2603.00001": [1, 3], "2603.00002": [1, 2, 3]}


def test_equal_filters_written_differently_share_one_group() -> None:
    subs = [
        sub(1, "cs.CV", include=["Diffusion", "GAN"]),
        sub(2, "cs.CV", include=["gan", "diffusion "]),
        sub(3, "cs.CV"),
    ]

    (match,) = Matcher(subs, ANNOUNCED).match([Announced(paper(abstract="A GAN."), ANNOUNCED)])

    assert sorted(len(group) for group in match.groups) == [1, 2]
    assert sorted(match.chat_ids()) == [1, 2, 3]


def test_topics_name_those_with_a_term_in_the_paper_in_the_chats_order() -> None:
    topics = [
        Topic(1, 1, "Robotics", ("robot", "manipulation")),
        Topic(2, 1, "Generative", ("diffusion",)),
        Topic(3, 1, "Speech", ("ASR",)),
    ]
    diffusion_robots = paper(title="Diffusion policies", abstract="Robot manipulation.")

    assert matched_topics(diffusion_robots, topics) == ("Robotics", "Generative")
    assert matched_topics(paper(abstract="Nothing relevant."), topics) == ()


def test_terms_without_any_word_never_match() -> None:
    subs = [sub(1, "cs.CV", include=["++"])]

    assert normalize_term("++") == ""
    assert chats_for(subs, paper(abstract="C++ code.")) == {}


# The index must give what checking every subscription against every paper gives.

CATEGORIES = ["cs.CV", "cs.LG", "cs.CL", "cs.RO"]
WORDS = ["diffusion", "robot", "graph", "language model", "vision"]


@st.composite
def subscriptions(draw: st.DrawFn) -> list[Subscription]:
    result = []
    for chat_id in range(1, draw(st.integers(1, 12)) + 1):
        for category in draw(st.sets(st.sampled_from(CATEGORIES), min_size=1, max_size=3)):
            include = draw(st.lists(st.sampled_from(WORDS), max_size=2))
            exclude = draw(st.lists(st.sampled_from(WORDS), max_size=1))
            age = draw(st.sampled_from([timedelta(days=-3), timedelta(0), timedelta(days=3)]))
            result.append(sub(chat_id, category, include, exclude, ANNOUNCED + age))
    return result


@st.composite
def announcements(draw: st.DrawFn) -> list[Announced]:
    result = []
    for n in range(draw(st.integers(1, 6))):
        categories = draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=3))
        words = draw(st.lists(st.sampled_from([*WORDS, "other", "diffusive"]), max_size=4))
        item = paper(f"2603.{n:05d}", list(dict.fromkeys(categories)), abstract=" ".join(words))
        shift = draw(st.sampled_from([timedelta(days=-1), timedelta(0), timedelta(days=1)]))
        result.append(Announced(item, ANNOUNCED + shift, draw(st.booleans())))
    return result


def naive(subs: Sequence[Subscription], announced: Sequence[Announced]) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for item in announced:
        text = f" {normalize_term(item.paper.title + ' ' + item.paper.abstract)} "
        chats = set()
        for s in subs:
            hits = [f" {normalize_term(t)} " in text for t in s.include]
            misses = [f" {normalize_term(t)} " in text for t in s.exclude]
            if (
                s.category in item.categories
                and s.created_at <= item.announced_at
                and (not s.include or any(hits))
                and not any(misses)
            ):
                chats.add(s.chat_id)
        if chats:
            found[item.paper.arxiv_id] = sorted(chats)
    return found


@settings(max_examples=200, deadline=None)
@given(subscriptions(), announcements())
def test_the_index_agrees_with_checking_every_subscription(
    subs: list[Subscription], announced: list[Announced]
) -> None:
    settled = min(a.announced_at for a in announced)

    matches = Matcher(subs, settled).match(announced)

    chats = {m.paper.arxiv_id: list(m.chat_ids()) for m in matches}
    assert all(len(ids) == len(set(ids)) for ids in chats.values())
    assert {k: sorted(v) for k, v in chats.items()} == naive(subs, announced)
