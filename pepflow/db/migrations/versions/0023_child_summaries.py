"""each child as the compliance report counts them now, written with every change that moves it
(issue 42: engine/child_summaries.py), filled here for the children already held

Revision ID: 0023_child_summaries
Revises: 0022_reminders_by_child
Create Date: 2026-12-06 19:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023_child_summaries"
down_revision = "0022_reminders_by_child"
branch_labels = None
depends_on = None


class _Bound:
    """The migration's connection, where the summaries' writer expects a session."""

    def __init__(self, connection):
        self._connection = connection

    def connection(self):
        return self._connection


def upgrade() -> None:
    op.create_table(
        "child_summary",
        sa.Column("child_ref", sa.String(), nullable=False),
        sa.Column("born_in_school_year", sa.Integer(), nullable=False),
        sa.Column("sen_status", sa.String(), nullable=False),
        sa.Column("legal_status", sa.String(), nullable=False),
        sa.Column("placement_type", sa.String(), nullable=True),
        sa.Column("in_area", sa.Boolean(), nullable=False),
        sa.Column("school_urn", sa.String(), nullable=True),
        sa.Column("entered_care", sa.Date(), nullable=False),
        sa.Column("left_care_on", sa.Date(), nullable=True),
        sa.Column("pep_behind_since", sa.Date(), nullable=True),
        sa.Column("latest_band", sa.String(), nullable=True),
        sa.Column("latest_band_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["child_ref"], ["child.ref"]),
        sa.PrimaryKeyConstraint("child_ref"),
    )
    op.create_index("ix_child_summary_roll", "child_summary", [
        "born_in_school_year", "sen_status", "legal_status", "placement_type", "in_area", "school_urn", "entered_care",
        "left_care_on", "pep_behind_since"])
    op.create_table(
        "child_summary_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("holds_from", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # the children already held: written by the same code that keeps them (pepflow's own, at this version)
    from pepflow.engine.child_summaries import rebuild

    rebuild(_Bound(op.get_bind()))


def downgrade() -> None:
    op.drop_table("child_summary_state")
    op.drop_index("ix_child_summary_roll", table_name="child_summary")
    op.drop_table("child_summary")
