"""A council that edits ``notifications.toml`` changes when reminders go.  Each open deadline's
first reminder date was planned when the deadline opened; the sweep plans every later step
afresh from the policy in force, but the first is read from the schedule.  So the first sweep
after the policy changes plans again the first reminder of every open deadline still waiting
for one.  The policy the schedule was planned with is remembered by its fingerprint."""

from __future__ import annotations

import hashlib
import json
import logging

from sqlalchemy import delete, select, update

from pepflow.config import Config
from pepflow.db.models import Deadline, DeadlineStep, SiteSetting
from pepflow.db.unit import UnitOfWork
from pepflow.engine.deadlines import first_reminder_on
from pepflow.statuses import DeadlineStatus

log = logging.getLogger("pepflow.notify.replan")
SETTING = "notification_policy_planned"


def policy_fingerprint(config: Config) -> str:
    """A short digest of the policy in force (its reminders and escalations, kind by kind)."""
    policy = config.notifications.model_dump(mode="json") if config.notifications else None
    return hashlib.sha256(json.dumps(policy, sort_keys=True).encode()).hexdigest()[:16]


def replan_first_reminders(session: UnitOfWork, config: Config) -> int:
    """If the policy changed since the schedule was planned, move the first reminder of each
    open deadline still waiting for one to the date the policy now gives (or take it out of
    the schedule where the policy now sends none).  Returns the deadlines moved."""
    fingerprint = policy_fingerprint(config)
    remembered = session.get(SiteSetting, SETTING)
    if remembered is not None and remembered.value == fingerprint:
        return 0
    moved = 0
    if remembered is not None:
        S = DeadlineStep.__table__.c
        waiting = (select(Deadline.kind, Deadline.due_on).join(DeadlineStep, S.deadline_id == Deadline.id)
                   .where(S.last_step == "", Deadline.status == DeadlineStatus.OPEN).distinct())
        for kind, due_on in session.execute(waiting).all():
            of_group = select(Deadline.id).where(Deadline.kind == kind, Deadline.due_on == due_on,
                                                 Deadline.status == DeadlineStatus.OPEN)
            first = first_reminder_on(config, kind, due_on)
            where = (S.deadline_id.in_(of_group), S.last_step == "")
            if first is None:
                moved += session.execute(delete(DeadlineStep.__table__).where(*where)).rowcount
            else:
                moved += session.execute(update(DeadlineStep.__table__).where(*where, S.next_step_on != first)
                                         .values(next_step_on=first)).rowcount
        log.info("The notification policy changed: the first reminder of %d open deadline(s) planned again", moved)
        remembered.value = fingerprint
    else:
        remembered = SiteSetting(name=SETTING, value=fingerprint)
    session.add(remembered)
    return moved
