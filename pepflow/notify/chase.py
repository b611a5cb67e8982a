"""Chasing a deadline now: "Send a reminder now" on an open deadline puts a reminder to its owner
in the outbox at once, rather than waiting for the sweep's next step.  At most once a day for
each deadline and person (the outbox key says so), and in the child's history like every email."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from pepflow.audit import audit
from pepflow.config import Config
from pepflow.db.models import Child, Deadline, Notification, Person
from pepflow.db.unit import UnitOfWork
from pepflow.engine.deadlines import how_overdue
from pepflow.errors import InputError, NotFound
from pepflow.notify.sweep import reminder_payload
from pepflow.statuses import DeadlineStatus, OutboxStatus
from pepflow.vocabulary import kind_label, role_in_sentence

STEP = "chase"


def chase_now(session: UnitOfWork, config: Config, child: Child, deadline_id: int, today: dt.date,
              now: dt.datetime, actor: str, by: str) -> str:
    """Queue a reminder of the child's open deadline to its owner now; returns what to tell the
    person who asked.  Refused, with nothing written, for a deadline that is closed, has no named
    owner, whose owner has no email address, or was chased to them today already."""
    deadline = session.get(Deadline, deadline_id)
    if deadline is None or deadline.child_ref != child.ref:
        raise NotFound("deadline", str(deadline_id))
    what = kind_label(deadline.kind)
    if deadline.status != DeadlineStatus.OPEN:
        raise InputError("deadline", what, "is no longer open: there is nothing to chase")
    owner = session.get(Person, deadline.owner_ref) if deadline.owner_ref else None
    if owner is None:
        raise InputError("deadline", what, f"has no named {role_in_sentence(deadline.owner_role)} to remind: "
                                           "record who it is first")
    if not owner.email:
        raise InputError("deadline", what, f"cannot be chased: {owner.name} has no email address in the people list")
    key = f"{deadline.id}:{STEP}:{today.isoformat()}:{owner.ref}"
    already = InputError("deadline", what, f"was chased to {owner.name} today already: one reminder a day")
    if session.execute(select(Notification.id).where(Notification.key == key)).first() is not None:
        raise already
    row = SimpleNamespace(kind=deadline.kind, child_ref=child.ref, due_on=deadline.due_on, note=deadline.note,
                          first_name=child.first_name, last_name=child.last_name)
    payload = reminder_payload(config, row, STEP, how_overdue(config, child, deadline, today), f"asked for by {by}")
    try:
        with session.begin_nested():  # two chases at the same moment: the day's key lets one in
            session.execute(insert(Notification.__table__), [{
                "key": key, "deadline_id": deadline.id, "child_ref": child.ref, "recipient_ref": owner.ref,
                "recipient_email": owner.email, "step": STEP, "status": OutboxStatus.PENDING, "attempts": 0,
                "created_at": now, "next_attempt_at": None, "message_id": "", "last_error": "", "claim_token": "",
                "payload_version": 1, "payload": payload}])
    except IntegrityError:
        raise already from None
    audit(session, child.ref, "notify", "reminder_chased", today,
          {"deadline_id": deadline.id, "kind": deadline.kind, "to": owner.ref}, actor=actor)
    return f"A reminder of {what.lower()[:1] + what[1:]} goes to {owner.name} with the next emails."
