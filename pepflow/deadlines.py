"""Open and close deadline rows: the one place deadlines are written.

A deadline records the rule key and the version it was computed by, so a later change
of configuration never changes how it is judged.

Writes wait in two queues of the transaction and go to the database together
(``write_pending``): before the session runs any statement, when an event has been
recorded, and at commit.  New deadlines are inserted with one multi-row statement that
returns their ids (the ORM inserts them one at a time), with their first date in the
sweep's schedule (``DeadlineStep``); closed ones are updated with one executemany of the
driver (the ORM's per-row bookkeeping was a fifth of the cost of an event: see
bench/pep_machine.py).  Nothing needs a new deadline's id while its event is recorded.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from sqlalchemy import event, insert
from sqlmodel import Session, select

from .db import txcache
from .db.driver_sql import executemany

from .calendars import Calendar
from .config import Config, Timescale
from .db.models import Child, Deadline, Person, School, new_row
from .rules.deadlines import due_date, lateness
from .rules.escalation import first_step_on

OPEN = "open"
CLOSED_STATUSES = ("met", "met_late", "missed", "cancelled")


def calendar_name_for(session: Session, config: Config, child: Child,
                      rule: Timescale | None = None) -> str:
    """Which calendar a child's clock runs on: the school's own, else the LA default."""
    which = rule.calendar if rule else "school"
    if which == "la":
        return config.settings.default_calendar
    if which != "school":
        return which
    school = _school(session, child.school_urn)
    return school.calendar if school else config.settings.default_calendar


def _school(session: Session, urn: str | None) -> School | None:
    if not urn:
        return None
    return txcache.cached(session, "school", urn, lambda: session.get(School, urn))


def calendar_for(session: Session, config: Config, child: Child, rule: Timescale | None = None,
                 name: str | None = None) -> Calendar:
    """The calendar itself, with the child's school's own INSET days and closures."""
    return config.calendar(name or calendar_name_for(session, config, child, rule), child.school_urn)


def owner_ref_for(role: str, social_worker_ref: str | None, iro_ref: str | None,
                  carer_ref: str | None, dt_ref: str | None, head_ref: str | None,
                  vsh_ref: str | None) -> str | None:
    """Who owns a deadline of ``role`` for a child (pure; None: a team, or nobody known)."""
    return {
        "social_worker": social_worker_ref, "iro": iro_ref, "carer": carer_ref,
        "designated_teacher": dt_ref, "school": dt_ref, "admission_authority": dt_ref,
        "head_teacher": head_ref, "governors": head_ref, "vsh": vsh_ref,
    }.get(role)


def owner_for(session: Session, child: Child, role: str) -> str | None:
    """The person who owns a deadline of ``role`` for this child, when one is known."""
    school = _school(session, child.school_urn)
    vsh = txcache.cached(session, "vsh", None, lambda: session.exec(
        select(Person.ref).where(Person.role == "vsh").order_by(Person.ref)).first()) if role == "vsh" else None
    return owner_ref_for(role, child.social_worker_ref, child.iro_ref, child.carer_ref,
                         school.dt_ref if school else None, school.head_ref if school else None, vsh)


def open_deadline(session: Session, config: Config, child: Child, key: str, start: dt.date,
                  process: str, process_id: int | None = None, opened_on: dt.date | None = None,
                  kind: str | None = None, due_on: dt.date | None = None, note: str = "") -> Deadline:
    """Add an open deadline for ``child`` by the rule ``key`` in force on ``start``."""
    rule = config.timescales.rule(key, start)
    cal_name = calendar_name_for(session, config, child, rule)
    cal = calendar_for(session, config, child, name=cal_name)
    due_on = due_on or due_date(rule, start, cal)
    deadline = new_row(
        Deadline, child_ref=child.ref, process=process, process_id=process_id, kind=kind or key,
        rule_key=key, rule_version=rule.version, opened_on=opened_on or start, due_on=due_on,
        number=rule.number, unit=rule.unit, counting=rule.counting, calendar=cal_name, source=rule.source,
        owner_role=rule.owner, owner_ref=owner_for(session, child, rule.owner), note=note,
    )
    _queue_new(session, deadline, first_reminder_on(config, kind or key, due_on))
    return deadline


_FIRST_STEP: dict[int, tuple[object, dict[tuple[str, dt.date], dt.date | None]]] = {}


def first_reminder_on(config: Config, kind: str, due_on: dt.date) -> dt.date | None:
    """When the sweep first has something to send for a deadline of ``kind`` (remembered per
    policy, kind and due date: a cohort shares a handful of due dates)."""
    policy = config.notifications
    if policy is None:
        return None
    owner, known = _FIRST_STEP.get(id(policy), (None, {}))
    if owner is not policy:  # a new policy object (or an old id reused): start afresh
        known = {}
        _FIRST_STEP[id(policy)] = (policy, known)
    if (kind, due_on) not in known:
        known[(kind, due_on)] = first_step_on(policy.for_kind(kind), due_on, config.calendar())
    return known[(kind, due_on)]


def open_flag(session: Session, config: Config, child: Child, kind: str, on: dt.date, owner_role: str,
              note: str, process: str = "pep", due_on: dt.date | None = None) -> Deadline:
    """An item for someone to act on that no timescale governs (e.g. a record to complete)."""
    flag = new_row(Deadline, child_ref=child.ref, process=process, kind=kind, rule_key=kind,
                   rule_version="", opened_on=on, due_on=due_on or on, number=0, unit="calendar",
                   source="pepflow", owner_role=owner_role, note=note)
    _queue_new(session, flag, first_reminder_on(config, kind, due_on or on))
    return flag


_NEW = "new_deadlines"  # opened in this transaction, not inserted yet: {id(row): (row, first step)}
_CLOSED = "closed_deadlines"  # rows with ids closed in this transaction, not updated yet
_INSERTED_COLUMNS = [c.key for c in Deadline.__table__.columns if c.key not in ("id", "insert_sentinel")]
_CLOSE_SQL = ("UPDATE deadline SET status = ?, closed_on = ?, close_reason = ?, days_late = ?, late_unit = ? "
              "WHERE id = ?")
_SCHEDULE_SQL = "INSERT INTO deadline_step (next_step_on, deadline_id, last_step) VALUES (?, ?, '')"


def _queue_new(session: Session, deadline: Deadline, first_step_on: dt.date | None) -> None:
    _cached_open(session, deadline.child_ref).append(deadline)
    session.info.setdefault(_NEW, {})[id(deadline)] = (deadline, first_step_on)


def write_pending(session: Session) -> None:
    """Insert the new deadlines (with the sweep's first date for each) and update the closed
    ones queued in this transaction.

    The inserted rows learn their ids but stay outside the session: the only later change
    to a deadline, closing it, is written by id through this queue."""
    queued = session.info.pop(_NEW, None)
    if queued:
        table = Deadline.__table__
        ids = session.connection().execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True),
            [{k: d.__dict__.get(k) for k in _INSERTED_COLUMNS} for d, _ in queued.values()]).scalars().all()
        for (d, _), new_id in zip(queued.values(), ids):
            d.__dict__["id"] = new_id
        executemany(session, _SCHEDULE_SQL, [(first, d.id) for d, first in queued.values()
                                             if first is not None and d.status == OPEN])
    closed = session.info.pop(_CLOSED, None)
    if closed:
        executemany(session, _CLOSE_SQL, [(d.status, d.closed_on, d.close_reason, d.days_late, d.late_unit, d.id)
                                          for d in closed])


@event.listens_for(Session, "do_orm_execute")
def _write_before_reading(state) -> None:
    """Every statement of the session sees the deadlines opened before it."""
    if state.session.info.get(_NEW) or state.session.info.get(_CLOSED):
        write_pending(state.session)


@event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    write_pending(session)


@event.listens_for(Session, "after_soft_rollback")
def _drop_queued(session: Session, _previous) -> None:
    session.info.pop(_NEW, None)
    session.info.pop(_CLOSED, None)


def _cached_open(session: Session, child_ref: str) -> list[Deadline]:
    """The child's open deadlines, read once per transaction and kept current by the
    functions of this module (the only writers of deadlines)."""
    return txcache.cached(session, "open_deadlines", child_ref, lambda: list(session.exec(
        select(Deadline).where(Deadline.child_ref == child_ref, Deadline.status == OPEN))))


def prefetch_open(session: Session, child_refs: list[str]) -> None:
    """Read the open deadlines of many children in one query (for a batch of events)."""
    found: dict[str, list[Deadline]] = {ref: [] for ref in child_refs}
    for d in session.exec(select(Deadline).where(Deadline.child_ref.in_(child_refs),
                                                 Deadline.status == OPEN)):
        found[d.child_ref].append(d)
    for ref, deadlines in found.items():
        txcache.put(session, "open_deadlines", ref, deadlines)


def open_deadlines(session: Session, child_ref: str, kinds: Iterable[str] | None = None,
                   process: str | None = None) -> list[Deadline]:
    """Open deadlines of a child, soonest due first, optionally of some kinds or one process."""
    wanted = set(kinds) if kinds is not None else None
    found = [d for d in _cached_open(session, child_ref)
             if (wanted is None or d.kind in wanted) and (process is None or d.process == process)]
    return sorted(found, key=lambda d: (d.due_on, d.id or 0))


def close_deadline(session: Session, config: Config, child: Child, deadline: Deadline,
                   on: dt.date, status: str | None = None, reason: str = "") -> Deadline:
    """Close ``deadline`` on ``on``: met, or met late by how many units (or as ``status``).

    The row's values are set without the ORM's change tracking and written by
    ``write_pending`` (or, for a deadline opened in this transaction, by its insert)."""
    values: dict[str, object] = {"status": status, "closed_on": on, "close_reason": reason}
    if status is None:
        cal = calendar_for(session, config, child, name=deadline.calendar)
        days, unit = lateness(deadline.due_on, on, deadline.unit, cal)
        values.update(status="met" if days == 0 else "met_late", days_late=days, late_unit=unit)
    if deadline.id is not None:  # else it is still queued, and is inserted closed
        session.info.setdefault(_CLOSED, []).append(deadline)
    deadline.__dict__.update(values)
    cached = _cached_open(session, child.ref)
    cached[:] = [d for d in cached if d is not deadline]
    return deadline


def close_open(session: Session, config: Config, child: Child, kinds: Iterable[str] | None, on: dt.date,
               status: str | None = None, reason: str = "", process: str | None = None
               ) -> list[Deadline]:
    """Close every open deadline of ``child`` of these kinds."""
    return [close_deadline(session, config, child, d, on, status, reason)
            for d in open_deadlines(session, child.ref, kinds, process)]



def cancel_process(session: Session, config: Config, child: Child, process: str, process_id: int | None,
                   on: dt.date, reason: str) -> list[Deadline]:
    """Cancel every open deadline of one process (an admission withdrawn, an exclusion closed)."""
    return [close_deadline(session, config, child, d, on, "cancelled", reason)
            for d in open_deadlines(session, child.ref, process=process) if d.process_id == process_id]
