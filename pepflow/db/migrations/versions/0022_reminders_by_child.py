"""a child's reminders found from the outbox: the history keeps one row an email, naming the outbox rows
it carried, so a child's page lists the reminders sent about them from the outbox itself (issue 42)

Revision ID: 0022_reminders_by_child
Revises: 0021_change_stamp
Create Date: 2026-12-06 19:20:00
"""

from __future__ import annotations

from alembic import op

revision = "0022_reminders_by_child"
down_revision = "0021_change_stamp"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_notification_child", "notification", ["child_ref"])


def downgrade() -> None:
    op.drop_index("ix_notification_child", table_name="notification")
