"""The rows one case's events read again and again, read once per transaction.

Recording an event looks up the child's open deadlines, current PEP, school and the
Virtual School Head several times; each is read once per ``UnitOfWork`` transaction (or
for a whole batch of events at once: ``prefetch``) and kept current by the functions
that change them, so an event costs a handful of statements rather than dozens
(bench/pep_machine.py).  This module is the only user of the unit of work's caches.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import bindparam
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key
from sqlmodel import select

from pepflow.db.models import Child, Deadline, Pep, Person, School
from pepflow.statuses import DeadlineStatus
from pepflow.db.unit import UnitOfWork

Row = TypeVar("Row")

# The statements an event runs, built once: a statement built at each call cost SQLAlchemy about
# 90 µs more than the statement itself (its cache key made afresh), several times an event
# (issue 42, bench/pep_machine.py).
_KEY = bindparam("key")
_BY_KEY = {model: select(model).where(model.__table__.c[column] == _KEY)
           for model, column in ((Child, "ref"), (School, "urn"), (Person, "ref"))}
_OPEN_DEADLINES = select(Deadline).where(Deadline.child_ref == _KEY, Deadline.status == DeadlineStatus.OPEN)
_CURRENT_PEP = select(Pep).where(Pep.child_ref == _KEY, Pep.is_current)


def by_key(session: Session, model: type[Row], key: str) -> Row | None:
    """``session.get`` for a child, a school or a person, by a statement built once: the row the
    session holds already, else read."""
    held = session.identity_map.get(identity_key(model, key))
    if held is not None:
        return held
    return session.execute(_BY_KEY[model], {"key": key}).scalars().first()


def school(session: UnitOfWork, urn: str | None) -> School | None:
    if not urn:
        return None
    return session.cached("school", urn, lambda: by_key(session, School, urn))


def first_vsh_ref(session: UnitOfWork) -> str | None:
    """The Virtual School Head (the first by reference, if a council records several)."""
    return session.cached("vsh", None, lambda: session.exec(
        select(Person.ref).where(Person.role == "vsh").order_by(Person.ref)).first())


def open_deadlines_of(session: UnitOfWork, child_ref: str) -> list[Deadline]:
    """The child's open deadlines: the list itself, which ``pepflow.engine.deadlines`` keeps
    current as it opens and closes them (the only writer of deadlines)."""
    return session.cached("open_deadlines", child_ref, lambda: list(session.execute(
        _OPEN_DEADLINES, {"key": child_ref}).scalars()))


def current_pep(session: UnitOfWork, child_ref: str) -> Pep | None:
    """The child's one current PEP (None when not looked after or the record is incomplete)."""
    return session.cached("current_pep", child_ref, lambda: session.execute(
        _CURRENT_PEP, {"key": child_ref}).scalars().first())


def set_current_pep(session: UnitOfWork, child_ref: str, pep: Pep | None) -> None:
    session.cache("current_pep")[child_ref] = pep


def prefetch(session: UnitOfWork, child_refs: list[str]) -> None:
    """Read what a batch of events of these children needs in a few queries."""
    for chunk in range(0, len(child_refs), 500):
        part = child_refs[chunk:chunk + 500]
        children = list(session.exec(select(Child).where(Child.ref.in_(part))))
        urns = {c.school_urn for c in children if c.school_urn}
        schools = list(session.exec(select(School).where(School.urn.in_(urns)))) if urns else []
        # kept referenced for the transaction: the session's identity map holds rows weakly
        session.cache("batch_rows").update({id(o): o for o in children + schools})
        for s in schools:
            session.cache("school")[s.urn] = s
        _prefetch_open_deadlines(session, part)
        _prefetch_current_peps(session, part)


def _prefetch_open_deadlines(session: UnitOfWork, child_refs: list[str]) -> None:
    found: dict[str, list[Deadline]] = {ref: [] for ref in child_refs}
    for d in session.exec(select(Deadline).where(Deadline.child_ref.in_(child_refs), Deadline.status == DeadlineStatus.OPEN)):
        found[d.child_ref].append(d)
    session.cache("open_deadlines").update(found)


def _prefetch_current_peps(session: UnitOfWork, child_refs: list[str]) -> None:
    found: dict[str, Any] = {ref: None for ref in child_refs}
    peps = list(session.exec(select(Pep).where(Pep.child_ref.in_(child_refs), Pep.is_current)))
    for pep in peps:
        found[pep.child_ref] = pep
    session.cache("current_pep").update(found)
