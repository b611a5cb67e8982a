"""People and web accounts, for VS admin (``Role.manages_people``): the people list with a
search, a person's page to correct them, their account (add it, send a password link, take
away a lost second factor, end it) and moving their caseload to someone else in one step.
Every change is in the history (service/people.py)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import func, select

from pepflow.db.models import Notification, Person, UserAccount
from pepflow.errors import InputError, NotFound
from pepflow.reports.lookups import find_people
from pepflow.role_table import ACCOUNT_ROLES, PERSON_ROLES
from pepflow.service import people
from pepflow.statuses import OutboxStatus
from pepflow.vocabulary import role_label
from pepflow.web.site import (CheckedFormDep, DatabaseDep, SiteDep, Visitor, VisitorDep, leave_notice, require,
                              take_notice)

router = APIRouter()
FIELDS = ("ref", "name", "email", "role", "manager_ref")
LABELS = {"ref": "Reference", "name": "Full name", "email": "Email address", "role": "Role",
          "manager_ref": "Manager", "from_ref": "From", "to_ref": "Move to", "reason": "Why it moves"}


def _allowed(visitor: Visitor) -> None:
    require(visitor, "manages_people")


def _role_options() -> list[tuple[str, str]]:
    return [(r, role_label(r)) for r in PERSON_ROLES]


def _people_options(s: DatabaseDep, leave_out: str = "") -> list[tuple[str, str]]:
    rows = s.execute(select(Person.ref, Person.name, Person.role).order_by(Person.name, Person.ref)).all()
    return [(r.ref, f"{r.name} ({role_label(r.role)})") for r in rows if r.ref != leave_out]


@router.get("/people")
def people_list(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, q: str = "", role: str = ""):
    _allowed(visitor)
    q = " ".join(q.split())[:100]
    roles = (role,) if role in PERSON_ROLES else PERSON_ROLES
    if q:
        found = find_people(s, q, roles)
    else:
        found = list(s.execute(select(Person).where(Person.role.in_(roles)).order_by(Person.name, Person.ref)
                               .limit(500)).scalars())
    refs = [p.ref for p in found]
    accounts = {a.person_ref: a for a in s.execute(select(UserAccount).where(UserAccount.person_ref.in_(refs))
                                                    ).scalars()} if refs else {}
    failed = dict(s.execute(select(Notification.recipient_ref, func.count()).where(
        Notification.recipient_ref.in_(refs), Notification.status == OutboxStatus.FAILED)
        .group_by(Notification.recipient_ref)).all()) if refs else {}
    without_person = list(s.execute(select(UserAccount).where(UserAccount.person_ref.is_(None))
                                    .order_by(UserAccount.email)).scalars())
    notice = take_notice(s, visitor)
    s.commit()
    return site.render(request, "people.html.j2", 200, visitor, people=found, accounts=accounts, failed=failed,
                       without_person=without_person, q=q, role=role if role in PERSON_ROLES else "",
                       role_options=_role_options(), notice=notice)


def _person_page(request: Request, site: SiteDep, s: DatabaseDep, visitor: Visitor, person: Person | None,
                 values: dict[str, str], errors: list[tuple[str, str]], status: int = 200, notice: str = ""):
    account = people.account_of(s, person.ref) if person else None
    children, schools = people.caseload_of(s, person.ref) if person else ([], [])
    failed = s.execute(select(func.count()).select_from(Notification).where(
        Notification.recipient_ref == person.ref, Notification.status == OutboxStatus.FAILED)).scalar() if person else 0
    return site.render(request, "person.html.j2", status, visitor, person=person, values=values, errors=errors,
                       account=account, children=len(children), schools=schools, failed=failed, notice=notice,
                       role_options=_role_options(), people_options=_people_options(s, person.ref if person else ""),
                       may_have_account=bool(person and person.role in ACCOUNT_ROLES), labels=LABELS)


@router.get("/people/new")
def new_person(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep):
    _allowed(visitor)
    return _person_page(request, site, s, visitor, None, {}, [])


def _form(form: CheckedFormDep) -> people.PersonForm:
    return people.PersonForm(**{name: form.get(name, "").strip() for name in FIELDS})


def _error(exc: InputError) -> tuple[str, str]:
    return exc.field, f"{LABELS.get(exc.field, exc.field.replace('_', ' ').capitalize())}: {exc.problem}"


@router.post("/people")
def add_person(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, form: CheckedFormDep):
    _allowed(visitor)
    try:
        person = people.add_person(s, _form(form), site.app.today(), visitor.actor)
    except InputError as exc:
        s.rollback()
        return _person_page(request, site, s, visitor, None, dict(form), [_error(exc)], 400)
    leave_notice(s, visitor, f"{person.name} added to the people list.")
    s.commit()
    return RedirectResponse(f"/people/{quote(person.ref)}", status_code=303)


def _person(s: DatabaseDep, ref: str) -> Person:
    person = s.get(Person, ref)
    if person is None:
        raise NotFound("person", ref)
    return person


@router.get("/people/{ref}")
def person_page(request: Request, ref: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep):
    _allowed(visitor)
    person = _person(s, ref)
    notice = take_notice(s, visitor)
    s.commit()
    values = {"ref": person.ref, "name": person.name, "email": person.email, "role": person.role,
              "manager_ref": person.manager_ref or ""}
    return _person_page(request, site, s, visitor, person, values, [], notice=notice)


@router.post("/people/{ref}")
def edit_person(request: Request, ref: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, form: CheckedFormDep):
    _allowed(visitor)
    person = _person(s, ref)
    try:
        person, resent = people.edit_person(s, ref, _form(form), site.app.today(), site.app.clock.now(),
                                            visitor.actor)
    except InputError as exc:
        s.rollback()
        return _person_page(request, site, s, visitor, _person(s, ref), {**dict(form), "ref": ref}, [_error(exc)], 400)
    leave_notice(s, visitor, f"{person.name}'s details saved."
                 + (f" {resent} email{'s' if resent != 1 else ''} that had failed go again to {person.email}."
                    if resent else ""))
    s.commit()
    return RedirectResponse(f"/people/{quote(ref)}", status_code=303)


@router.post("/people/{ref}/caseload")
def move_caseload(request: Request, ref: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep,
                  form: CheckedFormDep):
    _allowed(visitor)
    person = _person(s, ref)
    try:
        children, schools = people.move_caseload(s, site.app.config, ref, form.get("to_ref", ""),
                                                 form.get("reason", ""), site.app.today(), site.app.today(),
                                                 visitor.actor, visitor.user.person_ref)
    except InputError as exc:
        s.rollback()
        values = {"ref": person.ref, "name": person.name, "email": person.email, "role": person.role,
                  "manager_ref": person.manager_ref or "", "to_ref": form.get("to_ref", ""),
                  "reason": form.get("reason", "")}
        return _person_page(request, site, s, visitor, _person(s, ref), values, [_error(exc)], 400)
    taker = _person(s, form.get("to_ref", ""))
    moved = [f"{children} child{'ren' if children != 1 else ''}" if children else "",
             f"{schools} school{'s' if schools != 1 else ''}" if schools else ""]
    leave_notice(s, visitor, f"{' and '.join(m for m in moved if m)} moved from {person.name} to {taker.name}.")
    s.commit()
    return RedirectResponse(f"/people/{quote(ref)}", status_code=303)


@router.post("/people/{ref}/account")
def add_account(ref: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, form: CheckedFormDep):
    _allowed(visitor)
    person = _person(s, ref)
    try:
        user = people.add_account(s, site.app.config, person, site.app.clock.now(), site.app.today(), visitor.actor)
        said = f"Account added for {person.name}: a link to set their password goes to {user.email}."
    except InputError as exc:
        s.rollback()
        said = f"Not added: {exc.problem}."
    leave_notice(s, visitor, said)
    s.commit()
    return RedirectResponse(f"/people/{quote(ref)}#account", status_code=303)


def _account(s: DatabaseDep, account_id: str) -> UserAccount:
    user = s.get(UserAccount, int(account_id)) if account_id.isascii() and account_id.isdigit() and len(account_id) < 10 else None
    if user is None:
        raise NotFound("account", account_id)
    return user


def _back(user: UserAccount) -> str:
    return f"/people/{quote(user.person_ref)}#account" if user.person_ref else "/people#accounts"


@router.post("/accounts/{account_id}/{action}")
def account_action(account_id: str, action: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep,
                   form: CheckedFormDep):
    """Send a password link, take away the second factor, or end the account."""
    _allowed(visitor)
    user = _account(s, account_id)
    today, now = site.app.today(), site.app.clock.now()
    if action == "password-link" and user.active:
        people.send_password_link(s, site.app.config, user, "reset", now, today, visitor.actor)
        said = f"A link to set a new password goes to {user.email} (it works once, for one hour)."
    elif action == "second-factor" and user.active:
        had = people.take_away_second_factor(s, user, today, visitor.actor)
        said = (f"{user.email}'s second factor is taken away; they set up an authenticator app again when they "
                "next sign in, if their role must use one." if had else f"Not changed: {user.email} had no second factor.")
    elif action == "end" and user.active:
        if user.id == visitor.user.id:
            said = "Not ended: you cannot end your own account."
        else:
            people.end_account(s, user, today, visitor.actor)
            said = f"{user.email}'s account is ended: it is signed out and cannot sign in."
    else:
        raise NotFound("account action", action)
    leave_notice(s, visitor, said)
    s.commit()
    return RedirectResponse(_back(user), status_code=303)
