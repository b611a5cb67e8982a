"""Open and close deadline rows: the one place deadlines are written.

A deadline records the rule key and the version it was computed by, so a later change
of configuration never changes how it is judged.

Writes wait in the two deadline queues of the ``UnitOfWork`` and go to the database
together (``db.writes.write_queued_deadlines``): before the session runs any statement,
when an event has been recorded, and at commit.  Nothing needs a new deadline's id while
its event is recorded.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable

from pepflow.calendars import Calendar
from pepflow.config import FLAG_KINDS, Config, Timescale
from pepflow.db import cases
from pepflow.db.models import Child, Deadline, new_row
from pepflow.db.unit import UnitOfWork
from pepflow.db.writes import set_without_tracking
from pepflow.rules.due_dates import Lateness, due_date, how_late
from pepflow.rules.escalation import first_step_on
from pepflow.statuses import DeadlineStatus



def calendar_name_for(session: UnitOfWork, config: Config, child: Child,
                      rule: Timescale | None = None) -> str:
    """Which calendar a child's clock runs on: the school's own, else the LA default."""
    which = rule.calendar if rule else "school"
    if which == "la":
        return config.settings.default_calendar
    if which != "school":
        return which
    school = cases.school(session, child.school_urn)
    return school.calendar if school else config.settings.default_calendar


def calendar_for(session: UnitOfWork, config: Config, child: Child, rule: Timescale | None = None,
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


def owner_for(session: UnitOfWork, child: Child, role: str) -> str | None:
    """The person who owns a deadline of ``role`` for this child, when one is known."""
    school = cases.school(session, child.school_urn)
    vsh = cases.first_vsh_ref(session) if role == "vsh" else None
    return owner_ref_for(role, child.social_worker_ref, child.iro_ref, child.carer_ref,
                         school.dt_ref if school else None, school.head_ref if school else None, vsh)


class OverdueOn:
    """How overdue deadlines are on one day (``how_late``, on each child's calendar), for a
    list of them: worked out once per due date, unit and calendar, as schools without days
    of their own share their calendar (``Calendar.for_school``).  Every list, page, email
    and export asks through this."""

    def __init__(self, config: Config, as_of: dt.date):
        self.config, self.as_of = config, as_of
        self._calendars: dict[tuple[str, str | None], Calendar] = {}
        self._known: dict[tuple[dt.date, str, int], Lateness] = {}

    def __call__(self, due_on: dt.date, unit: str, calendar: str, school_urn: str | None) -> Lateness:
        cal = self._calendars.get((calendar, school_urn))
        if cal is None:
            cal = self._calendars[(calendar, school_urn)] = self.config.calendar(calendar, school_urn)
        key = (due_on, unit, id(cal))
        late = self._known.get(key)
        if late is None:
            late = self._known[key] = how_late(due_on, self.as_of, unit, cal)
        return late

    def of(self, row: Any) -> Lateness:
        """For a row with ``due_on``, ``unit``, ``calendar`` and ``school_urn``."""
        return self(row.due_on, row.unit, row.calendar, row.school_urn)


def how_overdue(config: Config, child: Child, deadline: Deadline, as_of: dt.date) -> Lateness:
    """How overdue one open deadline of ``child`` is on ``as_of``."""
    return OverdueOn(config, as_of)(deadline.due_on, deadline.unit, deadline.calendar, child.school_urn)


class UndeclaredClock(RuntimeError):
    """A handler opened a clock its event does not declare: a fault in pepflow, not in the input."""


def open_deadline(session: UnitOfWork, config: Config, child: Child, key: str, start: dt.date,
                  process: str, process_id: int | None = None, opened_on: dt.date | None = None,
                  kind: str | None = None, due_on: dt.date | None = None, note: str = "") -> Deadline:
    """Add an open deadline for ``child`` by the rule ``key`` in force on ``start``.

    While an event is recorded, ``key`` must be one of the clocks its ``EventSpec.opens``
    declares: the declaration is what the timescales are checked against at load."""
    recording = session.recording
    if recording is not None and key not in recording.opens:
        raise UndeclaredClock(f"{recording.name} opened {key}, which its EventSpec.opens does not declare")
    rule = config.timescales.rule(key, start)
    cal_name = calendar_name_for(session, config, child, rule)
    cal = calendar_for(session, config, child, name=cal_name)
    set_due = due_on is not None
    due_on = due_on or due_date(rule, start, cal)
    deadline = new_row(
        Deadline, child_ref=child.ref, process=process, process_id=process_id, kind=kind or key,
        rule_key=key, rule_version=rule.version, opened_on=opened_on or start, due_on=due_on,
        number=rule.number, unit=rule.unit, counting=rule.counting, calendar=cal_name, source=rule.source,
        owner_role=rule.owner, owner_ref=owner_for(session, child, rule.owner), note=note,
    )
    _queue_new(session, deadline, first_reminder_on(config, kind or key, due_on))
    session.deadline_starts[id(deadline)] = (start, set_due, child.school_urn)
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


def open_flag(session: UnitOfWork, config: Config, child: Child, kind: str, on: dt.date, owner_role: str,
              note: str, process: str = "pep", due_on: dt.date | None = None) -> Deadline:
    """An item for someone to act on that no timescale governs (e.g. a record to complete);
    its kind is one of ``config.FLAG_KINDS``, which notification policies may name."""
    if kind not in FLAG_KINDS:
        raise ValueError(f"{kind!r} is not in config.FLAG_KINDS: add it there")
    flag = new_row(Deadline, child_ref=child.ref, process=process, kind=kind, rule_key=kind,
                   rule_version="", opened_on=on, due_on=due_on or on, number=0, unit="calendar",
                   source="pepflow", owner_role=owner_role, note=note)
    _queue_new(session, flag, first_reminder_on(config, kind, due_on or on))
    return flag


def _queue_new(session: UnitOfWork, deadline: Deadline, first_step_on: dt.date | None) -> None:
    cases.open_deadlines_of(session, deadline.child_ref).append(deadline)
    session.new_deadlines[id(deadline)] = (deadline, first_step_on)
    session.deadline_log.append(deadline)


def open_deadlines(session: UnitOfWork, child_ref: str, kinds: Iterable[str] | None = None,
                   process: str | None = None) -> list[Deadline]:
    """Open deadlines of a child, soonest due first, optionally of some kinds or one process."""
    wanted = set(kinds) if kinds is not None else None
    found = [d for d in cases.open_deadlines_of(session, child_ref)
             if (wanted is None or d.kind in wanted) and (process is None or d.process == process)]
    return sorted(found, key=lambda d: (d.due_on, d.id or 0))


def close_deadline(session: UnitOfWork, config: Config, child: Child, deadline: Deadline,
                   on: dt.date, status: str | None = None, reason: str = "") -> Deadline:
    """Close ``deadline`` on ``on``: met, or met late by how many units (or as ``status``).

    The row's values are set without the ORM's change tracking and written by the unit
    of work's queue (or, for a deadline opened in this transaction, by its insert)."""
    values: dict[str, object] = {"status": status, "closed_on": on, "close_reason": reason}
    if status is None:
        cal = calendar_for(session, config, child, name=deadline.calendar)
        late = how_late(deadline.due_on, on, deadline.unit, cal)
        values.update(status=DeadlineStatus.MET_LATE if late else DeadlineStatus.MET, days_late=late.count, late_unit=late.unit)
    if deadline.id is not None:  # else it is still queued, and is inserted closed
        session.closed_deadlines.append(deadline)
    set_without_tracking(deadline, values)
    session.deadline_log.append(deadline)
    cached = cases.open_deadlines_of(session, child.ref)
    cached[:] = [d for d in cached if d is not deadline]
    return deadline


def close_open(session: UnitOfWork, config: Config, child: Child, kinds: Iterable[str] | None, on: dt.date,
               status: str | None = None, reason: str = "", process: str | None = None
               ) -> list[Deadline]:
    """Close every open deadline of ``child`` of these kinds."""
    return [close_deadline(session, config, child, d, on, status, reason)
            for d in open_deadlines(session, child.ref, kinds, process)]


def cancel_process(session: UnitOfWork, config: Config, child: Child, process: str, process_id: int | None,
                   on: dt.date, reason: str) -> list[Deadline]:
    """Cancel every open deadline of one process (an admission withdrawn, an exclusion closed)."""
    return [close_deadline(session, config, child, d, on, DeadlineStatus.CANCELLED, reason)
            for d in open_deadlines(session, child.ref, process=process) if d.process_id == process_id]
