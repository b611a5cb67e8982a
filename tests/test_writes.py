"""The batch writes of db/writes.py give the same rows on SQLite and on PostgreSQL, where a
batch travels as arrays (a column the same in every row sent once), whatever the batch:
one row, many, NULLs, awkward text, duplicates."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from pepflow.db.models import Child, Deadline, DeadlineStep, Notification
from pepflow.db.unit import UnitOfWork
from pepflow.db.writes import (CLOSE_DEADLINE, INSERT_NOTIFICATION, MARK_SENT, OUTBOX_COLUMNS, SCHEDULE_STEP,
                               UNSCHEDULE_STEP, executemany, insert_new, json_text)

NOW = dt.datetime(2026, 3, 4, 7, 0, tzinfo=dt.timezone.utc)
AWKWARD = 'O\'Brien "Jo" \\ {a,b} NULL é'


def _child_and_deadlines(engine, n: int) -> list[int]:
    with engine.begin() as conn:
        conn.execute(Child.__table__.insert(), [{"ref": "C1", "first_name": "A", "last_name": "B",
                                                  "dob": dt.date(2014, 5, 1), "upn": "", "sen_status": "none",
                                                  "legal_status": "care_order", "entered_care": dt.date(2024, 1, 5),
                                                  "in_area": True, "placement_type": "", "looked_after": True}])
        if not n:
            return []
        conn.execute(Deadline.__table__.insert(), [
            {"child_ref": "C1", "process": "pep", "kind": "pep_review", "rule_key": "pep_review",
             "rule_version": "1", "opened_on": dt.date(2026, 1, 5), "due_on": dt.date(2026, 3, 11), "number": 6,
             "unit": "months", "counting": "after", "calendar": "default", "source": "", "owner_role": "social_worker",
             "status": "open", "close_reason": "", "note": "", "late_unit": ""} for _ in range(n)])
        return list(conn.execute(select(Deadline.id).order_by(Deadline.id)).scalars())


def _outbox_row(key: str, deadline_id: int | None, status: str = "pending", email: str = "sw@example.org") -> tuple:
    return (key, deadline_id, "C1", "SW1", email, "reminder_5", status, 0, NOW, "", "", "",
            json_text({"kind": "pep_review", "note": AWKWARD}), 1)


def test_insert_new_returns_only_the_keys_it_wrote_and_keeps_every_value(engine):
    ids = _child_and_deadlines(engine, 3)
    with UnitOfWork(engine) as session:
        assert insert_new(session, Notification.__table__, OUTBOX_COLUMNS, [_outbox_row("one", ids[0])], "key") == ["one"]
        written = insert_new(session, Notification.__table__, OUTBOX_COLUMNS, [
            _outbox_row("one", ids[0]), _outbox_row("two", ids[1], email=AWKWARD), _outbox_row("three", None),
            _outbox_row("two", ids[1])], "key")
        session.commit()
    assert sorted(written) == ["three", "two"]
    with engine.connect() as conn:
        rows = {r.key: r for r in conn.execute(select(Notification.__table__))}
    assert set(rows) == {"one", "two", "three"}
    assert rows["two"].recipient_email == AWKWARD and rows["three"].deadline_id is None
    assert rows["one"].payload == {"kind": "pep_review", "note": AWKWARD}
    assert rows["one"].created_at == NOW and rows["one"].payload_version == 1


def test_a_batch_of_outbox_rows_counts_what_it_inserted_and_what_it_marked_sent(engine):
    ids = _child_and_deadlines(engine, 2)
    with UnitOfWork(engine) as session:
        assert executemany(session, INSERT_NOTIFICATION, [_outbox_row("a", ids[0], "sending"),
                                                           _outbox_row("b", ids[1], "pending")]) == 2
        assert executemany(session, INSERT_NOTIFICATION, [_outbox_row("a", ids[0])]) == 0  # already there
        by_key = dict(session.connection().execute(select(Notification.key, Notification.id)).all())
        session.connection().execute(Notification.__table__.update().values(claim_token="t1"))
        sent_at = NOW + dt.timedelta(minutes=1)
        # only the row still 'sending' under this claim is marked
        assert executemany(session, MARK_SENT, [(sent_at, "<m1@x>", by_key["a"], "t1"),
                                                (sent_at, "<m2@x>", by_key["b"], "t1"),
                                                (sent_at, "<m3@x>", by_key["a"], "other")]) == 1
        session.commit()
    with engine.connect() as conn:
        rows = {r.key: r for r in conn.execute(select(Notification.__table__))}
    assert (rows["a"].status, rows["a"].message_id, rows["a"].attempts, rows["a"].sent_at) == ("sent", "<m1@x>", 1,
                                                                                               sent_at)
    assert rows["b"].status == "pending" and rows["b"].sent_at is None


def test_the_sweeps_schedule_moves_and_closing_deadlines_writes_each_one(engine):
    ids = _child_and_deadlines(engine, 3)
    day = dt.date(2026, 3, 4)
    with UnitOfWork(engine) as session:
        assert executemany(session, SCHEDULE_STEP, [(day, i, "") for i in ids]) == 3
        assert executemany(session, SCHEDULE_STEP, [(day, ids[0], "")]) == 0  # there already
        assert executemany(session, UNSCHEDULE_STEP, [(day, ids[0]), (day, ids[1]), (day, ids[1])]) == 2
        assert executemany(session, SCHEDULE_STEP, [(day + dt.timedelta(days=5), ids[0], "reminder_5")]) == 1
        assert executemany(session, CLOSE_DEADLINE, [("met", day, "", None, "", ids[0]),
                                                     ("met_late", day, AWKWARD, 2, "school days", ids[1])]) == 2
        # one row, as an event recorded on its own closes a deadline: the statement itself, not arrays
        assert executemany(session, CLOSE_DEADLINE, [("cancelled", day, "moved school", None, "", ids[2])]) == 1
        session.commit()
    with engine.connect() as conn:
        steps = sorted(conn.execute(select(DeadlineStep.deadline_id, DeadlineStep.next_step_on,
                                           DeadlineStep.last_step)).all())
        closed = {r.id: r for r in conn.execute(select(Deadline.__table__))}
    assert steps == [(ids[0], day + dt.timedelta(days=5), "reminder_5"), (ids[2], day, "")]
    assert (closed[ids[0]].status, closed[ids[0]].days_late) == ("met", None)
    assert (closed[ids[1]].status, closed[ids[1]].days_late, closed[ids[1]].close_reason) == ("met_late", 2, AWKWARD)
    assert (closed[ids[2]].status, closed[ids[2]].close_reason) == ("cancelled", "moved school")


def test_new_deadlines_get_the_ids_of_their_own_rows(engine):
    from pepflow.db.writes import write_queued_deadlines

    _child_and_deadlines(engine, 0)
    with UnitOfWork(engine) as session:
        queued = [Deadline(child_ref="C1", process="pep", kind=f"kind_{n}", rule_key="pep_review", rule_version="1",
                           opened_on=dt.date(2026, 1, 5), due_on=dt.date(2026, 3, 1) + dt.timedelta(days=n),
                           number=6, unit="months", counting="after", calendar="default", source="",
                           owner_role="social_worker", status="open", close_reason="", note=AWKWARD if n % 2 else "",
                           late_unit="") for n in range(7)]
        for n, row in enumerate(queued):
            session.new_deadlines[id(row)] = (row, dt.date(2026, 2, 1) + dt.timedelta(days=n))
        write_queued_deadlines(session)
        session.commit()
    with engine.connect() as conn:
        kinds = dict(conn.execute(select(Deadline.id, Deadline.kind)).all())
        steps = dict(conn.execute(select(DeadlineStep.deadline_id, DeadlineStep.next_step_on)).all())
    assert [kinds[row.id] for row in queued] == [f"kind_{n}" for n in range(7)]
    assert [steps[row.id] for row in queued] == [dt.date(2026, 2, 1) + dt.timedelta(days=n) for n in range(7)]
