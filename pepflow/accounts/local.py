"""Local accounts: adding people, setting passwords, and checking a sign-in.

Passwords are hashed with argon2 (argon2-cffi's defaults, RFC 9106 low-memory profile) and
checked for quality by ``passwords.check_new_password``.  Nothing here locks an account:
guessing is slowed by ``throttle`` around the sign-in, so a stranger cannot lock the owner
out.  Errors never say whether an email address has an account.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete
from sqlmodel import Session, select

from pepflow.db.models import Person, School, UserAccount, WebSession
from pepflow.errors import InputError, NotFound, PepflowError
from pepflow.accounts.passwords import check_new_password
from pepflow.role_table import PERSONAL_ACCOUNT_ROLES
from pepflow.values import EMAIL, did_you_mean
from pepflow.accounts.access import ROLES
from pepflow.accounts.oidc_tokens import OidcRefused

if TYPE_CHECKING:
    from pepflow.accounts.oidc_tokens import Identity

_HASHER = PasswordHasher()
# Verified against when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a real password")


class SignInRefused(PepflowError):
    """Wrong email or password (the message never says which)."""


def normalise_email(email: str) -> str:
    value = (email or "").strip().lower()
    if not EMAIL.match(value):
        raise InputError("email", email, "must be an email address, like name@council.gov.uk")
    return value


def check_password_rules(session: Session, password: str, email: str, person_ref: str | None = None) -> None:
    """The quality rules for a new password of this account (its email and its person's name)."""
    person = session.get(Person, person_ref) if person_ref else None
    check_new_password(password, email, person.name if person else "")


def check_new_account(session: Session, email: str, role: str, person_ref: str | None = None,
                      school_urn: str | None = None) -> str:
    """Everything about a new account but its password; returns the normalised email."""
    email = normalise_email(email)
    if role not in ROLES:
        raise InputError("role", role, f"{did_you_mean(role, ROLES)}must be one of {', '.join(ROLES)}")
    if session.exec(select(UserAccount).where(UserAccount.email == email)).first():
        raise InputError("email", email, "already has an account (use 'pepflow user set-password' to change it)")
    if person_ref is not None and session.get(Person, person_ref) is None:
        raise NotFound("person", person_ref)
    if school_urn is not None and session.get(School, school_urn) is None:
        raise NotFound("school", school_urn)
    if role in PERSONAL_ACCOUNT_ROLES and not person_ref:
        raise InputError("person", None, f"a {ROLES[role].label.lower()} needs --person REF: their caseload "
                         "is the children whose record names that person")
    if role == "designated_teacher" and not (person_ref or school_urn):
        raise InputError("school", None, "a designated teacher needs --school URN or --person REF "
                         "(the DT named on a school's record)")
    if role == "school_colleague" and not school_urn:
        raise InputError("school", None, "a school colleague needs --school URN: a DT there gives them pupils")
    return email


def add_user(session: Session, email: str, role: str, password: str, person_ref: str | None = None,
             school_urn: str | None = None, now: dt.datetime | None = None) -> UserAccount:
    email = check_new_account(session, email, role, person_ref, school_urn)
    check_password_rules(session, password, email, person_ref)
    user = UserAccount(email=email, role=role, person_ref=person_ref, school_urn=school_urn,
                       password_hash=_HASHER.hash(password), password_changed_at=now)
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, email: str, password: str, now: dt.datetime | None = None) -> UserAccount:
    user = find_user(session, email)
    check_password_rules(session, password, user.email, user.person_ref)
    set_password_hash(user, password, now)
    session.add(user)
    return user


def set_password_hash(user: UserAccount, password: str, now: dt.datetime | None) -> None:
    """Keep the new password's hash (the password rules already checked by the caller)."""
    user.password_hash = _HASHER.hash(password)
    user.password_changed_at = now


def change_own_password(session: Session, user: UserAccount, current: str, new: str, now: dt.datetime) -> None:
    """A signed-in person changing their password: the current one must be right."""
    if not _verify(user.password_hash, current or ""):
        raise InputError("current_password", "(hidden)", "is not your current password")
    if current == new:
        raise InputError("new_password", "(hidden)", "must be different from your current password")
    check_password_rules(session, new, user.email, user.person_ref)
    set_password_hash(user, new, now)
    session.add(user)


def find_user(session: Session, email: str) -> UserAccount:
    user = session.exec(select(UserAccount).where(UserAccount.email == normalise_email(email))).first()
    if user is None:
        raise NotFound("user", email)
    return user


def account_for(session: Session, email: str) -> UserAccount | None:
    """The active account with this email address, if there is one (never shown to the visitor)."""
    try:
        email = normalise_email(email)
    except InputError:
        return None
    user = session.exec(select(UserAccount).where(UserAccount.email == email)).first()
    return user if user is not None and user.active else None


def authenticate(session: Session, user: UserAccount | None, password: str) -> UserAccount:
    """``user`` (the active account ``account_for`` found for the email typed, or None), if the
    password is right; the same refusal otherwise, after the same work (no account is checked
    against a dummy hash, so a wrong email takes as long as a wrong password)."""
    refused = SignInRefused("The email address or password is not right.")
    if user is None:
        _verify(_DUMMY_HASH, password or "")
        raise refused
    if not _verify(user.password_hash, password or ""):
        raise refused
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    session.add(user)
    return user


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False



def account_for_identity(session: Session, identity: "Identity", create: bool) -> tuple[UserAccount, list[str]]:
    """The pepflow account of someone the council's provider signed in, with their role (and
    person) as the provider's groups give them now; made at a first sign-in only when ``create``.
    Returns the account and what changed, in words for the security audit."""
    user = session.exec(select(UserAccount).where(UserAccount.email == identity.email)).first()
    if user is None:
        if not create:
            raise OidcRefused(f"there is no pepflow account for {identity.email} (pepflow.toml does not make "
                              "accounts at a first sign-in: create_accounts)")
        try:
            email = check_new_account(session, identity.email, identity.role, identity.person_ref)
        except (InputError, NotFound) as exc:
            raise OidcRefused(f"no pepflow account can be made for {identity.email}: {exc}") from None
        user = UserAccount(email=email, role=identity.role, person_ref=identity.person_ref)
        session.add(user)
        session.flush()
        return user, [f"account made as {ROLES[identity.role].label.lower()}"]
    if not user.active:
        raise OidcRefused(f"the pepflow account for {identity.email} is switched off")
    changes = []
    if identity.person_ref and identity.person_ref != user.person_ref:
        if session.get(Person, identity.person_ref) is None:
            raise OidcRefused(f"the provider names person {identity.person_ref!r}, who is not in pepflow's people list")
        changes.append(f"person {user.person_ref or 'none'} to {identity.person_ref}")
        user.person_ref = identity.person_ref
    if identity.role != user.role:
        if identity.role in PERSONAL_ACCOUNT_ROLES and not user.person_ref:
            raise OidcRefused(f"a {ROLES[identity.role].label.lower()} needs a person reference, and the provider "
                              "sent none (person_claim in pepflow.toml)")
        changes.append(f"role {user.role} to {identity.role}")
        user.role = identity.role
    session.add(user)
    return user, changes


def end_sessions_of(session: Session, user_id: int, keep: WebSession | None = None) -> int:
    """Sign a user out everywhere (after a password is set), or everywhere but ``keep``; returns
    how many sessions ended."""
    query = delete(WebSession).where(WebSession.user_id == user_id)
    if keep is not None:
        query = query.where(WebSession.token != keep.token)
    return session.execute(query).rowcount or 0
