"""The deadline sweep: turn the reminders and escalations due today into outbox rows.

A day is swept once, however many processes run the sweep: its first statement inserts
the day's ``sweep_run`` row, and a sweep that finds the row there does nothing.  One
query reads the open deadlines whose next step has come, in date order from the sweep's
own schedule (``DeadlineStep``); the policy decides the current step of each; the rows
are written with ``INSERT … ON CONFLICT DO NOTHING`` on a unique key per (deadline,
step, recipient) and ``RETURNING`` the keys really written, so no row, count or history
row is ever doubled.  After downtime only the current step is sent; the steps passed
over are written as ``skipped``.  A missing person or email address becomes an item for
VS admin, never a crash.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pepflow.clock import Clock, SystemClock
from pepflow.audit import audit, write_audit
from pepflow.config import Config
from pepflow.vocabulary import role_in_sentence
from pepflow.db.unit import UnitOfWork
from pepflow.db.writes import (OUTBOX_COLUMNS, SCHEDULE_STEP, UNSCHEDULE_STEP, executemany, insert_ignoring,
                               insert_new, json_text, plain_rows)
from pepflow.engine.go_live import go_live_on
from pepflow.notify.replan import replan_first_reminders
from pepflow.db.models import Child, Deadline, DeadlineStep, Notification, Person, School, SweepRun
from pepflow.engine.deadlines import OverdueOn, owner_ref_for
from pepflow.rules.due_dates import Lateness
from pepflow.rules.escalation import Decision, Step, decide, plan
from pepflow.statuses import DeadlineStatus, OutboxStatus

log = logging.getLogger("pepflow.notify.sweep")


@dataclass
class SweepResult:
    as_of: dt.date
    working_day: bool
    deadlines_due: int = 0
    planned: list[dict[str, Any]] = field(default_factory=list)  # notification rows
    skipped: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    written: int = 0
    failed_deadlines: list[int] = field(default_factory=list)
    already: Any = None  # the day was swept before (its sweep_run row): nothing was done this time


PersonRow = Any  # a row of the person table (ref, role, name, email, manager_ref)


class _Directory:
    """People and schools, read once per sweep (hundreds of rows, not the cohort)."""

    def __init__(self, session: Session):
        # plain rows, not ORM objects: nothing here is changed, and a council has thousands
        read = session.connection().execute
        self.people = {p.ref: p for p in plain_rows(read(select(*Person.__table__.c)))}
        self.schools = {s.urn: s for s in plain_rows(read(select(*School.__table__.c)))}
        self.by_role: dict[str, list[PersonRow]] = {}
        for p in sorted(self.people.values(), key=lambda p: p.ref):
            self.by_role.setdefault(p.role, []).append(p)

    def first(self, role: str) -> str | None:
        people = self.by_role.get(role)
        return people[0].ref if people else None


def _school_words(school: Any, urn: str) -> str:
    """A school as VS admin's item names it: "Greenacre Primary (URN 100001)"."""
    return f"{school.name} (URN {urn})" if school is not None and school.name else f"the school with URN {urn}"


