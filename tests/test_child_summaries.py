"""Each child as the compliance report counts them, kept with every change (engine/child_summaries.py):
for every day from the one they hold from, the summaries give the same roll and attendance bands as
counting the tables themselves, on SQLite and PostgreSQL (issue 42)."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import delete, select

from pepflow.db import session_scope
from pepflow.db.models import Child, ChildSummary
from pepflow.engine import child_summaries
from pepflow.engine.recording import record_event
from pepflow.reports import roll as figures
from pepflow.service.demo import create_demo_cohort

TODAY = dt.date(2026, 11, 23)
YEAR_START = dt.date(2026, 9, 1)


def counted_both_ways(s, as_of: dt.date) -> tuple:
    summaries = sorted(figures.roll_from_summaries(s, as_of).groups)
    tables = sorted(figures.roll_from_tables(s, as_of).groups)
    return summaries, tables


def assert_equal_every_day_from(s, first: dt.date, days: int) -> None:
    for n in range(days):
        as_of = first + dt.timedelta(days=n)
        summaries, tables = counted_both_ways(s, as_of)
        assert summaries == tables, as_of
        assert figures.summaries_hold(s, as_of)
        bands = figures.latest_attendance_bands(s, YEAR_START, as_of)
        assert bands == _bands_from_tables(s, YEAR_START, as_of), as_of


def _bands_from_tables(s, start: dt.date, end: dt.date) -> dict[str, int]:
    held, child_summaries.holds_from = child_summaries.holds_from, lambda _s: None  # the full count
    try:
        return figures.latest_attendance_bands(s, start, end)
    finally:
        child_summaries.holds_from = held


@pytest.fixture
def demo(engine, config):
    """A generated cohort (pepflow's demo: children in every PEP state, some behind, some with
    attendance records, some left care), made through pepflow's own writes."""
    with session_scope(engine) as s:
        create_demo_cohort(s, config, TODAY, children=120, schools=8)
    return engine


def test_the_summaries_equal_the_full_count_for_every_day_from_the_one_they_hold_from(demo):
    with session_scope(demo) as s:
        first = child_summaries.holds_from(s)
        assert first is not None and first <= TODAY
        assert s.execute(select(ChildSummary)).first() is not None
        assert_equal_every_day_from(s, first, 400)  # through the next school year's end
        roll = figures.roll_at(s, TODAY)
        assert 0 < roll.up_to_date < roll.children  # the cohort has children both up to date and behind


def test_changes_recorded_afterwards_move_the_summaries_in_the_same_transaction(demo, config):
    """Events over the following days, of many kinds at random: after each day, the same counts
    both ways for every day from the one the summaries hold from."""
    rng = random.Random(42)
    with session_scope(demo) as s:
        refs = list(s.execute(select(Child.ref).where(Child.looked_after).order_by(Child.ref)).scalars())
    day = TODAY
    tries = [("pep_meeting_held", {}), ("pep_submitted", {}), ("pep_approved", {"rating": "green"}),
             ("left_care", {}), ("attendance_recorded", {"half_term": None, "percent": None})]
    recorded = 0
    for _ in range(6):
        day += dt.timedelta(days=1)
        for ref in rng.sample(refs, 15):
            name, params = rng.choice(tries)
            with session_scope(demo) as s:
                if name == "attendance_recorded":
                    params = _attendance_params(s, config, ref, day, rng)
                    if params is None:
                        continue
                try:
                    record_event(s, config, ref, name, day.isoformat(), day, params=params, role="vs_admin")
                    recorded += 1
                except Exception:  # not open to this child now: refused, nothing written
                    s.rollback()
        with session_scope(demo) as s:
            first = child_summaries.holds_from(s)
            assert first <= day
            assert_equal_every_day_from(s, first, 60)
    assert recorded >= 20


def _attendance_params(s, config, ref, day, rng):
    from pepflow.engine.deadlines import calendar_for
    from pepflow.states.attendance import half_terms_to_report

    halves = half_terms_to_report(calendar_for(s, config, s.get(Child, ref)), day)
    if not halves:
        return None
    return {"half_term": halves[0].key, "percent": str(rng.choice([72.5, 88.0, 93.5, 99.0]))}


def test_a_day_before_the_summaries_hold_is_counted_from_the_tables(demo, monkeypatch):
    with session_scope(demo) as s:
        first = child_summaries.holds_from(s)
        monkeypatch.setattr(figures, "roll_from_summaries", lambda *_a: pytest.fail("summaries used for a past day"))
        figures.roll_at(s, first - dt.timedelta(days=1))
        monkeypatch.undo()
        monkeypatch.setattr(figures, "roll_from_tables", lambda *_a: pytest.fail("tables counted for a held day"))
        figures.roll_at(s, TODAY)


def test_a_database_filled_around_pepflow_is_counted_from_the_tables_until_rebuilt(demo, monkeypatch):
    with session_scope(demo) as s:
        expected = sorted(figures.roll_from_tables(s, TODAY).groups)
        s.execute(delete(ChildSummary))  # as a bulk load that bypassed pepflow leaves it
    with session_scope(demo) as s:
        assert not figures.summaries_hold(s, TODAY)
        assert sorted(figures.roll_at(s, TODAY).groups) == expected
        assert child_summaries.rebuild(s) == len(s.execute(select(Child.ref)).all())
    with session_scope(demo) as s:
        assert figures.summaries_hold(s, TODAY)
        assert sorted(figures.roll_at(s, TODAY).groups) == expected


def test_the_summaries_command_writes_every_childs_summary_again(demo, db_url, cli):
    with session_scope(demo) as s:
        children = len(s.execute(select(Child.ref)).all())
        s.execute(delete(ChildSummary))
    code, out, err = cli("--db", db_url, "db", "summaries")
    assert code == 0, err
    assert f"{children:,} children's summaries written" in out
    with session_scope(demo) as s:
        assert figures.summaries_hold(s, TODAY)
