"""how long each day's sweep took, for the service's metrics

Revision ID: 0007_sweep_duration
Revises: 0006_upn_unknown
Create Date: 2026-12-02 09:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_sweep_duration"
down_revision = "0006_upn_unknown"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sweep_run") as batch:
        batch.add_column(sa.Column("duration_ms", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("sweep_run") as batch:
        batch.drop_column("duration_ms")
