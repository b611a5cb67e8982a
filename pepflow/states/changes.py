"""Changes in a child's life that several processes record: a school move, and the early
PEP review a significant change brings (a school move, a placement breakdown, an
exclusion).  Kept apart so that care, admissions and exclusions share them without
importing each other.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from pepflow.config import Config
from pepflow.cohort import year_group
from pepflow.db.models import Child, Deadline, EducationPlacement, School
from pepflow.db.unit import UnitOfWork
from pepflow.engine.deadlines import open_deadline, open_deadlines
from pepflow.rules.placement import age_range_misfit
from pepflow.states.pep import COMPLETE_STATES, current_pep, start_cycle, supersede


def significant_change(session: UnitOfWork, config: Config, child: Child, on: dt.date,
                       reason: str) -> Deadline | None:
    """A school move, placement breakdown or exclusion: an early PEP review is due.

    A completed PEP is superseded by a new 'early' cycle; a PEP in progress keeps going
    and gets the early-review deadline.  Returns the deadline, or None if one is open."""
    pep = current_pep(session, child.ref)
    if pep is None:
        return None
    if pep.state in COMPLETE_STATES:
        supersede(session, config, child, pep, on)
        pep = start_cycle(session, child, "early", on)
    if open_deadlines(session, child.ref, ["pep_significant_change"]):
        return None
    return open_deadline(session, config, child, "pep_significant_change", on, "pep", pep.id,
                         note=reason)


def move_school(s: UnitOfWork, child: Child, urn: str, on: dt.date) -> None:
    """Record the child's education placement history and current school."""
    for placement in s.exec(select(EducationPlacement).where(
            EducationPlacement.child_ref == child.ref, EducationPlacement.end.is_(None))):
        placement.end = on
        s.add(placement)
    s.add(EducationPlacement(child_ref=child.ref, school_urn=urn, start=on))
    child.school_urn = urn
    s.add(child)


def age_range_warnings(school: School | None, child: Child, on: dt.date) -> list[str]:
    """A warning when the school's statutory age range does not take a child of this year group
    (a primary school for a Year 7 pupil): recorded all the same, since GIAS can be out of date."""
    if school is None:
        return []
    misfit = age_range_misfit(school.low_age, school.high_age, year_group(child.dob, on))
    return [f"{school.name} may not suit {child.first_name}: {misfit}."] if misfit else []
