"""The database itself refuses to rewrite history: triggers on the ``event`` table.

On SQLite and PostgreSQL an UPDATE or DELETE of a history row (and on PostgreSQL a
TRUNCATE) fails with ``HISTORY_REFUSED``, but for the purge's tombstone: a payload replaced once,
its keyed commitment kept, every other column as it was (issue 43).  The triggers are made with the table (a new
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

# The one change allowed: a payload of version 2 or later purged on its retention date, once (its
# keyed commitment kept in ``payload_commitment``, every other column as it was: audit/tombstones.py)
KEPT = ("id", "child_ref", "process", "process_id", "name", "effective_on", "recorded_at", "actor_ref",
        "state_before", "state_after", "payload_version", "key_id", "prev_hash", "hash")
_SQLITE_TOMBSTONE = ("OLD.payload_commitment IS NULL AND NEW.payload_commitment IS NOT NULL AND "
                     "OLD.payload_version >= 2 AND " + " AND ".join(f"NEW.{c} IS OLD.{c}" for c in KEPT))
_PG_TOMBSTONE = ("OLD.payload_commitment IS NULL AND NEW.payload_commitment IS NOT NULL AND "
                 "OLD.payload_version >= 2 AND " + " AND ".join(f"NEW.{c} IS NOT DISTINCT FROM OLD.{c}" for c in KEPT))
SQLITE = [
    f"CREATE TRIGGER IF NOT EXISTS event_no_update BEFORE UPDATE ON event WHEN NOT ({_SQLITE_TOMBSTONE}) "
    f"BEGIN SELECT RAISE(ABORT, '{HISTORY_REFUSED}'); END",
    f"CREATE TRIGGER IF NOT EXISTS event_no_delete BEFORE DELETE ON event "
    f"BEGIN SELECT RAISE(ABORT, '{HISTORY_REFUSED}'); END",
]
POSTGRESQL = [
    "CREATE OR REPLACE FUNCTION pepflow_history_refused() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN IF TG_OP = 'UPDATE' AND ({_PG_TOMBSTONE}) THEN RETURN NEW; END IF; "
    f"RAISE EXCEPTION '{HISTORY_REFUSED}' USING ERRCODE = 'insufficient_privilege'; END $$",
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


# The guard as revision 0003 made it (no change at all, before payloads could be purged): what the
# revisions before 0020 make, so an old database upgrades through them as it did
REFUSE_ALL = {
    "sqlite": [f"CREATE TRIGGER IF NOT EXISTS event_no_update BEFORE UPDATE ON event "
               f"BEGIN SELECT RAISE(ABORT, '{HISTORY_REFUSED}'); END", SQLITE[1]],
    "postgresql": ["CREATE OR REPLACE FUNCTION pepflow_history_refused() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN RAISE EXCEPTION '{HISTORY_REFUSED}' USING ERRCODE = 'insufficient_privilege'; END $$",
                   *POSTGRESQL[1:]],
}


def guard_statements(dialect: str, before_tombstones: bool = False) -> list[str]:
    if before_tombstones:
        return REFUSE_ALL["postgresql" if dialect == "postgresql" else "sqlite"]
    return POSTGRESQL if dialect == "postgresql" else SQLITE


def guard(connection: Connection, before_tombstones: bool = False) -> None:
    """Make the triggers (again: each statement replaces or skips what is there)."""
    for statement in guard_statements(connection.dialect.name, before_tombstones):
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
        f"GRANT UPDATE (payload, payload_commitment) ON event TO {quoted}",  # the purge's tombstones only
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {quoted}",
    ]


@event.listens_for(Event.__table__, "after_create")
def _guard_new_table(_table: object, connection: Connection, **_kw: object) -> None:
    guard(connection)
