"""Each child as the compliance report counts them now (``child_summary``), written in the same
transaction as every change that moves it.

The report's roll (the children on roll by every characteristic of its breakdowns, and how
many had an up-to-date PEP) counted 100,000 children against their deadlines on each view:
half of the report's time (issue 42, bench/report.py).  A child's row holds their
characteristics, the first day their PEP counts as behind, and their latest attendance band;
the report counts the rows.  ``child_summary_state.holds_from`` is the latest date any
summarised row holds: for a report as of that day or later the rows equal the full
computation (tests/test_child_summaries.py holds them to it on SQLite and PostgreSQL), and
an earlier day is counted from the tables themselves (``reports/roll.py``).

Which children to write again is found, before each commit of a ``UnitOfWork``, from what the
transaction changed: its history rows' children (every change writes one: pepflow's rule; a
deadline changed outside an event gets a row of its child's), and the children, deadlines and
attendance records the ORM wrote.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from sqlalchemy import bindparam, case, delete, event, func, insert, select, update

from pepflow.calendars import school_year_start
from pepflow.db.planner import not_for_index
from pepflow.db.models import AttendanceRecord, Child, ChildSummary, ChildSummaryState, Deadline
from pepflow.db.unit import UnitOfWork
from pepflow.db.writes import upsert, write_queued_deadlines
from pepflow.statuses import DeadlineStatus

# the deadlines that say a PEP is not up to date once past due (states/pep.py uses these)
REVIEW_KINDS = ("initial_pep", "pep_review", "pep_significant_change")
RECORD_INCOMPLETE = "record_incomplete"  # behind from the day it is opened, whatever its due date
QUIET_PROCESSES = frozenset({"access", "security", "notify"})  # history rows that change no child
CHUNK = 500


def refresh(session: Any, refs: Iterable[str]) -> None:
    """Write these children's summaries again from the tables, and move the day from which the
    summaries hold to the latest date they hold."""
    refs = sorted(set(refs))
    latest: dt.date | None = None
    connection = session.connection()
    write = _WRITE_OVER[connection.dialect.name]
    for start in range(0, len(refs), CHUNK):
        part = refs[start:start + CHUNK]
        rows, last = _few_summaries(connection, part)
        latest = _later(latest, last)
        if len(rows) < len(part):  # a child no longer held (purged): their row goes too
            connection.execute(_FORGET, {"refs": sorted(set(part) - {r["child_ref"] for r in rows})})
        if rows:
            connection.execute(write, rows)
    if latest is not None:
        _hold_from(connection, latest)


def rebuild(session: Any) -> int:
    """Every child's summary written again (after a bulk load that bypassed pepflow, and by the
    revision that made the table), reading each table once; returns how many."""
    connection = session.connection()
    rows, latest = _summaries(connection)
    S = ChildSummary.__table__
    connection.execute(delete(S))
    for start in range(0, len(rows), 10_000):
        connection.execute(_WRITE, rows[start:start + 10_000])
    if latest is not None:
        _hold_from(connection, latest)
    return len(rows)


_C, _D, _A = Child.__table__.c, Deadline.__table__.c, AttendanceRecord.__table__.c
_REFS = bindparam("refs", expanding=True)
_OPEN = _D.status == DeadlineStatus.OPEN
# what a summary is made of, built once (a statement built at each commit cost more than running it)
_CHILDREN = select(_C.ref, _C.dob, _C.sen_status, _C.legal_status, _C.placement_type, _C.in_area, _C.school_urn,
                   _C.entered_care, _C.left_care_on)
# one pass over their PEP deadlines: the earliest open review's due date, the earliest open "record
# incomplete", and the latest dates any of them holds
_PEP_DEADLINES = (select(_D.child_ref, func.min(case((_OPEN & _D.kind.in_(REVIEW_KINDS), _D.due_on))),
                         func.min(case((_OPEN & (_D.kind == RECORD_INCOMPLETE), _D.opened_on))),
                         func.max(_D.opened_on), func.max(_D.closed_on))
                  .group_by(_D.child_ref))
_BANDS = select(_A.child_ref, _A.band, _A.recorded_on).order_by(_A.child_ref, _A.recorded_on, _A.id)
_KINDS = REVIEW_KINDS + (RECORD_INCOMPLETE,)
_ALL = (_CHILDREN, _PEP_DEADLINES.where(_D.kind.in_(_KINDS)), _BANDS)
_FORGET = delete(ChildSummary.__table__).where(ChildSummary.__table__.c.child_ref.in_(_REFS))
_WRITE = insert(ChildSummary.__table__)
_WRITE_OVER = {dialect: upsert(ChildSummary.__table__, dialect, ["child_ref"]) for dialect in ("sqlite", "postgresql")}
# A few children (a refresh at each commit) in one statement, written over their old rows: three
# statements and a delete before each insert cost an event 370 µs, mostly SQLAlchemy's own (issue 42,
# bench/pep_machine.py).  Their deadlines through their own index: SQLite without statistics read
# every PEP deadline by kind for each chunk (four minutes for 100,000 children; bench/report.py), so
# the kind is not offered to it for an index.
_THEIR_DEADLINES = _PEP_DEADLINES.where(_D.child_ref.in_(_REFS), not_for_index(_D.kind).in_(_KINDS)).subquery()
_THEIR_BAND = (select(_A.band, _A.recorded_on).where(_A.child_ref == _C.ref)
               .order_by(_A.recorded_on.desc(), _A.id.desc()).limit(1))
_FEW_IN_ONE = (select(*_CHILDREN.selected_columns, *list(_THEIR_DEADLINES.c)[1:],
                      _THEIR_BAND.with_only_columns(_A.band).scalar_subquery(),
                      _THEIR_BAND.with_only_columns(_A.recorded_on).scalar_subquery())
               .select_from(Child.__table__.outerjoin(_THEIR_DEADLINES,
                                                      _THEIR_DEADLINES.c.child_ref == _C.ref))
               .where(_C.ref.in_(_REFS)))


def _few_summaries(connection: Any, refs: list[str]) -> tuple[list[dict[str, Any]], dt.date | None]:
    """The summaries of a few children, read in one statement, and the latest date they hold."""
    latest: dt.date | None = None
    rows = []
    for c in connection.execute(_FEW_IN_ONE, {"refs": refs}):
        due, opened_incomplete, last_opened, last_closed, band, band_on = c[-6:]
        rows.append(_summary(c, due, opened_incomplete, band, band_on))
        latest = _later(latest, last_opened, last_closed, c.entered_care, c.left_care_on, band_on)
    return rows, latest


def _summary(c: Any, due: dt.date | None, opened_incomplete: dt.date | None, band: str | None,
             band_on: dt.date | None) -> dict[str, Any]:
    """A child's summary row from their row, their earliest open review's due date, the day their
    open "record incomplete" was opened, and their latest attendance band."""
    behind = [d for d in (due + dt.timedelta(days=1) if due else None, opened_incomplete) if d is not None]
    return {"child_ref": c.ref, "born_in_school_year": school_year_start(c.dob), "sen_status": c.sen_status,
            "legal_status": c.legal_status, "placement_type": c.placement_type, "in_area": c.in_area,
            "school_urn": c.school_urn, "entered_care": c.entered_care, "left_care_on": c.left_care_on,
            "pep_behind_since": min(behind) if behind else None, "latest_band": band, "latest_band_on": band_on}


def _summaries(connection: Any) -> tuple[list[dict[str, Any]], dt.date | None]:
    """Every child's summary, reading each table once, and the latest date they hold."""
    children, deadlines, records = _ALL
    latest: dt.date | None = None
    open_review, incomplete = {}, {}
    for ref, due, opened_incomplete, last_opened, last_closed in connection.execute(deadlines):
        open_review[ref], incomplete[ref] = due, opened_incomplete
        latest = _later(latest, last_opened, last_closed)
    bands: dict[str, tuple[str, dt.date]] = {}
    for ref, band, on in connection.execute(records):
        bands[ref] = (band, on)  # the last in order: the latest day, then the last entered
    rows = []
    for c in connection.execute(children):
        band, band_on = bands.get(c.ref, (None, None))
        rows.append(_summary(c, open_review.get(c.ref), incomplete.get(c.ref), band, band_on))
        latest = _later(latest, c.entered_care, c.left_care_on, band_on)
    return rows, latest


