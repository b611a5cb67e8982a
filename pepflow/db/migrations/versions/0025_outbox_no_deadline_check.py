"""the outbox's rows without a foreign-key check on their deadline: a fifth of the sweep on PostgreSQL (issue 42)

Revision ID: 0025_outbox_no_deadline_check
Revises: 0024_child_history_changes
Create Date: 2026-12-07 01:40:00

PostgreSQL checked each reminder's deadline as the sweep wrote it, locking the deadline's row for
the transaction: 90 ms of a 450 ms sweep of 10,000 reminders (bench/sweep.py, auto_explain).  The
check guarded nothing: deadlines are never deleted (``engine/deadlines.py`` opens and closes them;
a purge blanks their notes), the sweep and a chase write a reminder for a deadline they read in the
same transaction, and the dispatcher never reads the deadline (the row carries what the email says).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025_outbox_no_deadline_check"
down_revision = "0024_child_history_changes"
branch_labels = None
depends_on = None

# SQLite's check has no name: batch mode names it by this convention to drop it
CONVENTION = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
SQLITE_NAME = "fk_notification_deadline_id_deadline"


def _deadline_check() -> str | None:
    """The check's name as the database has it (PostgreSQL names it; SQLite does not)."""
    for fk in sa.inspect(op.get_bind()).get_foreign_keys("notification"):
        if fk["constrained_columns"] == ["deadline_id"] and fk["referred_table"] == "deadline":
            return fk["name"] or SQLITE_NAME
    return None


def upgrade() -> None:
    name = _deadline_check()
    if name is None:
        return
    if op.get_bind().dialect.name == "sqlite":  # a table is altered by copying it
        with op.batch_alter_table("notification", naming_convention=CONVENTION) as batch:
            batch.drop_constraint(name, type_="foreignkey")
    else:
        op.drop_constraint(name, "notification", type_="foreignkey")


def downgrade() -> None:
    if _deadline_check() is not None:
        return
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("notification") as batch:
            batch.create_foreign_key(SQLITE_NAME, "deadline", ["deadline_id"], ["id"])
    else:  # the name PostgreSQL gave it
        op.create_foreign_key("notification_deadline_id_fkey", "notification", "deadline", ["deadline_id"], ["id"])
