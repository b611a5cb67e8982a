"""Finding a school or a person by what someone has to hand: part of a name, or the reference
itself whatever its case.  The pickers on the web pages search with these, then offer the
matches to choose from, so nobody types a URN or a carer's reference (issue 38).

Each word typed must begin a word of the name ("green prim" finds "Greenacre Primary"); a
reference or URN typed in full is matched exactly.  At most ``LIMIT`` matches are returned,
best first: an exact reference, then names in order.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlmodel import Session

from pepflow.db.models import Person, School
from pepflow.vocabulary import role_label

LIMIT = 20


@dataclass(frozen=True)
class Match:
    """One thing to choose: its reference (what the form sends) and how the page shows it."""

    ref: str
    name: str
    detail: str  # "URN 100001 · Primary, ages 4 to 11 · Example", "Foster carer"


def _words(text: str) -> list[str]:
    return [w for w in " ".join(text.split())[:100].lower().split(" ") if w]


def _name_matches(column, words: list[str]):
    """Each word begins a word of the name: at its start or after a space (case ignored)."""
    lowered = func.lower(column)
    return [or_(lowered.like(f"{w}%", escape="\\"), lowered.like(f"% {w}%", escape="\\"))
            for w in (_escaped(w) for w in words)]


def _escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def school_detail(school: School) -> str:
    parts = [f"URN {school.urn}"]
    if school.phase or school.low_age is not None:
        ages = (f"ages {school.low_age} to {school.high_age}"
                if school.low_age is not None and school.high_age is not None else "")
        parts.append(", ".join(p for p in (school.phase, ages) if p))
    if school.la:
        parts.append(school.la)
    if school.status and school.status != "open":
        parts.append(school.status.replace("_", " "))
    return " · ".join(parts)


def find_schools(session: Session, text: str) -> list[School]:
    """Schools whose URN is ``text`` or whose name has each word typed, open schools first."""
    words = _words(text)
    if not words:
        return []
    exact = session.get(School, text.strip())
    query = (select(School).where(*_name_matches(School.name, words))
             .order_by((School.status != "open"), School.name, School.urn).limit(LIMIT))
    found = list(session.execute(query).scalars())
    return ([exact] if exact else []) + [s for s in found if exact is None or s.urn != exact.urn]


def find_people(session: Session, text: str, roles: tuple[str, ...]) -> list[Person]:
    """People of these roles whose reference is ``text`` (any case) or whose name has each word typed."""
    words = _words(text)
    if not words:
        return []
    of_role = Person.role.in_(roles)
    exact = session.execute(select(Person).where(of_role, func.upper(Person.ref) == text.strip().upper())
                            ).scalars().first()
    query = select(Person).where(of_role, *_name_matches(Person.name, words)).order_by(Person.name, Person.ref
                                                                                        ).limit(LIMIT)
    found = list(session.execute(query).scalars())
    return ([exact] if exact else []) + [p for p in found if exact is None or p.ref != exact.ref]


def school_matches(session: Session, text: str) -> list[Match]:
    return [Match(s.urn, s.name, school_detail(s)) for s in find_schools(session, text)]


def person_matches(session: Session, text: str, roles: tuple[str, ...]) -> list[Match]:
    return [Match(p.ref, p.name, role_label(p.role)) for p in find_people(session, text, roles)]
