"""A paper as arXiv describes it: the one shape every other module receives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

ARXIV_ABS = "https://arxiv.org/abs/"
ARXIV_PDF = "https://arxiv.org/pdf/"


@dataclass(frozen=True, slots=True)
class Paper:
    """arXiv metadata, with the base ID and version kept apart.

    Deduplication, favorites and deliveries key on `arxiv_id` (no version) so that a
    replacement (v2) is the same paper; `version` only labels links and the toolbar.
    """

    arxiv_id: str
    version: int
    title: str
    authors: tuple[str, ...]
    abstract: str
    primary_category: str
    categories: tuple[str, ...]
    published: datetime
    updated: datetime
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None

    @property
    def versioned_id(self) -> str:
        return f"{self.arxiv_id}v{self.version}"

    @property
    def abs_url(self) -> str:
        return ARXIV_ABS + self.arxiv_id

    @property
    def pdf_url(self) -> str:
        return f"{ARXIV_PDF}{self.arxiv_id}.pdf"

    @property
    def cross_lists(self) -> tuple[str, ...]:
        return tuple(c for c in self.categories if c != self.primary_category)

    @property
    def all_categories(self) -> tuple[str, ...]:
        """Primary first, then cross-lists: the order the card shows and matching uses."""
        return (self.primary_category, *self.cross_lists)
