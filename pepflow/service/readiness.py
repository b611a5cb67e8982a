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

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from pepflow.config import Config
from pepflow.db.migrate import HEAD, current_revision
from pepflow.db.models import Event, Notification, SweepRun
from pepflow.notify.relay import read as read_relay
from pepflow.statuses import OutboxStatus

STATUSES = tuple(OutboxStatus)


@dataclass
class Readiness:
    ready: bool
    problems: list[str] = field(default_factory=list)
    schema: str | None = None
    last_sweep: Any = None  # the newest sweep_run row (day, time, rows, duration), if any
    notifications: dict[str, int] = field(default_factory=dict)
    oldest_pending_seconds: float | None = None
    relay_down_since: dt.datetime | None = None
    relay_alert: bool = False
    history_last_id: int = 0  # the newest history row's id (rows are only ever added)

    def as_json(self) -> dict[str, Any]:
        def iso(v):
            return v.isoformat() if v is not None else None

        last = self.last_sweep
        return {"ready": self.ready, "problems": self.problems, "schema": self.schema, "schema_expected": HEAD,
                "last_sweep": {"on": iso(last.swept_on if last else None), "at": iso(last.swept_at if last else None),
                               "rows": last.written if last else 0},
                "outbox": {"by_status": self.notifications, "oldest_pending_seconds": self.oldest_pending_seconds},
                "relay": {"down_since": iso(self.relay_down_since), "alert": self.relay_alert}}


def readiness(engine: Engine, config: Config, now: dt.datetime) -> Readiness:
    """Ready when the database answers and its schema is the one this version uses; read in one
    connection, as /readyz and each /metrics scrape ask."""
    try:
        with engine.connect() as connection:
            revision = current_revision(connection)
            state = Readiness(revision == HEAD, schema=revision)
            counts = dict(connection.execute(select(Notification.status, func.count())
                                             .group_by(Notification.status)).all())
            oldest = connection.execute(select(func.min(Notification.created_at))
                                        .where(Notification.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))).scalar()
            state.history_last_id = connection.execute(select(func.max(Event.id))).scalar() or 0
            if state.ready:  # tables as this version has them
                state.last_sweep = connection.execute(select(SweepRun.__table__)
                                                      .order_by(SweepRun.swept_on.desc()).limit(1)).first()
                relay = read_relay(connection, config.notifications.delivery, now)
                state.relay_down_since, state.relay_alert = relay.down_since, relay.alert
    except Exception as exc:  # a monitor is told, in words, what it would otherwise see as a timeout
        return Readiness(False, [f"the database cannot be reached: {type(exc).__name__}: {str(exc)[:200]}"])
    state.notifications = {s: int(counts.get(s, 0)) for s in STATUSES}
    if not state.ready:
        state.problems.append(f"the database schema is at {revision or 'no revision'}, this version needs {HEAD}: "
                              "run pepflow db upgrade")
    if oldest is not None:
        state.oldest_pending_seconds = max(0.0, (now - oldest).total_seconds())
    return state
