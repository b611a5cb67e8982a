"""What the history records of the rows it lets ``pepflow audit verify --replay`` rebuild.

Every deadline opened or closed is recorded, as it stands when the transaction commits,
in the history row of the event (or import) that changed it; every change an event or an
import makes to a child's own fields is recorded in that row too.  These go in the row's
payload under ``REPLAY_KEYS``, which the history pages leave out (they are for checking,
not reading).
"""

from __future__ import annotations

import datetime as dt
import operator
from typing import Any, Iterable

from sqlalchemy.orm.attributes import instance_dict
from pepflow.db.writes import write_queued_deadlines

DEADLINE_FIELDS = ("child_ref", "process", "process_id", "kind", "rule_key", "rule_version", "opened_on",
                   "due_on", "number", "unit", "counting", "calendar", "status", "closed_on", "days_late")
CHILD_FIELDS = ("first_name", "last_name", "dob", "upn", "upn_unknown", "sen_status", "legal_status", "entered_care",
                "first_entered_care", "school_urn", "social_worker_ref", "iro_ref", "carer_ref", "in_area",
                "placement_type", "last_pep_meeting", "last_care_review", "looked_after", "left_care_on")
REPLAY_KEYS = ("deadlines", "processes", "child")


def plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value





def deadline_snapshots(session: Any, touched: Iterable[Any]) -> list[dict[str, Any]]:
    """Each deadline once, as it stands now, with the date its clock started from (``start``)
    and whether its due date was given rather than worked out by its rule (``set_due``)."""
    unique = list({id(d): d for d in touched}.values())
    if any(d.id is None for d in unique):
        write_queued_deadlines(session)
    starts = session.deadline_starts
    snapshots = []
    for d in unique:
        snap = dict(zip(_SNAPSHOT_KEYS, map(plain, _fields_of(d, _SNAPSHOT_KEYS))))
        start = starts.get(id(d))
        if start is not None:
            snap["start"], snap["set_due"], snap["school_urn"] = plain(start[0]), start[1], start[2]
        snapshots.append(snap)
    return snapshots


def process_snapshots(session: Any, moved: Iterable[Any]) -> list[list[Any]]:
    """Each process row once, as [table, id, state] as it stands now."""
    unique = list({id(r): r for r in moved}.values())
    if any(r.id is None for r in unique):
        session.flush()
    return [[r.__tablename__, r.id, r.state] for r in unique]


def child_fields(child: Any) -> tuple[Any, ...]:
    return _fields_of(child, CHILD_FIELDS)


def child_changes(before: tuple[Any, ...] | None, child: Any) -> dict[str, Any]:
    """The child's fields that differ from ``before`` (every field for a new child)."""
    after = child_fields(child)
    if after == before:
        return {}
    return {f: plain(v) for i, (f, v) in enumerate(zip(CHILD_FIELDS, after)) if before is None or before[i] != v}


_SNAPSHOT_KEYS = ("id", *DEADLINE_FIELDS)
_GETTERS = {keys: operator.itemgetter(*keys) for keys in (_SNAPSHOT_KEYS, CHILD_FIELDS)}


def _fields_of(row: Any, keys: tuple[str, ...]) -> tuple[Any, ...]:
    """The row's values of ``keys``, from the dict the ORM keeps them in (reading each through
    its attribute was a tenth of recording an event: bench/pep_machine.py); through the
    attributes when one is not loaded."""
    try:
        return _GETTERS[keys](instance_dict(row))
    except KeyError:
        return tuple(getattr(row, k) for k in keys)