def holds_from(session: Any) -> dt.date | None:
    """The first day for which the summaries equal the full computation (None: no summaries yet)."""
    return session.connection().execute(_HOLDS_FROM).scalar()


def _later(latest: dt.date | None, *days: dt.date | None) -> dt.date | None:
    for day in days:
        if day is not None and (latest is None or day > latest):
            latest = day
    return latest


_STATE = ChildSummaryState.__table__
_HOLDS_FROM = select(_STATE.c.holds_from).where(_STATE.c.id == 1)


def _hold_from(connection: Any, day: dt.date) -> None:
    now = connection.execute(_HOLDS_FROM).scalar()
    if now is None:
        connection.execute(insert(_STATE).values(id=1, holds_from=day))
    elif day > now:
        connection.execute(update(_STATE).where(_STATE.c.id == 1).values(holds_from=day))


# ---- which children a transaction moved ---------------------------------------------------

_WATCHED = (Child, Deadline, AttendanceRecord)


@event.listens_for(UnitOfWork, "before_flush")
def _note_orm_writes(session: UnitOfWork, _context: Any, _instances: Any) -> None:
    """Children, deadlines and attendance records the ORM is about to write."""
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, _WATCHED):
            ref = row.ref if isinstance(row, Child) else row.child_ref
            if ref:
                session.stale_summaries.add(ref)


def _refresh_before_commit(session: UnitOfWork) -> None:
    """The summaries of the children this transaction moved, written in it.  After the history's
    writer (``pepflow.audit``): its rows name the children, and appending to the chain takes the
    lock every writer takes turns at (PostgreSQL's advisory lock, SQLite's write lock), so what is
    read here is what the transaction leaves, never an older state another writer is changing."""
    session.flush()
    if session.new_deadlines or session.closed_deadlines:
        write_queued_deadlines(session)
    stale, session.stale_summaries = session.stale_summaries, set()
    named, session.children_named = session.children_named, set()
    stale |= {ref for ref, process in named if process not in QUIET_PROCESSES}
    if stale:
        refresh(session, stale)


event.listen(UnitOfWork, "before_commit", _refresh_before_commit)
