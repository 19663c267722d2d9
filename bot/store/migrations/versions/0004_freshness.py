"""Per-mailing, per-category coverage (feed, stale fallback, audit) and late deliveries.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "deliveries",
        sa.Column("late", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "mailing_coverage",
        sa.Column("mailing", sa.Date(), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("first_checked_at", UTC_DATETIME, nullable=False),
        sa.Column("fresh_at", UTC_DATETIME, nullable=True),
        sa.Column("fallback_at", UTC_DATETIME, nullable=True),
        sa.Column("audited_at", UTC_DATETIME, nullable=True),
        sa.Column("expected", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("mailing", "category", name="pk_mailing_coverage"),
    )
    op.create_table(
        "mailing_papers",
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("paper_id", sa.String(40), nullable=False),
        sa.Column("mailing", sa.Date(), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.CheckConstraint(
            "via IN ('feed', 'fallback', 'audit')", name="ck_mailing_papers_via_known"
        ),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.arxiv_id"], name="fk_mailing_papers_paper_id_papers"
        ),
        sa.PrimaryKeyConstraint("category", "paper_id", name="pk_mailing_papers"),
    )
    op.create_index("ix_mailing_papers_mailing_category", "mailing_papers", ["mailing", "category"])


def downgrade() -> None:
    op.drop_index("ix_mailing_papers_mailing_category", table_name="mailing_papers")
    op.drop_table("mailing_papers")
    op.drop_table("mailing_coverage")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("late")
