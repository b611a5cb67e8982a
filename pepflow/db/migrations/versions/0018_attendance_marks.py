"""attendance from the register (issue 41): session marks with their categories, totals, imports and the alerts the marks raised

Revision ID: 0018_attendance_marks
Revises: 0017_pp_plus
Create Date: 2026-12-06 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_attendance_marks"
down_revision = "0017_pp_plus"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attendance_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("filename", sa.String(), nullable=False),
        sa.Column("imported_on", sa.Date(), nullable=False),
        sa.Column("imported_by", sa.String(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("set_aside", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "attendance_mark",
        sa.Column("child_ref", sa.String(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("session", sa.String(), nullable=False),
        sa.Column("school_urn", sa.String(), nullable=False),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("category", sa.String(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("changed_from", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["child_ref"], ["child.ref"]),
        sa.ForeignKeyConstraint(["school_urn"], ["school.urn"]),
        sa.ForeignKeyConstraint(["import_id"], ["attendance_import.id"]),
        sa.PrimaryKeyConstraint("child_ref", "day", "session", "school_urn"),
    )
    op.create_index("ix_attendance_mark_day", "attendance_mark", ["day", "category", "child_ref"])
    op.create_table(
        "attendance_total",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_ref", sa.String(), nullable=False),
        sa.Column("school_urn", sa.String(), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("possible", sa.Integer(), nullable=False),
        sa.Column("attending", sa.Integer(), nullable=False),
        sa.Column("authorised", sa.Integer(), nullable=False),
        sa.Column("unauthorised", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["child_ref"], ["child.ref"]),
        sa.ForeignKeyConstraint(["school_urn"], ["school.urn"]),
        sa.ForeignKeyConstraint(["import_id"], ["attendance_import.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("child_ref", "school_urn", "start", "end", name="uq_attendance_total"),
    )
    op.create_index("ix_attendance_total_child_ref", "attendance_total", ["child_ref"])
    op.create_table(
        "attendance_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_ref", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("first_session", sa.String(), nullable=False),
        sa.Column("marks", sa.JSON(), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["child_ref"], ["child.ref"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("child_ref", "kind", "first_day", "first_session", name="uq_attendance_alert"),
    )
    op.create_index("ix_attendance_alert_child_ref", "attendance_alert", ["child_ref"])


def downgrade() -> None:
    op.drop_table("attendance_alert")
    op.drop_table("attendance_total")
    op.drop_table("attendance_mark")
    op.drop_table("attendance_import")
