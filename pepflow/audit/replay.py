"""``pepflow audit verify --replay``: rebuild from the history what the tables should hold.

The keyed chain proves the history; the tables are only as good as their agreement with
it.  One pass over the history in order folds

* every deadline, as the last row that opened or closed it recorded it (``snapshots.py``);
* each process's state (a PEP, an admission, an exclusion), as its last event left it;
* each child's own fields, as imported and then changed by events;

and the tables are then compared with the fold.  A deadline's date or status, a PEP's
state or a child's date of birth edited in the database directly is named with the
stored and the replayed value.  Each deadline's due date is also worked out again from
its start by the rule version in force then: a difference there is not tampering (the
history is proved) but a change since of the calendar or the rules, and is shown as a note.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import select
from sqlalchemy.engine import Engine

from pepflow.config import Config
from pepflow.db.models import Admission, Child, Deadline, Event, Exclusion, Pep
from pepflow.errors import PepflowError
from pepflow.rules.due_dates import due_date
from pepflow.audit import history_rows
from pepflow.audit.snapshots import CHILD_FIELDS, DEADLINE_FIELDS, plain

PROCESS_TABLES = {"pep": Pep, "admission": Admission, "exclusion": Exclusion}
PROGRESS_EVERY = 200_000


@dataclass
class Replay:
    history_rows: int = 0
    deadlines: int = 0
    processes: int = 0
    children: int = 0
    differences: list[str] = field(default_factory=list)
    rule_notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def summary(self) -> str:
        return (f"Replayed {self.history_rows} history rows: {self.deadlines} deadlines, {self.processes} "
                f"process states and {self.children} children match the tables.")

    def notes(self) -> list[str]:
        if not self.rule_notes:
            return []
        shown = [f"  - {n}" for n in self.rule_notes[:20]]
        more = [f"  … and {len(self.rule_notes) - 20} more."] if len(self.rule_notes) > 20 else []
        return [f"Note: {len(self.rule_notes)} due dates differ from what today's rules and calendars give for "
                "their start (not tampering: the calendar or a rule was changed after they were set):",
                *shown, *more]


@dataclass
class _Fold:
    deadlines: dict[int, dict[str, Any]] = field(default_factory=dict)
    states: dict[tuple[str, int], str] = field(default_factory=dict)
    children: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, child_ref: str | None, process: str, process_id: int | None, state_after: str | None,
            payload: dict[str, Any]) -> None:
        for snap in payload.get("deadlines", ()):
            self.deadlines[snap["id"]] = snap
        if state_after is not None and process_id is not None and process in PROCESS_TABLES:
            self.states[(process, process_id)] = state_after
        for table, row_id, state in payload.get("processes", ()):
            self.states[(table, row_id)] = state
        changed = payload.get("child")
        if changed and child_ref is not None:
            self.children.setdefault(child_ref, {}).update(changed)


def replay(engine: Engine, config: Config, progress: Callable[[str], None] | None = None,
           batch: int = 20_000) -> Replay:
    """Fold the history, then compare deadlines, process states and children with it."""
    result, fold = Replay(), _Fold()
    say = progress or (lambda _text: None)
    t = Event.__table__
    columns = [t.c.id, t.c.child_ref, t.c.process, t.c.process_id, t.c.state_after, t.c.payload]
    for row in history_rows(engine, columns, batch):
        result.history_rows += 1
        payload = row[5] if isinstance(row[5], dict) else json.loads(row[5] or "{}")
        fold.add(row[1], row[2], row[3], row[4], payload)
        if result.history_rows % PROGRESS_EVERY == 0:
            say(f"Replaying the history: {result.history_rows} rows read…")
    say(f"Replayed {result.history_rows} history rows; comparing the tables…")
    with engine.connect() as conn:
        _compare_deadlines(conn, config, fold, result)
        _compare_states(conn, fold, result)
        _compare_children(conn, fold, result)
    return result


def _text(value: Any) -> str:
    return "none" if value is None else str(plain(value))


def _compare_deadlines(conn: Any, config: Config, fold: _Fold, result: Replay) -> None:
    t = Deadline.__table__
    columns = [t.c.id, *(t.c[f] for f in DEADLINE_FIELDS)]
    seen = set()
    for row in conn.execute(select(*columns).order_by(t.c.id)):
        result.deadlines += 1
        snap = fold.deadlines.get(row.id)
        seen.add(row.id)
        what = f"deadline {row.id} ({row.kind} of child {row.child_ref})"
        if snap is None:
            result.differences.append(f"{what} is not in the history: it was added to the table directly")
            continue
        for f in DEADLINE_FIELDS:
            stored, replayed = plain(getattr(row, f)), snap.get(f)
            if stored != replayed:
                result.differences.append(f"{what}: {f} is {_text(stored)} in the table, {_text(replayed)} "
                                          "in the history")
        _check_rule(config, snap, what, result)
    for deadline_id, snap in fold.deadlines.items():
        if deadline_id not in seen:
            result.differences.append(f"deadline {deadline_id} ({snap['kind']} of child {snap['child_ref']}) is in "
                                      "the history but not in the table: it was deleted")


def _check_rule(config: Config, snap: dict[str, Any], what: str, result: Replay) -> None:
    """The due date the rule in force at the start gives, against the one the history recorded."""
    if "start" not in snap or snap.get("set_due") or snap["rule_key"] not in config.timescales:
        return
    start = dt.date.fromisoformat(snap["start"])
    try:
        rule = config.timescales.rule(snap["rule_key"], start)
        due = due_date(rule, start, config.calendar(snap["calendar"], snap.get("school_urn")))
    except PepflowError as exc:
        result.rule_notes.append(f"{what}: cannot be worked out again from {snap['start']}: {exc}")
        return
    if rule.version != snap["rule_version"]:
        result.rule_notes.append(f"{what} was set by {snap['rule_key']} version {snap['rule_version']}; the rules "
                                 f"now put version {rule.version} in force on {snap['start']}")
    elif due.isoformat() != snap["due_on"]:
        result.rule_notes.append(f"{what}: due {snap['due_on']} when set; the calendar now gives {due.isoformat()} "
                                 f"from {snap['start']}")


def _compare_states(conn: Any, fold: _Fold, result: Replay) -> None:
    for process, model in PROCESS_TABLES.items():
        t = model.__table__
        for row in conn.execute(select(t.c.id, t.c.child_ref, t.c.state).order_by(t.c.id)):
            replayed = fold.states.get((process, row.id))
            if replayed is None:
                continue  # a process row no event has moved yet (a new PEP cycle waiting to start)
            result.processes += 1
            if row.state != replayed:
                result.differences.append(f"{process} {row.id} of child {row.child_ref}: state is {row.state} in the "
                                          f"table, {replayed} in the history")


def _compare_children(conn: Any, fold: _Fold, result: Replay) -> None:
    t = Child.__table__
    for row in conn.execute(select(t.c.ref, *(t.c[f] for f in CHILD_FIELDS)).order_by(t.c.ref)):
        result.children += 1
        replayed = fold.children.get(row.ref)
        if replayed is None:
            result.differences.append(f"child {row.ref} is not in the history: added to the table directly")
            continue
        for f in CHILD_FIELDS:
            if f in replayed and plain(getattr(row, f)) != replayed[f]:
                result.differences.append(f"child {row.ref}: {f} is {_text(getattr(row, f))} in the table, "
                                          f"{_text(replayed[f])} in the history")
