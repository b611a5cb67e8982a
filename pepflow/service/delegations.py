"""A designated teacher giving a colleague at their school (a ``school_colleague`` account) the
DT's PEP sections for named pupils, until a day (issue 39 item 5).  While it runs the colleague
sees those pupils only (accounts.access.child_scope) and fills in the DT's sections for them,
nothing else; the DT can end it early.  Each is in the pupil's history."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from pepflow.audit import audit
from pepflow.db.models import Child, PepDelegation, School, UserAccount
from pepflow.errors import InputError, NotFound

LONGEST = dt.timedelta(days=366)  # a school year, at most: a DT gives it again if still needed


def dt_schools(session: Session, teacher: UserAccount) -> list[str]:
    """The schools a designated teacher's account is the DT of (its own school, and any naming them)."""
    found = {teacher.school_urn} if teacher.school_urn else set()
    if teacher.person_ref:
        found |= set(session.execute(select(School.urn).where(School.dt_ref == teacher.person_ref)).scalars())
    return sorted(found)


def colleagues(session: Session, teacher: UserAccount) -> list[UserAccount]:
    """The school colleagues' accounts at the DT's schools, to choose from."""
    schools = dt_schools(session, teacher)
    return list(session.execute(select(UserAccount).where(
        UserAccount.role == "school_colleague", UserAccount.active, UserAccount.school_urn.in_(schools))
        .order_by(UserAccount.email)).scalars()) if schools else []


def delegate(session: Session, teacher: UserAccount, colleague_id: int, child_refs: list[str], until: dt.date,
             today: dt.date, actor: str) -> list[PepDelegation]:
    """Give the colleague the DT's sections for these pupils until ``until`` (inclusive)."""
    if teacher.role != "designated_teacher":
        raise InputError("delegation", teacher.email, "only a designated teacher gives their PEP sections")
    colleague = session.get(UserAccount, colleague_id)
    if colleague is None or colleague not in colleagues(session, teacher):
        raise InputError("colleague", str(colleague_id), "is not a school colleague's account at your school")
    if until < today or until > today + LONGEST:
        raise InputError("until", until.isoformat(), "must be from today to a year ahead")
    if not child_refs:
        raise InputError("pupils", "", "choose at least one pupil")
    schools = dt_schools(session, teacher)
    made = []
    for ref in child_refs:
        child = session.get(Child, ref)
        if child is None or child.school_urn not in schools or not child.looked_after:
            raise InputError("pupils", ref, "is not a looked-after pupil at your school")
        made.append(PepDelegation(from_account_id=teacher.id, to_account_id=colleague.id, child_ref=child.ref,
                                  until=until, made_on=today))
        audit(session, child.ref, "pep", "pep_sections_delegated", today,
              {"to": colleague.email, "until": until.isoformat()}, actor=actor)
    session.add_all(made)
    session.flush()
    return made


def active_delegations(session: Session, teacher: UserAccount, today: dt.date) -> list[PepDelegation]:
    """The DT's delegations still running."""
    return list(session.execute(select(PepDelegation).where(
        PepDelegation.from_account_id == teacher.id, PepDelegation.ended_on.is_(None), PepDelegation.until >= today)
        .order_by(PepDelegation.until, PepDelegation.child_ref)).scalars())


def end_delegation(session: Session, teacher: UserAccount, delegation_id: int, today: dt.date, actor: str) -> None:
    found = session.get(PepDelegation, delegation_id)
    if found is None or found.from_account_id != teacher.id:
        raise NotFound("delegation", str(delegation_id))
    found.ended_on = today
    session.add(found)
    audit(session, found.child_ref, "pep", "pep_delegation_ended", today, {"delegation": found.id}, actor=actor)


def acting_role(session: Session, user: UserAccount, child_ref: str, today: dt.date) -> str:
    """The role a person fills a PEP in as: a school colleague given this pupil acts as the DT."""
    if user.role != "school_colleague":
        return user.role
    running = session.execute(select(PepDelegation.id).where(
        PepDelegation.to_account_id == user.id, PepDelegation.child_ref == child_ref,
        PepDelegation.ended_on.is_(None), PepDelegation.until >= today)).first()
    return "designated_teacher" if running else user.role
