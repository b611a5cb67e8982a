"""a child's history read without the views of it: an index of their rows that record a change (issue 42)

Revision ID: 0024_child_history_changes
Revises: 0023_child_summaries
Create Date: 2026-12-06 23:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024_child_history_changes"
down_revision = "0023_child_summaries"
branch_labels = None
depends_on = None

CHANGES_ONLY = "process NOT IN ('access', 'security')"  # as pepflow/db/models/history_rows.py, at this revision


def upgrade() -> None:
    op.create_index("ix_event_child_changes", "event", ["child_ref", "effective_on", "id"],
                    sqlite_where=sa.text(CHANGES_ONLY), postgresql_where=sa.text(CHANGES_ONLY))


def downgrade() -> None:
    op.drop_index("ix_event_child_changes", table_name="event")
