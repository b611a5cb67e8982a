"""Record an event: load, check, transition, deadlines and audit, in one transaction.

The CLI, the web pages, imports and the demo all go through ``record_event``.  An event
is refused, with nothing written, when its date is in the future, a parameter is
missing or wrong, or the process's current state does not allow it.  The processes and
their events are in ``pepflow/states`` (each registers its events in ``pepflow.engine.events``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from pepflow.calendars import format_day
from pepflow.db.child_refs import require_child
from pepflow.audit import audit, change_marks, claim_changes, write_audit
from pepflow.audit.snapshots import child_changes, child_fields
from pepflow.clock import parse_date
from pepflow.config import Config
from pepflow.db import cases
from pepflow.db.models import Child, Person
from pepflow.db.unit import UnitOfWork
from pepflow.db.writes import write_queued_deadlines
from pepflow.errors import InputError, NotFound
from pepflow.vocabulary import role_with_article
from pepflow.engine.events import EventContext, EventSpec, Outcome, registry
from pepflow.engine.notices import queue_notices
from pepflow.values import did_you_mean


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
    events = registry()
    if name not in events:
        raise InputError("event", name, f"no such event; {did_you_mean(name, events)}`pepflow events` lists them all")
    return events[name]


def record_event(session: UnitOfWork, config: Config, child_ref: str, event: str,
                 on: dt.date | str, today: dt.date, by: str | None = None,
                 params: dict[str, str] | None = None, actor: str | None = None,
                 role: str | None = None) -> Outcome:
    """Apply ``event`` to the child's process and write the audit row, in ``session``.

    ``by`` is the person (a reference in the people list) recording it; ``actor``, when
    given, is the account that did (the web pages pass the signed-in account) and ``role``
    its role.  Without ``role``, the role is ``by``'s in the people list.  Who may record
    the event, and set each setting that carries a decision, is the event's own declaration
    (``EventSpec.recorded_by``, ``Param.decided_by``), for the web pages and the command line alike.  The caller owns the transaction: if
    anything here raises, the caller rolls back and nothing is written."""
    spec = event_spec(event)
    on = parse_date(on, "on")
    if on > today:
        raise InputError("on", format_day(on), f"is in the future (today is {format_day(today)}); "
                         "record events when they have happened")
    child = require_child(session, child_ref)  # whatever its case, else "did you mean"
    recorder = cases.by_key(session, Person, by) if by is not None else None
    if by is not None and recorder is None:
        raise NotFound("person", by)
    role = role or (recorder.role if recorder else None)
    if role is not None and not spec.may_be_recorded_by(role):
        raise InputError("event", event, f"is the Virtual School's to record; {role_with_article(role)} cannot record it")
    check_event_date(child, event, on)
    values = parse_params(spec, params or {})
    check_decisions(spec, values, role)
    check_params_against_case(session, spec, child, values)
    ctx = EventContext(session, config, child, event, on, today, by, values, role, actor or by)
    logged, fields_before = change_marks(session), child_fields(child)
    with session.no_autoflush:  # handlers flush where they need ids; one flush at the end
        session.recording = spec
        try:
            outcome = spec.handler(ctx)
        finally:
            session.recording = None
        if not session.batch:
            session.flush()
            write_queued_deadlines(session)
    outcome.messages += queue_notices(session, config, child, event, spec.help or event, on, today, values)
    payload = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in values.items()}
    payload.update(outcome.payload)
    changed = child_changes(fields_before, child)
    if changed:
        payload["child"] = changed
    row = audit(session, child.ref, outcome.process, event, on, payload, outcome.process_id,
                outcome.state_before, outcome.state_after, actor or by)
    claim_changes(session, logged, row)
    if not session.batch:
        write_audit(session)
    return outcome


def check_decisions(spec: EventSpec, values: dict[str, Any], role: str | None) -> None:
    """A setting that carries someone else's decision may be set only by the roles it names
    (``Param.decided_by``); with no role known (the command line without ``--by``) it is
    refused, asking who decided."""
    for name, value in values.items():
        param = spec.param(name)
        if param is None or not param.decided_by or role in param.decided_by:
            continue
        allowed, whose = param.decided_by, param.decision
        who = " or ".join(role_with_article(r) for r in sorted(allowed))
        if role is None:
            raise InputError(name, value, f"is {whose}: record it as {who} (--by PERSON_REF, or signed in on the "
                             "web pages)")
        raise InputError(name, value, f"is {whose}, which only {who} may record; {role_with_article(role)} cannot set it")


def check_event_date(child: Child, event: str, on: dt.date) -> None:
    """An event cannot happen before the child was born, nor (but for a new episode of care)
    before the current episode of care began; a new episode cannot begin before the last ended."""
    if on < child.dob:
        raise InputError("on", format_day(on), f"is before {child.ref}'s date of birth ({format_day(child.dob)})")
    if event == "entered_care":
        if child.left_care_on and on < child.left_care_on:
            raise InputError("on", format_day(on), f"is before {child.ref} left care on "
                             f"{format_day(child.left_care_on)}: a new episode begins after the last one ended")
    elif on < child.entered_care:
        raise InputError("on", format_day(on), f"is before {child.ref} entered care on "
                         f"{format_day(child.entered_care)} (the current episode); events of the case begin then")


def check_params_against_case(session: UnitOfWork, spec: EventSpec, child: Child, values: dict[str, Any]) -> None:
    """A reference names a person of the right role or a known school; a date is not before the
    child was born."""
    for p in spec.params:
        value = values.get(p.name)
        if value is None:
            continue
        if p.person:
            person = cases.by_key(session, Person, value)
            if person is None:
                raise InputError(p.name, value, "is not a known person (import people first)")
            if person.role not in p.person:
                raise InputError(p.name, value, f"is a {person.role.replace('_', ' ')}, not a "
                                 f"{' or '.join(r.replace('_', ' ') for r in p.person)}")
        elif p.school:
            if cases.school(session, value) is None:
                raise InputError(p.name, value, "is not a known school (import schools first)")
        elif isinstance(value, dt.date) and value < child.dob:
            raise InputError(p.name, format_day(value), f"is before {child.ref}'s date of birth "
                             f"({format_day(child.dob)})")


@dataclass(frozen=True)
class EventRequest:
    child_ref: str
    event: str
    on: dt.date | str
    by: str | None = None
    params: dict[str, str] | None = None


def record_events(session: UnitOfWork, config: Config, requests: list[EventRequest],
                  today: dt.date) -> list[Outcome]:
    """Record many events in one transaction (imports, simulations, bulk back-dating).

    The rows the events need are read for the whole batch at once; each event is still
    checked and applied exactly as ``record_event`` does.  If one is refused, the caller
    rolls back and none is written."""
    cases.prefetch(session, sorted({r.child_ref for r in requests}))
    session.batch = True
    try:
        outcomes = [record_event(session, config, r.child_ref, r.event, r.on, today, r.by, r.params)
                    for r in requests]
    finally:
        session.batch = False
    session.flush()
    write_queued_deadlines(session)
    write_audit(session)
    return outcomes
