"""the pages' change stamp: an index of the history rows that record a change (not a view, a download
or a sign-in), so the newest one is one look-up and a page view no longer ends every kept answer (issue 42)

Revision ID: 0021_change_stamp
Revises: 0020_history_tombstones
Create Date: 2026-12-06 19:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021_change_stamp"
down_revision = "0020_history_tombstones"
branch_labels = None
depends_on = None

CHANGES_ONLY = "process NOT IN ('access', 'security')"  # as pepflow/db/models/history_rows.py, at this revision


def upgrade() -> None:
    op.create_index("ix_event_changes", "event", ["id"], sqlite_where=sa.text(CHANGES_ONLY),
                    postgresql_where=sa.text(CHANGES_ONLY))


def downgrade() -> None:
    op.drop_index("ix_event_changes", table_name="event")
