"""Who may see and do what on the web pages: each role's rights (``role_table``), each event's
own declaration of who may record it and set its decisions (``EventSpec``), and the caseload
scope.

Every page asks this module; no route decides access on its own.  A child outside the
signed-in person's scope is "not found" (404), never "forbidden", so a page never
confirms that a child it will not show exists.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import false, or_, select as sa_select
from sqlalchemy.sql.elements import ColumnElement

from pepflow.db.models import Child, PepDelegation, Person, School, UserAccount
from pepflow.engine.events import registry
from pepflow import role_table
from pepflow.role_table import Role

# the roles a web account can have, with their rights: the account roles of the one role table
ROLES: dict[str, Role] = {key: role for key, role in role_table.ROLES.items() if role.account}


def role_of(user: UserAccount) -> Role:
    return ROLES[user.role]


def may_record(user: UserAccount, event: str) -> bool:
    role = role_of(user)
    return role.records_events and registry()[event].may_be_recorded_by(role.key)


def may_set(role: str | None, event: str, parameter: str) -> bool:
    """Whether someone of ``role`` may set ``parameter`` of ``event`` (a decision's setting, or any other)."""
    param = registry()[event].param(parameter)
    return param is None or not param.decided_by or role in param.decided_by


def child_scope(user: UserAccount, today: dt.date | None = None) -> ColumnElement[bool] | None:
    """A condition on ``Child`` selecting the children this user may see (None: everyone).  A
    school colleague sees the pupils a DT gave them while that runs, so only when ``today`` is given."""
    role = role_of(user)
    if role.sees_everyone:
        return None
    if user.role == "school_colleague":
        if today is None:
            return false()
        given = sa_select(PepDelegation.child_ref).where(PepDelegation.to_account_id == user.id,
                                                         PepDelegation.ended_on.is_(None), PepDelegation.until >= today)
        return Child.ref.in_(given)
    ref = user.person_ref
    if user.role == "social_worker":
        return Child.social_worker_ref == ref if ref else false()
    if user.role == "team_manager":
        if not ref:
            return false()
        team = sa_select(Person.ref).where(Person.manager_ref == ref)
        return or_(Child.social_worker_ref == ref, Child.social_worker_ref.in_(team))
    if user.role == "designated_teacher":
        schools = sa_select(School.urn).where(School.dt_ref == ref) if ref else None
        conditions = []
        if user.school_urn:
            conditions.append(Child.school_urn == user.school_urn)
        if schools is not None:
            conditions.append(Child.school_urn.in_(schools))
        return or_(*conditions) if conditions else false()
    if user.role == "iro":
        return Child.iro_ref == ref if ref else false()
    return false()
