"""Replicas on one database: leases, job runs, shared rate slots, heartbeats, Slack events.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "cluster_leases",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("acquired_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_cluster_leases"),
    )
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(64), nullable=False),
        sa.Column("due_at", UTC_DATETIME, nullable=False),
        sa.Column("runner", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("job", "due_at", name="pk_job_runs"),
    )
    op.create_table(
        "rate_slots",
        sa.Column("scope", sa.String(160), nullable=False),
        sa.Column("free_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name="pk_rate_slots"),
    )
    op.create_table(
        "replicas",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("seen_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_replicas"),
    )
    op.create_table(
        "slack_events",
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("seen_at", UTC_DATETIME, nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="pk_slack_events"),
    )


def downgrade() -> None:
    for table in ("slack_events", "replicas", "rate_slots", "job_runs", "cluster_leases"):
        op.drop_table(table)
