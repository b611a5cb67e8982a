"""A child's case page, and recording an event on it (the same service as the CLI's
``pepflow event``).  Every view of a case is audited."""

from __future__ import annotations

from typing import Any, Mapping
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, select

from pepflow.calendars import format_day, format_moment
from pepflow.engine.recording import event_spec, record_event
from pepflow.db.models import Event
from pepflow.db.unit import UnitOfWork
from pepflow.errors import InputError, NotFound, PepflowError, TransitionNotAllowed, quoted
from pepflow.engine.events import REGISTRY, EventSpec
from pepflow.engine.offered import events_open_to
from pepflow.audit import write_audit
from pepflow.audit.disclosures import ACCESS_PROCESS, SECURITY_PROCESS, disclosed
from pepflow.engine.contact_log import HOW, note_contact
from pepflow.notify.chase import chase_now
from pepflow.reports.listings import readable_history
from pepflow.accounts.access import may_record, may_set
from pepflow.role_table import VIRTUAL_SCHOOL_ROLES
from pepflow.states.pep import current_pep
from pepflow.calendars import HalfTerm
from pepflow.reports.history_words import actor_text
from pepflow.states.attendance import half_terms_to_report
from pepflow.web.attendance_view import attendance_for
from pepflow.values import Choice, date_value, yes_no
from pepflow.vocabulary import event_label, parameter_label
from pepflow.web import views
from pepflow.web.dates import parts_of, read_date
from pepflow.web.routes.decisions import pending_decisions
from pepflow.web.pickers import Picked, pick, picks
from pepflow.web.site import (CheckedFormDep, DatabaseDep, Refused, Site, SiteDep, Visitor, VisitorDep, leave_notice,
                    take_notice)

router = APIRouter()


def case_context(site: Site, s: UnitOfWork, visitor: Visitor, child) -> dict[str, Any]:
    today = site.app.today()
    choices = [e for e in events_open_to(s, child, today) if may_record(visitor.user, e.name)] \
        if visitor.role.records_events else []
    groups: dict[str, list] = {}
    for e in choices:
        groups.setdefault(e.group, []).append(e)
    return {"child": views.child_summary(s, child, today), "pep": current_pep(s, child.ref),
            "deadlines": views.open_deadlines(s, site.app.config, child, today),
            "closed": views.closed_deadlines(s, child),
            "timeline": list(reversed(readable_history(s, child.ref))),
            "event_groups": groups, "contact_ways": [(how, how.capitalize()) for how in HOW],
            "decisions": [d for d in pending_decisions(s, child.ref) if d.mine(visitor.user.role)]
            if visitor.user.role in VIRTUAL_SCHOOL_ROLES else [],
            "attendance": attendance_for(s, child.ref, today)}


@router.get("/children/{ref}")
def child_page(request: Request, ref: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep):
    child = views.visible_child(s, visitor.user, ref, site.app.today())
    context = case_context(site, s, visitor, child)
    notice = take_notice(s, visitor)
    disclosed(s, "case_viewed", site.app.today(), visitor.actor,
              {"account": visitor.user.email, "role": visitor.user.role}, child.ref)
    s.commit()
    return site.render(request, "child.html.j2", 200, visitor, notice=notice, **context)


def of_the_case(child_ref: str) -> tuple[Any, ...]:
    """History rows that are events of the case: views of it and security events left out."""
    return Event.child_ref == child_ref, Event.process.not_in((ACCESS_PROCESS, SECURITY_PROCESS))


def last_case_event_id(s: UnitOfWork, child_ref: str) -> int:
    """The id of the newest event of the case (views and security events left out): a form
    carries it, so a form sent after someone else changed the case can say what changed."""
    return s.execute(select(func.max(Event.id)).where(*of_the_case(child_ref))).scalar() or 0


def changes_since(s: UnitOfWork, child_ref: str, seen: int) -> list[dict[str, str]]:
    """The case's events recorded after event ``seen``, oldest first, as a person reads them."""
    rows = s.execute(select(Event.name, Event.recorded_at, Event.effective_on, Event.actor_ref)
                     .where(*of_the_case(child_ref), Event.id > seen).order_by(Event.id).limit(20))
    return [{"event": event_label(r.name), "at": format_moment(r.recorded_at),
             "on": format_day(r.effective_on), "by": actor_text(r.actor_ref)}
            for r in rows]


