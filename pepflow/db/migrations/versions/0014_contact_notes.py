"""a contact log on each child: who was contacted, how, when, what was said, and who noted it

Revision ID: 0014_contact_notes
Revises: 0013_children_by_name
Create Date: 2026-12-06 12:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pepflow.db.types import UTCDateTime

revision = "0014_contact_notes"
down_revision = "0013_children_by_name"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contact_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_ref", sa.String(), nullable=False),
        sa.Column("contacted_on", sa.Date(), nullable=False),
        sa.Column("with_whom", sa.String(), nullable=False),
        sa.Column("how", sa.String(), nullable=False),
        sa.Column("said", sa.String(), nullable=False),
        sa.Column("noted_by", sa.String(), nullable=False),
        sa.Column("noted_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["child_ref"], ["child.ref"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_contact_note_child_ref", "contact_note", ["child_ref"])


def downgrade() -> None:
    op.drop_index("ix_contact_note_child_ref", table_name="contact_note")
    op.drop_table("contact_note")
