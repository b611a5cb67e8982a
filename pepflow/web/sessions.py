"""Signed-in browsers: server-side session rows, signed cookies, CSRF tokens.

The cookie holds a random token signed with the site key (itsdangerous); the row holds
who it is, the form token (CSRF), when it began and was last used, the address and browser
it signed in from (for "Your sessions") and a one-time notice for its next page.  Signing
out deletes the row, so a copied cookie is worthless afterwards; a row unused for
``session_idle_minutes``, or older than ``session_lifetime_hours`` however busy, is expired.

Over HTTPS every cookie's name has the ``__Host-`` prefix, so the browser accepts it only
as Secure, for this host alone and the whole site (RFC 6265bis).

Two more signed values: the sign-in form's token (time-stamped, so the form must have come
from this server within ``SIGN_IN_FORM_LIFETIME``), and the device cookie a browser gets
when it signs in, which lets its owner past the throttling of someone else's guesses
(``pepflow.accounts.throttle``).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import hmac
import secrets

from itsdangerous import BadSignature, Signer, TimestampSigner
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from pepflow.db.connection import session_scope
from pepflow.db.models import UserAccount, WebSecret, WebSession

COOKIE = "pepflow_session"
DEVICE_COOKIE = "pepflow_device"
SIGN_IN_COOKIE = "pepflow_signin"
HALFWAY_COOKIE = "pepflow_halfway"  # the password was right; the second factor is still to come
HALFWAY_LIFETIME = dt.timedelta(minutes=10)  # also the council sign-in's time at the provider
OIDC_COOKIE = "pepflow_oidc"
SIGN_IN_FORM_LIFETIME = dt.timedelta(hours=2)
DEVICE_LIFETIME = dt.timedelta(days=180)
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


def cookie_name(base: str, secure: bool) -> str:
    """``__Host-pepflow_session`` over HTTPS, ``pepflow_session`` over plain HTTP (a browser
    refuses a ``__Host-`` cookie that is not Secure)."""
    return f"__Host-{base}" if secure else base


def session_id(row: WebSession) -> str:
    """A session's name on "Your sessions": not its token, which the cookie carries."""
    return hashlib.sha256(row.token.encode()).hexdigest()[:20]


