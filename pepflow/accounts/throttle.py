"""Sign-in throttling: a guesser is slowed, the account's owner is not locked out.

An account lock-out after five wrong passwords let anyone who knew an email address lock its
owner out, again and again, and its message told them the account existed.  Instead each
attempt counts against keys, and once a key has had its free failures, every further attempt
must wait after the one before, twice as long each time up to a ceiling
(``wait_after``).  An attempt that comes too soon is refused before any password is
checked, so it costs the server almost nothing.

* ``account:<email>``, for the email address typed, whether or not it has an account (so the
  refusal says nothing about which addresses exist);
* ``client:<address>``, for the address the request came from, with more free failures
  (an office behind one address signs in many people);
* ``device:<id>``, instead of both, when the browser carries a device cookie from an earlier
  successful sign-in to that same account (``pepflow.web.devices``): the owner's own
  browser is not held up by someone else's guessing, only by its own failures (OWASP's
  "device cookies").

Each attempt is counted as a failure before its password is checked, in a transaction of
its own, so eight guesses sent at once cannot all pass the check together; a success clears
its account and device keys, and takes only itself back off the client's count (one valid
account must not let a guesser reset their address).  Failures are forgotten after a quiet
period.  Rows, not memory: every web process shares them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, update
from sqlmodel import Session

from pepflow.db.models import SignInThrottle
from pepflow.db.writes import insert_ignoring

NEVER = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)  # a new key's "last attempt": long forgotten


@dataclass(frozen=True)
class Policy:
    """How many failures a key has free, and how the waits grow after them."""

    free_failures: int
    first_wait_seconds: int
    longest_wait_minutes: int
    forget_after_hours: int

    @classmethod
    def of(cls, settings, per_address: bool = False) -> "Policy":
        return cls(settings.sign_in_free_failures_per_address if per_address else settings.sign_in_free_failures,
                   settings.sign_in_first_wait_seconds, settings.sign_in_longest_wait_minutes,
                   settings.sign_in_forget_after_hours)


def wait_after(failures: int, policy: Policy) -> dt.timedelta:
    """How long after a key's last attempt its next may begin, once it has ``failures``."""
    beyond = failures - policy.free_failures
    if beyond < 0:
        return dt.timedelta(0)
    longest = dt.timedelta(minutes=policy.longest_wait_minutes)
    if beyond >= 30:  # 2**30 seconds is decades: the ceiling, without a huge number
        return longest
    return min(dt.timedelta(seconds=policy.first_wait_seconds * 2 ** beyond), longest)


def account_key(email: str) -> str:
    return "account:" + (email or "").strip().lower()[:254]


def client_key(address: str) -> str:
    return "client:" + (address or "unknown")[:64]


def device_key(device_id: str) -> str:
    return "device:" + device_id[:64]


def begin_attempt(session: Session, keys: list[tuple[str, Policy]], now: dt.datetime) -> dt.datetime | None:
    """Count an attempt against each key, unless one of them must still wait: then nothing is
    counted and the time it may try again is returned.  The caller commits at once."""
    # each key's row made first if it is new (two first attempts at once must not both insert it),
    # then read locked (PostgreSQL; SQLite's writer lock does the same at the first write)
    dialect = session.connection().dialect.name
    for key, _ in keys:
        session.execute(insert_ignoring(SignInThrottle.__table__, dialect, ["key"]).values(
            key=key, failures=0, last_attempt_at=NEVER))
    rows = {key: session.get(SignInThrottle, key, with_for_update=True, populate_existing=True) for key, _ in keys}
    allowed_from = None
    for key, policy in keys:
        row = rows[key]
        if now - row.last_attempt_at > dt.timedelta(hours=policy.forget_after_hours):
            continue
        ready = row.last_attempt_at + wait_after(row.failures, policy)
        if ready > now and (allowed_from is None or ready > allowed_from):
            allowed_from = ready
    if allowed_from is not None:
        return allowed_from
    for key, policy in keys:
        row = rows[key]
        if now - row.last_attempt_at > dt.timedelta(hours=policy.forget_after_hours):
            row.failures = 0
        row.failures += 1
        row.last_attempt_at = now
        session.add(row)
    return None


def attempt_succeeded(session: Session, keys: list[str]) -> None:
    """The password was right: forget the failures of the account's and device's keys, and take
    this attempt back off a client address's count (only its failures count)."""
    owners = [k for k in keys if not k.startswith("client:")]
    if owners:
        session.execute(delete(SignInThrottle).where(SignInThrottle.key.in_(owners)))
    for key in keys:
        if key.startswith("client:"):
            session.execute(update(SignInThrottle).where(SignInThrottle.key == key, SignInThrottle.failures > 0)
                            .values(failures=SignInThrottle.failures - 1))


def forget_quiet(session: Session, now: dt.datetime, hours: int) -> None:
    """Delete the rows of keys with no attempt for ``hours`` (they count as none anyway)."""
    session.execute(delete(SignInThrottle).where(SignInThrottle.last_attempt_at < now - dt.timedelta(hours=hours)))
