"""Local accounts: adding people, setting passwords, and checking a sign-in.

Passwords are hashed with argon2 (argon2-cffi's defaults, RFC 9106 low-memory profile).
After ``MAX_FAILURES`` wrong passwords in a row the account is locked for
``LOCK_MINUTES``; a correct password while locked is refused too, so guessing gains
nothing.  Errors never say whether an email address has an account.
"""

from __future__ import annotations

import datetime as dt

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from .db.models import Person, School, UserAccount
from .errors import InputError, NotFound, PepflowError
from .values import EMAIL
from .roles import ROLES

MAX_FAILURES = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 12
_HASHER = PasswordHasher()
# Verified against when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a real password")


class SignInRefused(PepflowError):
    """Wrong email or password, or a locked account (the message says which it may say)."""


def normalise_email(email: str) -> str:
    value = (email or "").strip().lower()
    if not EMAIL.match(value):
        raise InputError("email", email, "must be an email address, like name@council.gov.uk")
    return value


def check_password_rules(password: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InputError("password", "(hidden)", f"must be at least {MIN_PASSWORD_LENGTH} characters long")


def check_new_account(session: Session, email: str, role: str, person_ref: str | None = None,
                      school_urn: str | None = None) -> str:
    """Everything about a new account but its password; returns the normalised email."""
    email = normalise_email(email)
    if role not in ROLES:
        raise InputError("role", role, f"must be one of {', '.join(ROLES)}")
    if session.exec(select(UserAccount).where(UserAccount.email == email)).first():
        raise InputError("email", email, "already has an account (use 'pepflow user set-password' to change it)")
    if person_ref is not None and session.get(Person, person_ref) is None:
        raise NotFound("person", person_ref)
    if school_urn is not None and session.get(School, school_urn) is None:
        raise NotFound("school", school_urn)
    if role in ("social_worker", "team_manager", "iro") and not person_ref:
        raise InputError("person", None, f"a {ROLES[role].label.lower()} needs --person REF: their caseload "
                         "is the children whose record names that person")
    if role == "designated_teacher" and not (person_ref or school_urn):
        raise InputError("school", None, "a designated teacher needs --school URN or --person REF "
                         "(the DT named on a school's record)")
    return email


def add_user(session: Session, email: str, role: str, password: str, person_ref: str | None = None,
             school_urn: str | None = None, now: dt.datetime | None = None) -> UserAccount:
    email = check_new_account(session, email, role, person_ref, school_urn)
    check_password_rules(password)
    user = UserAccount(email=email, role=role, person_ref=person_ref, school_urn=school_urn,
                       password_hash=_HASHER.hash(password), password_changed_at=now)
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, email: str, password: str, now: dt.datetime | None = None) -> UserAccount:
    user = find_user(session, email)
    check_password_rules(password)
    user.password_hash = _HASHER.hash(password)
    user.password_changed_at = now
    user.failed_attempts = 0
    user.locked_until = None
    session.add(user)
    return user


def find_user(session: Session, email: str) -> UserAccount:
    user = session.exec(select(UserAccount).where(UserAccount.email == normalise_email(email))).first()
    if user is None:
        raise NotFound("user", email)
    return user


def authenticate(session: Session, email: str, password: str, now: dt.datetime) -> UserAccount:
    """The user, if the password is right and the account open; counts failures otherwise.

    The caller commits even when this raises, so failures are remembered."""
    refused = SignInRefused("The email address or password is not right.")
    try:
        email = normalise_email(email)
    except InputError:
        _verify(_DUMMY_HASH, password or "")
        raise refused from None
    user = session.exec(select(UserAccount).where(UserAccount.email == email)).first()
    if user is None or not user.active:
        _verify(_DUMMY_HASH, password or "")
        raise refused
    if user.locked_until is not None and user.locked_until > now:
        raise SignInRefused(
            f"This account is locked after {MAX_FAILURES} wrong passwords. Try again after "
            f"{_local_time(user.locked_until)}, or ask a Virtual School admin to reset your password.")
    if not _verify(user.password_hash, password or ""):
        user.failed_attempts += 1
        if user.failed_attempts >= MAX_FAILURES:
            user.locked_until = now + dt.timedelta(minutes=LOCK_MINUTES)
            user.failed_attempts = 0
        session.add(user)
        raise refused
    user.failed_attempts = 0
    user.locked_until = None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    session.add(user)
    return user


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _local_time(when: dt.datetime) -> str:
    from .clock import LONDON

    return when.astimezone(LONDON).strftime("%H:%M")