class SessionStore:
    def __init__(self, key: str, idle_minutes: int, lifetime_hours: int = 12):
        self.signer = Signer(key, salt="pepflow-session")
        self.form_signer = TimestampSigner(key, salt="pepflow-sign-in-form")
        self.device_signer = TimestampSigner(key, salt="pepflow-device")
        self.halfway_signer = Signer(key, salt="pepflow-halfway")
        self.oidc_signer = Signer(key, salt="pepflow-oidc")
        self.idle = dt.timedelta(minutes=idle_minutes)
        self.lifetime = dt.timedelta(hours=lifetime_hours)

    def start(self, session: Session, user: UserAccount, now: dt.datetime, client: str = "",
              browser: str = "", via: str = "") -> str:
        """A new session row for ``user``; returns the cookie value."""
        token = secrets.token_urlsafe(32)
        session.add(WebSession(token=token, user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                               created_at=now, last_seen_at=now, client=client[:64], browser=browser[:200],
                               via=via))
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
        if self.expired(row, now):
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

    def live_sessions(self, session: Session, user_id: int, now: dt.datetime) -> list[WebSession]:
        """The user's sessions not yet expired, most recently used first."""
        rows = session.execute(select(WebSession).where(WebSession.user_id == user_id)
                               .order_by(WebSession.last_seen_at.desc())).scalars()
        return [r for r in rows if not self.expired(r, now)]

    def expired(self, row: WebSession, now: dt.datetime) -> bool:
        """Unused for the idle time, or older than the lifetime however busy."""
        return now - row.last_seen_at > self.idle or now - row.created_at > self.lifetime

    # -- the sign-in form's token ----------------------------------------------------------

    def sign_in_form_token(self) -> str:
        return self.form_signer.sign(secrets.token_urlsafe(24)).decode()

    def sign_in_form_ok(self, cookie: str | None, submitted: str | None) -> bool:
        """The form's token is the one its cookie holds, and this server made it lately."""
        if not cookie or not submitted or not hmac.compare_digest(cookie, submitted):
            return False
        try:
            self.form_signer.unsign(submitted, max_age=int(SIGN_IN_FORM_LIFETIME.total_seconds()))
        except BadSignature:
            return False
        return True

    # -- halfway signed in: a right password, the second factor still to come -----------------

    def halfway_cookie(self, user: UserAccount, now: dt.datetime, new_secret: str = "") -> str:
        """Proof for the next page that ``user``'s password was right at ``now`` (the injected
        clock's time, not the system's); a set-up carries the secret the QR code showed.  It
        names the password too, so a password set meanwhile makes it worthless."""
        value = json.dumps({"user": user.id, "password": _fingerprint(user.password_hash),
                            "at": now.timestamp(), "secret": new_secret})
        return self.halfway_signer.sign(base64.urlsafe_b64encode(value.encode())).decode()

    def halfway_of(self, session: Session, cookie: str | None, now: dt.datetime
                   ) -> tuple[UserAccount, str] | None:
        """The account halfway signed in by ``cookie`` (and a set-up's secret), or None when the
        cookie is missing, not this server's, over ten minutes old, or its password has changed."""
        if not cookie:
            return None
        try:
            value = json.loads(base64.urlsafe_b64decode(self.halfway_signer.unsign(cookie)))
            at = dt.datetime.fromtimestamp(float(value["at"]), dt.timezone.utc)
            user = session.get(UserAccount, int(value["user"]))
        except (BadSignature, ValueError, KeyError, TypeError):
            return None
        if (user is None or not user.active or not dt.timedelta(0) <= now - at <= HALFWAY_LIFETIME
                or not hmac.compare_digest(str(value["password"]), _fingerprint(user.password_hash))):
            return None
        return user, str(value.get("secret") or "")

    # -- the council sign-in's state, nonce and PKCE verifier, between leaving and coming back --

    def oidc_cookie(self, state: str, nonce: str, verifier: str, next_path: str, now: dt.datetime) -> str:
        value = json.dumps({"state": state, "nonce": nonce, "verifier": verifier, "next": next_path,
                            "at": now.timestamp()})
        return self.oidc_signer.sign(base64.urlsafe_b64encode(value.encode())).decode()

    def oidc_of(self, cookie: str | None, now: dt.datetime) -> dict | None:
        """What ``oidc_cookie`` stored, if it is this server's and under ten minutes old."""
        if not cookie:
            return None
        try:
            value = json.loads(base64.urlsafe_b64decode(self.oidc_signer.unsign(cookie)))
            at = dt.datetime.fromtimestamp(float(value["at"]), dt.timezone.utc)
        except (BadSignature, ValueError, KeyError, TypeError):
            return None
        return value if dt.timedelta(0) <= now - at <= HALFWAY_LIFETIME else None

    # -- the device cookie -----------------------------------------------------------------

    def device_cookie(self, user: UserAccount, device: str | None = None) -> str:
        """A browser's proof that it signed in to ``user`` before (its device id kept if it has one)."""
        return self.device_signer.sign(f"{user.id}.{device or secrets.token_urlsafe(16)}").decode()

    def device_of(self, cookie: str | None, user: UserAccount | None) -> str | None:
        """The device id in ``cookie`` if it is this server's, recent, and for ``user``."""
        if not cookie or user is None:
            return None
        try:
            value = self.device_signer.unsign(cookie, max_age=int(DEVICE_LIFETIME.total_seconds())).decode()
        except BadSignature:
            return None
        user_id, _, device = value.partition(".")
        return device if user_id == str(user.id) and device else None


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def csrf_ok(row: WebSession | None, submitted: str | None) -> bool:
    return bool(row and submitted and hmac.compare_digest(row.csrf_token, submitted))
