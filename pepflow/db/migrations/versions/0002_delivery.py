"""delivery that survives faults: each email's first attempt, one sweep a day, the relay's state

Revision ID: 0002_delivery
Revises: 0001_baseline
Create Date: 2026-12-01 22:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0002_delivery"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("first_attempt_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "sweep_run",
        sa.Column("swept_on", sa.Date(), nullable=False),
        sa.Column("swept_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("swept_by", sa.String(), nullable=False),
        sa.Column("deadlines_due", sa.Integer(), nullable=False),
        sa.Column("written", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("swept_on"),
    )
    op.create_table(
        "relay_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("down_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    # emails already being retried count their time from when they were written
    op.execute("UPDATE notification SET first_attempt_at = created_at WHERE attempts > 0")


def downgrade() -> None:
    op.drop_table("relay_state")
    op.drop_table("sweep_run")
    with op.batch_alter_table("notification") as batch:
        batch.drop_column("first_attempt_at")
