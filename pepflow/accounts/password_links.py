"""One-use links to set a password: "Forgot your password?", VS admin's "Send a password reset
link" and a new account's first password.

A link carries a random token (256 bits); only its SHA-256 is kept, so the table alone opens
nothing.  A link works once, until it expires, and only while the account is active; a newer
link for the same account replaces the older ones, and setting the password by any route
signs the account out everywhere.  The token is in the email the outbox sends (its payload
holds the link until then, as the email itself would), never in a log line or a page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import update
from sqlmodel import Session, select

from pepflow.accounts.local import check_password_rules, end_sessions_of, set_password_hash
from pepflow.db.models import PasswordLink, UserAccount
from pepflow.errors import InputError

LIFETIME = {"reset": dt.timedelta(hours=1), "welcome": dt.timedelta(days=7)}  # NCSC: short-lived reset links


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_link(session: Session, user: UserAccount, purpose: str, now: dt.datetime) -> tuple[str, PasswordLink]:
    """A new link for ``user`` and its token (the older unused ones stop working)."""
    session.execute(update(PasswordLink).where(PasswordLink.user_id == user.id, PasswordLink.used_at.is_(None))
                    .values(used_at=now))
    token = secrets.token_urlsafe(32)
    link = PasswordLink(user_id=user.id, token_hash=_hash(token), purpose=purpose, created_at=now,
                        expires_at=now + LIFETIME[purpose])
    session.add(link)
    session.flush()
    return token, link


def link_for(session: Session, token: str, now: dt.datetime) -> tuple[PasswordLink, UserAccount] | None:
    """The link and its account, if the token is one that still works."""
    if not token or len(token) > 100:
        return None
    link = session.execute(select(PasswordLink).where(PasswordLink.token_hash == _hash(token))).scalars().first()
    if link is None or link.used_at is not None or _aware(link.expires_at) <= now:
        return None
    user = session.get(UserAccount, link.user_id)
    if user is None or not user.active:
        return None
    return link, user


def use_link(session: Session, token: str, password: str, confirm: str, now: dt.datetime) -> UserAccount:
    """Set the password through a link: checked like any new password, the link used up, the
    account signed out everywhere.  A link that no longer works is refused in words."""
    found = link_for(session, token, now)
    if found is None:
        raise InputError("link", "(hidden)", "has been used, has expired or is not right: ask for a new one")
    link, user = found
    if password != confirm:
        raise InputError("confirm_password", "(hidden)", "is not the same as the new password")
    check_password_rules(session, password, user.email, user.person_ref)
    # used up by this statement or by nobody: of two requests with the same link at the same
    # moment, one sets the password and the other is refused
    taken = session.execute(update(PasswordLink).where(PasswordLink.id == link.id, PasswordLink.used_at.is_(None))
                            .values(used_at=now)).rowcount
    if taken != 1:
        raise InputError("link", "(hidden)", "has been used, has expired or is not right: ask for a new one")
    set_password_hash(user, password, now)
    session.add(user)
    end_sessions_of(session, user.id)
    return user


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
