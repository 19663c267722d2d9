"""Ranking: people's "more/less like this" signals, whose signal ranks each chat, and
the chats that turned ranking off. Models are not stored: they are rebuilt from these.

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "signals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("paper_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint("kind IN ('more', 'less')", name="ck_signals_kind_known"),
        sa.ForeignKeyConstraint(
            ["paper_id"], ["papers.arxiv_id"], name="fk_signals_paper_id_papers"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_signals"),
        sa.UniqueConstraint(
            "platform",
            "user_id",
            "paper_id",
            "kind",
            name="uq_signals_platform_user_id_paper_id_kind",
        ),
    )
    op.create_table(
        "ranking_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name="fk_ranking_members_chat_id_chats", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ranking_members"),
        sa.UniqueConstraint("chat_id", "user_id", name="uq_ranking_members_chat_id_user_id"),
    )
    op.create_table(
        "ranking_off",
        sa.Column("chat_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name="fk_ranking_off_chat_id_chats", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("chat_id", name="pk_ranking_off"),
    )


def downgrade() -> None:
    op.drop_table("ranking_off")
    op.drop_table("ranking_members")
    op.drop_table("signals")
