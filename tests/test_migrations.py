"""Schema revisions: a populated database at the baseline upgrades to a schema equal to a
fresh one, on SQLite and PostgreSQL; a database from before migrations is recognised and
stamped; an older one is refused with the command to run, and upgraded when asked."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text
from sqlmodel import Session, SQLModel

from pepflow.db import make_engine, session_scope
from pepflow.db.migrate import BASELINE, HEAD, KNOWN, MIGRATIONS, current_revision, prepare, run_upgrade
from pepflow.db.models import AdmissionDecision, AdmissionFinding, CarePlacement, Child, Event
from pepflow.service.demo import create_demo_cohort
from pepflow.errors import SchemaError

from .conftest import d
from .support.admissions import TODAY, step
from .support.cases import event


def _bare(url: str):
    """An engine with nothing of pepflow's done to the database yet."""
    return make_engine(url, create=False)


# columns older schemas had that today's has not, with the value an older version wrote
OLDER_COLUMNS = {("user_account", "failed_attempts"): 0, ("user_account", "locked_until"): None}


def _populate_as_an_older_version_did(engine, config, tmp_path: Path, children: int, schools: int) -> None:
    """A demo cohort in the tables of ``engine``'s older schema: made at the current one, then
    copied column by column where the older tables have them (history rows re-chained the
    way the older version chained them, unkeyed)."""
    from sqlalchemy import MetaData

    from pepflow.audit import GENESIS, row_hash

    from pepflow.db.models import UserAccount, WebSession
    from pepflow.service.demo import create_demo_accounts

    source = make_engine(f"sqlite:///{tmp_path / 'source.db'}")
    with session_scope(source) as s:
        create_demo_cohort(s, config, d("2026-11-23"), children=children, schools=schools)
        create_demo_accounts(s, "correct horse battery")
        s.flush()
        now = dt.datetime(2026, 11, 23, 9, tzinfo=dt.timezone.utc)
        for user in s.execute(select(UserAccount)).scalars().all()[:3]:  # signed in when the upgrade comes
            s.add(WebSession(token=f"t{user.id}", user_id=user.id, csrf_token="c", created_at=now,
                             last_seen_at=now))
    older = MetaData()
    older.reflect(bind=engine)
    with source.connect() as read, engine.begin() as write:
        for table in older.sorted_tables:
            if table.name not in SQLModel.metadata.tables or table.name == "alembic_version":
                continue
            current = SQLModel.metadata.tables[table.name]
            rows = [dict(r._mapping) for r in read.execute(select(current))]
            if table.name == "event":
                previous = GENESIS
                for r in rows:
                    r["key_id"], r["prev_hash"] = "", previous
                    r["hash"] = previous = row_hash(previous, r)
            if rows:
                write.execute(table.insert(), [{c.name: r.get(c.name, OLDER_COLUMNS.get((table.name, c.name)))
                                                for c in table.columns if c.name in r or
                                                (table.name, c.name) in OLDER_COLUMNS} for r in rows])
    source.dispose()


