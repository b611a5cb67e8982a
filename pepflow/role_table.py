"""Every role pepflow knows, once: who a person in the people list can be, who can sign in, who
can own a deadline, and what each may see and do on the web pages.

Before this table the same lists lived in five places (the people import, the account roles,
the web rights, the SSDA903 import and the sweep) and could drift apart.  The words for each
role are the vocabulary's (``vocabulary.ROLES``); who may see which child is
``accounts/access.py``'s, from the rights declared here.
"""

from __future__ import annotations

from dataclasses import dataclass

from pepflow.vocabulary import role_label


@dataclass(frozen=True)
class Role:
    key: str
    person: bool = False  # may appear in the people list (``pepflow import people``)
    account: bool = False  # a web account may have it
    owner: bool = True  # may own a deadline (``owner`` in timescales.toml)
    virtual_school: bool = False  # the Virtual School's own staff
    caseload: bool = False  # holds children as their social worker (a team manager also holds a team's)
    # the web pages: what an account with this role sees and does
    sees_everyone: bool = False  # every child; others: their caseload (accounts/access.child_scope)
    records_events: bool = False
    sees_reports: bool = False  # compliance figures cover every child, so only for roles that see everyone
    sees_outbox: bool = False
    retries_emails: bool = False
    sets_sign_in_rules: bool = False  # who must use a second factor (pepflow/accounts/totp.py)
    manages_people: bool = False  # the people list and web accounts (pepflow/service/people.py)
    pays_pp_plus: bool = False  # Pupil Premium Plus payments: batches for finance, marked paid (web/routes/pp_plus.py)
    casework: bool = True  # the case pages (My work, children, PEPs...); finance has only the payments

    @property
    def label(self) -> str:
        return role_label(self.key)


_VS = dict(person=True, account=True, virtual_school=True, sees_everyone=True, records_events=True)
ROLES: dict[str, Role] = {r.key: r for r in (
    Role("vsh", **_VS, sees_reports=True, sees_outbox=True, pays_pp_plus=True),
    Role("vs_admin", **_VS, sees_reports=True, sees_outbox=True, retries_emails=True, sets_sign_in_rules=True,
         manages_people=True, pays_pp_plus=True),
    Role("vs_officer", **_VS, sees_reports=True),
    Role("social_worker", person=True, account=True, caseload=True, records_events=True),
    Role("team_manager", person=True, account=True, caseload=True, records_events=True),
    Role("designated_teacher", person=True, account=True, records_events=True),
    Role("head_teacher", person=True),
    Role("iro", person=True, account=True, records_events=True),
    Role("read_only", account=True, owner=False, sees_everyone=True, sees_reports=True),
    # a colleague at a designated teacher's school: sees only the pupils whose PEP sections a DT
    # gave them, until the day the DT chose (service/delegations.py)
    Role("school_colleague", account=True, owner=False),
    # the council's finance officer: pays the Pupil Premium Plus the Virtual School approved, sees no child's case
    Role("finance", person=True, account=True, owner=False, pays_pp_plus=True, casework=False),
    Role("carer", person=True),
    # bodies rather than people: they own a deadline, nobody signs in as one
    Role("admission_authority"),
    Role("governors"),
    Role("local_authority"),
    Role("school"),
)}

PERSON_ROLES = tuple(k for k, r in ROLES.items() if r.person)
ACCOUNT_ROLES = tuple(k for k, r in ROLES.items() if r.account)
OWNER_ROLES = tuple(k for k, r in ROLES.items() if r.owner)
VIRTUAL_SCHOOL_ROLES = frozenset(k for k, r in ROLES.items() if r.virtual_school)
CASELOAD_ROLES = tuple(k for k, r in ROLES.items() if r.caseload)
# an account of these roles is tied to a person in the people list (their caseload is theirs)
PERSONAL_ACCOUNT_ROLES = ("social_worker", "team_manager", "iro")
