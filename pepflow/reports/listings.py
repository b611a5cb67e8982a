"""Read-only listings for the CLI and the web pages, as plain dicts with stable keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, select

from pepflow.audit.snapshots import REPLAY_KEYS
from pepflow.cohort import year_group
from pepflow.db.child_refs import require_child
from pepflow.config import Config
from pepflow.db.models.history_rows import CHANGES_ONLY
from pepflow.db.models import (Admission, CarePlacement, Child, Deadline, Event, Exclusion, Notification, Person,
                               Pep, School, Suspension)
from pepflow.engine.deadlines import OverdueOn, calendar_for, how_overdue
from pepflow.rules.due_dates import Lateness
from pepflow.calendars import academic_year_of
from pepflow.errors import CalendarRangeError
from pepflow.statuses import DeadlineStatus, OutboxStatus
from pepflow.calendars import format_day, format_moment
from pepflow.reports.history_words import SCHOOL_KEYS, Who, actor_text, details, names_a_person, sentence

PEP_KINDS = ("initial_pep", "pep_review", "pep_significant_change", "pep_completion",
             "pep_distribution", "pep_qa", "pep_resubmission", "pep_before_care_review",
             "record_incomplete")


def deadline_row(session: Session, config: Config, child: Child, d: Deadline, as_of: dt.date
                 ) -> dict[str, Any]:
    late = how_overdue(config, child, d, as_of) if d.status == DeadlineStatus.OPEN else Lateness(0, d.unit)
    return {
        "id": d.id, "child_ref": d.child_ref, "kind": d.kind, "process": d.process,
        "status": d.status, "opened_on": d.opened_on.isoformat(), "due_on": d.due_on.isoformat(),
        "number": d.number, "unit": d.unit, "counting": d.counting, "calendar": d.calendar,
        "rule": d.rule_key, "rule_version": d.rule_version, "source": d.source,
        "owner_role": d.owner_role, "owner_ref": d.owner_ref,
        "closed_on": d.closed_on.isoformat() if d.closed_on else None,
        "days_late": d.days_late, "late_unit": d.late_unit or None, "close_reason": d.close_reason,
        "days_overdue": late.count, "overdue_unit": late.unit, "note": d.note,
    }


def pep_list(session: Session, config: Config, as_of: dt.date, overdue: bool = False,
             due_within: int | None = None, school: str | None = None, sw: str | None = None
             ) -> list[dict[str, Any]]:
    """One row per open PEP deadline of a looked-after child, soonest due first."""
    query = (select(Deadline, Child).join(Child, Child.ref == Deadline.child_ref)
             .where(Deadline.status == DeadlineStatus.OPEN, Deadline.kind.in_(PEP_KINDS), Child.looked_after))
    if overdue:
        query = query.where(Deadline.due_on < as_of)
    if due_within is not None:
        query = query.where(Deadline.due_on <= as_of + dt.timedelta(days=due_within))
    if school:
        query = query.where(Child.school_urn == school)
    if sw:
        query = query.where(Child.social_worker_ref == sw)
    rows = list(session.exec(query.order_by(Deadline.due_on, Deadline.child_ref, Deadline.id)))
    peps = {p.child_ref: p for p in session.exec(
        select(Pep).where(Pep.is_current, Pep.child_ref.in_({c.ref for _, c in rows})))}
    out = []
    lateness = OverdueOn(config, as_of)
    for d, child in rows:
        late = lateness(d.due_on, d.unit, d.calendar, child.school_urn)
        pep = peps.get(child.ref)
        out.append({
            "child_ref": child.ref, "year_group": year_group(child.dob, as_of),
            "school_urn": child.school_urn, "social_worker_ref": child.social_worker_ref,
            "pep_state": pep.state if pep else None, "due": d.kind, "owner_role": d.owner_role,
            "owner_ref": d.owner_ref, "due_on": d.due_on.isoformat(), "days_overdue": late.count,
            "overdue_unit": late.unit, "note": d.note,
        })
    return out


def child_deadlines(session: Session, config: Config, child_ref: str, as_of: dt.date
                    ) -> list[dict[str, Any]]:
    child = require_child(session, child_ref)
    deadlines = session.exec(select(Deadline).where(Deadline.child_ref == child.ref)
                             .order_by(Deadline.opened_on, Deadline.id))
    return [deadline_row(session, config, child, d, as_of) for d in deadlines]




def history(session: Session, child_ref: str, include_views: bool = False) -> list[dict[str, Any]]:
    child_ref = require_child(session, child_ref).ref
    query = select(Event).where(Event.child_ref == child_ref)
    if not include_views:  # the changes: views and downloads left out, through their own index
        query = query.where(text(CHANGES_ONLY))
    events = session.exec(query.order_by(Event.effective_on, Event.id))
    rows = [{
        "id": e.id, "event": e.name, "effective_on": e.effective_on.isoformat(),
        "recorded_at": e.recorded_at.isoformat(), "by": e.actor_ref, "process": e.process,
        "state_before": e.state_before, "state_after": e.state_after,
        "payload": {k: v for k, v in e.payload.items() if k not in REPLAY_KEYS},  # for checking, not reading
    } for e in events]
    # each reminder sent, from its outbox row: the history has one row an email, which may carry
    # several children's reminders (``notify/recorder.email_sent``); emails sent before that had a
    # history row for each reminder, which are shown as they are
    shown = {r["payload"].get("notification_id") for r in rows if r["event"] == "notification_sent"}
    reminders = [_reminder_row(n) for n in session.execute(
        select(Notification.id, Notification.sent_at, Notification.recipient_ref, Notification.step,
               Notification.payload, Notification.message_id)
        .where(Notification.child_ref == child_ref, Notification.status == OutboxStatus.SENT)
        .order_by(Notification.sent_at, Notification.id)) if n.id not in shown]
    return sorted(rows + reminders, key=lambda r: r["effective_on"]) if reminders else rows


def _reminder_row(n: Any) -> dict[str, Any]:
    """A reminder the relay accepted, as a row of the child's history."""
    return {"id": None, "event": "notification_sent", "effective_on": n.sent_at.date().isoformat(),
            "recorded_at": n.sent_at.isoformat(), "by": None, "process": "notify", "state_before": None,
            "state_after": None, "payload": {"notification_id": n.id, "to": n.recipient_ref, "step": n.step,
                                             "kind": n.payload.get("kind"), "due_on": n.payload.get("due_on"),
                                             "message_id": n.message_id}}