def _schema(engine) -> dict:
    """Tables, columns (type, nullability), primary keys, indexes and unique constraints."""
    found = inspect(engine)
    out = {}
    for table in sorted(found.get_table_names()):
        out[table] = {
            "columns": sorted((c["name"], str(c["type"]).split("(")[0], c["nullable"])
                              for c in found.get_columns(table)),
            "primary_key": sorted(found.get_pk_constraint(table)["constrained_columns"]),
            "indexes": sorted((ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
                              for ix in found.get_indexes(table)),
            "unique": sorted(tuple(u["column_names"]) for u in found.get_unique_constraints(table)),
            "foreign_keys": sorted((tuple(f["constrained_columns"]), f["referred_table"])
                                   for f in found.get_foreign_keys(table)),
        }
    return out


def test_the_newest_revision_is_the_one_pepflow_expects():
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory(str(MIGRATIONS))
    assert scripts.get_current_head() == HEAD
    assert tuple(reversed([r.revision for r in scripts.walk_revisions()])) == KNOWN


def test_a_populated_database_at_the_baseline_upgrades_to_the_schema_of_a_fresh_one(db_url, config, tmp_path,
                                                                                  request):
    engine = _bare(db_url)
    run_upgrade(engine, to=BASELINE)
    with engine.connect() as conn:
        assert current_revision(conn) == BASELINE
    _populate_as_an_older_version_did(engine, config, tmp_path, children=20, schools=4)
    with engine.connect() as conn:
        children_before = conn.execute(select(Child.ref).order_by(Child.ref)).scalars().all()
    run_upgrade(engine)
    fresh_engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}" if db_url.startswith("sqlite")
                               else request.getfixturevalue("postgres_server").new_database())
    assert _schema(engine) == _schema(fresh_engine)
    with engine.connect() as conn:
        assert current_revision(conn) == HEAD
        assert conn.execute(select(Child.ref).order_by(Child.ref)).scalars().all() == children_before
    from pepflow.audit.verify import verify

    result = verify(engine)  # the history from before keyed history still verifies, as such
    assert result.ok and result.unkeyed_rows == result.rows > 0
    with pytest.raises(Exception, match="history rows cannot be changed or deleted"):
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM event"))
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
    engine.dispose()
    fresh_engine.dispose()


def test_a_database_made_before_migrations_is_recognised_and_stamped(db_url, config, tmp_path):
    engine = _bare(db_url)
    run_upgrade(engine, to=BASELINE)  # the tables as pepflow made them before it had migrations...
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))  # ...without a version
    _populate_as_an_older_version_did(engine, config, tmp_path, children=10, schools=3)
    with engine.connect() as conn:
        events = conn.execute(select(Event.id)).scalars().all()
        assert current_revision(conn) is None
    engine.dispose()
    with pytest.raises(SchemaError, match="pepflow db upgrade"):  # recognised as the baseline, then refused
        make_engine(db_url)
    engine = make_engine(db_url, upgrade=True)
    with engine.connect() as conn:
        assert current_revision(conn) == HEAD
        assert conn.execute(select(Event.id)).scalars().all() == events
    engine.dispose()


def _with_a_newer_revision(tmp_path: Path) -> Path:
    """The shipped migrations and one more, as a later version of pepflow would have them."""
    copy = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "versions" / "9999_later.py").write_text(f'''
import sqlalchemy as sa
from alembic import op

revision = "9999_later"
down_revision = "{HEAD}"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("school") as batch:
        batch.add_column(sa.Column("later_note", sa.String(), nullable=True))


def downgrade():
    with op.batch_alter_table("school") as batch:
        batch.drop_column("later_note")
''', encoding="utf-8")
    return copy


def test_a_database_at_an_older_revision_is_refused_with_the_command_to_run_then_upgraded(db_url, tmp_path):
    engine = make_engine(db_url)  # at this version's newest revision
    later = _with_a_newer_revision(tmp_path)
    known = (*KNOWN, "9999_later")
    with pytest.raises(SchemaError, match=r"pepflow db upgrade") as refused:
        prepare(engine, script_location=later, head="9999_later", known=known)
    assert f"is at schema revision {HEAD}" in str(refused.value)
    assert prepare(engine, upgrade=True, script_location=later, head="9999_later", known=known) == "9999_later"
    assert "later_note" in {c["name"] for c in inspect(engine).get_columns("school")}
    with pytest.raises(SchemaError, match="newer version of pepflow"):
        prepare(engine)  # this version meets a database a later one upgraded
    engine.dispose()


