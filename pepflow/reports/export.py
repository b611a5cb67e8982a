"""Every deadline of a period with its outcome, for the council's own analysis (``pepflow export
deadlines``): one row each, codes and ISO dates for other programs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, select

from pepflow.config import Config
from pepflow.db.models import Child, Deadline
from pepflow.engine.deadlines import OverdueOn


from pepflow.reports.outcomes import outcome

EXPORT_COLUMNS = ("child_ref", "kind", "process", "start", "due", "closed", "outcome", "units_late", "late_unit",
                  "unit", "rule", "rule_version", "owner_role", "close_reason")


def export_deadlines(session: Session, config: Config, start: dt.date, end: dt.date, as_of: dt.date):
    """One row per deadline due in the period, with its outcome as of ``as_of`` (for CSV):
    how late it was met, or for a breach how overdue it is on ``as_of`` (``how_late``)."""
    D = Deadline.__table__.c
    rows = session.execute(select(D.child_ref, D.kind, D.process, D.opened_on, D.due_on, D.closed_on, D.status,
                                  D.days_late, D.late_unit, D.unit, D.rule_key, D.rule_version, D.owner_role,
                                  D.close_reason, D.calendar, Child.school_urn)
                           .join(Child, Child.ref == D.child_ref)
                           .where(D.due_on >= start, D.due_on <= end).order_by(D.due_on, D.id))
    overdue = OverdueOn(config, as_of)
    for d in rows:
        result = outcome(d, as_of)
        late: tuple[Any, Any] = ("", "")
        if result == "met_late":
            late = (d.days_late, d.late_unit)
        elif result == "breached":
            now = overdue.of(d)
            late = (now.count, now.unit)
        yield (d.child_ref, d.kind, d.process, d.opened_on.isoformat(), d.due_on.isoformat(),
               d.closed_on.isoformat() if d.closed_on and d.closed_on <= as_of else "", result, *late,
               d.unit, d.rule_key, d.rule_version, d.owner_role, d.close_reason if d.closed_on else "")
