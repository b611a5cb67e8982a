"""People and their web accounts, as VS admin manages them on the web (issue 38 item 3): add or
correct a person, retry what failed to their old address, move a caseload in one step, send a
link to set a password, end an account, take away a lost second factor.

Each use case works in the caller's transaction and writes its row of the history there; a
refused change raises ``InputError`` naming the field, with nothing written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import update
from sqlmodel import Session, select

from pepflow.accounts.local import end_sessions_of, normalise_email
from pepflow.accounts.password_links import new_link
from pepflow.accounts.throttle import Policy, account_key, begin_attempt, client_key
from pepflow.accounts.totp import has_second_factor, reset as reset_second_factor
from pepflow.audit import audit
from pepflow.audit.disclosures import security_event
from pepflow.config import Config
from pepflow.db.models import Child, Deadline, Notification, Person, School, UserAccount
from pepflow.engine.recording import record_event
from pepflow.errors import InputError
from pepflow.notify.account_emails import queue_password_link
from pepflow.role_table import ACCOUNT_ROLES, CASELOAD_ROLES, PERSON_ROLES
from pepflow.statuses import DeadlineStatus, OutboxStatus
from pepflow.values import EMAIL, clean, ref as ref_value
from pepflow.vocabulary import role_label, role_with_article

ROSTER = "roll"  # the history's process for the people list (as imports write it)
WEB = "the People page"  # where a change came from, in the history's words (an import names its file)


@dataclass(frozen=True)
class PersonForm:
    """What the add and edit forms send (blank email and manager allowed)."""

    ref: str
    name: str
    email: str
    role: str
    manager_ref: str = ""


def _field(name: str, value: str, limit: int) -> str:
    """A form's text, cleaned, or an error naming the field."""
    try:
        return clean(value or "", limit)
    except ValueError as exc:
        raise InputError(name, value, str(exc)) from None


def _checked(session: Session, form: PersonForm, existing: Person | None) -> PersonForm:
    try:
        person_ref = ref_value(form.ref) if existing is None else existing.ref
    except ValueError as exc:
        raise InputError("ref", form.ref, str(exc)) from None
    name = _field("name", form.name, 200)
    if not name:
        raise InputError("name", form.name, "is needed: the person's full name")
    email = _field("email", form.email, 254)
    if email and not EMAIL.match(email):
        raise InputError("email", email, "is not an email address (for example name@council.gov.uk)")
    if form.role not in PERSON_ROLES:
        raise InputError("role", form.role, "is not a role a person can have")
    manager = _field("manager_ref", form.manager_ref, 40)
    if manager and (manager == person_ref or session.get(Person, manager) is None):
        raise InputError("manager_ref", manager, "is not another person in the people list")
    if existing is None and session.get(Person, person_ref) is not None:
        raise InputError("ref", person_ref, "is already someone's reference: choose another")
    return PersonForm(person_ref, name, email.lower() if email else "", form.role, manager)


def add_person(session: Session, form: PersonForm, on: dt.date, actor: str) -> Person:
    checked = _checked(session, form, None)
    person = Person(ref=checked.ref, name=checked.name, email=checked.email, role=checked.role,
                    manager_ref=checked.manager_ref or None)
    session.add(person)
    session.flush()
    audit(session, None, ROSTER, "person_added", on, {"file": WEB, "ref": person.ref, "fields": {
        "ref": person.ref, "role": person.role, "name": person.name, "email": person.email,
        "manager_ref": person.manager_ref}}, actor=actor)
    return person


