"""The database a council already has is brought up to date, and deadline writes queued in a
transaction reach the database exactly once, or not at all."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select
from sqlmodel import Session

from pepflow.db import make_engine, session_scope
from pepflow.db.models import Child, Deadline
from pepflow.deadlines import close_deadline, open_deadline, open_deadlines, write_pending

from .conftest import d
from .test_pep import add_child, world  # noqa: F401  (fixture)


def _deadline_indexes(engine) -> set[str]:
    return {ix["name"] for ix in inspect(engine).get_indexes("deadline")}


def test_opening_an_existing_database_adds_new_indexes_and_drops_replaced_ones(db_url):
    engine = make_engine(db_url)
    with engine.begin() as conn:  # as an earlier version left it
        conn.exec_driver_sql("DROP INDEX ix_deadline_ledger")
        conn.exec_driver_sql("DROP INDEX ix_deadline_closed_on")
        conn.exec_driver_sql("CREATE INDEX ix_deadline_status_due ON deadline (status, kind, due_on)")
    engine.dispose()
    engine = make_engine(db_url)
    names = _deadline_indexes(engine)
    assert {"ix_deadline_ledger", "ix_deadline_closed_on"} <= names
    assert "ix_deadline_status_due" not in names
    engine.dispose()


def test_a_deadline_opened_in_a_transaction_is_seen_by_its_next_query(world, config):  # noqa: F811
    add_child(world, config, d("2026-01-05"))
    with session_scope(world) as s:
        child = s.get(Child, "C100")
        opened = open_deadline(s, config, child, "pep_qa", d("2026-01-06"), "pep")
        found = s.execute(select(Deadline.kind, Deadline.due_on).where(
            Deadline.child_ref == "C100", Deadline.kind == "pep_qa")).all()
        assert found == [("pep_qa", opened.due_on)]


def test_a_deadline_opened_and_closed_in_one_transaction_is_written_once_closed(world, config):  # noqa: F811
    add_child(world, config, d("2026-01-05"))
    with session_scope(world) as s:
        child = s.get(Child, "C100")
        opened = open_deadline(s, config, child, "pep_qa", d("2026-01-06"), "pep")
        close_deadline(s, config, child, opened, d("2026-01-07"))
    with Session(world) as s:
        rows = s.execute(select(Deadline.status, Deadline.closed_on, Deadline.days_late)
                         .where(Deadline.kind == "pep_qa")).all()
    assert rows == [("met", d("2026-01-07"), 0)]


def test_closing_reads_the_deadline_again_after_it_was_inserted(world, config):  # noqa: F811
    add_child(world, config, d("2026-01-05"))
    with session_scope(world) as s:
        child = s.get(Child, "C100")
        stale = open_deadline(s, config, child, "pep_qa", d("2026-01-06"), "pep")
        write_pending(s)
        with pytest.raises(RuntimeError, match="read it again"):
            close_deadline(s, config, child, stale, d("2026-01-07"))
        fresh = open_deadlines(s, "C100", ["pep_qa"])
        assert [x.id for x in fresh] and fresh[0] is not stale
        close_deadline(s, config, child, fresh[0], d("2026-01-07"))
    with Session(world) as s:
        assert s.execute(select(Deadline.status).where(Deadline.kind == "pep_qa")).scalars().all() == ["met"]


def test_a_rolled_back_transaction_writes_none_of_its_queued_deadlines(world, config):  # noqa: F811
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
