"""Whether a pepflow process can do its work: what ``/readyz`` and ``/metrics`` report.

Read from the database at the moment of asking, so every process (a web worker, a worker
running the sweep) gives the same answer for the service as a whole: the schema revision,
the last day swept, the outbox (how many emails wait, and for how long), the relay.  Nothing
here names a child or a person: a monitor or a metrics store sees counts and times only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from .config import Config
from .db.migrate import HEAD, current_revision
from .db.models import Notification, SweepRun
from .notify.outbox import relay_status

STATUSES = ("pending", "sending", "sent", "failed", "skipped")


@dataclass
class Readiness:
    ready: bool
    problems: list[str] = field(default_factory=list)
    schema: str | None = None
    last_sweep_on: dt.date | None = None
    last_sweep_at: dt.datetime | None = None
    last_sweep_rows: int = 0
    notifications: dict[str, int] = field(default_factory=dict)
    oldest_pending_seconds: float | None = None
    relay_down_since: dt.datetime | None = None
    relay_alert: bool = False

    def as_json(self) -> dict[str, Any]:
        def iso(v):
            return v.isoformat() if v is not None else None

        return {"ready": self.ready, "problems": self.problems, "schema": self.schema, "schema_expected": HEAD,
                "last_sweep": {"on": iso(self.last_sweep_on), "at": iso(self.last_sweep_at),
                               "rows": self.last_sweep_rows},
                "outbox": {"by_status": self.notifications, "oldest_pending_seconds": self.oldest_pending_seconds},
                "relay": {"down_since": iso(self.relay_down_since), "alert": self.relay_alert}}


def readiness(engine: Engine, config: Config, now: dt.datetime) -> Readiness:
    """Ready when the database answers and its schema is the one this version uses."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            revision = current_revision(connection)
            last = connection.execute(select(SweepRun.swept_on, SweepRun.swept_at, SweepRun.written)
                                      .order_by(SweepRun.swept_on.desc()).limit(1)).first()
            counts = dict(connection.execute(select(Notification.status, func.count())
                                             .group_by(Notification.status)).all())
            oldest = connection.execute(select(func.min(Notification.created_at))
                                        .where(Notification.status.in_(("pending", "sending")))).scalar()
    except Exception as exc:  # a monitor is told, in words, what it would otherwise see as a timeout
        return Readiness(False, [f"the database cannot be reached: {type(exc).__name__}: {str(exc)[:200]}"])
    state = Readiness(True, schema=revision, notifications={s: int(counts.get(s, 0)) for s in STATUSES})
    if revision != HEAD:
        state.ready = False
        state.problems.append(f"the database schema is at {revision or 'no revision'}, this version needs {HEAD}: "
                              "run pepflow db upgrade")
    if last is not None:
        state.last_sweep_on, state.last_sweep_at, state.last_sweep_rows = last[0], last[1], last[2]
    if oldest is not None:
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=dt.timezone.utc)
        state.oldest_pending_seconds = max(0.0, (now - oldest).total_seconds())
    if state.ready:
        relay = relay_status(engine, config, now)
        state.relay_down_since, state.relay_alert = relay.down_since, relay.alert
    return state