def event_fields(spec: EventSpec, role: str, half_terms: list[HalfTerm] = ()) -> list[dict[str, Any]]:
    """The form fields of an event, from the parsers of its parameters; a setting that carries
    a decision this role may not record is not offered (and refused if sent: ``record_event``).
    A half term is chosen from the child's school's calendar (``half_terms``), never typed."""
    fields = []
    for p in spec.params:
        if not may_set(role, spec.name, p.name):
            continue
        kind, options, labels = "text", [], {}
        if p.half_term:
            kind, options, labels = "select", [h.key for h in half_terms], {h.key: h.label for h in half_terms}
        elif p.parse is date_value:
            kind = "date"
        elif p.parse is yes_no:
            kind, options = "radios", ["yes", "no"]
        elif isinstance(p.parse, Choice):
            options = list(p.parse.offered)
            kind = "radios" if len(options) <= 4 else "select"
        elif picks(p):  # typed as part of a name, then chosen (web/pickers.py)
            kind = "school" if p.school else "person"
        fields.append({"name": p.name, "label": parameter_label(p.name), "hint": p.help,
                       "required": p.required, "kind": kind, "options": options, "option_labels": labels})
    return fields


def event_form(site: Site, request: Request, visitor: Visitor, child: dict[str, Any], spec: EventSpec,
               values: Mapping[str, str], errors: list[tuple[str, str]], status: int = 200,
               bad_parts: dict[str, tuple[str, ...]] | None = None,
               picked: dict[str, Picked] | None = None) -> HTMLResponse:
    half_terms = half_terms_to_report(site.app.config.calendar(school_urn=child.get("school_urn")),
                                      site.app.today()) if any(p.half_term for p in spec.params) else []
    return site.render(request, "record.html.j2", status, visitor, child=child, spec=spec,
                       fields=event_fields(spec, visitor.user.role, half_terms), values=values, errors=errors,
                       bad_parts=bad_parts or {}, picked=picked or {})


class NotOpenNow(Exception):
    """The event cannot be recorded on this case now (the form is stale, or the link old)."""

    def __init__(self, event: str):
        self.event = event


def allowed_spec(site: Site, s: UnitOfWork, visitor: Visitor, child, event: str) -> EventSpec:
    if event not in REGISTRY:
        raise NotFound("event form", event)
    if not may_record(visitor.user, event):
        raise Refused()
    offered = {e.name for e in events_open_to(s, child, site.app.today())}
    if event not in offered:
        raise NotOpenNow(event)
    return event_spec(event)


def not_open_now(site: Site, request: Request, s: UnitOfWork, visitor: Visitor, child, event: str,
                 seen: int | None) -> HTMLResponse:
    """Why a form cannot be used now: what was recorded on the case since it was opened, and
    the events this visitor may record now."""
    context = case_context(site, s, visitor, child)
    changes = changes_since(s, child.ref, seen) if seen is not None else []
    s.commit()
    return site.render(request, "not_open_now.html.j2", 409, visitor, event=event, changes=changes,
                       child=context["child"], event_groups=context["event_groups"])


@router.post("/children/{ref}/deadlines/{deadline_id}/chase")
def chase(ref: str, deadline_id: int, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, form: CheckedFormDep):
    """Send a reminder of an open deadline to its owner now (through the outbox, once a day at most)."""
    if not visitor.role.records_events:
        raise Refused()
    child = views.visible_child(s, visitor.user, ref, site.app.today())
    try:
        said = chase_now(s, site.app.config, child, deadline_id, site.app.today(), site.app.clock.now(),
                         visitor.actor, visitor.user.email)
    except InputError as exc:
        said = f"Not sent: {exc.value} {exc.problem}."
    return back_to_case(s, visitor, child.ref, said, "open-deadlines")


@router.post("/children/{ref}/contacts")
def note_a_contact(ref: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, form: CheckedFormDep):
    """Note a contact about the child (who, how, when, what was said): in the case's history."""
    if not visitor.role.records_events:
        raise Refused()
    child = views.visible_child(s, visitor.user, ref, site.app.today())
    try:
        note_contact(s, child, site.app.today(), site.app.clock.now(), visitor.actor, form.get("contacted_on", ""),
                     form.get("with_whom", ""), form.get("how", ""), form.get("said", ""))
        said = "Contact noted: it is in the history."
    except InputError as exc:
        said = f"Not noted: {parameter_label(exc.field).lower()} {quoted(exc.value)} {exc.problem}."
    return back_to_case(s, visitor, child.ref, said, "contacts")


def back_to_case(s: UnitOfWork, visitor: Visitor, ref: str, said: str, section: str) -> RedirectResponse:
    """Commit what the form did (its history rows too), and show the case again with what was done
    (or why not) in a banner, at the section the form was in."""
    leave_notice(s, visitor, said)
    write_audit(s)
    s.commit()
    return RedirectResponse(f"/children/{quote(ref)}#{section}", status_code=303)


