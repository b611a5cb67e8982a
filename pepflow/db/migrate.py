"""The schema's versions, with alembic: every change to the tables is a revision in
``migrations/versions``, and a database records the revision it is at.

Opening a database (``make_engine``) checks that revision with one query and alembic is
not even imported (it costs a fifth of a second, bench/startup.py):

* an empty database gets today's tables and its history's seal (``db/seal.py``, which makes
  the history key if there is none) and is stamped with the newest revision;
* a database made before pepflow had migrations (tables, no ``alembic_version``) is
  brought to the baseline as earlier versions did it when opened (missing indexes added,
  replaced ones dropped, the sweep's dates moved to ``deadline_step``) and stamped;
* a database at an older revision is refused with a message naming ``pepflow db upgrade``
  (``pepflow run`` upgrades it itself when it starts), so no command works on tables it
  does not know;
* a database at a revision this version does not know was made by a newer pepflow, and is
  refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import SQLModel

from pepflow.errors import SchemaError
from pepflow.db.seal import make_seal, read_seal

MIGRATIONS = Path(__file__).parent / "migrations"
BASELINE = "0001_baseline"
HEAD = "0025_outbox_no_deadline_check"  # the newest revision in migrations/versions (tests/test_migrations.py checks)
KNOWN = ("0001_baseline", "0002_delivery", "0003_keyed_history", "0004_web_security",
         "0005_school_register", "0006_upn_unknown",
         "0007_sweep_duration", "0008_report_indexes", "0009_second_factor", "0010_history_seal",
         "0011_held_back_children", "0012_admission_findings",
         "0013_children_by_name", "0014_contact_notes", "0015_password_links", "0016_pep_sections", "0017_pp_plus",
         "0018_attendance_marks", "0019_records",
         "0020_history_tombstones", "0021_change_stamp",
         "0022_reminders_by_child", "0023_child_summaries", "0024_child_history_changes",
         "0025_outbox_no_deadline_check")  # every revision, oldest first
TABLES_AFTER_BASELINE = ("sweep_run", "relay_state", "sign_in_throttle", "inspection", "recovery_code",
                         "site_setting", "history_seal", "held_back_child", "admission_finding",
                         "admission_decision", "contact_note", "password_link", "pep_section", "pep_pdf", "pep_attachment", "pep_delegation",
                         "pp_plus_line", "pp_plus_payment", "pp_plus_batch",
                         "attendance_import", "attendance_mark", "attendance_total", "attendance_alert",
                         "subject_access_request", "legal_hold",
                         "child_summary", "child_summary_state")  # made by the revisions after the baseline
INDEXES_AFTER_BASELINE = ("ix_deadline_owner", "ix_deadline_rule", "ix_pep_approved",
                          "ix_attendance_latest", "ix_child_by_name", "ix_event_changes",
                          "ix_notification_child", "ix_event_child_changes")  # likewise

# indexes an earlier version made that a later one replaced (before migrations)
OBSOLETE_INDEXES = ("ix_deadline_status_due",)


def current_revision(connection: Connection) -> str | None:
    """The revision the database records, or None when it has no version table."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def prepare(engine: Engine, upgrade: bool = False, script_location: Path = MIGRATIONS, head: str = HEAD,
            known: tuple[str, ...] = KNOWN) -> str:
    """Make the database usable by this version (see the module's docstring); returns its revision.
    ``upgrade`` runs the revisions it lacks; without it, a database that lacks some is refused."""
    with engine.connect() as connection:
        revision = current_revision(connection)
        has_tables = revision is not None or inspect(connection).has_table("child")
    if revision is None and not has_tables:
        SQLModel.metadata.create_all(engine)
        with engine.begin() as connection:
            if read_seal(connection) is None:  # another process may have made the database at once
                make_seal(connection)
        stamp(engine, head, script_location)
        return head
    if revision is None:
        _adopt_unversioned(engine)
        stamp(engine, BASELINE, script_location)
        revision = BASELINE
    if revision == head:
        return revision
    if revision not in known:
        raise SchemaError(engine.url.render_as_string(hide_password=True), revision, head,
                          "was made by a newer version of pepflow: use that version, or restore a backup made "
                          "with this one")
    if not upgrade:
        raise SchemaError(engine.url.render_as_string(hide_password=True), revision, head,
                          "is older than this version of pepflow: back it up, then run `pepflow db upgrade` "
                          "(`pepflow run` upgrades it when it starts)")
    run_upgrade(engine, script_location)
    return head