def edit_person(session: Session, ref: str, form: PersonForm, on: dt.date, now: dt.datetime,
                actor: str) -> tuple[Person, int]:
    """Correct a person; a new email address also takes the emails still waiting for them, and
    puts those that failed back in the queue to it.  Returns the person and how many emails go again."""
    person = session.get(Person, ref)
    if person is None:
        raise InputError("person", ref, "is not in the people list")
    checked = _checked(session, form, person)
    changed = {name: after for name, before, after in (
        ("name", person.name, checked.name), ("email", person.email, checked.email), ("role", person.role, checked.role),
        ("manager_ref", person.manager_ref or "", checked.manager_ref)) if before != after}
    if not changed:
        return person, 0
    new_email = checked.email if checked.email != person.email else None
    if new_email:  # their web account signs in with the corrected address too
        _follow_email(session, person, new_email, on, actor)
    person.name, person.email, person.role = checked.name, checked.email, checked.role
    person.manager_ref = checked.manager_ref or None
    session.add(person)
    resent = 0
    if new_email:
        waiting = (Notification.recipient_ref == ref, Notification.status.in_((OutboxStatus.FAILED, OutboxStatus.PENDING)))
        resent = session.execute(update(Notification).where(*waiting, Notification.status == OutboxStatus.FAILED)
                                 .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=None,
                                         first_attempt_at=None, last_error="")).rowcount or 0
        session.execute(update(Notification).where(*waiting).values(recipient_email=new_email))
    audit(session, None, ROSTER, "person_changed", on, {"file": WEB, "ref": ref, "fields": changed,
                                                        "emails_retried": resent}, actor=actor)
    return person, resent


def _follow_email(session: Session, person: Person, new_email: str, on: dt.date, actor: str) -> None:
    """An account that signed in with the person's old address signs in with the new one (unless
    another account already uses it)."""
    account = account_of(session, person.ref)
    if account is None or not person.email or account.email != normalise_email(person.email):
        return
    if session.execute(select(UserAccount.id).where(UserAccount.email == new_email)).first() is not None:
        raise InputError("email", new_email, "is already another web account's address")
    security_event(session, "account_email_changed", on, {"account": account.email, "now": new_email, "by": actor})
    account.email = new_email
    session.add(account)


def caseload_of(session: Session, ref: str) -> tuple[list[str], list[str]]:
    """The children whose social worker ``ref`` is, and the schools whose designated teacher."""
    children = list(session.execute(select(Child.ref).where(Child.social_worker_ref == ref, Child.looked_after)
                                    .order_by(Child.ref)).scalars())
    schools = list(session.execute(select(School.urn).where(School.dt_ref == ref).order_by(School.urn)).scalars())
    return children, schools


def move_caseload(session: Session, config: Config, from_ref: str, to_ref: str, reason: str, on: dt.date,
                  today: dt.date, actor: str, by: str | None) -> tuple[int, int]:
    """Move every child of one social worker to another (each a "new social worker" event in the
    child's history, their open deadlines with them), and a designated teacher's schools to
    another DT (their open deadlines too), in one step with a reason.  Returns (children, schools)."""
    giver, taker = session.get(Person, from_ref), session.get(Person, to_ref)
    if giver is None:
        raise InputError("from_ref", from_ref, "is not in the people list")
    if taker is None or taker.ref == giver.ref:
        raise InputError("to_ref", to_ref, "is not another person in the people list")
    reason = _field("reason", reason, 500)
    if not reason:
        raise InputError("reason", "", "is needed: why the caseload moves (it is kept in the history)")
    children, schools = caseload_of(session, from_ref)
    if children and taker.role not in CASELOAD_ROLES:
        raise InputError("to_ref", taker.name, f"is {role_with_article(taker.role)}: a child's social worker "
                                               "must be a social worker or team manager")
    if schools and taker.role != "designated_teacher":
        raise InputError("to_ref", taker.name, f"is {role_with_article(taker.role)}: a school's designated "
                                               "teacher must be a designated teacher")
    if not children and not schools:
        raise InputError("from_ref", giver.name, "has no children or schools to move")
    for child_ref in children:
        record_event(session, config, child_ref, "social_worker_changed", on, today, by,
                     {"social_worker_ref": taker.ref}, actor=actor, role="vs_admin")
    if schools:
        session.execute(update(School).where(School.urn.in_(schools)).values(dt_ref=taker.ref))
        session.execute(update(Deadline).where(Deadline.owner_ref == giver.ref, Deadline.status == DeadlineStatus.OPEN,
                                               Deadline.owner_role == "designated_teacher")
                        .values(owner_ref=taker.ref))
    audit(session, None, ROSTER, "caseload_moved", on, {"from": giver.ref, "to": taker.ref, "reason": reason,
                                                        "children": len(children), "schools": schools}, actor=actor)
    return len(children), len(schools)


