"""Signed-in browsers: server-side session rows, signed cookies, CSRF tokens.

The cookie holds a random token signed with the site key (itsdangerous); the row holds
who it is, the form token (CSRF) and when it was last used.  Signing out deletes the
row, so a copied cookie is worthless afterwards; a row unused for
``session_idle_minutes`` is expired.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets

from itsdangerous import BadSignature, Signer
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from ..db.engine import session_scope
from ..db.models import UserAccount, WebSecret, WebSession

COOKIE = "pepflow_session"
# Writing last_seen_at on every request would make every page view a write; a minute is
# precise enough for an idle timeout counted in tens of minutes.
TOUCH_EVERY = dt.timedelta(seconds=60)


def site_key(engine, from_env: str | None = None) -> str:
    """The key ``PEPFLOW_SECRET_KEY`` gives (``from_env``), else the one kept in the database
    (made on first use)."""
    if from_env:
        return from_env
    with session_scope(engine) as s:
        row = s.get(WebSecret, "cookie_key")
        if row is not None:
            return row.value
    try:
        with session_scope(engine) as s:
            s.add(WebSecret(name="cookie_key", value=secrets.token_urlsafe(48)))
    except IntegrityError:  # another process made it first
        pass
    with session_scope(engine) as s:
        return s.get(WebSecret, "cookie_key").value


class SessionStore:
    def __init__(self, key: str, idle_minutes: int):
        self.signer = Signer(key, salt="pepflow-session")
        self.idle = dt.timedelta(minutes=idle_minutes)

    def start(self, session: Session, user: UserAccount, now: dt.datetime) -> str:
        """A new session row for ``user``; returns the cookie value."""
        token = secrets.token_urlsafe(32)
        session.add(WebSession(token=token, user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                               created_at=now, last_seen_at=now))
        return self.signer.sign(token).decode()

    def load(self, session: Session, cookie: str | None, now: dt.datetime
             ) -> tuple[WebSession, UserAccount] | None:
        """The live session and its user, or None (no cookie, bad signature, expired, signed out)."""
        if not cookie:
            return None
        try:
            token = self.signer.unsign(cookie).decode()
        except BadSignature:
            return None
        row = session.get(WebSession, token)
        if row is None:
            return None
        if now - row.last_seen_at > self.idle:
            session.delete(row)
            return None
        user = session.get(UserAccount, row.user_id)
        if user is None or not user.active:
            session.delete(row)
            return None
        if now - row.last_seen_at > TOUCH_EVERY:
            row.last_seen_at = now
            session.add(row)
        return row, user

    def end(self, session: Session, row: WebSession) -> None:
        session.delete(row)



def end_sessions_of(session: Session, user_id: int) -> None:
    """Sign a user out everywhere (after a password change)."""
    session.execute(delete(WebSession).where(WebSession.user_id == user_id))


def csrf_ok(row: WebSession | None, submitted: str | None) -> bool:
    return bool(row and submitted and hmac.compare_digest(row.csrf_token, submitted))
