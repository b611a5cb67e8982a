"""web security and speed: sign-in throttling instead of account lock-out; sessions know their
browser, their address and a one-time notice; an index for My work

Revision ID: 0004_web_security
Revises: 0003_keyed_history
Create Date: 2026-12-02 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_web_security"
down_revision = "0003_keyed_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttle",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("web_session") as batch:
        batch.add_column(sa.Column("client", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("browser", sa.String(), nullable=False, server_default=""))
        batch.add_column(sa.Column("notice", sa.String(), nullable=False, server_default=""))
    op.create_index("ix_deadline_owner", "deadline", ["owner_ref", "status", "owner_role", "due_on"])
    # a lock-out let anyone who knew an address lock its owner out (pepflow/accounts/throttle.py slows guessers instead)
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("failed_attempts")
        batch.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(sa.Column("failed_attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("web_session") as batch:
        batch.drop_column("notice")
        batch.drop_column("browser")
        batch.drop_column("client")
    op.drop_table("sign_in_throttle")
    op.drop_index("ix_deadline_owner", table_name="deadline")
