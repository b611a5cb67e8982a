"""Subject access to a child's record as a process (issue 43 item 1; UK GDPR arts. 12(3) and 15): a
request is recorded with who asked, their relationship to the child and how their identity and
authority were checked; it is due one calendar month after receipt (the corresponding date, the
month's last day where there is none: ``calendars.add_months``), extendable once, within that month,
by up to two months with a reason; answered when the record is sent.  The clock is a deadline like
any other (``subject_access`` in timescales.toml), so it is reminded and escalated, and the
compliance page counts it."""

from __future__ import annotations

from sqlmodel import select

from pepflow.calendars import add_months, format_day
from pepflow.db.models import SubjectAccessRequest
from pepflow.engine.deadlines import close_deadline, open_deadline, open_deadlines
from pepflow.engine.events import CaseNow, EventContext, EventSpec, Outcome, Param, register
from pepflow.errors import InputError
from pepflow.statuses import DeadlineStatus
from pepflow.values import choice, free_text, number_between, optional_free_text, text

PROCESS = "records"
RELATIONSHIPS = ("the_child", "parent", "carer", "representative", "other")
RECORDERS = frozenset({"vs_admin", "vsh"})


def on_requested(ctx: EventContext) -> Outcome:
    p = ctx.params
    if p["relationship"] != "the_child" and not p.get("authority_checked"):
        raise InputError("authority_checked", "", "is needed: how their authority to see the child's record was "
                         "checked (parental responsibility, a signed consent, a court order)")
    request = SubjectAccessRequest(child_ref=ctx.child.ref, requester=p["requester"], relationship=p["relationship"],
                                   identity_checked=p["identity_checked"], authority_checked=p.get("authority_checked")
                                   or "", received_on=ctx.on, due_on=add_months(ctx.on, 1), extension_reason="")
    ctx.session.add(request)
    ctx.session.flush()
    clock = open_deadline(ctx.session, ctx.config, ctx.child, "subject_access", ctx.on, PROCESS, request.id)
    request.due_on = clock.due_on
    return Outcome(PROCESS, request.id, None, "received", payload={"request": request.id},
                   messages=[f"Subject access request {request.id} received {format_day(ctx.on)}: the record is due "
                             f"to {request.requester} by {format_day(clock.due_on)}."])


def _request(ctx: EventContext) -> SubjectAccessRequest:
    number = ctx.params["request"]
    request = ctx.session.get(SubjectAccessRequest, number)
    if request is None or request.child_ref != ctx.child.ref:
        raise InputError("request", number, f"is not a subject access request about {ctx.child.ref}")
    if request.answered_on is not None:
        raise InputError("request", number, f"was answered on {format_day(request.answered_on)}")
    return request


def on_extended(ctx: EventContext) -> Outcome:
    request = _request(ctx)
    if request.extended_to is not None:
        raise InputError("request", request.id, f"was extended already, to {format_day(request.extended_to)}: "
                         "a request is extended once")
    if ctx.on > request.due_on:
        raise InputError("on", format_day(ctx.on), f"is after the request was due ({format_day(request.due_on)}): "
                         "the requester must be told of an extension within the first month")
    months = ctx.params["months"]
    request.extended_to = add_months(request.received_on, 1 + months)
    request.extension_reason = ctx.params["reason"]
    for deadline in _clocks(ctx, request):
        close_deadline(ctx.session, ctx.config, ctx.child, deadline, ctx.on, DeadlineStatus.CANCELLED,
                       f"extended to {format_day(request.extended_to)}")
    open_deadline(ctx.session, ctx.config, ctx.child, "subject_access", request.received_on, PROCESS, request.id,
                  opened_on=ctx.on, due_on=request.extended_to, note=f"extended: {request.extension_reason}")
    ctx.session.add(request)
    return Outcome(PROCESS, request.id, "received", "extended", payload={"request": request.id},
                   messages=[f"Extended to {format_day(request.extended_to)}: tell the requester why, now."])


def on_answered(ctx: EventContext) -> Outcome:
    request = _request(ctx)
    request.answered_on = ctx.on
    for deadline in _clocks(ctx, request):
        close_deadline(ctx.session, ctx.config, ctx.child, deadline, ctx.on)
    ctx.session.add(request)
    late = ctx.on > (request.extended_to or request.due_on)
    return Outcome(PROCESS, request.id, "extended" if request.extended_to else "received", "answered",
                   payload={"request": request.id},
                   messages=[f"Answered {format_day(ctx.on)}" + (", late." if late else ", in time.")])


def _clocks(ctx: EventContext, request: SubjectAccessRequest):
    return [d for d in open_deadlines(ctx.session, ctx.child.ref, ["subject_access"], process=PROCESS)
            if d.process_id == request.id]


def _with_an_open_request(now: CaseNow, event: str) -> bool:
    return now.memo("open_sar", lambda: now.session.exec(select(SubjectAccessRequest.id).where(
        SubjectAccessRequest.child_ref == now.child.ref, SubjectAccessRequest.answered_on.is_(None))).first()) \
        is not None


def _any_time(now: CaseNow, event: str) -> bool:
    return True  # a child's record may be asked for whether or not they are still looked after


_REQUEST = Param("request", number_between(1, 10**9, ""), True, "the request's number")
for spec in (
    EventSpec("subject_access_requested", PROCESS, on_requested,
              (Param("requester", text, True, "who asked (a name)"),
               Param("relationship", choice(*RELATIONSHIPS), True, "the child themself, a parent, a carer, a "
                     "representative or other"),
               Param("identity_checked", free_text, True, "how their identity was checked"),
               Param("authority_checked", optional_free_text, False, "how their authority to see the child's "
                     "record was checked (not needed when the child asks)")),
              recorded_by=RECORDERS, offered=_any_time, opens=("subject_access",)),
    EventSpec("subject_access_extended", PROCESS, on_extended,
              (_REQUEST, Param("months", number_between(1, 2, "months"), True, "1 or 2 months more"),
               Param("reason", free_text, True, "why more time is needed (complex or many requests)")),
              recorded_by=RECORDERS, offered=_with_an_open_request, opens=("subject_access",)),
    EventSpec("subject_access_answered", PROCESS, on_answered, (_REQUEST,), recorded_by=RECORDERS,
              offered=_with_an_open_request),
):
    register(spec)
