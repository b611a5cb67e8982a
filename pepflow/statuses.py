"""The statuses a deadline and an outbox row go through, named once.  They are ``StrEnum``s: each
equals the string stored in the database, so a query, a row and a comparison read the same."""

from __future__ import annotations

from enum import StrEnum


class DeadlineStatus(StrEnum):
    OPEN = "open"
    MET = "met"
    MET_LATE = "met_late"
    MISSED = "missed"  # closed unmet (an escalation that ran its course)
    CANCELLED = "cancelled"  # no longer owed: the child left care, the process closed


CLOSED_STATUSES = (DeadlineStatus.MET, DeadlineStatus.MET_LATE, DeadlineStatus.MISSED, DeadlineStatus.CANCELLED)


class OutboxStatus(StrEnum):
    PENDING = "pending"  # waiting to be sent (now, or at its next attempt)
    SENDING = "sending"  # claimed by a dispatcher
    SENT = "sent"  # accepted by the relay
    FAILED = "failed"  # cannot be sent: VS admin is told
    SKIPPED = "skipped"  # no longer needed (the deadline was met before it went)
