"""one-use links to set a password (forgot password, VS admin's reset, a new account)

Revision ID: 0015_password_links
Revises: 0014_contact_notes
Create Date: 2026-12-06 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pepflow.db.types import UTCDateTime

revision = "0015_password_links"
down_revision = "0014_contact_notes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "password_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(), nullable=False),
        sa.Column("purpose", sa.String(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_password_link_user_id", "password_link", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_password_link_user_id", table_name="password_link")
    op.drop_table("password_link")