def _recipients(step: Step, row: Any, d: _Directory) -> tuple[list[tuple[PersonRow, str]], list[str]]:
    """(person, why) for each recipient of ``step``; and the problems found on the way."""
    school = d.schools.get(row.school_urn) if row.school_urn else None
    owner_ref = owner_ref_for(row.owner_role, row.social_worker_ref, row.iro_ref, row.carer_ref,
                              school.dt_ref if school else None, school.head_ref if school else None,
                              d.first("vsh"))
    owner = d.people.get(owner_ref) if owner_ref else None
    found: list[tuple[PersonRow, str]] = []
    problems: list[str] = []
    role_name = role_in_sentence(row.owner_role)
    for target in step.to:
        if target == "owner":
            if row.owner_role in ("vs_admin", "vs_officer") and owner is None:
                found += [(p, "owner") for p in d.by_role.get(row.owner_role, [])]
            elif owner is not None:
                found.append((owner, "owner"))
            elif row.owner_role in ("designated_teacher", "school", "admission_authority", "head_teacher",
                                    "governors") and row.school_urn:
                problems.append(f"no {role_name} recorded for {_school_words(school, row.school_urn)}")
            else:
                problems.append(f"no {role_name} recorded for {row.child_ref}")
        elif target == "manager":
            manager_ref = owner.manager_ref if owner else None
            if manager_ref is None and owner is not None and owner.role == "designated_teacher" and school:
                manager_ref = school.head_ref
            manager = d.people.get(manager_ref) if manager_ref else None
            if manager is not None:
                found.append((manager, f"manager of {owner.name or owner.ref}"))
            elif owner is not None:
                problems.append(f"no manager recorded for {owner.name or owner.ref} ({role_in_sentence(owner.role)})")
        else:
            people = d.by_role.get(target, [])
            found += [(p, role_in_sentence(target)) for p in people]
            if not people:
                problems.append(f"nobody has the role {target}")
    with_email = []
    for person, why in found:
        if person.email:
            with_email.append((person, why))
        elif person.role == "designated_teacher" and row.school_urn:
            problems.append(f"no DT email for {_school_words(school, row.school_urn)} ({person.name or person.ref})")
        else:
            problems.append(f"no email for {person.name or person.ref} ({role_in_sentence(person.role)})")
    unique = {p.ref: (p, why) for p, why in with_email}
    return list(unique.values()), problems


def reminder_payload(config: Config, row: Any, step: str, overdue: Lateness, why: str) -> dict[str, Any]:
    """What a reminder's email needs, and no more: the case reference, not the child's name (unless
    a council turns names on); descriptions and links are added when the email is written.
    ``row`` has the deadline's kind, child_ref, due_on and note, and the child's names."""
    payload = {"kind": row.kind, "child_ref": row.child_ref, "due_on": row.due_on.isoformat(),
               "days_overdue": overdue.count, "step": step, "why": why}
    if overdue:  # the unit of the count (none is needed for 0: most reminders come before the due date)
        payload["overdue_unit"] = overdue.unit
    if row.note:
        payload["note"] = row.note
    if config.notifications.delivery.include_child_name:
        payload["child_name"] = f"{row.first_name} {row.last_name}"
    return payload


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """Insert outbox rows, skipping keys already there (a deadline's step written before); returns
    the keys this call wrote, never a key another writer wrote (``db.writes.insert_new``)."""
    return set(insert_new(session, Notification.__table__, OUTBOX_COLUMNS, [
        (r["key"], r.get("deadline_id"), r.get("child_ref"), r.get("recipient_ref"), r.get("recipient_email", ""),
         r.get("step", ""), r.get("status", OutboxStatus.PENDING), 0, r["created_at"], "", "", "", json_text(r["payload"]), 1)
        for r in rows], "key"))


def _reschedule(session: Session, handled: list[tuple[dt.date, int]],
                following: list[tuple[dt.date, int, str]]) -> None:
    """Take the handled rows out of the schedule and put in each deadline's next date."""
    executemany(session, UNSCHEDULE_STEP, handled)
    executemany(session, SCHEDULE_STEP, following)


def _claim_the_day(session: Session, as_of: dt.date, now: dt.datetime) -> Any:
    """Insert the day's ``sweep_run`` row as the transaction's first statement; returns the
    row already there when another sweep did (or is doing) the day, else None.

    The first write takes SQLite's write lock (as ``BEGIN IMMEDIATE`` would), so a second
    sweep waits here, then finds the row; on PostgreSQL the second INSERT waits on the
    first's uncommitted row, then does nothing.  A sweep that dies rolls its row back."""
    R = SweepRun.__table__
    connection = session.connection()
    taken = connection.execute(insert_ignoring(R, connection.dialect.name, ["swept_on"]).values(
        swept_on=as_of, swept_at=now, swept_by=f"{socket.gethostname()} pid {os.getpid()}", deadlines_due=0,
        written=0, skipped=0).returning(R.c.swept_on)).first()
    if taken is not None:
        return None
    return connection.execute(select(R).where(R.c.swept_on == as_of)).first()


