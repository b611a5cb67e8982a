"""Run the engine over a span of days on a fixed clock: people act, the sweep reminds.

Each working day, some owners do what is due (PEP meetings held, PEPs submitted, quality
assured, distributed; care reviews held), more readily as the due date nears; then the
sweep runs and the dispatcher delivers.  Used by ``pepflow simulate`` to show a new user
what the service does over a term, in seconds.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Callable
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pepflow.clock import LONDON, SteppedClock
from pepflow.engine.recording import EventRequest, record_events
from pepflow.db.unit import UnitOfWork
from pepflow.config import Config
from pepflow.states.pep import REVIEW_KINDS
from pepflow.db.models import Deadline, Notification, Pep, Person
from pepflow.notify.mailers import Mailer
from pepflow.notify.outbox import dispatch
from pepflow.notify.sweep import sweep
from pepflow.statuses import DeadlineStatus, OutboxStatus

# state of the current PEP -> (event, settings, chance a day)
NEXT_STEP = {
    "meeting_held": ("pep_submitted", {}, 0.25),
    "submitted": ("pep_qa_started", {}, 0.35),
    "returned": ("pep_resubmitted", {}, 0.3),
    "approved": ("pep_distributed", {}, 0.4),
}


@dataclass
class SimulationSummary:
    days: int = 0
    working_days: int = 0
    events: Counter = field(default_factory=Counter)
    sent_by_role_and_step: Counter = field(default_factory=Counter)
    closed: Counter = field(default_factory=Counter)
    overdue_at_end: int = 0
    emails: int = 0

    def lines(self) -> list[str]:
        out = [f"Simulated {self.days} days ({self.working_days} working days); {sum(self.events.values())} "
               f"events recorded; {self.emails} emails delivered."]
        reminders = Counter({k: v for k, v in self.sent_by_role_and_step.items() if k[1] == "reminder"})
        escalations = Counter({k: v for k, v in self.sent_by_role_and_step.items() if k[1] == "escalation"})
        for title, counter in (("Reminders", reminders), ("Escalations", escalations)):
            text = ", ".join(f"{role} {n}" for (role, _), n in sorted(counter.items())) or "none"
            out.append(f"  {title} by recipient role: {text}")
        out.append(f"  Deadlines met on time: {self.closed.get('met', 0)}, met late: {self.closed.get('met_late', 0)}, "
                   f"missed: {self.closed.get('missed', 0)}; still overdue at the end: {self.overdue_at_end}")
        return out


def _actions(session: Session, day: dt.date, rng: random.Random) -> list[EventRequest]:
    """Today's events: at most one for each child, likelier as a deadline nears."""
    peps = {p.child_ref: p for p in session.execute(select(Pep).where(Pep.is_current)).scalars()}
    due = session.execute(select(Deadline.child_ref, Deadline.kind, Deadline.due_on)
                          .where(Deadline.status == DeadlineStatus.OPEN)).all()
    soonest: dict[str, dt.date] = {}
    care_due: dict[str, dt.date] = {}
    for ref, kind, due_on in due:
        if kind in REVIEW_KINDS:
            soonest[ref] = min(soonest.get(ref, due_on), due_on)
        elif kind.startswith("care_review"):
            care_due[ref] = due_on
    requests = []
    for ref, pep in peps.items():
        if pep.state_changed_on >= day:
            continue
        if pep.state in ("due", "meeting_scheduled", "approved", "distributed") and ref in soonest:
            days_left = (soonest[ref] - day).days
            if days_left <= 15 and rng.random() < (0.25 if days_left <= 3 else 0.08):
                requests.append(EventRequest(ref, "pep_meeting_held", day))
                continue
        if pep.state == "in_qa" and rng.random() < 0.35:
            if rng.random() < 0.1:
                requests.append(EventRequest(ref, "pep_returned", day, None, {"reason": "targets need work"}))
            else:
                requests.append(EventRequest(ref, "pep_approved", day, None,
                                             {"rating": rng.choice(["green", "green", "amber"])}))
            continue
        if pep.state in NEXT_STEP:
            name, params, chance = NEXT_STEP[pep.state]
            if rng.random() < chance:
                requests.append(EventRequest(ref, name, day, None, params or None))
                continue
        if ref in care_due and (care_due[ref] - day).days <= 5 and rng.random() < 0.3:
            requests.append(EventRequest(ref, "care_review_held", day))
    return requests


def simulate(engine: Engine, config: Config, start: dt.date, end: dt.date, mailer: Mailer,
             seed: int = 2026, on_day: Callable[[int], None] | None = None) -> SimulationSummary:
    """Run the days from ``start`` to ``end``; ``on_day(1)`` after each (a progress bar)."""
    rng = random.Random(seed)
    cal = config.calendar()
    summary = SimulationSummary()
    with Session(engine) as session:
        first_notification = session.execute(select(func.coalesce(func.max(Notification.id), 0))).scalar_one()
    day = start
    while day <= end:
        summary.days += 1
        if cal.is_working_day(day):
            summary.working_days += 1
            with UnitOfWork(engine, expire_on_commit=False) as session:
                requests = _actions(session, day, rng)
                record_events(session, config, requests, day)
                session.commit()
            summary.events.update(r.event for r in requests)
            now = SteppedClock(dt.datetime.combine(day, dt.time(8, 0), tzinfo=LONDON))
            sweep(engine, config, day, clock=now)
            summary.emails += dispatch(engine, config, mailer, now).emails_sent
        day += dt.timedelta(days=1)
        if on_day:
            on_day(1)
    with Session(engine) as session:
        roles = dict(session.execute(select(Person.ref, Person.role)).all())
        for step, ref in session.execute(select(Notification.step, Notification.recipient_ref).where(
                Notification.id > first_notification, Notification.status == OutboxStatus.SENT)).all():
            kind = "reminder" if step.startswith("remind") else "escalation" if step.startswith("escalate") else step
            summary.sent_by_role_and_step[(roles.get(ref, "unknown"), kind)] += 1
        summary.closed.update(dict(session.execute(
            select(Deadline.status, func.count()).where(Deadline.closed_on >= start, Deadline.closed_on <= end)
            .group_by(Deadline.status)).all()))
        summary.overdue_at_end = session.execute(select(func.count()).select_from(Deadline).where(
            Deadline.status == DeadlineStatus.OPEN, Deadline.due_on < end)).scalar_one()
    return summary
