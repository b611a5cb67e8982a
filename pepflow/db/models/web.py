"""The web pages' own rows: accounts and their recovery codes, site settings, signed-in
sessions, sign-in throttling and the site's secrets."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlmodel import Field

from pepflow.db.models.base import Table, _utcnow
from pepflow.db.types import UTCDateTime


class UserAccount(Table, table=True):
    """A person who signs in to the web pages (local accounts; see pepflow/accounts/local.py)."""

    __tablename__ = "user_account"
    id: Optional[int] = Field(default=None, primary_key=True)
    email: str = Field(sa_column_kwargs={"unique": True})
    role: str  # vsh, vs_admin, vs_officer, social_worker, team_manager, designated_teacher, iro, read_only
    person_ref: Optional[str] = Field(default=None, foreign_key="person.ref")  # whose caseload
    school_urn: Optional[str] = Field(default=None, foreign_key="school.urn")  # a DT's school
    password_hash: str = ""
    active: bool = True
    created_at: dt.datetime = Field(default_factory=_utcnow, sa_type=UTCDateTime)
    password_changed_at: Optional[dt.datetime] = Field(default=None, sa_type=UTCDateTime)
    # the second factor (pepflow/accounts/totp.py): a TOTP secret once set up and confirmed, and
    # the last time step a code was accepted for, so a code is never accepted twice
    totp_secret: str = ""
    totp_set_up_at: Optional[dt.datetime] = Field(default=None, sa_type=UTCDateTime)
    totp_last_step: int = 0


class RecoveryCode(Table, table=True):
    """One of an account's recovery codes (stored hashed), each good for one sign-in without
    the authenticator app."""

    __tablename__ = "recovery_code"
    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    code_hash: str
    used_at: Optional[dt.datetime] = Field(default=None, sa_type=UTCDateTime)


class SiteSetting(Table, table=True):
    """A setting VS admin changes on the web pages (not in pepflow.toml, which IT owns), such as
    which roles must use a second factor."""

    __tablename__ = "site_setting"
    name: str = Field(primary_key=True)
    value: str


class WebSession(Table, table=True):
    """A signed-in browser: the cookie carries the signed token, the row its expiry."""

    __tablename__ = "web_session"
    token: str = Field(primary_key=True)  # random; the cookie holds it signed
    user_id: int = Field(foreign_key="user_account.id", index=True)
    csrf_token: str
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    last_seen_at: dt.datetime = Field(sa_type=UTCDateTime)
    client: str = ""  # the address it signed in from
    browser: str = ""  # its User-Agent, cut short
    notice: str = ""  # a one-time banner for its next page
    via: str = ""  # "oidc": signed in through the council's provider, whose session sign-out ends too


class SignInThrottle(Table, table=True):
    """Recent sign-in attempts of one email address, one client address or one trusted browser
    (pepflow/accounts/throttle.py): how many failed, and when the last began."""

    __tablename__ = "sign_in_throttle"
    key: str = Field(primary_key=True)  # "account:<email>", "client:<address>" or "device:<id>"
    failures: int = 0
    last_attempt_at: dt.datetime = Field(sa_type=UTCDateTime)


class WebSecret(Table, table=True):
    """The key that signs session cookies, made at first start when PEPFLOW_SECRET_KEY is not set,
    so every process serving the same database shares it."""

    __tablename__ = "web_secret"
    name: str = Field(primary_key=True)
    value: str


class PasswordLink(Table, table=True):
    """A one-use link to set a password ("Forgot your password?", VS admin's reset, a new
    account's first password): only the token's hash is kept; used once, and never after it
    expires or the account ends (pepflow/accounts/password_links.py)."""

    __tablename__ = "password_link"
    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    token_hash: str = Field(sa_column_kwargs={"unique": True})
    purpose: str = "reset"  # reset (forgot, or VS admin's reset) or welcome (a new account)
    created_at: dt.datetime = Field(default_factory=_utcnow, sa_type=UTCDateTime)
    expires_at: dt.datetime = Field(sa_type=UTCDateTime)
    used_at: Optional[dt.datetime] = Field(default=None, sa_type=UTCDateTime)
