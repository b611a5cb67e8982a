"""When a timescale falls due, and how late a deadline was met (pure)."""

from __future__ import annotations

import datetime as dt

from ..calendars import Calendar
from ..config import Timescale

DAY_UNITS = ("school", "working", "calendar")


def due_date(rule: Timescale, start: dt.date, cal: Calendar) -> dt.date:
    """The due date of ``rule`` started on ``start``, in the rule's own unit and counting.

    A ``terms`` rule is due at the term's local PEP deadline when the calendar sets one
    ("autumn PEPs complete by 28 November"), else on the last day of that term."""
    if rule.unit == "terms":
        start = start - dt.timedelta(days=1) if rule.counting == "beginning_with" else start
        cal.add(start, rule.number, "terms")  # raises a clear error beyond the calendar
        term = cal.terms[cal.term_position(start) + rule.number]
        return term.pep_deadline or term.end
    return cal.add(start, rule.number, rule.unit, rule.counting)


def lateness(due: dt.date, done: dt.date, unit: str, cal: Calendar) -> tuple[int, str]:
    """How late ``done`` is against ``due``: (0, unit) when on time.

    Day units count in their own unit (at least 1 when late, even if done on a non-school
    day); weeks, months and terms count calendar days."""
    if done <= due:
        return 0, unit if unit in DAY_UNITS else "calendar"
    if unit in ("school", "working"):
        return max(1, cal.between(due, done, unit)), unit
    return (done - due).days, "calendar"


def units_elapsed(start: dt.date, today: dt.date, unit: str, cal: Calendar) -> int:
    """How many units of the clock have run from ``start`` to ``today``."""
    if unit in ("school", "working"):
        return cal.between(start, today, unit)
    return (today - start).days
