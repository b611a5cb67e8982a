"""A deadline's compliance outcome is defined once (``reports.compliance_figures.outcome``): met,
met late, missed or cancelled as it was closed by the day of the report, else breached or
pending.  The report counts outcomes in SQL, by status and kind, with corrections for what
closed after that day; those counts equal judging every deadline one by one with ``outcome``,
on SQLite and PostgreSQL, for the demo's cohort and for a generated one that has every case."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter, defaultdict

import pytest
from sqlalchemy import insert, select

from pepflow.db.connection import session_scope
from pepflow.db.models import Child, Deadline
from pepflow.reports.outcomes import outcome, timescale_outcomes
from pepflow.service.demo import create_demo_cohort
from pepflow.statuses import DeadlineStatus

from .support import d

START, END = d("2025-09-01"), d("2026-08-31")


def judged_one_by_one(session, start: dt.date, end: dt.date, as_of: dt.date):
    """Outcomes and days late by kind, each deadline judged by ``outcome`` in Python."""
    rows = session.execute(select(Deadline).where(Deadline.due_on >= start, Deadline.due_on <= end)).scalars()
    outcomes: dict[str, Counter] = defaultdict(Counter)
    late: dict[str, Counter] = defaultdict(Counter)
    for row in rows:
        if row.rule_version == "":
            continue  # a flag, not a timescale
        result = outcome(row, as_of)
        outcomes[row.kind][result] += 1
        if result == DeadlineStatus.MET_LATE and row.days_late is not None:
            late[row.kind][row.days_late] += 1
    return ({k: {o: n for o, n in c.items() if n} for k, c in outcomes.items()},
            {k: dict(c) for k, c in late.items() if c})


def counted_in_sql(session, start: dt.date, end: dt.date, as_of: dt.date):
    timescales, late = timescale_outcomes(session, start, end, as_of)
    return ({k: {o: n for o, n in t["outcomes"].items() if n} for k, t in timescales.items()},
            {k: {days: n for days, n in c.items() if n} for k, c in late.items() if any(c.values())})


@pytest.mark.parametrize("as_of", [d("2026-11-23"), d("2026-03-31")])
def test_the_reports_counts_equal_each_deadline_judged_by_the_one_outcome_on_the_demo(engine, config, as_of):
    with session_scope(engine) as s:
        create_demo_cohort(s, config, d("2026-11-23"), children=120, schools=12)
    with session_scope(engine) as s:
        expected = judged_one_by_one(s, START, END, as_of)
        assert expected[0], "the demo has deadlines due in the year"
        assert counted_in_sql(s, START, END, as_of) == expected


def _generated_cohort(engine, seed: int, deadlines: int = 3000) -> None:
    """Deadlines of every status, closed before, on and after the report's day, met late by
    many amounts, with flags sharing a kind with a timescale (as ``record_incomplete`` may)."""
    rng = random.Random(seed)
    kinds = ["initial_pep", "pep_review", "admission_placement", "care_review_next", "record_incomplete"]
    with session_scope(engine) as s:
        s.add_all([Child(ref=f"G{i:03d}", first_name="G", last_name="C", dob=d("2014-01-01"),
                         legal_status="care_order", entered_care=d("2024-01-01")) for i in range(50)])
    rows = []
    for i in range(deadlines):
        due = START + dt.timedelta(days=rng.randrange(-30, 400))
        status = rng.choice(list(DeadlineStatus))
        closed = None if status == DeadlineStatus.OPEN else due + dt.timedelta(days=rng.randrange(-40, 120))
        kind = rng.choice(kinds)
        flag = kind == "record_incomplete" and rng.random() < 0.5
        rows.append({"child_ref": f"G{i % 50:03d}", "process": "pep", "kind": kind, "rule_key": kind,
                     "rule_version": "" if flag else rng.choice(["2010-04-01", "2026-09-01"]),
                     "opened_on": due - dt.timedelta(days=20), "due_on": due, "number": 0 if flag else 20,
                     "unit": rng.choice(["school", "working"]), "counting": "after", "calendar": "default",
                     "source": "", "owner_role": "vs_admin", "owner_ref": None, "status": status,
                     "closed_on": closed, "late_unit": "",
                     "days_late": rng.randrange(1, 30) if status == DeadlineStatus.MET_LATE else None,
                     "close_reason": "", "note": ""})
    with session_scope(engine) as s:
        s.execute(insert(Deadline.__table__), rows)


@pytest.mark.parametrize("seed", [1, 2])
def test_the_reports_counts_equal_each_deadline_judged_by_the_one_outcome_on_a_generated_cohort(engine, seed):
    _generated_cohort(engine, seed)
    for as_of in (d("2025-12-01"), d("2026-06-15"), d("2026-11-23")):
        with session_scope(engine) as s:
            assert counted_in_sql(s, START, END, as_of) == judged_one_by_one(s, START, END, as_of), as_of