def sweep(engine: Engine, config: Config, as_of: dt.date, dry_run: bool = False,
          clock: Clock | None = None) -> SweepResult:
    """Write the notifications due on ``as_of`` (nothing on a weekend or bank holiday), once:
    a day already swept, by this process or another, is not swept again.

    The steps, in one transaction: claim the day; re-plan the first reminders if the council's
    notification policy changed; read the deadlines whose next step has come; decide each one's
    step and recipients; tell VS admin of whom nobody could be told; write the outbox rows, the
    schedule and the history."""
    cal = config.calendar()
    result = SweepResult(as_of, cal.is_working_day(as_of))
    if not result.working_day:
        return result
    now = (clock or SystemClock()).now()
    started = time.perf_counter()  # how long it takes, for the metrics (not a date: the clock gives those)
    with UnitOfWork(engine, expire_on_commit=False) as session:
        if not dry_run:
            result.already = _claim_the_day(session, as_of, now)
            if result.already is not None:
                return result
            replan_first_reminders(session, config)
        rows, closed = _due_rows(session, as_of)
        result.deadlines_due = len(rows)
        day = _DayPlan(session, config, as_of, now, result)
        day.handled += closed  # closed since they were scheduled: nothing more to send
        for row in rows:
            day.plan(row)
        day.tell_vs_admin()
        if dry_run:
            return result
        _write(session, result, day, as_of, started)
    return result


def _due_rows(session: Session, as_of: dt.date) -> tuple[list[Any], list[tuple[dt.date, int]]]:
    """The open deadlines whose next step has come, with what the sweep needs of each and its
    child; and the schedule entries of deadlines closed since they were scheduled."""
    S = DeadlineStep.__table__.c
    # read through the connection, not the ORM: these are plain rows, and the sweep queues
    # no deadline writes for the unit of work to flush first
    scheduled = plain_rows(session.connection().execute(
        select(S.next_step_on, S.last_step, Deadline.id, Deadline.status, Deadline.kind, Deadline.due_on,
               Deadline.unit, Deadline.calendar,
               Deadline.child_ref, Deadline.owner_role, Deadline.note, Child.social_worker_ref, Child.iro_ref,
               Child.carer_ref, Child.school_urn, Child.first_name, Child.last_name)
        .select_from(DeadlineStep.__table__)
        .join(Deadline, Deadline.id == S.deadline_id)
        .join(Child, Child.ref == Deadline.child_ref)
        .where(S.next_step_on <= as_of)))
    return ([r for r in scheduled if r.status == DeadlineStatus.OPEN],
            [(r.next_step_on, r.id) for r in scheduled if r.status != DeadlineStatus.OPEN])


