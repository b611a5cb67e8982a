"""second factor for local accounts: a TOTP secret and its last accepted step on each account,
recovery codes, the settings VS admin keeps on the web pages (who must use a second factor), and
whether a session came through the council's OpenID provider

Revision ID: 0009_second_factor
Revises: 0008_report_indexes
Create Date: 2026-12-04 00:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_second_factor"
down_revision = "0008_report_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("totp_secret", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("totp_set_up_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_recovery_code_user_id", "recovery_code", ["user_id"])
    with op.batch_alter_table("web_session") as batch:
        batch.add_column(sa.Column("via", sa.String(), nullable=False, server_default=""))
    op.create_table(
        "site_setting",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("value", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("site_setting")
    with op.batch_alter_table("web_session") as batch:
        batch.drop_column("via")
    op.drop_index("ix_recovery_code_user_id", table_name="recovery_code")
    op.drop_table("recovery_code")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("totp_last_step")
        batch.drop_column("totp_set_up_at")
        batch.drop_column("totp_secret")
