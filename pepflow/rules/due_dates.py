"""When a timescale falls due, and how late a deadline was met (pure)."""

from __future__ import annotations

import datetime as dt

from dataclasses import dataclass
from functools import cached_property

from pepflow.calendars import Calendar, format_units
from pepflow.errors import CalendarRangeError
from pepflow.config import Timescale

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


@dataclass(frozen=True)
class Lateness:
    """How late something is: a count in a unit (school, working or calendar days)."""

    count: int
    unit: str

    def __bool__(self) -> bool:
        return self.count > 0

    @cached_property  # a list of 60,000 rows shares a few hundred of these (bench/web.py)
    def text(self) -> str:
        """'3 working days', or '' when not late."""
        return format_units(self.count, self.unit) if self.count else ""


def how_late(due: dt.date, on: dt.date, unit: str, cal: Calendar) -> Lateness:
    """How late ``on`` is against ``due``: the one rule of pepflow, for a deadline met late
    (the ledger's ``days_late``) and for one still open (every list, page, email, export
    and report says "overdue by" with it).

    School and working days count in their own unit, at least 1 when late (even if done
    on a non-school day); weeks, months and terms count calendar days (they have no fixed
    number of days).  A date beyond the calendar's term dates counts calendar days."""
    own = unit if unit in DAY_UNITS else "calendar"
    if on <= due:
        return Lateness(0, own)
    if own in ("school", "working"):
        try:
            return Lateness(max(1, cal.between(due, on, own)), own)
        except CalendarRangeError:
            pass
    return Lateness((on - due).days, "calendar")
