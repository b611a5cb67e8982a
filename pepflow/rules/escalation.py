"""Which reminder or escalation is due for a deadline on a date (pure).

A deadline's plan is its reminders (N working days before the due date, to the owner)
and escalations (N working days after it, to the people named).  The sweep asks, for
the deadline's last step sent, which step is current on a date: it sends that one and
records any earlier ones it passed over (after downtime) as skipped, never sent late.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pepflow.calendars import Calendar
from pepflow.config import KindPolicy


@dataclass(frozen=True)
class Step:
    name: str  # remind_5, remind_0, escalate_2 …: unique within a plan
    on: dt.date
    to: tuple[str, ...]

    @property
    def is_escalation(self) -> bool:
        return self.name.startswith("escalate")


def plan(policy: KindPolicy, due: dt.date, cal: Calendar) -> list[Step]:
    """Every step for a deadline due on ``due``, in date order; each on a working day."""
    steps = []
    for days in policy.reminders:
        if days == 0:
            on = due if cal.is_working_day(due) else cal.add(due, -1, "working")
        else:
            on = cal.add(due, -days, "working")
        steps.append(Step(f"remind_{days}", on, ("owner",)))
    for escalation in policy.escalations:
        steps.append(Step(f"escalate_{escalation.after}", cal.add(due, escalation.after, "working"),
                          escalation.to))
    return sorted(steps, key=lambda s: (s.on, s.is_escalation))


@dataclass(frozen=True)
class Decision:
    current: Step | None  # the step to send now
    stale: tuple[Step, ...]  # passed over while nobody swept: recorded as skipped
    next_on: dt.date | None  # when the deadline next needs the sweep (None: never again)


def decide(steps: list[Step], last_step: str, as_of: dt.date) -> Decision:
    """The current step on ``as_of`` for a deadline whose last handled step is ``last_step``."""
    names = [s.name for s in steps]
    start = names.index(last_step) + 1 if last_step in names else 0
    waiting = steps[start:]
    due_now = [s for s in waiting if s.on <= as_of]
    later = [s for s in waiting if s.on > as_of]
    return Decision(due_now[-1] if due_now else None, tuple(due_now[:-1]),
                    later[0].on if later else None)


def first_step_on(policy: KindPolicy, due: dt.date, cal: Calendar) -> dt.date | None:
    steps = plan(policy, due, cal)
    return steps[0].on if steps else None
