"""Record an event: load, check, transition, deadlines and audit, in one transaction.

Every process module registers its events here (``register``), so the CLI, the web
pages and the demo all go through ``record_event``.  An event is refused, with nothing
written, when its date is in the future, a parameter is missing or wrong, or the
process's current state does not allow it.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import event as sa_event
from sqlmodel import Session, select

from .clock import SystemClock, parse_date
from .config import Config
from .db import txcache
from .db.driver_sql import executemany, json_text
from .db.models import Child, Person, School
from .deadlines import write_pending as write_pending_deadlines
from .errors import InputError, NotFound
from .gc_pause import collection_paused

PAYLOAD_VERSION = 1


@dataclass(frozen=True)
class Param:
    name: str
    parse: Callable[[str], Any]
    required: bool = False
    help: str = ""


@dataclass
class EventContext:
    session: Session
    config: Config
    child: Child
    event: str
    on: dt.date
    today: dt.date
    by: str | None
    params: dict[str, Any]


@dataclass
class Outcome:
    """What a handler did: the process row it moved and what to tell the user."""

    process: str
    process_id: int | None
    state_before: str | None
    state_after: str | None
    payload: dict[str, Any] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EventSpec:
    name: str
    process: str
    handler: Callable[[EventContext], Outcome]
    params: tuple[Param, ...] = ()
    help: str = ""


REGISTRY: dict[str, EventSpec] = {}


def register(spec: EventSpec) -> EventSpec:
    REGISTRY[spec.name] = spec
    return spec


@functools.cache
def _load_processes() -> None:
    """Import every process module so its events are registered (once: an import statement
    costs a microsecond or two even when the module is loaded, on every event)."""
    from .states import admission, attendance, care, exclusion, pep  # noqa: F401


# ---- parameter parsers (shared by every process) ------------------------------------

def choice(*options: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        v = str(value).strip().lower()
        if v not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return v
    parse.__doc__ = " | ".join(options)
    return parse


def text(value: str) -> str:
    v = str(value).strip()
    if not v:
        raise ValueError("must not be empty")
    return v


def whole_number(value: str) -> int:
    try:
        n = int(str(value).strip().lstrip("£"))
    except ValueError:
        raise ValueError("must be a whole number") from None
    if n < 0:
        raise ValueError("must not be negative")
    return n


def date_value(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError("must be a date written YYYY-MM-DD") from None


def yes_no(value: str) -> bool:
    v = str(value).strip().lower()
    if v in ("yes", "y", "true", "1"):
        return True
    if v in ("no", "n", "false", "0"):
        return False
    raise ValueError("must be yes or no")


# ---- recording ----------------------------------------------------------------------

def parse_params(spec: EventSpec, raw: dict[str, str]) -> dict[str, Any]:
    known = {p.name: p for p in spec.params}
    for key in raw:
        if key not in known:
            accepted = ", ".join(known) or "none"
            raise InputError(key, raw[key], f"is not a setting of '{spec.name}' (accepted: {accepted})")
    values: dict[str, Any] = {}
    for p in spec.params:
        if p.name not in raw:
            if p.required:
                raise InputError(p.name, None, f"'{spec.name}' needs --set {p.name}=… ({p.help})")
            continue
        try:
            values[p.name] = p.parse(raw[p.name])
        except ValueError as exc:
            raise InputError(p.name, raw[p.name], str(exc)) from None
    return values


def event_spec(name: str) -> EventSpec:
    _load_processes()
    if name not in REGISTRY:
        raise InputError("event", name, f"unknown event (known: {', '.join(sorted(REGISTRY))})")
    return REGISTRY[name]


def record_event(session: Session, config: Config, child_ref: str, event: str,
                 on: dt.date | str, today: dt.date, by: str | None = None,
                 params: dict[str, str] | None = None, actor: str | None = None) -> Outcome:
    """Apply ``event`` to the child's process and write the audit row, in ``session``.

    ``by`` is the person (a reference in the people list) the event is recorded for;
    ``actor``, when given, is who recorded it (the web pages pass the signed-in account).
    The caller owns the transaction: if anything here raises, the caller rolls back and
    nothing is written."""
    spec = event_spec(event)
    on = parse_date(on, "--on")
    if on > today:
        raise InputError("--on", on.isoformat(), f"is in the future (today is {today.isoformat()}); "
                         "record events when they have happened")
    child = session.get(Child, child_ref)
    if child is None:
        raise NotFound("child", child_ref)
    if by is not None and session.get(Person, by) is None:
        raise NotFound("person", by)
    values = parse_params(spec, params or {})
    ctx = EventContext(session, config, child, event, on, today, by, values)
    with session.no_autoflush:  # handlers flush where they need ids; one flush at the end
        outcome = spec.handler(ctx)
        if not session.info.get("batch"):
            session.flush()
            write_pending_deadlines(session)
    payload = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in values.items()}
    payload.update(outcome.payload)
    audit(session, child.ref, outcome.process, event, on, payload, outcome.process_id,
          outcome.state_before, outcome.state_after, actor or by)
    if not session.info.get("batch"):
        write_audit(session)
    return outcome


@dataclass(frozen=True)
class EventRequest:
    child_ref: str
    event: str
    on: dt.date | str
    by: str | None = None
    params: dict[str, str] | None = None


def record_events(session: Session, config: Config, requests: list[EventRequest],
                  today: dt.date) -> list[Outcome]:
    """Record many events in one transaction (imports, simulations, bulk back-dating).

    The rows the events need are read for the whole batch at once; each event is still
    checked and applied exactly as ``record_event`` does.  If one is refused, the caller
    rolls back and none is written."""
    with collection_paused():
        return _record_events(session, config, requests, today)


def _record_events(session: Session, config: Config, requests: list[EventRequest],
                   today: dt.date) -> list[Outcome]:
    from .deadlines import prefetch_open
    from .states.pep import prefetch_current

    refs = sorted({r.child_ref for r in requests})
    for chunk in range(0, len(refs), 500):
        part = refs[chunk:chunk + 500]
        # kept referenced for the transaction: the session's identity map holds rows weakly
        children = list(session.exec(select(Child).where(Child.ref.in_(part))))
        urns = {c.school_urn for c in children if c.school_urn}
        schools = list(session.exec(select(School).where(School.urn.in_(urns)))) if urns else []
        txcache.cache(session, "batch_rows").update({id(o): o for o in children + schools})
        prefetch_open(session, part)
        prefetch_current(session, part)
    session.info["batch"] = True
    try:
        outcomes = [record_event(session, config, r.child_ref, r.event, r.on, today, r.by, r.params)
                    for r in requests]
    finally:
        session.info.pop("batch", None)
    session.flush()
    write_pending_deadlines(session)
    write_audit(session)
    return outcomes


def audit(session: Session, child_ref: str | None, process: str, name: str, on: dt.date,
          payload: dict[str, Any], process_id: int | None = None, before: str | None = None,
          after: str | None = None, actor: str | None = None) -> None:
    """Queue one audit row for this transaction; ``write_audit`` inserts the queue."""
    session.info.setdefault("audit_rows", []).append(dict(
        child_ref=child_ref, process=process, process_id=process_id, name=name, effective_on=on,
        actor_ref=actor, state_before=before, state_after=after, payload=payload,
        payload_version=PAYLOAD_VERSION))


_AUDIT_COLUMNS = ("child_ref", "process", "process_id", "name", "effective_on", "recorded_at", "actor_ref",
                  "state_before", "state_after", "payload", "payload_version", "prev_hash", "hash")
_AUDIT_SQL = f"INSERT INTO event ({', '.join(_AUDIT_COLUMNS)}) VALUES ({', '.join('?' * len(_AUDIT_COLUMNS))})"
_audit_parameters = operator.itemgetter(*("payload_text" if c == "payload" else c for c in _AUDIT_COLUMNS))


def write_audit(session: Session) -> None:
    """Insert the queued audit rows in the current transaction: the only writer of ``event``.

    One executemany of the driver for the whole queue (an ORM object per row costs ten
    times more, and SQLAlchemy's per-row parameter processing twice as much).  The rows
    are recorded together, so they share one ``recorded_at``."""
    rows = session.info.pop("audit_rows", None)
    if rows:
        from .audit import chain

        recorded_at = SystemClock().now()
        for r in rows:
            r["recorded_at"] = recorded_at
            r["payload_text"] = json_text(r["payload"])
        chain(session, rows)
        executemany(session, _AUDIT_SQL, [_audit_parameters(r) for r in rows])


@sa_event.listens_for(Session, "before_commit")
def _write_pending_audit(session: Session) -> None:
    """No change commits without its audit rows."""
    write_audit(session)


@sa_event.listens_for(Session, "after_soft_rollback")
def _drop_pending_audit(session: Session, _previous) -> None:
    session.info.pop("audit_rows", None)