class _DayPlan:
    """The day's decisions, deadline by deadline, with what many deadlines share worked out once:
    a kind's plan for a due date, the decision for a step, the people for a school or worker."""

    def __init__(self, session: Session, config: Config, as_of: dt.date, now: dt.datetime,
                 result: SweepResult) -> None:
        self.config, self.as_of, self.now, self.result = config, as_of, now, result
        self.cal = config.calendar()
        self.directory = _Directory(session)
        self.handled: list[tuple[dt.date, int]] = []
        self.following: list[tuple[dt.date, int, str]] = []
        self.admin_items: dict[str, str] = {}
        self.plans: dict[tuple[str, dt.date], list[Step]] = {}  # many deadlines share a due date
        self.decisions: dict[tuple[str, dt.date, str], Decision] = {}
        self.recipients: dict[tuple, list[tuple[PersonRow, str]]] = {}
        self.overdue = OverdueOn(config, as_of)
        # deadlines that fell due before pepflow went live are not escalated now (pepflow/engine/go_live.py)
        self.go_live = None if config.settings.escalate_before_go_live else go_live_on(session, config)

    def plan(self, row: Any) -> None:
        if self.go_live is not None and row.due_on < self.go_live:
            self._skip(row, "before_go_live", f"due {row.due_on.isoformat()}, before pepflow went live on "
                                              f"{self.go_live.isoformat()}: not reminded or escalated")
            self.handled.append((row.next_step_on, row.id))
            return
        try:
            decision = self._decision(row)
            for stale in decision.stale:
                self._skip(row, stale.name, "passed over: the current step is "
                                            f"{decision.current.name if decision.current else 'none'}")
            last = decision.current.name if decision.current else (
                decision.stale[-1].name if decision.stale else row.last_step)
            if decision.current:
                self._notify(row, decision.current)
            self.handled.append((row.next_step_on, row.id))
            if decision.next_on is not None:
                self.following.append((decision.next_on, row.id, last))
        except Exception as exc:  # one broken case never blocks the rest
            log.exception("sweep: deadline %s of %s failed", row.id, row.child_ref)
            self.result.failed_deadlines.append(row.id)
            self.result.problems.append(f"deadline {row.id} of {row.child_ref}: {exc}")

    def _decision(self, row: Any) -> Decision:
        steps = self.plans.get((row.kind, row.due_on))
        if steps is None:
            steps = self.plans[(row.kind, row.due_on)] = plan(self.config.notifications.for_kind(row.kind),
                                                              row.due_on, self.cal)
        key = (row.kind, row.due_on, row.last_step)  # the same decision for all of these
        if key not in self.decisions:
            self.decisions[key] = decide(steps, row.last_step, self.as_of)
        return self.decisions[key]

    def _skip(self, row: Any, step: str, reason: str) -> None:
        self.result.skipped.append({
            "key": f"{row.id}:{step}:skipped", "deadline_id": row.id, "child_ref": row.child_ref, "step": step,
            "status": OutboxStatus.SKIPPED, "created_at": self.now,
            "payload": {"kind": row.kind, "step": step, "reason": reason}})

    def _notify(self, row: Any, step: Step) -> None:
        who = (step.to, row.owner_role, row.social_worker_ref, row.iro_ref, row.carer_ref, row.school_urn)
        if who in self.recipients:  # children share social workers and schools
            people, problems = self.recipients[who], []
        else:
            people, problems = _recipients(step, row, self.directory)
            if not problems:  # a problem names the child: work those out each time
                self.recipients[who] = people
        for problem in problems:
            self.admin_items.setdefault(problem, row.child_ref)
        for person, why in people:
            self.result.planned.append({
                "key": f"{row.id}:{step.name}:{person.ref}", "deadline_id": row.id,
                "child_ref": row.child_ref, "recipient_ref": person.ref, "recipient_email": person.email,
                "step": step.name, "status": OutboxStatus.PENDING, "created_at": self.now,
                "payload": reminder_payload(self.config, row, step.name, self.overdue.of(row), why)})

    def tell_vs_admin(self) -> None:
        """Whom nobody could be told, as an item for each VS admin."""
        for problem, child_ref in sorted(self.admin_items.items()):
            self.result.problems.append(problem)
            for admin in self.directory.by_role.get("vs_admin", []):
                if admin.email:
                    self.result.planned.append({
                        "key": f"missing:{problem}:{self.as_of.isoformat()}:{admin.ref}", "deadline_id": None,
                        "child_ref": child_ref, "recipient_ref": admin.ref, "recipient_email": admin.email,
                        "step": "missing_contact", "status": OutboxStatus.PENDING, "created_at": self.now,
                        "payload": {"kind": "missing_contact", "what": problem, "child_ref": child_ref,
                                    "due_on": self.as_of.isoformat(), "days_overdue": 0,
                                    "step": "missing_contact", "why": "VS admin"}})


def _write(session: UnitOfWork, result: SweepResult, day: _DayPlan, as_of: dt.date, started: float) -> None:
    """The outbox rows (each key once), the schedule, the skipped steps' history rows and the
    day's counts, committed together."""
    written = _insert_new(session, result.planned + result.skipped)
    result.written = sum(1 for r in result.planned if r["key"] in written)
    _reschedule(session, day.handled, day.following)
    skipped = 0
    for r in result.skipped:
        if r["key"] in written:
            skipped += 1
            audit(session, r["child_ref"], "notify", "notification_skipped", as_of,
                  {"deadline_id": r["deadline_id"], **r["payload"]})
    session.execute(update(SweepRun.__table__).where(SweepRun.__table__.c.swept_on == as_of).values(
        deadlines_due=result.deadlines_due, written=result.written, skipped=skipped,
        duration_ms=int((time.perf_counter() - started) * 1000)))
    write_audit(session)
    session.commit()
