"""The history proves itself: each of fifteen tamperings with a database is detected and named,
on SQLite and on PostgreSQL, by ``pepflow audit verify`` (the chain and the checkpoints) or
``pepflow audit verify --replay`` (the tables against the history).

Each tampering is done as an administrator of the database would: the triggers that refuse
to change history are dropped first (``test_the_database_refuses_to_change_history`` shows
that without that the database refuses)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from pepflow.audit.checkpoints import write as checkpoint
from pepflow.audit.replay import replay
from pepflow.audit.verify import verify

from .conftest import d
from .tampering import TAMPERINGS, finding, ids, tamper
from .support.cases import add_child, event


@pytest.fixture
def case(world, config):
    """Three children with PEP events: about twenty history rows, checkpointed."""
    for ref in ("C100", "C101", "C102"):
        add_child(world, config, d("2025-12-18"), ref=ref)
        event(world, config, ref, "pep_meeting_held", "2026-01-05")
        event(world, config, ref, "pep_submitted", "2026-01-08")
    checkpoint(world)
    return world


def problems(engine) -> str:
    result = verify(engine)
    assert not result.ok, "the tampering was not detected"
    return " | ".join(result.problems)


def replay_differences(engine, config) -> str:
    assert verify(engine).ok
    found = replay(engine, config)
    assert not found.ok, "the tampering was not detected"
    return " | ".join(found.differences)


def test_an_untouched_history_verifies_and_replays(case, config):
    result = verify(case)
    assert result.ok and result.rows == len(ids(case)) and len(result.checkpoints) == 1
    found = replay(case, config)
    assert found.ok and found.deadlines > 0 and found.children == 3, found.differences


def test_the_database_refuses_to_change_history(case):
    middle = ids(case)[3]
    for statement in ("UPDATE event SET name = 'x' WHERE id = :i", "DELETE FROM event WHERE id = :i"):
        with pytest.raises(DBAPIError, match="history rows cannot be changed or deleted"):
            with case.begin() as conn:
                conn.execute(text(statement), {"i": middle})
    assert verify(case).ok


# ---- the fifteen tamperings (and one more: the chain re-signed with a stolen key) ------

@pytest.mark.parametrize("tampering", TAMPERINGS, ids=lambda t: t.name)
def test_each_tampering_is_detected_and_named(case, config, tampering):
    if tampering.name == "the last 50 rows deleted":
        for n in range(20):  # a longer history
            add_child(case, config, d("2025-12-18"), ref=f"C2{n:02}")
            event(case, config, f"C2{n:02}", "pep_meeting_held", "2026-01-05")
        checkpoint(case)
    said = tampering.apply(case)
    if tampering.by_replay:
        assert verify(case).ok, "the history itself was not touched"
    detected, finding_text = finding(case, config, tampering)
    assert detected, f"{tampering.name}: not detected"
    assert said in finding_text, finding_text


def test_a_deleted_middle_row_also_contradicts_the_checkpoint(case):
    all_ids = ids(case)
    tamper(case, "DELETE FROM event WHERE id = :i", i=all_ids[3])
    assert "rows were deleted or inserted before it" in problems(case)


def test_a_moved_deadline_is_named_with_both_dates(case, config):
    with case.connect() as conn:
        deadline, due = conn.execute(text("SELECT id, due_on FROM deadline WHERE status = 'open' ORDER BY id")).first()
    due = due if isinstance(due, dt.date) else d(due)
    tamper(case, "UPDATE deadline SET due_on = :due WHERE id = :i", due=due.replace(year=due.year + 1), i=deadline)
    assert (f"due_on is {due.replace(year=due.year + 1).isoformat()} in the table, {due.isoformat()} in the history"
            in replay_differences(case, config))


def test_a_deadline_marked_met_is_named_with_both_statuses(case, config):
    with case.connect() as conn:
        deadline = conn.execute(text("SELECT id FROM deadline WHERE status = 'open' ORDER BY id")).scalar()
    tamper(case, "UPDATE deadline SET status = 'met' WHERE id = :i", i=deadline)
    assert "status is met in the table, open in the history" in replay_differences(case, config)


def test_a_peps_state_changed_is_named_by_replay(case, config):
    with case.connect() as conn:
        pep = conn.execute(text("SELECT id FROM pep WHERE child_ref = 'C100' AND is_current")).scalar()
    tamper(case, "UPDATE pep SET state = 'distributed' WHERE id = :i", i=pep)
    assert f"pep {pep} of child C100: state is distributed in the table, submitted in the history" in (
        replay_differences(case, config))


def test_a_deadline_deleted_or_added_is_named_by_replay(case, config):
    with case.connect() as conn:
        deadline = conn.execute(text("SELECT id FROM deadline ORDER BY id")).scalar()
    tamper(case, "DELETE FROM deadline_step WHERE deadline_id = :i", "DELETE FROM deadline WHERE id = :i", i=deadline)
    assert f"deadline {deadline} (" in replay_differences(case, config)
    assert "is in the history but not in the table: it was deleted" in replay_differences(case, config)
