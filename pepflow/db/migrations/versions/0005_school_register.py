"""the school register: each school's phase, statutory age range, and whether it is open, from GIAS;
its Ofsted inspections in the terms of each framework

Revision ID: 0005_school_register
Revises: 0004_web_security
Create Date: 2026-12-02 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_school_register"
down_revision = "0004_web_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("school") as batch:
        batch.add_column(sa.Column("phase", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("low_age", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("high_age", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("status", sa.String(), nullable=False, server_default="open"))
        batch.add_column(sa.Column("close_date", sa.Date(), nullable=True))
    op.create_table(
        "inspection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("urn", sa.String(), nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column("framework", sa.String(), nullable=False),
        sa.Column("overall", sa.String(), nullable=False),
        sa.Column("grades", sa.JSON(), nullable=False),
        sa.Column("safeguarding", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["urn"], ["school.urn"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("urn", "inspected_on", name="uq_inspection_school_date"),
    )
    op.create_index("ix_inspection_urn", "inspection", ["urn"])


def downgrade() -> None:
    op.drop_index("ix_inspection_urn", table_name="inspection")
    op.drop_table("inspection")
    with op.batch_alter_table("school") as batch:
        for column in ("close_date", "status", "high_age", "low_age", "phase"):
            batch.drop_column(column)
