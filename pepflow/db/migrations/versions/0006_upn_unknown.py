"""a child's reason for having no UPN, as the SSDA903 return gives it (UN1-UN5)

Revision ID: 0006_upn_unknown
Revises: 0005_school_register
Create Date: 2026-12-02 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_upn_unknown"
down_revision = "0005_school_register"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("child") as batch:
        batch.add_column(sa.Column("upn_unknown", sa.String(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("child") as batch:
        batch.drop_column("upn_unknown")