@router.get("/children/{ref}/record")
def record_form(request: Request, ref: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, event: str = ""):
    child = views.visible_child(s, visitor.user, ref, site.app.today())
    try:
        spec = allowed_spec(site, s, visitor, child, event)
    except NotOpenNow:
        return not_open_now(site, request, s, visitor, child, event, None)
    summary = views.child_summary(s, child, site.app.today())
    # the form shows the child's name, school and social worker: a disclosure like the case page
    disclosed(s, "record_form_viewed", site.app.today(), visitor.actor,
              {"account": visitor.user.email, "role": visitor.user.role, "event": spec.name}, child.ref)
    s.commit()
    today = {f"on-{part}": value for part, value in parts_of(site.app.today()).items()}
    return event_form(site, request, visitor, summary, spec,
                      {**today, "seen": str(last_case_event_id(s, child.ref))}, [])


@router.post("/children/{ref}/record")
def record(request: Request, ref: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, form: CheckedFormDep):
    child = views.visible_child(s, visitor.user, ref, site.app.today())
    seen = form.get("seen", "")
    seen_id = int(seen) if seen.isascii() and seen.isdigit() and len(seen) < 19 else None
    try:
        spec = allowed_spec(site, s, visitor, child, form.get("event", ""))
    except NotOpenNow as exc:
        return not_open_now(site, request, s, visitor, child, exc.event, seen_id)
    summary = views.child_summary(s, child, site.app.today())
    params = {p.name: form[p.name].strip() for p in spec.params
              if p.parse is not date_value and not picks(p) and form.get(p.name, "").strip()}
    errors, bad_parts = [], {}
    picked: dict[str, Picked] = {}
    for p in spec.params:
        if picks(p) and may_set(visitor.user.role, spec.name, p.name):
            picked[p.name] = found = pick(s, p, form, child, site.app.today())
            if found.error:
                errors.append((p.name, found.error))
            elif found.value:
                params[p.name] = found.value
            elif p.required and not found.choices:
                errors.append((p.name, f"Enter {parameter_label(p.name).lower()}: part of the name, or the reference"))
    on = read_date(form, "on", "Date it happened", required=True)
    if on.error:
        errors.append(("on", on.error))
        bad_parts["on"] = on.bad_parts
    for p in spec.params:
        if p.parse is date_value:  # the GOV.UK date input's boxes (web/dates.py)
            entered = read_date(form, p.name, parameter_label(p.name), p.required)
            if entered.error:
                errors.append((p.name, entered.error))
                bad_parts[p.name] = entered.bad_parts
            elif entered.text:
                params[p.name] = entered.text
        elif p.required and p.name not in params and not picks(p):
            errors.append((p.name, f"Enter {parameter_label(p.name).lower()} ({p.help})" if p.help
                           else f"Enter {parameter_label(p.name).lower()}"))
    choosing = {name: found for name, found in picked.items() if found.choices}
    if choosing and not errors:  # the search step: the matches offered to choose from, nothing recorded yet
        _shown_again(site, s, visitor, child.ref, spec.name)
        return event_form(site, request, visitor, summary, spec, form, [], 200, bad_parts, picked)
    if not errors:
        try:
            outcome = record_event(s, site.app.config, child.ref, spec.name, on.text, site.app.today(),
                                   visitor.user.person_ref, params, actor=visitor.actor, role=visitor.user.role)
            s.commit()
        except TransitionNotAllowed as exc:
            s.rollback()
            errors.append(("event", exc.in_words))
        except InputError as exc:  # the domain names its fields as the form does ("on", "meeting_date")
            s.rollback()
            errors.append((exc.field if exc.field in {p.name for p in spec.params} | {"on"} else "event",
                           field_message(exc)))
        except PepflowError as exc:
            s.rollback()
            errors.append(("event", str(exc)))
    if errors:
        _shown_again(site, s, visitor, child.ref, spec.name)
        return event_form(site, request, visitor, summary, spec, form, errors, 400, bad_parts, picked)
    leave_notice(s, visitor, " ".join([f"Recorded: {spec.in_sentence}.", *(f"Warning: {w}" for w in outcome.warnings)]))
    s.commit()
    return RedirectResponse(f"/children/{quote(child.ref)}", status_code=303)


def _shown_again(site: Site, s: UnitOfWork, visitor: Visitor, child_ref: str, event: str) -> None:
    """The form shown again with the child's details (its errors, or the matches to choose from):
    a disclosure as the first showing was."""
    disclosed(s, "record_form_viewed", site.app.today(), visitor.actor,
              {"account": visitor.user.email, "role": visitor.user.role, "event": event, "again": True}, child_ref)
    s.commit()


def field_message(exc: InputError) -> str:
    field = "Date it happened" if exc.field == "on" else parameter_label(exc.field)
    shown = "" if exc.value in (None, "") else f" (you entered “{exc.value}”)"
    return f"{field}: {exc.problem}{shown}"
