"""Email delivery: the outbox, the sweeps that fill it and the relay's state."""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field

from pepflow.statuses import OutboxStatus
from pepflow.db.models.base import Table, _utcnow
from pepflow.db.types import UTCDateTime


class Notification(Table, table=True):
    """The email outbox: a reminder or escalation is a row before it is an email."""

    __table_args__ = (
        UniqueConstraint("key", name="uq_notification_key"),
        Index("ix_notification_status_next", "status", "next_attempt_at"),
        # a child's page lists the reminders sent about them from here (the history has a row an email)
        Index("ix_notification_child", "child_ref"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    key: str  # unique per (deadline, step, recipient): the sweep's idempotency key
    # no foreign-key check: deadlines are never deleted, every writer has just read the deadline, and
    # PostgreSQL's check was a fifth of the sweep (revision 0025, issue 42)
    deadline_id: Optional[int] = None
    child_ref: Optional[str] = None
    recipient_ref: Optional[str] = None
    recipient_email: str = ""
    step: str = ""
    status: str = OutboxStatus.PENDING  # statuses.OutboxStatus
    attempts: int = 0
    created_at: dt.datetime = Field(default_factory=_utcnow, sa_type=UTCDateTime)
    next_attempt_at: Optional[dt.datetime] = Field(default=None, sa_type=UTCDateTime)
    sent_at: Optional[dt.datetime] = Field(default=None, sa_type=UTCDateTime)
    message_id: str = ""
    last_error: str = ""
    claim_token: str = ""  # set by the dispatcher that is sending it
    claimed_at: Optional[dt.datetime] = Field(default=None, sa_type=UTCDateTime)  # renewed while sending
    # the first time a dispatcher took it: pepflow gives up on an email by time since then
    first_attempt_at: Optional[dt.datetime] = Field(default=None, sa_type=UTCDateTime)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    payload_version: int = 1


class SweepRun(Table, table=True):
    """One row per day swept: the unique date is what makes a day's sweep happen once,
    however many processes run it (written in the sweep's own transaction, so a sweep that
    died left no row and the next one does the day)."""

    __tablename__ = "sweep_run"
    swept_on: dt.date = Field(primary_key=True)
    swept_at: dt.datetime = Field(sa_type=UTCDateTime)
    swept_by: str = ""  # host and process id
    deadlines_due: int = 0
    written: int = 0
    skipped: int = 0
    duration_ms: int = 0  # how long the sweep took (the service's metrics)


class RelayState(Table, table=True):
    """The mail relay as the dispatchers have found it (one row, id 1): while it is down,
    delivery pauses until ``next_try_at`` and no email is charged an attempt."""

    __tablename__ = "relay_state"
    id: int = Field(default=1, primary_key=True)
    down_since: Optional[dt.datetime] = Field(default=None, sa_type=UTCDateTime)  # None: up
    failures: int = 0  # relay failures in a row: the pause doubles with each, up to a cap
    next_try_at: Optional[dt.datetime] = Field(default=None, sa_type=UTCDateTime)
    last_error: str = ""
    last_sent_at: Optional[dt.datetime] = Field(default=None, sa_type=UTCDateTime)