def test_the_command_line_names_the_upgrade_and_db_current_tells_the_revision(cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000_unknown'"))
    engine.dispose()
    code, _, err = cli("--db", url, "pep", "list")
    assert code == 1 and "0000_unknown" in err and "newer version of pepflow" in err
    code, out, _ = cli("--db", url, "db", "current")
    assert code == 0 and "0000_unknown" in out
    fresh = f"sqlite:///{tmp_path / 'new.db'}"
    code, out, _ = cli("--db", fresh, "db", "upgrade")
    assert code == 0 and HEAD in out
    code, out, _ = cli("--db", fresh, "db", "current")
    assert code == 0 and f"{HEAD} (up to date)" in out


def test_a_failed_upgrade_on_sqlite_leaves_the_database_as_it_was(tmp_path, config):
    """Python's sqlite3 runs DDL outside any transaction unless one is begun: a revision that
    fails half way must not leave its new tables behind."""
    engine = _bare(f"sqlite:///{tmp_path / 'half.db'}")
    run_upgrade(engine, to="0003_keyed_history")
    failing = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, failing)
    revision = failing / "versions" / "0004_web_security.py"
    revision.write_text(revision.read_text().replace(
        "    with op.batch_alter_table(\"web_session\") as batch:",
        "    op.execute(\"SELECT no_such_function()\")\n    with op.batch_alter_table(\"web_session\") as batch:", 1))
    with pytest.raises(Exception, match="no_such_function"):
        run_upgrade(engine, script_location=failing)
    with engine.connect() as conn:
        assert current_revision(conn) == "0003_keyed_history"
        assert not inspect(conn).has_table("sign_in_throttle")
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    run_upgrade(engine)
    with engine.connect() as conn:
        assert current_revision(conn) == HEAD


def _admission_state_rows(engine) -> dict:
    with engine.connect() as conn:
        return {
            "findings": conn.execute(select(AdmissionFinding.admission_id, AdmissionFinding.school_urn,
                                            AdmissionFinding.rule, AdmissionFinding.level, AdmissionFinding.message,
                                            AdmissionFinding.source, AdmissionFinding.found_on)
                                     .order_by(AdmissionFinding.id)).all(),
            "decisions": conn.execute(select(AdmissionDecision.admission_id, AdmissionDecision.school_urn,
                                             AdmissionDecision.setting, AdmissionDecision.value,
                                             AdmissionDecision.recorded_on).order_by(AdmissionDecision.id)).all(),
            "emergency_moves": conn.execute(select(CarePlacement.child_ref, CarePlacement.start)
                                            .where(CarePlacement.emergency).order_by(CarePlacement.id)).all(),
        }


def test_revision_0012_fills_admission_findings_decisions_and_emergency_moves_from_the_history(schools, config):
    """What the processes now keep as rows was read back out of the history before: a database
    from then gets the same rows from its history as recording the events writes today."""
    step(schools, config, "admission_needed", "2026-09-07", reason="other")
    step(schools, config, "school_proposed", "2026-09-08", school_urn="200003",
         ks4_reason="a place near the new foster home")
    event(schools, config, "C100", "care_placement_changed", "2026-09-09", today=TODAY, emergency="yes")
    written = _admission_state_rows(schools)
    assert written["findings"] and written["decisions"] and written["emergency_moves"]
    assert written["findings"][0][2:4] == ("ofsted_requires_improvement", "needs_approval")
    from alembic import command

    from pepflow.db.migrate import _alembic_config

    with schools.connect() as conn:
        with conn.begin():
            command.downgrade(_alembic_config(conn, MIGRATIONS), "0011_held_back_children")
    assert not inspect(schools).has_table("admission_finding")
    run_upgrade(schools)
    assert _admission_state_rows(schools) == written


