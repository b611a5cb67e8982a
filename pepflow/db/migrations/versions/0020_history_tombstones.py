"""history rows whose payload can be purged on its retention date and the chain still prove itself: the
keyed commitment to the payload kept in the row (issue 43), and the guard that allows only that change

Revision ID: 0020_history_tombstones
Revises: 0019_records
Create Date: 2026-12-06 16:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pepflow.db.history_guard import DROP, guard_statements

revision = "0020_history_tombstones"
down_revision = "0019_records"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    for statement in DROP.get(dialect, DROP["sqlite"]):  # the guard refuses even an added column's default
        op.execute(statement)
    op.add_column("event", sa.Column("payload_commitment", sa.String(), nullable=True))
    for statement in guard_statements(dialect):
        op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    for statement in DROP.get(dialect, DROP["sqlite"]):
        op.execute(statement)
    op.execute("ALTER TABLE event DROP COLUMN payload_commitment")
    for statement in guard_statements(dialect, before_tombstones=True):
        op.execute(statement)
