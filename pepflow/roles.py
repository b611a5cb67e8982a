"""Who may see and do what on the web pages: the role table and the caseload scope.

Every page asks this module; no route decides access on its own.  A child outside the
signed-in person's scope is "not found" (404), never "forbidden", so a page never
confirms that a child it will not show exists.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import false, or_, select as sa_select
from sqlalchemy.sql.elements import ColumnElement

from pepflow.db.models import Child, Person, School, UserAccount
from pepflow.vocabulary import ACCOUNT_ROLES, role_label


@dataclass(frozen=True)
class Role:
    key: str
    sees_everyone: bool  # VS roles: every child; others: their caseload (see child_scope)
    records_events: bool
    sees_reports: bool  # compliance figures cover every child, so only for roles that see everyone
    sees_outbox: bool
    retries_emails: bool
    sets_sign_in_rules: bool = False  # who must use a second factor (pepflow/second_factor.py)

    @property
    def label(self) -> str:
        return role_label(self.key)


ROLES: dict[str, Role] = {r.key: r for r in (
    Role("vsh", True, True, True, True, False),
    Role("vs_admin", True, True, True, True, True, sets_sign_in_rules=True),
    Role("vs_officer", True, True, True, False, False),
    Role("social_worker", False, True, False, False, False),
    Role("team_manager", False, True, False, False, False),
    Role("designated_teacher", False, True, False, False, False),
    Role("iro", False, True, False, False, False),
    Role("read_only", True, False, True, False, False),
)}
assert tuple(ROLES) == ACCOUNT_ROLES, "pepflow/vocabulary.py ACCOUNT_ROLES must list these roles, in this order"

# Quality assurance and the local authority's own admission decisions are the Virtual
# School's to record (DOMAIN.md: VS admin quality-assures PEPs; the LA directs, and asks the
# Secretary of State; the outcomes of a direction are the LA's to record).
VIRTUAL_SCHOOL_EVENTS = frozenset({
    "pep_qa_started", "pep_returned", "pep_approved", "vs_placement_view", "vs_consulted",
    "direction_consultation_started", "consultation_answered", "direction_issued", "sos_request_made",
    "sos_directed", "sos_declined", "adjudicator_referred", "adjudicator_upheld", "adjudicator_named_other",
})
VIRTUAL_SCHOOL_ROLES = frozenset({"vsh", "vs_admin", "vs_officer"})

# The settings of an event that carry someone else's decision, and who may set them: what
# lets a proposal past a finding that needs that person (rules/placement.py).
DECISION_PARAMETERS: dict[tuple[str, str], tuple[frozenset[str], str]] = {
    # a "requires improvement" school only with the VSH's decision (002 Handbook §2c i)
    ("school_proposed", "vsh_decision"): (frozenset({"vsh"}), "the Virtual School Head's decision"),
    # a Key Stage 4 move needs the nominated officer's approval (CPPCR 2010 reg 10), which the
    # Virtual School records
    ("school_proposed", "nominated_officer"): (VIRTUAL_SCHOOL_ROLES, "the nominated officer's approval"),
}


def role_of(user: UserAccount) -> Role:
    return ROLES[user.role]


def may_record(user: UserAccount, event: str) -> bool:
    role = role_of(user)
    return role.records_events and may_record_as(role.key, event)


def may_record_as(role: str, event: str) -> bool:
    """Whether someone of ``role`` (an account's or a person's) may record ``event``."""
    if role == "read_only":
        return False
    return role in VIRTUAL_SCHOOL_ROLES or event not in VIRTUAL_SCHOOL_EVENTS


def may_set(role: str | None, event: str, parameter: str) -> bool:
    """Whether someone of ``role`` may set ``parameter`` of ``event`` (a decision's setting, or any other)."""
    rule = DECISION_PARAMETERS.get((event, parameter))
    return rule is None or role in rule[0]


def decision_of(event: str, parameter: str) -> tuple[frozenset[str], str] | None:
    """Who may set a decision's setting, and whose decision it is, in words (None: not a decision)."""
    return DECISION_PARAMETERS.get((event, parameter))


def child_scope(user: UserAccount) -> ColumnElement[bool] | None:
    """A condition on ``Child`` selecting the children this user may see (None: everyone)."""
    role = role_of(user)
    if role.sees_everyone:
        return None
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