def readable_history(session: Session, child_ref: str, include_views: bool = False) -> list[dict[str, Any]]:
    """A child's history as people read it: dates in words, each row a sentence with its
    details (``history_words``), the people named from the people list."""
    rows = history(session, child_ref, include_views)
    refs = {v for r in rows for k, v in r["payload"].items() if isinstance(v, str) and names_a_person(k)}
    people = {p.ref: Who(p.name, p.role) for p in session.exec(select(Person).where(Person.ref.in_(refs)))} \
        if refs else {}
    schools = school_names(session, {v for r in rows for k, v in r["payload"].items()
                                     if isinstance(v, str) and k in SCHOOL_KEYS})
    return [{"event": r["event"], "on": format_day(dt.date.fromisoformat(r["effective_on"])),
             "at": format_moment(dt.datetime.fromisoformat(r["recorded_at"])), "by": actor_text(r["by"]),
             "sentence": sentence(r, people), "details": details(r, people, schools)} for r in rows]


def school_names(session: Session, urns: set[str | None]) -> dict[str, str]:
    """The names of these schools by URN (one query), for lists that show a school by name."""
    wanted = sorted(u for u in urns if u)
    if not wanted:
        return {}
    return dict(session.exec(select(School.urn, School.name).where(School.urn.in_(wanted))).all())


