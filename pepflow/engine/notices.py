"""Immediate notices: recording some events tells people at once, not in the next digest.

The head teacher must tell the VSH and the social worker of a looked-after child of every
suspension and permanent exclusion without delay (DfE "Suspension and permanent
exclusion" guidance); ``[notices.<event>]`` in ``notifications.toml`` says who is told.
The outbox rows are written in the event's own transaction, so a refused event tells no
one and a recorded one cannot be lost.  Recorded on a working day, the notice goes with
the next dispatch; on a weekend or bank holiday, on the next working day at ``sweep_time``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import insert
from sqlmodel import select

from pepflow.calendars import format_day
from pepflow.clock import LONDON, SystemClock
from pepflow.config import Config
from pepflow.role_table import ROLES
from pepflow.vocabulary import role_in_sentence
from pepflow.db.models import Child, Notification, Person, School
from pepflow.db.unit import UnitOfWork
from pepflow.statuses import OutboxStatus



def _people(session: UnitOfWork, child: Child, role: str) -> list[Person]:
    if ROLES[role].virtual_school and role != "vs_officer":
        return list(session.exec(select(Person).where(Person.role == role).order_by(Person.ref)))
    ref = {"social_worker": child.social_worker_ref, "iro": child.iro_ref}.get(role)
    if role == "designated_teacher" and child.school_urn:
        school = session.get(School, child.school_urn)
        ref = school.dt_ref if school else None
    person = session.get(Person, ref) if ref else None
    return [person] if person else []


def send_at(config: Config, today: dt.date) -> dt.datetime | None:
    """When a notice recorded on ``today`` may go: at once on a working day (None), else at
    ``sweep_time`` on the next working day."""
    cal = config.calendar()
    if cal.is_working_day(today):
        return None
    return dt.datetime.combine(cal.add(today, 1, "working"), config.notifications.delivery.sweep_clock,
                               tzinfo=LONDON).astimezone(dt.timezone.utc)


def queue_notices(session: UnitOfWork, config: Config, child: Child, event: str, what: str, on: dt.date,
                  today: dt.date, details: dict[str, Any]) -> list[str]:
    """Queue the notices ``event`` sends (none unless configured); returns what the person
    recording it should know (who could not be told)."""
    notice = config.notifications.notices.get(event)
    if notice is None:
        return []
    problems: list[str] = []
    recipients: dict[str, tuple[Person, str]] = {}
    for role in notice.to:
        people = _people(session, child, role)
        if not people:
            problems.append(f"No {role_in_sentence(role)} is recorded for {child.ref}: tell them of this yourself.")
        for person in people:
            if not person.email:
                problems.append(f"{person.ref} ({role_in_sentence(role)}) has no email address: tell them of this "
                                "yourself.")
            else:
                recipients.setdefault(person.ref, (person, role_in_sentence(role)))
    facts = "; ".join(f"{name.replace('_', ' ')} {format_day(value) if isinstance(value, dt.date) else value}"
                      for name, value in details.items() if value not in (None, "", False))
    text = f"{what}, on {format_day(on)}" + (f" ({facts})" if facts else "") + ", recorded in pepflow"
    when = send_at(config, today)
    batch = uuid.uuid4().hex[:12]  # the same event may be recorded twice in a day (two suspensions)
    now = SystemClock().now()
    rows = [{"key": f"notice:{event}:{child.ref}:{batch}:{person.ref}", "child_ref": child.ref,
             "recipient_ref": person.ref, "recipient_email": person.email, "step": "notice", "status": OutboxStatus.PENDING,
             "attempts": 0, "created_at": now, "next_attempt_at": when, "message_id": "", "last_error": "",
             "claim_token": "", "payload_version": 1,
             "payload": {"kind": "notice", "event": event, "what": text, "child_ref": child.ref,
                         "due_on": on.isoformat(), "days_overdue": 0, "step": "notice", "why": why,
                         "subject": f"pepflow: {what[0].lower() + what[1:]} for case {child.ref}"}}
            for person, why in recipients.values()]
    if rows:
        session.execute(insert(Notification.__table__), rows)
    return problems
