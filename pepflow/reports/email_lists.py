"""What the Emails page and ``pepflow outbox`` read of the outbox: its tabs, counts and pages,
and what VS admin must act on (a relay down too long, emails that failed for good).  Sending
is ``notify/outbox.py``'s; this module only reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pepflow.config import Config
from pepflow.db.models import Notification
from pepflow.notify import relay
from pepflow.notify.outbox import relay_status
from pepflow.statuses import OutboxStatus
from pepflow.statuses import OutboxStatus as O

T = Notification.__table__


def outbox_rows(engine: Engine, status: str | None = None, limit: int = 200) -> list[Any]:
    with Session(engine) as session:
        query = select(T).order_by(T.c.id.desc()).limit(limit)
        if status:
            query = query.where(T.c.status == status)
        return session.execute(query).all()


# The Emails page's tabs: what needs attention first (failed, then waiting), then the rest.
OUTBOX_TABS: dict[str, tuple[str, ...]] = {
    "waiting": (O.FAILED, O.PENDING, O.SENDING), "failed": (O.FAILED,), "pending": (O.PENDING, O.SENDING),
    "sent": (O.SENT,), "skipped": (O.SKIPPED,), "all": (O.FAILED, O.PENDING, O.SENDING, O.SENT, O.SKIPPED),
}
_FIRST = {O.FAILED: 0, O.PENDING: 1, O.SENDING: 2, O.SENT: 3, O.SKIPPED: 4}


@dataclass(frozen=True)
class OutboxCount:
    emails: int  # an email goes to one person and lists all their items of a dispatch
    items: int  # outbox rows: one reminder, escalation or notice each


def outbox_counts(engine: Engine) -> dict[str, OutboxCount]:
    """Emails and items by status.  A sent email is one Message-ID; an email still to go is
    one per person (delivery writes each person one email for everything waiting for them);
    a skipped item never becomes an email."""
    with engine.connect() as connection:
        rows = connection.execute(select(T.c.status, func.count(), func.count(func.distinct(T.c.message_id)),
                                         func.count(func.distinct(T.c.recipient_email)))
                                  .group_by(T.c.status)).all()
    counts = {status: OutboxCount(0, 0) for status in _FIRST}
    for status, items, messages, people in rows:
        emails = messages if status == OutboxStatus.SENT else 0 if status == OutboxStatus.SKIPPED else people
        counts[status] = OutboxCount(emails, items)
    return counts


def outbox_page(engine: Engine, tab: str, page: int, per_page: int = 50) -> tuple[list[Any], int]:
    """One page of the outbox rows of a tab (``OUTBOX_TABS``), failed first, newest first
    within each status; and how many rows the tab has."""
    statuses = OUTBOX_TABS[tab]
    order = case({status: n for status, n in _FIRST.items()}, value=T.c.status)
    with Session(engine) as session:
        total = session.execute(select(func.count()).select_from(T).where(T.c.status.in_(statuses))).scalar_one()
        rows = session.execute(select(T).where(T.c.status.in_(statuses)).order_by(order, T.c.id.desc())
                               .limit(per_page).offset((page - 1) * per_page)).all()
    return rows, total


@dataclass(frozen=True)
class DeliveryProblems:
    """What VS admin must act on: a relay down too long, and emails that failed for good."""

    relay: relay.RelayStatus
    relay_text: str
    failed: int  # items (outbox rows) that failed for good
    people: int  # how many people they were for

    @property
    def any(self) -> bool:
        return self.relay.alert or self.failed > 0


def delivery_problems(engine: Engine, config: Config, now: dt.datetime) -> DeliveryProblems:
    status = relay_status(engine, config, now)
    with engine.connect() as connection:
        failed, people = connection.execute(select(func.count(), func.count(func.distinct(T.c.recipient_email)))
                                            .where(T.c.status == OutboxStatus.FAILED)).one()
    return DeliveryProblems(status, relay.describe(status, now) if status.down else "", failed, people)
