"""SQLite's query planner is given the tables' statistics after each import and each sweep.

Without them it guesses, and for a social worker's My work it read every open deadline through
the (status, …) index rather than their own through (owner_ref, status, …): 700 ms a page at
100,000 children (bench/load.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from pepflow.config import load_config
from pepflow.db import make_engine
from pepflow.db.connection import refresh_statistics
from pepflow.db.models import Child, Deadline, Person
from pepflow.service.upkeep import after_sweep

from .conftest import ROOT

DATA = ROOT / "tests" / "data"
MY_WORK_COUNT = ("SELECT count(*) FROM deadline JOIN child ON child.ref = deadline.child_ref "
                 "WHERE deadline.status = 'open' AND (deadline.owner_ref = 'SW001' OR "
                 "(deadline.owner_ref IS NULL AND deadline.owner_role = 'social_worker'))")


def _statistics_rows(engine) -> int:
    with engine.connect() as conn:
        if not conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").scalar():
            return 0
        return conn.exec_driver_sql("SELECT count(*) FROM sqlite_stat1").scalar()


def _plan(engine, sql: str) -> str:
    with engine.connect() as conn:
        return " | ".join(str(row[-1]) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))


def _cohort(engine, children: int = 2_000, per_child: int = 10) -> None:
    with engine.begin() as conn:
        conn.execute(Person.__table__.insert(), [{"ref": f"SW{i:03d}", "role": "social_worker", "name": f"W{i}",
                                                  "email": ""} for i in range(300)])
        conn.execute(Child.__table__.insert(), [
            {"ref": f"C{i:05d}", "first_name": "A", "last_name": "B", "dob": dt.date(2012, 1, 1), "upn": "",
             "sen_status": "none", "legal_status": "care_order", "entered_care": dt.date(2024, 1, 5),
             "social_worker_ref": f"SW{i % 300:03d}", "in_area": True, "looked_after": True}
            for i in range(children)])
        conn.execute(Deadline.__table__.insert(), [
            {"child_ref": f"C{i:05d}", "process": "pep", "kind": "pep_review", "rule_key": "pep_review",
             "rule_version": "1", "opened_on": dt.date(2026, 9, 1), "due_on": dt.date(2026, 12, 1) + dt.timedelta(k),
             "number": 1, "unit": "term", "counting": "after", "calendar": "default", "source": "",
             "owner_role": "social_worker", "owner_ref": f"SW{i % 300:03d}",
             "status": "open" if k < 3 else "met", "close_reason": "", "note": "", "late_unit": ""}
            for i in range(children) for k in range(per_child)])


def test_an_import_leaves_the_planner_statistics_of_every_table(cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'pepflow.db'}"
    for kind in ("people", "schools", "children"):
        code, _, err = cli("--db", url, "--today", "2026-01-10", "import", kind, str(DATA / f"{kind}.csv"))
        assert code == 0, err
    engine = make_engine(url, create=False)
    with engine.connect() as conn:
        analysed = {r[0] for r in conn.exec_driver_sql("SELECT tbl FROM sqlite_stat1")}
    assert {"child", "deadline", "event", "person", "school"} <= analysed


def test_each_sweep_refreshes_the_planner_statistics(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'pepflow.db'}")
    _cohort(engine, children=50)
    assert _statistics_rows(engine) == 0
    after_sweep(engine, load_config(), dt.date(2026, 12, 1))
    assert _statistics_rows(engine) > 0


def test_with_statistics_my_work_reads_the_owners_deadlines_not_every_open_one(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'pepflow.db'}")
    _cohort(engine)
    refresh_statistics(engine)
    plan = _plan(engine, MY_WORK_COUNT)
    assert "ix_deadline_owner" in plan and "ix_deadline_ledger" not in plan, plan


def test_refreshing_statistics_on_postgresql_leaves_it_to_autovacuum(engine):
    refresh_statistics(engine)  # nothing to do, and no error, on either database
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
