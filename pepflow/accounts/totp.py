"""A second factor for local accounts: time-based one-time passwords (RFC 6238, pyotp) from
an authenticator app, set up by scanning a QR code, with recovery codes for a lost phone.

- A code is accepted for the current 30-second step or the one either side (a phone's clock
  may be a little out), and never twice: the account keeps the last step a code was accepted
  for, and a code for that step or an earlier one is refused.
- Recovery codes are random (50 bits each), shown once, stored as SHA-256 hashes (their
  entropy makes a slow hash unnecessary) and each good for one sign-in.
- Which roles must use a second factor is VS admin's setting, kept in the database
  (``site_setting``): a list of roles or everyone.  An account of such a role with no second
  factor yet sets one up before its first page.
- Time comes from the caller's clock, never from the system.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import re
import secrets

import pyotp
import qrcode
import qrcode.image.svg
from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from pepflow.db.models import RecoveryCode, SiteSetting, UserAccount
from pepflow.errors import InputError
from pepflow.accounts.access import ROLES

RECOVERY_CODES = 10
EVERYONE = "everyone"
_SETTING = "second_factor_required"
_CODE = re.compile(r"^[0-9]{6}$")
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread


class CodeRefused(Exception):
    """A one-time or recovery code was not accepted; the message says why, for the person."""


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str, issuer: str) -> str:
    """The otpauth:// address the QR code carries: the app shows the issuer and the account."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The QR code as an inline SVG element (the pages load no scripts and no images from elsewhere)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    out = io.BytesIO()
    image.save(out)
    text = out.getvalue().decode()
    return text[text.index("<svg"):]


def grouped(secret: str) -> str:
    """The secret in fours, for typing into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def set_up_details(secret: str, email: str, authority: str) -> dict[str, str]:
    """What a set-up page shows: the QR code, the key in fours, and the account as the app names it."""
    issuer = f"pepflow {authority}"
    return {"qr": qr_svg(provisioning_uri(secret, email, issuer)), "secret": grouped(secret), "issuer": issuer,
            "email": email}


def _step_accepted(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step ``code`` belongs to (now's, or one either side), or None."""
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now)
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def _clean_code(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "")


def check_new_set_up(secret: str, code: str, now: dt.datetime) -> int:
    """The step of the first code from a newly scanned secret; refused if it is not the app's code."""
    code = _clean_code(code)
    if not _CODE.match(code):
        raise CodeRefused("Enter the 6-digit code your authenticator app shows")
    step = _step_accepted(secret, code, now)
    if step is None:
        raise CodeRefused("That code is not the one your app shows now: check the app has this account "
                          "and the phone's clock is set automatically, then enter the newest code")
    return step


def set_up(session: Session, user: UserAccount, secret: str, code: str, now: dt.datetime) -> list[str]:
    """Confirm a new secret with a code from the app; store it and return new recovery codes
    (to be shown once).  Replaces any earlier secret and recovery codes."""
    step = check_new_set_up(secret, code, now)
    user.totp_secret, user.totp_set_up_at, user.totp_last_step = secret, now, step
    session.add(user)
    return new_recovery_codes(session, user)


def new_recovery_codes(session: Session, user: UserAccount) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(5)) for _ in range(2))
             for _ in range(RECOVERY_CODES)]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=_hash(code)))
    return codes


def _hash(code: str) -> str:
    return hashlib.sha256(_clean_code(code).lower().encode()).hexdigest()


def has_second_factor(user: UserAccount) -> bool:
    return bool(user.totp_secret and user.totp_set_up_at)


def verify(session: Session, user: UserAccount, code: str, now: dt.datetime) -> str:
    """Accept a one-time code or a recovery code for ``user``'s sign-in; returns which
    ("authenticator app" or "recovery code").  A code already used is refused."""
    cleaned = _clean_code(code)
    if not cleaned:
        raise CodeRefused("Enter the 6-digit code from your authenticator app, or a recovery code")
    if _CODE.match(cleaned):
        step = _step_accepted(user.totp_secret, cleaned, now)
        if step is None:
            raise CodeRefused("That code is not right, or has run out: enter the newest code your app shows")
        # the last accepted step moves forward only, in one statement (two sign-ins racing with
        # the same code: one of them updates no row)
        moved = session.execute(update(UserAccount).where(UserAccount.id == user.id,
                                                          UserAccount.totp_last_step < step)
                                .values(totp_last_step=step)).rowcount
        if not moved:
            raise CodeRefused("That code has been used already: wait for your app to show the next one")
        return "authenticator app"
    row = session.execute(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash(cleaned))).scalar_one_or_none()
    if row is None or row.used_at is not None:
        raise CodeRefused("That recovery code is not right, or has been used already")
    used = session.execute(update(RecoveryCode).where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                           .values(used_at=now)).rowcount
    if not used:
        raise CodeRefused("That recovery code is not right, or has been used already")
    return "recovery code"


def recovery_codes_left(session: Session, user: UserAccount) -> int:
    return session.execute(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).scalar_one()


def reset(session: Session, user: UserAccount) -> None:
    """Take away an account's second factor (a lost phone and no recovery codes): it sets up a
    new one at its next sign-in if its role must use one."""
    user.totp_secret, user.totp_set_up_at, user.totp_last_step = "", None, 0
    session.add(user)
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def required_roles(session: Session) -> frozenset[str]:
    """The roles that must use a second factor (every role when VS admin chose everyone)."""
    chosen = required_setting(session)
    return frozenset(ROLES) if chosen == EVERYONE else frozenset(chosen)


def required_setting(session: Session) -> str | list[str]:
    """The setting as chosen: "everyone", or a list of roles."""
    row = session.get(SiteSetting, _SETTING)
    return json.loads(row.value) if row else []


def set_required(session: Session, roles: list[str] | str) -> None:
    """VS admin's choice: "everyone", or the roles that must use a second factor."""
    if roles != EVERYONE:
        for role in roles:
            if role not in ROLES:
                raise InputError("role", role, f"must be one of {', '.join(ROLES)}, or {EVERYONE}")
        roles = sorted(set(roles))
    row = session.get(SiteSetting, _SETTING) or SiteSetting(name=_SETTING, value="[]")
    row.value = json.dumps(roles)
    session.add(row)


def must_use(session: Session, user: UserAccount) -> bool:
    return user.role in required_roles(session)
