"""The schema, as the migrations build it; `tests/test_migrations.py` checks they agree.

Rows stay inside `bot.store`: the store hands out plain records, never these classes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.support.clock import utcnow

DELIVERY_STATES = ("pending", "sending", "sent", "failed", "unknown")

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on both backends.

    SQLite keeps no offset, so values are converted to UTC before they are written and
    labelled UTC when read back; PostgreSQL returns its session time zone, converted here.
    A naive datetime is refused: its meaning would depend on the server's clock.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the store keeps aware datetimes only")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class PaperRow(Base):
    __tablename__ = "papers"

    arxiv_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    authors: Mapped[list[str]] = mapped_column(JSON)
    abstract: Mapped[str] = mapped_column(Text)
    primary_category: Mapped[str] = mapped_column(String(32))
    categories: Mapped[list[str]] = mapped_column(JSON)
    published: Mapped[datetime] = mapped_column(UTCDateTime)
    updated: Mapped[datetime] = mapped_column(UTCDateTime)
    comment: Mapped[str | None] = mapped_column(Text)
    journal_ref: Mapped[str | None] = mapped_column(Text)
    doi: Mapped[str | None] = mapped_column(String(255))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SummaryRow(Base):
    __tablename__ = "summaries"
    __table_args__ = (UniqueConstraint("paper_id", "language", "summarizer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paper_id: Mapped[str] = mapped_column(ForeignKey("papers.arxiv_id"))
    language: Mapped[str] = mapped_column(String(8))
    summarizer: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChatRow(Base):
    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    inactive_reason: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    digest_time: Mapped[str | None] = mapped_column(String(5))
    daily_cap: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Delivery: the dispatcher holding the chat (see `Store.claim_chats`) and until when,
    # and when the last digest went out.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    digest_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("chat_id", "category"),
        CheckConstraint("category <> ''", name="category_not_empty"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    category: Mapped[str] = mapped_column(String(32), index=True)
    include: Mapped[list[str]] = mapped_column(JSON)
    exclude: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TopicRow(Base):
    __tablename__ = "topics"
    __table_args__ = (UniqueConstraint("chat_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    terms: Mapped[list[str]] = mapped_column(JSON)


class FavoriteRow(Base):
    __tablename__ = "favorites"
    __table_args__ = (
        UniqueConstraint("platform", "user_id", "paper_id"),
        Index("ix_favorites_platform_user_id_created_at", "platform", "user_id", "created_at"),
        Index("ix_favorites_paper_id_platform", "paper_id", "platform"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    paper_id: Mapped[str] = mapped_column(ForeignKey("papers.arxiv_id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeliveryRow(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("chat_id", "paper_id"),
        Index("ix_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_deliveries_chat_id_state_id", "chat_id", "state", "id"),
        CheckConstraint(
            "state IN ({})".format(", ".join(f"'{state}'" for state in DELIVERY_STATES)),
            name="state_known",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    paper_id: Mapped[str] = mapped_column(ForeignKey("papers.arxiv_id"))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    platform_message_id: Mapped[str | None] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Found by the coverage audit after the feed left it out: the card says so.
    late: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())


class PollStateRow(Base):
    """What discovery knows about arXiv between polls; one row per source (`arxiv`)."""

    __tablename__ = "poll_state"

    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_mailing: Mapped[date | None] = mapped_column(Date)
    last_mailing_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class MailingCoverageRow(Base):
    """One mailing in one followed category: when the feed showed it, whether it went
    stale and was fetched from the API instead, and what the audit counted."""

    __tablename__ = "mailing_coverage"

    mailing: Mapped[date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    first_checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fresh_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fallback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    audited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expected: Mapped[int | None] = mapped_column(Integer)


class MailingPaperRow(Base):
    """Which mailing announced a paper in a category, and how paperbell learned of it:
    `feed`, `fallback` (the API, for a stale feed) or `audit` (left out, delivered late)."""

    __tablename__ = "mailing_papers"
    __table_args__ = (
        Index("ix_mailing_papers_mailing_category", "mailing", "category"),
        CheckConstraint("via IN ('feed', 'fallback', 'audit')", name="via_known"),
    )

    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    paper_id: Mapped[str] = mapped_column(ForeignKey("papers.arxiv_id"), primary_key=True)
    mailing: Mapped[date] = mapped_column(Date)
    via: Mapped[str] = mapped_column(String(16))


SIGNAL_KINDS = ("more", "less")


class SignalRow(Base):
    """A person's "more/less like this" reaction to a paper; ☆ lives in `favorites`."""

    __tablename__ = "signals"
    __table_args__ = (
        UniqueConstraint("platform", "user_id", "paper_id", "kind"),
        CheckConstraint(
            "kind IN ({})".format(", ".join(f"'{kind}'" for kind in SIGNAL_KINDS)),
            name="kind_known",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    paper_id: Mapped[str] = mapped_column(ForeignKey("papers.arxiv_id"))
    kind: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RankingMemberRow(Base):
    """Someone who ☆-ed or reacted in a chat: whose signal ranks that chat's papers."""

    __tablename__ = "ranking_members"
    __table_args__ = (UniqueConstraint("chat_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RankingOffRow(Base):
    """A chat that turned ranking off with `/rank off`: it keeps announcement order."""

    __tablename__ = "ranking_off"

    chat_id: Mapped[int] = mapped_column(
        ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LeaseRow(Base):
    """A named role that one replica holds at a time (the arXiv poll, Telegram's updates)."""

    __tablename__ = "cluster_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)


class JobRunRow(Base):
    """One row per scheduled job and due time: whoever inserts it runs the job."""

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(64), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    runner: Mapped[str] = mapped_column(String(128))


class RateSlotRow(Base):
    """When a platform's next message may go, per scope (overall, one chat), in the
    database's own clock (Unix seconds) so replicas on different hosts agree."""

    __tablename__ = "rate_slots"

    scope: Mapped[str] = mapped_column(String(160), primary_key=True)
    free_at: Mapped[float] = mapped_column(Float)


class ReplicaRow(Base):
    """A running `paperbell run` process, as its last heartbeat left it."""

    __tablename__ = "replicas"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SlackEventRow(Base):
    """A Slack event already handled by some replica; Slack may deliver it to several."""

    __tablename__ = "slack_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IncidentRow(Base):
    """An operator alert that is open: its start was announced, its end not yet. Kept in the
    database so replicas announce each incident once between them, and a restart does not
    announce an ongoing one again."""

    __tablename__ = "incidents"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
