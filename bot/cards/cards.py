"""The summary card: the 16 sections of `docs/CARD.md`, platform-neutral.

A card is built once per paper and language; the receiving chat's matched topics are
added with `Card.for_topics`, and each platform's renderer turns it into a message.
Renderers iterate `sections` in order and switch on `Section.kind`, so the order and
labels live here alone.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum

from bot.source.links import Link, find_code_links
from bot.source.papers import Paper
from bot.summarize import Summary
from bot.support.config import Language
from bot.words.labels import CARD_LABELS, CardLabels


class Kind(Enum):
    """How a section is laid out; every renderer handles each kind."""

    META = "meta"  # inline "label: text" line (authors, category, dates, comments)
    LINKS = "links"  # inline label, then labelled links
    HEADLINE = "headline"  # heading, then one bold line
    TOPICS = "topics"  # inline label, then bold names
    KEYWORDS = "keywords"  # inline label, then code-styled tags
    NUMBERED = "numbered"  # heading, then a numbered list
    TEXT = "text"  # heading, then a paragraph
    FIELDS = "fields"  # heading, then "name: text" paragraphs
    QUOTE = "quote"  # heading, then the verbatim abstract as a quote


@dataclass(frozen=True, slots=True)
class Section:
    """One card section.

    `priority` orders what a renderer shortens first when a message would not fit
    (lowest first); `essential` sections are never dropped, only trimmed.
    """

    key: str
    label: str
    kind: Kind
    priority: int
    text: str = ""
    items: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()
    essential: bool = False


@dataclass(frozen=True, slots=True)
class Card:
    language: Language
    arxiv_id: str
    version: int
    title: str
    abs_url: str
    pdf_url: str
    labels: CardLabels
    sections: tuple[Section, ...]

    @property
    def versioned_id(self) -> str:
        return f"{self.arxiv_id}v{self.version}"

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    def for_topics(self, topics: tuple[str, ...]) -> Card:
        """This card as one chat sees it: its own matched topics after the takeaway."""
        if not topics:
            return self
        topic_section = Section(
            "topics", self.labels.topics, Kind.TOPICS, priority=70, items=tuple(topics)
        )
        sections = list(self.sections)
        after = next(i for i, s in enumerate(sections) if s.key == "takeaway") + 1
        sections.insert(after, topic_section)
        return dataclasses.replace(self, sections=tuple(sections))

    def with_topic_line(self, line: str) -> Card:
        """This card with one more line under 🎯 (one person's "resembles your ☆")."""
        current = self.section("topics")
        if current is None:
            current = Section("topics", self.labels.topics, Kind.TOPICS, priority=70)
            after = next(i for i, s in enumerate(self.sections) if s.key == "takeaway") + 1
            sections = [*self.sections[:after], current, *self.sections[after:]]
        else:
            sections = list(self.sections)
        index = next(i for i, s in enumerate(sections) if s.key == "topics")
        sections[index] = dataclasses.replace(current, text=line)
        return dataclasses.replace(self, sections=tuple(sections))

    def as_late(self) -> Card:
        """This card marked as sent after the mailing, because arXiv's feed left it out."""
        note = Section(
            "late", self.labels.late, Kind.META, priority=95, text=self.labels.late_note,
            essential=True,
        )  # fmt: skip
        return dataclasses.replace(self, sections=(note, *self.sections))


def _dates(paper: Paper, labels: CardLabels) -> str:
    published = paper.published.date().isoformat()
    updated = paper.updated.date().isoformat()
    if updated == published:
        return published
    return f"{published} ({labels.updated}: {updated})"


def build_card(paper: Paper, summary: Summary) -> Card:
    labels = CARD_LABELS[summary.language]
    method_fields = tuple(
        (name, text)
        for name, text in zip(
            labels.method_parts,
            (
                summary.method.problem,
                summary.method.core_idea,
                summary.method.framework,
                summary.method.key_innovation,
                summary.method.key_design,
            ),
            strict=True,
        )
        if text
    )
    candidates: list[Section | None] = [
        Section(
            "authors",
            labels.authors,
            Kind.META,
            priority=95,
            items=paper.authors,
            essential=True,
        ),
        Section("category", labels.category, Kind.META, 90, text=", ".join(paper.all_categories)),
        Section("dates", labels.published, Kind.META, 90, text=_dates(paper, labels)),
        Section("comments", labels.comments, Kind.META, 60, text=paper.comment.strip())
        if paper.comment and paper.comment.strip()
        else None,
        _links_section(labels, find_code_links(paper.abstract, paper.comment)),
        Section(
            "takeaway", labels.takeaway, Kind.HEADLINE, 100, text=summary.takeaway, essential=True
        ),
        Section("keywords", labels.keywords, Kind.KEYWORDS, 65, items=summary.keywords),
        Section("key_points", labels.key_points, Kind.NUMBERED, 80, items=summary.key_points),
        _translation_section(labels, summary),
        Section("method", labels.method, Kind.FIELDS, 40, fields=method_fields)
        if method_fields
        else None,
        Section(
            "experiments",
            labels.experiments,
            Kind.TEXT,
            50,
            text=summary.experiments or labels.no_experiments,
        ),
        Section("applications", labels.applications, Kind.TEXT, 45, text=summary.applications)
        if summary.applications
        else None,
        Section("abstract", labels.abstract, Kind.QUOTE, 20, text=paper.abstract.strip()),
    ]
    return Card(
        language=summary.language,
        arxiv_id=paper.arxiv_id,
        version=paper.version,
        title=paper.title,
        abs_url=paper.abs_url,
        pdf_url=paper.pdf_url,
        labels=labels,
        sections=tuple(
            s for s in candidates if s is not None and (s.text or s.items or s.links or s.fields)
        ),
    )


def _links_section(labels: CardLabels, links: tuple[Link, ...]) -> Section | None:
    if not links:
        return None
    return Section("code", labels.code, Kind.LINKS, 75, links=links)


def _translation_section(labels: CardLabels, summary: Summary) -> Section | None:
    if labels.translated_abstract is None:
        return None
    return Section(
        "translated_abstract",
        labels.translated_abstract,
        Kind.TEXT,
        30,
        text=summary.translated_abstract or labels.no_translation,
    )