def account_of(session: Session, person_ref: str) -> UserAccount | None:
    return session.execute(select(UserAccount).where(UserAccount.person_ref == person_ref)
                           .order_by(UserAccount.active.desc(), UserAccount.id)).scalars().first()


def send_password_link(session: Session, config: Config, user: UserAccount, purpose: str, now: dt.datetime,
                       on: dt.date, by: str) -> None:
    """A one-use link to set a password, emailed to the account through the outbox."""
    token, link = new_link(session, user, purpose, now)
    queue_password_link(session, config, user.email, user.person_ref, link.id, token, purpose, link.expires_at, now)
    security_event(session, "password_link_sent", on, {"account": user.email, "purpose": purpose, "by": by})


def add_account(session: Session, config: Config, person: Person, now: dt.datetime, on: dt.date,
                actor: str) -> UserAccount:
    """A web account for a person, with their email and role; its first password they set
    themselves through the link emailed to them (nobody else ever knows it)."""
    if person.role not in ACCOUNT_ROLES:
        raise InputError("role", role_label(person.role), "cannot have a web account")
    if not person.email:
        raise InputError("email", person.name, "has no email address: add it first (the account signs in with it)")
    email = normalise_email(person.email)
    taken = session.execute(select(UserAccount).where(UserAccount.email == email)).scalars().first()
    if taken is not None and taken.active:
        raise InputError("email", email, "already signs in to an account")
    if taken is not None:  # an ended account comes back for the same person
        taken.active, taken.role, taken.person_ref, taken.password_hash = True, person.role, person.ref, ""
        user = taken
    else:
        user = UserAccount(email=email, role=person.role, person_ref=person.ref, password_hash="")
    session.add(user)
    session.flush()
    security_event(session, "account_added", on, {"account": email, "role": person.role, "by": actor})
    send_password_link(session, config, user, "welcome", now, on, actor)
    return user


def end_account(session: Session, user: UserAccount, on: dt.date, actor: str) -> None:
    """The account can no longer sign in (someone who left): signed out now, its links dead."""
    user.active = False
    session.add(user)
    end_sessions_of(session, user.id)
    security_event(session, "account_ended", on, {"account": user.email, "by": actor})


def take_away_second_factor(session: Session, user: UserAccount, on: dt.date, actor: str) -> bool:
    had = has_second_factor(user)
    reset_second_factor(session, user)
    end_sessions_of(session, user.id)
    security_event(session, "second_factor_reset", on, {"account": user.email, "had_one": had, "by": actor})
    return had


def forgot_password(session: Session, config: Config, email: str, client: str, now: dt.datetime,
                    on: dt.date) -> dt.datetime | None:
    """"Forgot your password?": a link to the account if one signs in with ``email``, nothing
    otherwise, and the same answer either way.  Throttled like signing in, per address typed
    and per client; returns when the next request may be made if this one must wait."""
    policy = Policy.of(config.settings)
    keys = [("reset:" + account_key(email), policy), ("reset:" + client_key(client), Policy.of(config.settings, True))]
    wait_until = begin_attempt(session, keys, now)
    if wait_until is not None:
        security_event(session, "password_link_refused", on, {"email": email[:254], "client": client,
                                                              "reason": "too many requests: throttled"})
        return wait_until
    try:
        address = normalise_email(email)
    except InputError:
        address = ""
    user = session.execute(select(UserAccount).where(UserAccount.email == address, UserAccount.active)
                           ).scalars().first() if address else None
    if user is None:
        security_event(session, "password_link_refused", on, {"email": email[:254], "client": client,
                                                              "reason": "no active account"})
        return None
    send_password_link(session, config, user, "reset", now, on, "forgot password")
    return None
