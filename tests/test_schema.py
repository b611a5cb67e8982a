"""The database a council already has is brought up to date, and deadline writes queued in a
transaction reach the database exactly once, or not at all."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select
from sqlmodel import Session

from pepflow.db import make_engine, session_scope
from pepflow.db.migrate import BASELINE, run_upgrade
from pepflow.db.models import Child, Deadline
from pepflow.db.writes import write_queued_deadlines
from pepflow.engine.deadlines import close_deadline, open_deadline, open_deadlines

from .conftest import d
from .support.cases import add_child


def _deadline_indexes(engine) -> set[str]:
    return {ix["name"] for ix in inspect(engine).get_indexes("deadline")}


def _reopened_after(db_url: str, *statements: str):
    """A database left by an earlier version (``statements`` undo what a new one made), opened again.
    Versions before migrations had no version table."""
    engine = make_engine(db_url, create=False)
    run_upgrade(engine, to=BASELINE)  # the tables as the last version before migrations made them
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE alembic_version")
        for statement in statements:
            conn.exec_driver_sql(statement)
    engine.dispose()
    return make_engine(db_url, upgrade=True)


def test_opening_an_existing_database_adds_new_indexes_and_drops_replaced_ones(db_url):
    engine = _reopened_after(db_url, "DROP INDEX ix_deadline_ledger", "DROP INDEX ix_deadline_closed_on",
                             "CREATE INDEX ix_deadline_status_due ON deadline (status, kind, due_on)")
    names = _deadline_indexes(engine)
    assert {"ix_deadline_ledger", "ix_deadline_closed_on"} <= names
    assert "ix_deadline_status_due" not in names
    engine.dispose()


def test_a_deadline_opened_in_a_transaction_is_seen_by_its_next_query(world, config):
    add_child(world, config, d("2026-01-05"))
    with session_scope(world) as s:
        child = s.get(Child, "C100")
        opened = open_deadline(s, config, child, "pep_qa", d("2026-01-06"), "pep")
        found = s.execute(select(Deadline.kind, Deadline.due_on).where(
            Deadline.child_ref == "C100", Deadline.kind == "pep_qa")).all()
        assert found == [("pep_qa", opened.due_on)]


def test_a_deadline_opened_and_closed_in_one_transaction_is_written_once_closed(world, config):
    add_child(world, config, d("2026-01-05"))
    with session_scope(world) as s:
        child = s.get(Child, "C100")
        opened = open_deadline(s, config, child, "pep_qa", d("2026-01-06"), "pep")
        close_deadline(s, config, child, opened, d("2026-01-07"))
    with Session(world) as s:
        rows = s.execute(select(Deadline.status, Deadline.closed_on, Deadline.days_late)
                         .where(Deadline.kind == "pep_qa")).all()
    assert rows == [("met", d("2026-01-07"), 0)]


def test_a_deadline_inserted_earlier_in_the_transaction_is_closed_by_its_id(world, config):
    add_child(world, config, d("2026-01-05"))
    with session_scope(world) as s:
        child = s.get(Child, "C100")
        opened = open_deadline(s, config, child, "pep_qa", d("2026-01-06"), "pep")
        write_queued_deadlines(s)
        assert opened.id is not None
        close_deadline(s, config, child, opened, d("2026-01-07"))
        assert opened not in open_deadlines(s, "C100")
    with Session(world) as s:
        assert s.execute(select(Deadline.id, Deadline.status).where(Deadline.kind == "pep_qa")).all() == [
            (opened.id, "met")]


def test_a_new_deadline_is_scheduled_for_the_sweep_on_its_first_reminder_day(world, config):
    from pepflow.db.models import DeadlineStep
    from pepflow.rules.escalation import first_step_on

    add_child(world, config, d("2026-01-05"))
    with session_scope(world) as s:
        opened = open_deadline(s, config, s.get(Child, "C100"), "pep_qa", d("2026-01-06"), "pep")
    expected = first_step_on(config.notifications.for_kind("pep_qa"), opened.due_on, config.calendar())
    with Session(world) as s:
        assert s.execute(select(DeadlineStep.next_step_on, DeadlineStep.last_step)
                         .where(DeadlineStep.deadline_id == opened.id)).all() == [(expected, "")]


def test_sweep_dates_kept_on_deadline_rows_by_an_earlier_version_are_moved(db_url):
    old_rows = [
        "INSERT INTO deadline (id, child_ref, process, kind, rule_key, rule_version, opened_on, due_on, "
        "number, unit, counting, calendar, source, owner_role, status, late_unit, close_reason, note, "
        f"next_step_on, last_step) VALUES ({id_}, 'C1', 'pep', 'pep_qa', 'pep_qa', 'x', '2026-02-01', "
        f"'2026-03-09', 10, 'working', 'after', 'default', '', 'vs_admin', '{status}', '', '', '', "
        f"{'NULL' if next_on is None else repr(next_on)}, '{last}')"
        for id_, status, next_on, last in ((1, "open", "2026-03-02", "remind_5"), (2, "met", "2026-03-03", ""),
                                           (3, "open", None, "escalate_5"))]
    engine = _reopened_after(
        db_url,
        "ALTER TABLE deadline ADD COLUMN next_step_on DATE",
        "ALTER TABLE deadline ADD COLUMN last_step VARCHAR NOT NULL DEFAULT ''",
        "CREATE INDEX ix_deadline_sweep ON deadline (status, next_step_on)",
        "INSERT INTO person (ref, role, name, email) VALUES ('SW1', 'social_worker', 'S', '')",
        "INSERT INTO child (ref, first_name, last_name, dob, upn, sen_status, legal_status, entered_care, in_area, "
        "placement_type, looked_after) VALUES ('C1', 'A', 'B', '2015-01-01', '', 'none', 'care_order', "
        "'2025-01-01', true, '', true)",
        *old_rows)
    from pepflow.db.models import DeadlineStep

    with Session(engine) as s:
        assert s.execute(select(DeadlineStep.next_step_on, DeadlineStep.deadline_id, DeadlineStep.last_step)
                         ).all() == [(d("2026-03-02"), 1, "remind_5")]
    columns = {c["name"] for c in inspect(engine).get_columns("deadline")}
    assert not {"next_step_on", "last_step"} & columns
    assert "ix_deadline_sweep" not in _deadline_indexes(engine)
    engine.dispose()


def test_a_rolled_back_transaction_writes_none_of_its_queued_deadlines(world, config):
    add_child(world, config, d("2026-01-05"))
    with pytest.raises(ZeroDivisionError):
        with session_scope(world) as s:
            child = s.get(Child, "C100")
            open_deadline(s, config, child, "pep_qa", d("2026-01-06"), "pep")
            for existing in open_deadlines(s, "C100"):
                close_deadline(s, config, child, existing, d("2026-01-06"), "cancelled", "test")
            1 / 0
    with Session(world) as s:
        assert s.execute(select(Deadline.kind).where(Deadline.kind == "pep_qa")).all() == []
        assert "open" in s.execute(select(Deadline.status).where(Deadline.child_ref == "C100")).scalars().all()


def test_sqlite_checkpoints_every_ten_thousand_pages_and_on_demand(tmp_path):
    from pepflow.db.connection import checkpoint

    engine = make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 10_000
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO person (ref, role, name, email) VALUES ('P1', 'vsh', 'V', '')")
    in_log, copied = checkpoint(engine)
    assert in_log > 0 and copied == in_log
    assert checkpoint(engine) == (in_log, in_log)  # nothing new: the same frames, all copied
    engine.dispose()


def test_checkpoint_does_nothing_on_postgresql(postgres_server):
    from pepflow.db.connection import checkpoint

    engine = make_engine(postgres_server.new_database())
    assert checkpoint(engine) == (0, 0)
    engine.dispose()


def test_the_outbox_finds_which_keys_it_already_holds_in_one_statement(db_url):
    """The sweep's check before it inserts, however many keys: on SQLite and PostgreSQL."""
    import datetime as dt

    from pepflow.db.models import Notification
    from pepflow.db.writes import existing_keys

    engine = make_engine(db_url)
    now = dt.datetime(2026, 12, 1, 7, tzinfo=dt.timezone.utc)
    with session_scope(engine) as s:
        s.add_all([Notification(key=k, created_at=now, payload={}) for k in ("1:remind_5:SW1", "2:remind_0:DT1")])
    wanted = ["1:remind_5:SW1", "2:remind_0:DT1", "3:remind_5:SW1", *(f"{i}:x:y" for i in range(5000))]
    with session_scope(engine) as s:
        assert existing_keys(s, wanted) == {"1:remind_5:SW1", "2:remind_0:DT1"}
        assert existing_keys(s, []) == set()
    engine.dispose()
