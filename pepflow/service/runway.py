"""Calendar runway: term dates for every school year that open deadlines or the next weeks need.

A calendar's term dates are typed in a year at a time.  When the next school year's have
not been added, nothing fails until the first event or reminder that counts school days
into it: then it fails for everyone at once.  This check finds the gap first, at start,
at every sweep, on VS admin's My work and in ``pepflow timescales``: a calendar missing a
school year that an open deadline falls in, or that the next ``calendar_runway_days``
(90) reach into.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from pepflow.calendars import academic_year_of, academic_year_start, format_day
from pepflow.config import Config
from pepflow.db.models import Deadline, School
from pepflow.statuses import DeadlineStatus


@dataclass(frozen=True)
class RunwayGap:
    calendar: str
    school_year: str  # the first school year it lacks, e.g. 2027-28
    needed_by: str  # what needs it, in words

    def sentence(self) -> str:
        return (f"Calendar '{self.calendar}' has no term dates for {self.school_year}, which {self.needed_by} "
                f"need: add that year to config/calendars/{self.calendar}.toml")


def gaps(config: Config, today: dt.date, latest_due: dict[str, dt.date], in_use: set[str]) -> list[RunwayGap]:
    """The calendars in use that lack a school year needed (pure: the dates are given)."""
    ahead = today + dt.timedelta(days=config.settings.calendar_runway_days)
    found = []
    for name in sorted(in_use | set(latest_due)):
        calendar = config.calendars.get(name)
        if calendar is None:
            continue
        covered_to = academic_year_start(calendar.last_year)
        due = latest_due.get(name)
        if due is not None and academic_year_start(academic_year_of(due)) > covered_to:
            found.append(RunwayGap(name, _year_after(calendar.last_year),
                                   f"open deadlines due up to {format_day(due)}"))
        elif academic_year_start(academic_year_of(ahead)) > covered_to:
            found.append(RunwayGap(name, _year_after(calendar.last_year),
                                   f"the next {config.settings.calendar_runway_days} days (to {format_day(ahead)})"))
    return found


def _year_after(label: str) -> str:
    start = academic_year_start(label) + 1
    return f"{start}-{(start + 1) % 100:02d}"


def calendar_runway(engine: Engine, config: Config, today: dt.date) -> list[RunwayGap]:
    """The gaps for this database: the calendars its schools and open deadlines use."""
    with engine.connect() as conn:
        latest = dict(conn.execute(select(Deadline.calendar, func.max(Deadline.due_on))
                                   .where(Deadline.status == DeadlineStatus.OPEN).group_by(Deadline.calendar)).all())
        in_use = set(conn.execute(select(School.calendar).distinct()).scalars())
    return gaps(config, today, latest, in_use | {config.settings.default_calendar})
