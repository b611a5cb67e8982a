"""keyed history: each history row records the key its hash is keyed with; the database refuses to change history

Revision ID: 0003_keyed_history
Revises: 0002_delivery
Create Date: 2026-12-02 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pepflow.db.history_guard import guard

revision = "0003_keyed_history"
down_revision = "0002_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # rows written before keep key_id '' and verify as plain sha256 (pepflow/audit/verify.py)
    with op.batch_alter_table("event") as batch:
        batch.add_column(sa.Column("key_id", sa.String(), nullable=False, server_default=""))
    guard(op.get_bind(), before_tombstones=True)  # the guard of its time (0020 lets a purge tombstone)


def downgrade() -> None:
    from pepflow.db.history_guard import unguard

    unguard(op.get_bind())
    with op.batch_alter_table("event") as batch:
        batch.drop_column("key_id")
