"""the history's seal: the database's identity and the row from which its history is keyed,
signed with the history key (pepflow/db/seal.py)

Revision ID: 0010_history_seal
Revises: 0009_second_factor
Create Date: 2026-12-06 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pepflow.db.seal import make_seal

revision = "0010_history_seal"
down_revision = "0009_second_factor"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "history_seal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("database_id", sa.String(), nullable=False),
        sa.Column("made_at", sa.String(), nullable=False),
        sa.Column("keyed_from", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.String(), nullable=False),
        sa.Column("signature", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # keyed from the first keyed row (the key must be there), or from the next row
    make_seal(op.get_bind())


def downgrade() -> None:
    op.drop_table("history_seal")
