"""The rows one case's events read again and again, read once per transaction.

Recording an event looks up the child's open deadlines, current PEP, school and the
Virtual School Head several times; each is read once per ``UnitOfWork`` transaction (or
for a whole batch of events at once: ``prefetch``) and kept current by the functions
that change them, so an event costs a handful of statements rather than dozens
(bench/pep_machine.py).  This module is the only user of the unit of work's caches.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from pepflow.db.models import Child, Deadline, Pep, Person, School
from pepflow.statuses import DeadlineStatus
from pepflow.db.unit import UnitOfWork



def school(session: UnitOfWork, urn: str | None) -> School | None:
    if not urn:
        return None
    return session.cached("school", urn, lambda: session.get(School, urn))


def first_vsh_ref(session: UnitOfWork) -> str | None:
    """The Virtual School Head (the first by reference, if a council records several)."""
    return session.cached("vsh", None, lambda: session.exec(
        select(Person.ref).where(Person.role == "vsh").order_by(Person.ref)).first())


def open_deadlines_of(session: UnitOfWork, child_ref: str) -> list[Deadline]:
    """The child's open deadlines: the list itself, which ``pepflow.engine.deadlines`` keeps
    current as it opens and closes them (the only writer of deadlines)."""
    return session.cached("open_deadlines", child_ref, lambda: list(session.exec(
        select(Deadline).where(Deadline.child_ref == child_ref, Deadline.status == DeadlineStatus.OPEN))))


def current_pep(session: UnitOfWork, child_ref: str) -> Pep | None:
    """The child's one current PEP (None when not looked after or the record is incomplete)."""
    return session.cached("current_pep", child_ref, lambda: session.exec(
        select(Pep).where(Pep.child_ref == child_ref, Pep.is_current)).first())


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
