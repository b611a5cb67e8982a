"""the children the latest SSDA903 return held back, for VS admin's My work

Revision ID: 0011_held_back_children
Revises: 0010_history_seal
Create Date: 2026-12-06 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_held_back_children"
down_revision = "0010_history_seal"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "held_back_child",
        sa.Column("child_ref", sa.String(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.Column("first_held_on", sa.Date(), nullable=False),
        sa.Column("last_held_on", sa.Date(), nullable=False),
        sa.Column("files", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("child_ref"),
    )


def downgrade() -> None:
    op.drop_table("held_back_child")
