"""an index the children page lists children by name from (looked after now, surname, first name)

Revision ID: 0013_children_by_name
Revises: 0012_admission_findings
Create Date: 2026-12-06 12:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0013_children_by_name"
down_revision = "0012_admission_findings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_child_by_name", "child", ["looked_after", "last_name", "first_name", "ref"])


def downgrade() -> None:
    op.drop_index("ix_child_by_name", table_name="child")
