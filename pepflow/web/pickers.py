"""Search then choose: a form field that takes a school or a person is typed as part of a name
(or the reference, if known), and the page then offers the matches to choose from, each with
what tells them apart.  It works without script (GOV.UK's "search then choose" step); the value
sent on is always the reference.

A school offered for a child says when its age range does not take the child's year group.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Mapping

from sqlmodel import Session

from pepflow.cohort import year_group
from pepflow.db.models import Child, Person, School
from pepflow.engine.events import Param
from pepflow.reports.lookups import Match, find_schools, person_matches, school_detail
from pepflow.rules.placement import age_range_misfit


def picks(param: Param) -> bool:
    """Whether this parameter is chosen by searching (a school or a person), not typed."""
    return bool(param.school or param.person)


@dataclass
class Picked:
    value: str = ""  # the reference chosen (or typed exactly)
    searched: str = ""  # what was typed, when there is a choice to make
    choices: list[Match] = field(default_factory=list)
    error: str = ""


def search_box(name: str) -> str:
    """The name of the "search again" box shown beside the choices."""
    return f"{name}-search"


def pick(session: Session, param: Param, form: Mapping[str, str], child: Child, on: dt.date) -> Picked:
    """Read a school or person field: an exact reference is taken as it is; anything else is
    searched, and the matches are offered (even one: the person confirms it)."""
    again = form.get(search_box(param.name), "").strip()
    typed = again or form.get(param.name, "").strip()
    if not typed:
        return Picked()
    chosen = CHOSEN.search(typed)  # "Riverside Primary (URN 100001)": a match chosen as it was typed (pepflow.js)
    if chosen and not again:
        exact = _exact(session, param, chosen.group(1))
        if exact:
            return Picked(value=exact)
    if param.school:
        schools = find_schools(session, typed)
        if schools and schools[0].urn == typed and not again:
            return Picked(value=typed)
        choices = [Match(s.urn, s.name, _school_for(s, child, on)) for s in schools]
        what = "school"
    else:
        choices = person_matches(session, typed, param.person)
        if choices and choices[0].ref.upper() == typed.upper() and not again:
            return Picked(value=choices[0].ref)
        what = "person of the right role"
    if not choices:
        return Picked(searched=typed, error=f"No {what} matches ‘{typed[:40]}’: try part of the name, "
                                            "or the reference")
    return Picked(searched=typed, choices=choices)


CHOSEN = re.compile(r"\((?:URN )?([^()\s]{1,40})\)\s*$")


def _exact(session: Session, param: Param, ref: str) -> str:
    """The reference, if it names a school (or a person of the field's roles) exactly."""
    if param.school:
        return ref if session.get(School, ref) is not None else ""
    person = session.get(Person, ref)
    return ref if person is not None and person.role in param.person else ""


def _school_for(school: School, child: Child, on: dt.date) -> str:
    misfit = age_range_misfit(school.low_age, school.high_age, year_group(child.dob, on))
    return school_detail(school) + (f" · may not suit: {misfit}" if misfit else "")
