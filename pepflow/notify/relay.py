"""The mail relay's state, shared by every dispatcher through one row (``relay_state``).

A relay-level failure (see ``faults``) pauses delivery: no dispatcher claims an email
until ``next_try_at``, and the pause doubles with each failure in a row, from
``retry_after_seconds`` up to ``retry_max_seconds``.  One accepted email ends the pause.
A relay down for longer than ``relay_alert_after_minutes`` is an item for VS admin (My
work, the Emails page, ``pepflow outbox``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from pepflow.config import Delivery
from pepflow.db.models import RelayState
from pepflow.db.writes import insert_ignoring

R = RelayState.__table__


@dataclass(frozen=True)
class RelayStatus:
    """What VS admin is told about the relay."""

    down_since: dt.datetime | None
    next_try_at: dt.datetime | None
    last_error: str
    last_sent_at: dt.datetime | None
    alert: bool  # down long enough for a person to act

    @property
    def down(self) -> bool:
        return self.down_since is not None


def pause_for(delivery: Delivery, failures: int) -> dt.timedelta:
    """How long delivery waits after the ``failures``-th relay failure in a row."""
    seconds = delivery.retry_after_seconds * 2 ** min(max(failures - 1, 0), 20)
    return dt.timedelta(seconds=min(seconds, delivery.retry_max_seconds))


def read(connection: Connection, delivery: Delivery, now: dt.datetime) -> RelayStatus:
    row = connection.execute(select(R).where(R.c.id == 1)).first()
    if row is None:
        return RelayStatus(None, None, "", None, False)
    alert = row.down_since is not None and now - row.down_since >= dt.timedelta(
        minutes=delivery.relay_alert_after_minutes)
    return RelayStatus(row.down_since, row.next_try_at, row.last_error, row.last_sent_at, alert)


def _ensure_row(connection: Connection) -> None:
    connection.execute(insert_ignoring(R, connection.dialect.name).values(id=1, failures=0, last_error=""))


def record_failure(connection: Connection, delivery: Delivery, now: dt.datetime, error: str) -> RelayStatus:
    """The relay failed: pause delivery (in the caller's transaction)."""
    _ensure_row(connection)
    row = connection.execute(select(R).where(R.c.id == 1)).one()
    failures = row.failures + 1
    connection.execute(update(R).where(R.c.id == 1).values(
        failures=failures, down_since=row.down_since or now, next_try_at=now + pause_for(delivery, failures),
        last_error=error[:300]))
    return read(connection, delivery, now)


def record_success(connection: Connection, now: dt.datetime) -> None:
    """The relay accepted an email: it is up (in the caller's transaction)."""
    _ensure_row(connection)
    connection.execute(update(R).where(R.c.id == 1).values(
        failures=0, down_since=None, next_try_at=None, last_sent_at=now))


def describe(status: RelayStatus, now: dt.datetime) -> str:
    """One sentence for VS admin and the log."""
    if not status.down:
        return "The mail relay is working."
    assert status.down_since is not None
    minutes = int((now - status.down_since).total_seconds() // 60)
    span = f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
    retry = ""
    if status.next_try_at is not None and status.next_try_at > now:
        retry = f" pepflow tries again in {max(1, int((status.next_try_at - now).total_seconds() // 60))} min."
    return (f"The mail relay has not accepted email for {span} ({status.last_error or 'no reason given'}). "
            f"No email is lost: they wait and go when it is back.{retry} Check the relay and the "
            "PEPFLOW_SMTP_* settings; ask IT if it is down.")
