"""indexes the compliance report counts from: rule versions by kind, QA ratings by day,
each child's latest attendance

Revision ID: 0008_report_indexes
Revises: 0007_sweep_duration
Create Date: 2026-12-03 15:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0008_report_indexes"
down_revision = "0007_sweep_duration"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_deadline_rule", "deadline", ["kind", "rule_version", "due_on", "unit"])
    op.create_index("ix_pep_approved", "pep", ["approved_on", "quality_rating"])
    op.create_index("ix_attendance_latest", "attendance_record", ["child_ref", "recorded_on", "id", "band"])


def downgrade() -> None:
    op.drop_index("ix_attendance_latest", table_name="attendance_record")
    op.drop_index("ix_pep_approved", table_name="pep")
    op.drop_index("ix_deadline_rule", table_name="deadline")