def _alembic_config(connection: Connection, script_location: Path) -> Any:
    # imported here, not at the top: alembic loads only for the work that needs it (start-up time, bench/startup.py)
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.attributes["connection"] = connection
    return config


def run_upgrade(engine: Engine, script_location: Path = MIGRATIONS, to: str = "head") -> None:
    """Run the revisions the database lacks, in one transaction: all of them or none.

    On SQLite each altered table is copied (batch mode), with foreign-key checks off meanwhile
    (dropping the old copy of a table other rows refer to would fail), and the references are
    checked once the copies are in place.  Python's sqlite3 opens no transaction for DDL, so a
    failed revision would have left its tables half made: the transaction is begun here."""
    # imported here, not at the top: alembic loads only for the work that needs it (start-up time, bench/startup.py)
    from alembic import command

    with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            with connection.begin():
                command.upgrade(_alembic_config(connection, script_location), to)
            return
        raw = connection.connection.dbapi_connection
        previous = raw.isolation_level
        raw.isolation_level = None  # sqlite3 leaves transactions to us
        try:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # outside a transaction, or ignored
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                command.upgrade(_alembic_config(connection, script_location), to)
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the upgrade would leave rows referring to rows that do not exist: "
                                       f"{broken[:5]}")
                connection.exec_driver_sql("COMMIT")
            except BaseException:
                connection.exec_driver_sql("ROLLBACK")
                raise
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
            raw.isolation_level = previous


def stamp(engine: Engine, revision: str, script_location: Path = MIGRATIONS) -> None:
    """Record ``revision`` without running anything (the tables are already so)."""
    with engine.begin() as connection:
        if not inspect(connection).has_table("alembic_version"):
            connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                                    "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"))
        connection.execute(text("DELETE FROM alembic_version"))
        connection.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": revision})


def _adopt_unversioned(engine: Engine) -> None:
    """A database from before migrations: what opening it did then, once, to reach the baseline."""
    # tables added since it was made, up to the baseline (later revisions add their own)
    baseline = [t for t in SQLModel.metadata.sorted_tables if t.name not in TABLES_AFTER_BASELINE]
    SQLModel.metadata.create_all(engine, tables=baseline)
    _move_sweep_dates_to_their_table(engine)
    existing = inspect(engine)
    for table in baseline:
        have = {ix["name"] for ix in existing.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in have and index.name not in INDEXES_AFTER_BASELINE:
                index.create(engine)
        for name in OBSOLETE_INDEXES:
            if name in have:
                with engine.begin() as conn:
                    conn.exec_driver_sql(f"DROP INDEX {name}")


def _move_sweep_dates_to_their_table(engine: Engine) -> None:
    """Earlier versions kept the sweep's next date and last step on each deadline row:
    move them to ``deadline_step`` and drop the two columns."""
    columns = {c["name"] for c in inspect(engine).get_columns("deadline")}
    if "last_step" not in columns:
        return
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO deadline_step (next_step_on, deadline_id, last_step) "
                             "SELECT next_step_on, id, last_step FROM deadline "
                             "WHERE status = 'open' AND next_step_on IS NOT NULL")
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_deadline_sweep")
        conn.exec_driver_sql("ALTER TABLE deadline DROP COLUMN next_step_on")
        conn.exec_driver_sql("ALTER TABLE deadline DROP COLUMN last_step")
