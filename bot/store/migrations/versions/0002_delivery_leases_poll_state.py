"""Delivery leases and digests on chats, per-chat outbox order, and the poll state.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Nullable columns without defaults: SQLite adds them in place, no table copy needed.
    op.add_column("chats", sa.Column("claimed_by", sa.String(64), nullable=True))
    op.add_column("chats", sa.Column("claimed_until", UTC_DATETIME, nullable=True))
    op.add_column("chats", sa.Column("digest_sent_at", UTC_DATETIME, nullable=True))
    op.create_index("ix_deliveries_chat_id_state_id", "deliveries", ["chat_id", "state", "id"])
    op.create_table(
        "poll_state",
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("last_poll_at", UTC_DATETIME, nullable=True),
        sa.Column("last_success_at", UTC_DATETIME, nullable=True),
        sa.Column("last_mailing", sa.Date(), nullable=True),
        sa.Column("last_mailing_seen_at", UTC_DATETIME, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("source", name="pk_poll_state"),
    )


def downgrade() -> None:
    op.drop_table("poll_state")
    op.drop_index("ix_deliveries_chat_id_state_id", table_name="deliveries")
    with op.batch_alter_table("chats") as batch:
        batch.drop_column("digest_sent_at")
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