def admission_list(session: Session, config: Config, as_of: dt.date, open_only: bool = False,
                   breaching: bool = False) -> dict[str, Any]:
    """Admissions with their 20-school-day clocks: days used and left, as of a date."""

    query = select(Admission, Child).join(Child, Child.ref == Admission.child_ref)
    if open_only or breaching:
        query = query.where(Admission.is_open)
    rows = list(session.exec(query.order_by(Admission.identified_on, Admission.id)))
    clocks = {d.process_id: d for d in session.exec(select(Deadline).where(
        Deadline.process == "admission", Deadline.kind == "admission_placement",
        Deadline.process_id.in_([a.id for a, _ in rows])))} if rows else {}
    schools = school_names(session, {a.school_urn for a, _ in rows})
    items = []
    for admission, child in rows:
        clock = clocks.get(admission.id)
        cal = calendar_for(session, config, child, name=clock.calendar if clock else None)
        end = admission.started_on or as_of
        try:
            used = cal.between(admission.identified_on, end, "school")
        except CalendarRangeError:
            used = None
        limit = clock.number if clock else 20
        item = {
            "child_ref": child.ref, "child_name": child.name, "admission_id": admission.id, "reason": admission.reason,
            "state": admission.state, "school_urn": admission.school_urn,
            "school_name": schools.get(admission.school_urn or "", ""), "route": admission.route or None,
            "identified_on": admission.identified_on.isoformat(),
            "due_on": clock.due_on.isoformat() if clock else None,
            "school_days_used": used, "school_days_left": None if used is None else max(0, limit - used),
            "breaching": bool(clock and (admission.started_on or as_of) > clock.due_on),
            "temporary_hours": admission.temporary_hours,
            "started_on": admission.started_on.isoformat() if admission.started_on else None,
            "in_area": admission.in_area,
        }
        if breaching and not item["breaching"]:
            continue
        items.append(item)
    by_year: dict[str, int] = {}
    by_child: dict[str, int] = {}
    for child_ref, start in session.exec(select(CarePlacement.child_ref, CarePlacement.start)
                                         .where(CarePlacement.emergency)):
        year = academic_year_of(start)
        by_year[year] = by_year.get(year, 0) + 1
        by_child[child_ref] = by_child.get(child_ref, 0) + 1
    return {"as_of": as_of.isoformat(), "count": len(items), "items": items,
            "emergency_moves_by_year": by_year, "emergency_moves_by_child": by_child}


def exclusion_list(session: Session, as_of: dt.date, open_only: bool = False) -> dict[str, Any]:
    """Exclusion processes with suspension days this year and the open statutory clocks."""

    query = select(Exclusion, Child).join(Child, Child.ref == Exclusion.child_ref).order_by(
        Exclusion.opened_on, Exclusion.id)
    if open_only:
        query = query.where(Exclusion.is_open)
    rows = list(session.exec(query))
    schools = school_names(session, {x.school_urn for x, _ in rows})
    items = []
    for x, child in rows:
        suspensions = list(session.exec(select(Suspension).where(Suspension.exclusion_id == x.id)))
        clocks = session.exec(select(Deadline).where(Deadline.process == "exclusion", Deadline.process_id == x.id,
                                                     Deadline.status == DeadlineStatus.OPEN).order_by(Deadline.due_on))
        items.append({
            "child_ref": x.child_ref, "child_name": child.name, "exclusion_id": x.id, "school_year": x.school_year,
            "school_urn": x.school_urn, "school_name": schools.get(x.school_urn or "", ""),
            "state": x.state, "opened_on": x.opened_on.isoformat(),
            "vs_consulted_on": x.vs_consulted_on.isoformat() if x.vs_consulted_on else None,
            "suspensions": len(suspensions), "suspension_days": sum(s.days for s in suspensions),
            "permanently_excluded_on": x.excluded_on.isoformat() if x.excluded_on else None,
            "no_pre_exclusion_meeting": x.no_pre_exclusion_meeting,
            "open_clocks": [{"kind": d.kind, "due_on": d.due_on.isoformat(), "overdue": d.due_on < as_of}
                            for d in clocks],
        })
    return {"as_of": as_of.isoformat(), "count": len(items), "items": items}
