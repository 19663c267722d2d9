"""Which chats want which announced papers: categories first, then keyword filters.

Every platform shares these rules, so they live in the core:

* a subscription matches a paper listed in its category, as primary or cross-list (for a
  cross-list announcement only the cross-listed categories count: the paper reached its
  primary category's subscribers when it was new);
* its include terms (if any) need at least one hit in the title or abstract and its
  exclude terms none; terms are words or phrases, matched whole and case-insensitively
  (`diffusion` does not match "diffusive"; "vision-language" matches "vision language");
* a subscription never gets a paper announced before it was created;
* a chat gets a paper once, however many of its subscriptions match it.

It has to stay fast for 100,000 subscriptions and a day's 2,000 papers, so `Matcher`
indexes subscriptions by category and groups the chats that share a category and filter,
each filter is evaluated once per paper, and results are groups of chat IDs that the
caller walks, not one object per (chat, paper).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter

from bot.source.papers import Paper
from bot.store.records import Subscription, Topic

_WORD = re.compile(r"\w+")


def normalize_term(term: str) -> str:
    """A term as its lower-case words joined by single spaces; "" if it has no word."""
    return " ".join(_WORD.findall(term.lower()))


class PaperText:
    """A paper's title and abstract, prepared so that terms are looked up, not searched."""

    __slots__ = ("_joined", "words")

    def __init__(self, paper: Paper) -> None:
        words = _WORD.findall(f"{paper.title} {paper.abstract}".lower())
        self.words = frozenset(words)
        self._joined = " " + " ".join(words) + " "

    def has(self, term: str) -> bool:
        """Whether the normalized `term` occurs as whole words."""
        if " " not in term:
            return term in self.words
        return f" {term} " in self._joined

    def hits(self, vocabulary: _Vocabulary) -> frozenset[str]:
        """The vocabulary's terms that occur in the paper."""
        found = self.words & vocabulary.words
        phrases = [
            phrase
            for first in self.words & vocabulary.phrase_starts.keys()
            for phrase in vocabulary.phrase_starts[first]
            if self.has(phrase)
        ]
        return found.union(phrases) if phrases else found


@dataclass(frozen=True, slots=True)
class Filter:
    include: tuple[str, ...]
    exclude: tuple[str, ...]

    @classmethod
    def of(cls, include: Iterable[str], exclude: Iterable[str]) -> Filter:
        """Normalized and sorted, so that equal filters written differently group together."""
        return cls(_terms(include), _terms(exclude))


def _terms(raw: Iterable[str]) -> tuple[str, ...]:
    """A term with no word ("++") stays, as one that never matches: dropping it would turn
    "only papers mentioning ++" into "every paper"."""
    return tuple(sorted(set(map(normalize_term, raw))))


class _Vocabulary:
    """Every filter term, split so a paper's hits are found with set operations."""

    def __init__(self, terms: Iterable[str]) -> None:
        self.words: set[str] = set()
        self.phrase_starts: dict[str, list[str]] = defaultdict(list)
        for term in set(terms):
            if " " in term:
                self.phrase_starts[term.split(" ", 1)[0]].append(term)
            elif term:
                self.words.add(term)


class _Category:
    """One category's subscribers, grouped by filter, with filters indexed by term.

    A paper passes filter f if f has no include term or one of them hits, and none of
    its exclude terms does; with the index that is a few set unions per paper, not a
    loop over filters.
    """

    __slots__ = ("chats", "exclude", "include", "open")

    def __init__(self, by_filter: dict[Filter, list[int]]) -> None:
        self.chats: list[tuple[int, ...]] = []
        include: dict[str, set[int]] = defaultdict(set)
        exclude: dict[str, set[int]] = defaultdict(set)
        open_filters: set[int] = set()
        for number, (key, chats) in enumerate(by_filter.items()):
            self.chats.append(tuple(chats))
            for term in key.include:
                include[term].add(number)
            for term in key.exclude:
                exclude[term].add(number)
            if not key.include:
                open_filters.add(number)
        self.open = frozenset(open_filters)
        self.include = {term: frozenset(ids) for term, ids in include.items()}
        self.exclude = {term: frozenset(ids) for term, ids in exclude.items()}

    def groups(self, hits: frozenset[str]) -> tuple[tuple[int, ...], ...]:
        included = [self.include[term] for term in hits & self.include.keys()]
        passing = self.open.union(*included) if included else self.open
        if self.exclude:
            excluded = [self.exclude[term] for term in hits & self.exclude.keys()]
            if excluded:
                passing = passing.difference(*excluded)
        if len(passing) == 1:
            return (self.chats[next(iter(passing))],)
        return itemgetter(*passing)(self.chats) if passing else ()


