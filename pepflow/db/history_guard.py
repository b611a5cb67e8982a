"""The database itself refuses to rewrite history: triggers on the ``event`` table.

On SQLite and PostgreSQL an UPDATE or DELETE of a history row (and on PostgreSQL a
TRUNCATE) fails with ``HISTORY_REFUSED``.  The triggers are made with the table (a new
database) and by revision 0003 (an existing one).  An administrator of the database can
still drop them, which is why the history is also keyed and checkpointed outside it
(``pepflow/audit``).  On PostgreSQL the application's own role is also given no UPDATE,
DELETE or TRUNCATE on the table (``grant_statements``, ``pepflow db grant``).
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Connection

from pepflow.db.models import Event

HISTORY_REFUSED = "history rows cannot be changed or deleted"

SQLITE = [
    f"CREATE TRIGGER IF NOT EXISTS event_no_update BEFORE UPDATE ON event "
    f"BEGIN SELECT RAISE(ABORT, '{HISTORY_REFUSED}'); END",
    f"CREATE TRIGGER IF NOT EXISTS event_no_delete BEFORE DELETE ON event "
    f"BEGIN SELECT RAISE(ABORT, '{HISTORY_REFUSED}'); END",
]
POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION pepflow_history_refused() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN RAISE EXCEPTION '{HISTORY_REFUSED}' USING ERRCODE = 'insufficient_privilege'; END $$",
    "DROP TRIGGER IF EXISTS event_no_change ON event",
    "CREATE TRIGGER event_no_change BEFORE UPDATE OR DELETE ON event "
    "FOR EACH ROW EXECUTE FUNCTION pepflow_history_refused()",
    "DROP TRIGGER IF EXISTS event_no_truncate ON event",
    "CREATE TRIGGER event_no_truncate BEFORE TRUNCATE ON event "
    "FOR EACH STATEMENT EXECUTE FUNCTION pepflow_history_refused()",
]
DROP = {
    "sqlite": ["DROP TRIGGER IF EXISTS event_no_update", "DROP TRIGGER IF EXISTS event_no_delete"],
    "postgresql": ["DROP TRIGGER IF EXISTS event_no_change ON event",
                   "DROP TRIGGER IF EXISTS event_no_truncate ON event"],
}


def guard_statements(dialect: str) -> list[str]:
    return POSTGRESQL if dialect == "postgresql" else SQLITE


def guard(connection: Connection) -> None:
    """Make the triggers (again: each statement replaces or skips what is there)."""
    for statement in guard_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


def unguard(connection: Connection) -> None:
    """Drop the triggers (what an administrator could do; the tests' tamperings)."""
    for statement in DROP.get(connection.dialect.name, DROP["sqlite"]):
        connection.exec_driver_sql(statement)


def grant_statements(role: str) -> list[str]:
    """PostgreSQL: let the application's role use every table, but only read and append history."""
    quoted = '"' + role.replace('"', '""') + '"'
    return [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON event FROM {quoted}",
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {quoted}",
    ]


@event.listens_for(Event.__table__, "after_create")
def _guard_new_table(_table: object, connection: Connection, **_kw: object) -> None:
    guard(connection)