def test_revision_0017_keeps_each_old_pupil_premium_request_as_a_line_and_an_approved_one_as_a_payment(schools, config):
    """Before issue 40 a request was whole pounds and a purpose: upgraded, nothing asked for or granted is lost."""
    from alembic import command

    from pepflow.db.migrate import _alembic_config
    from pepflow.db.models import PpPlusLine, PpPlusPayment

    event(schools, config, "C100", "pep_meeting_held", "2026-09-07", today=TODAY)
    with schools.connect() as conn:
        with conn.begin():
            command.downgrade(_alembic_config(conn, MIGRATIONS), "0016_pep_sections")
    with schools.begin() as conn:
        pep_id = conn.execute(text("SELECT id FROM pep WHERE child_ref = 'C100' AND is_current")).scalar_one()
        for amount, status, decided in ((400, "approved", "2026-09-10"), (150, "declined", "2026-09-10"),
                                        (250, "requested", None)):
            conn.execute(text(
                "INSERT INTO pp_plus_request (child_ref, pep_id, term, amount, purpose, requested_on, status, "
                "decided_on, decision_note) VALUES ('C100', :pep, 'autumn 2026-27', :amount, 'tutoring', "
                "'2026-09-07', :status, :decided, '')"), dict(pep=pep_id, amount=amount, status=status, decided=decided))
    run_upgrade(schools)
    with Session(schools) as s:
        lines = [(x.amount_pence, x.status, x.approved_pence, x.financial_year, x.what)
                 for x in s.execute(select(PpPlusLine).order_by(PpPlusLine.id)).scalars()]
        paid = [(p.amount_pence, p.status, p.term) for p in s.execute(select(PpPlusPayment)).scalars()]
    assert lines == [(40000, "approved", 40000, "2026-27", "tutoring"), (15000, "rejected", 0, "2026-27", "tutoring"),
                     (25000, "waiting", 0, "2026-27", "tutoring")]
    assert paid == [(40000, "due", "autumn 2026-27")]
    assert not inspect(schools).has_table("pp_plus_request")


def _deadline_checks(engine) -> list:
    return [fk for fk in inspect(engine).get_foreign_keys("notification") if fk["referred_table"] == "deadline"]


def test_revision_0025_keeps_every_outbox_row_and_drops_only_the_check_on_its_deadline(schools, config):
    """The outbox's check on each reminder's deadline cost PostgreSQL a fifth of the sweep (issue 42):
    upgraded, every row is kept as it was and the outbox still refuses a key twice."""
    from alembic import command
    from sqlalchemy.exc import IntegrityError

    from pepflow.db.migrate import _alembic_config

    event(schools, config, "C100", "pep_meeting_held", "2026-09-07", today=TODAY)
    with schools.connect() as conn:
        with conn.begin():
            command.downgrade(_alembic_config(conn, MIGRATIONS), "0024_child_history_changes")
    assert len(_deadline_checks(schools)) == 1
    rows = "SELECT key, deadline_id, child_ref, recipient_ref, step, status, payload FROM notification ORDER BY key"
    with schools.begin() as conn:
        deadline = conn.execute(text("SELECT min(id) FROM deadline WHERE child_ref = 'C100'")).scalar_one()
        for n in range(3):
            conn.execute(text(
                "INSERT INTO notification (key, deadline_id, child_ref, recipient_ref, recipient_email, step, status, "
                "attempts, created_at, message_id, last_error, claim_token, payload, payload_version) VALUES "
                "(:key, :deadline, 'C100', 'SW1', 'sw@example.org', 'five_days', 'pending', 0, '2026-09-08 07:00:00', "
                "'', '', '', :payload, 1)"), dict(key=f"{deadline}:five_days:{n}", deadline=deadline,
                                                   payload='{"kind": "pep_review"}'))
        before = conn.execute(text(rows)).all()
    run_upgrade(schools)
    assert _deadline_checks(schools) == []
    with schools.connect() as conn:
        assert conn.execute(text(rows)).all() == before and len(before) >= 3
    with pytest.raises(IntegrityError):
        with schools.begin() as conn:
            conn.execute(text(
                "INSERT INTO notification (key, recipient_email, step, status, attempts, created_at, message_id, "
                "last_error, claim_token, payload, payload_version) VALUES (:key, '', '', 'pending', 0, "
                "'2026-09-08 07:00:00', '', '', '', '{}', 1)"), dict(key=before[0][0]))