class _Index:
    def __init__(self, subscriptions: Iterable[Subscription]) -> None:
        grouped: dict[str, dict[Filter, list[int]]] = defaultdict(lambda: defaultdict(list))
        filters: dict[tuple[tuple[str, ...], tuple[str, ...]], Filter] = {}
        for sub in subscriptions:
            raw = (sub.include, sub.exclude)
            key = filters.get(raw)
            if key is None:
                key = filters[raw] = Filter.of(*raw)
            grouped[sub.category][key].append(sub.chat_id)
        self.categories = {category: _Category(f) for category, f in grouped.items()}
        self.vocabulary = _Vocabulary(
            term for key in filters.values() for term in (*key.include, *key.exclude)
        )

    def groups(self, item: Announced, text: PaperText) -> list[tuple[int, ...]]:
        hits = text.hits(self.vocabulary)
        found: list[tuple[int, ...]] = []
        for category in item.categories:
            index = self.categories.get(category)
            if index is not None:
                found.extend(index.groups(hits))
        return found


@dataclass(frozen=True, slots=True)
class Announced:
    """A paper as one mailing announced it.

    `cross_only` marks a cross-list announcement: only subscribers of the cross-listed
    categories are due the paper. `announced_at` is compared with subscription times.
    """

    paper: Paper
    announced_at: datetime
    cross_only: bool = False

    @property
    def categories(self) -> tuple[str, ...]:
        return self.paper.cross_lists if self.cross_only else self.paper.all_categories


@dataclass(frozen=True, slots=True)
class Match:
    """The chats due one paper, as shared groups; `chat_ids()` flattens them once each."""

    paper: Paper
    groups: tuple[tuple[int, ...], ...]

    def chat_ids(self) -> Iterator[int]:
        if len(self.groups) == 1:
            yield from self.groups[0]
            return
        seen: set[int] = set()
        for group in self.groups:
            for chat_id in group:
                if chat_id not in seen:
                    seen.add(chat_id)
                    yield chat_id


class Matcher:
    """An index of subscriptions, built once per poll and used for all its papers.

    Subscriptions created by `settled` (the earliest announcement being matched) go into
    one index. The few created since are indexed again for each announcement time that
    comes later than their creation, so the age rule costs nothing per paper.
    """

    def __init__(self, subscriptions: Iterable[Subscription], settled: datetime) -> None:
        settled_subs: list[Subscription] = []
        self._recent: list[Subscription] = []
        for sub in subscriptions:
            (settled_subs if sub.created_at <= settled else self._recent).append(sub)
        self._index = _Index(settled_subs)
        self._recent_by_time: dict[datetime, _Index] = {}

    def match(self, announced: Sequence[Announced]) -> list[Match]:
        """The papers some chat is due, in the order given, each with its chats."""
        matches = []
        for item in announced:
            text = PaperText(item.paper)
            groups = self._index.groups(item, text)
            if self._recent:
                groups += self._recent_index(item.announced_at).groups(item, text)
            if groups:
                matches.append(Match(item.paper, tuple(groups)))
        return matches

    def _recent_index(self, announced_at: datetime) -> _Index:
        index = self._recent_by_time.get(announced_at)
        if index is None:
            eligible = (s for s in self._recent if s.created_at <= announced_at)
            index = self._recent_by_time[announced_at] = _Index(eligible)
        return index


def matched_topics(paper: Paper, topics: Sequence[Topic]) -> tuple[str, ...]:
    """Names of the chat's topics with a term in the paper, in the order given (🎯)."""
    text = PaperText(paper)
    return tuple(
        topic.name for topic in topics if any(text.has(term) for term in _terms(topic.terms))
    )
