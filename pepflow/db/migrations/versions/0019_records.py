"""a child's record as records law sees it (issue 43): subject access requests, legal holds, and what the
retention schedule keys on that pepflow did not keep (a date of death; an EHC plan at any time)

Revision ID: 0019_records
Revises: 0018_attendance_marks
Create Date: 2026-12-06 16:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_records"
down_revision = "0018_attendance_marks"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("child", sa.Column("died_on", sa.Date(), nullable=True))
    op.add_column("child", sa.Column("ever_ehcp", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE child SET ever_ehcp = (sen_status = 'ehcp')")
    op.create_table(
        "subject_access_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_ref", sa.String(), nullable=False),
        sa.Column("requester", sa.String(), nullable=False),
        sa.Column("relationship", sa.String(), nullable=False),
        sa.Column("identity_checked", sa.String(), nullable=False),
        sa.Column("authority_checked", sa.String(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("extended_to", sa.Date(), nullable=True),
        sa.Column("extension_reason", sa.String(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["child_ref"], ["child.ref"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_subject_access_request_child_ref", "subject_access_request", ["child_ref"])
    op.create_table(
        "legal_hold",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_ref", sa.String(), nullable=True),
        sa.Column("reason", sa.String(), nullable=False),
        sa.Column("placed_on", sa.Date(), nullable=False),
        sa.Column("placed_by", sa.String(), nullable=False),
        sa.Column("lifted_on", sa.Date(), nullable=True),
        sa.Column("lifted_by", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["child_ref"], ["child.ref"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_legal_hold_child_ref", "legal_hold", ["child_ref"])


def downgrade() -> None:
    op.drop_table("legal_hold")
    op.drop_table("subject_access_request")
    # dropped in place (SQLite 3.35 and later, PostgreSQL): copying the child table would break the
    # references to it while a downgrade runs with foreign keys on
    op.execute("ALTER TABLE child DROP COLUMN ever_ehcp")
    op.execute("ALTER TABLE child DROP COLUMN died_on")
