"""Exclusions: one process per child per school year, from the first concern to closure.

    concern_raised ─► vs_consulted ─► suspended ─► alternative_provision
          │                │              │  ▲            │
          └────────────────┴──────────────┴──┴─► pex_risk (multi-agency meeting)
                                                     │
                          (any of the above) ────────┴─► permanently_excluded ─► governors_review
                                                         ─► irp_requested ─► irp_decided ─► reconsidered
    any open state ─► closed

Suspensions are counted in school days of the child's school: full-time provision from the
6th day (the first day is day 1; from the 1st day as best practice), a governors' review when
suspensions pass 15 school days in a term, and no more than 45 in a school year.
Source: 002 Virtual School Handbook §3e; 003 Essex guide; (guidance) DfE Suspension and
permanent exclusion guidance.
"""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Session, select

from pepflow.calendars import academic_year_of, format_day
from pepflow.engine.events import CaseNow, EventContext, EventSpec, Outcome, Param, register
from pepflow.role_table import VIRTUAL_SCHOOL_ROLES
from pepflow.values import HOURS_A_WEEK, SUSPENSION_DAYS, choice, date_value, free_text, yes_no
from pepflow.db.models import Exclusion, Suspension
from pepflow.engine.deadlines import (calendar_for, cancel_process, close_deadline, close_open, open_deadline, open_deadlines,
                         open_flag)
from pepflow.errors import InputError, TransitionNotAllowed
from pepflow.engine.machine import ProcessMachine
from pepflow.states.admission import open_admission, start_admission
from pepflow.states.changes import significant_change


class ExclusionState(StrEnum):
    CONCERN_RAISED = "concern_raised"
    VS_CONSULTED = "vs_consulted"
    SUSPENDED = "suspended"
    ALTERNATIVE_PROVISION = "alternative_provision"
    PEX_RISK = "pex_risk"
    PERMANENTLY_EXCLUDED = "permanently_excluded"
    GOVERNORS_REVIEW = "governors_review"
    IRP_REQUESTED = "irp_requested"
    IRP_DECIDED = "irp_decided"
    RECONSIDERED = "reconsidered"
    CLOSED = "closed"


X = ExclusionState
BEFORE_PEX = [X.CONCERN_RAISED, X.VS_CONSULTED, X.SUSPENDED, X.ALTERNATIVE_PROVISION]
TRANSITIONS = [
    {"trigger": "vs_consulted", "source": X.CONCERN_RAISED, "dest": X.VS_CONSULTED},
    {"trigger": "suspension_started", "source": BEFORE_PEX + [X.PEX_RISK], "dest": X.SUSPENDED},
    {"trigger": "provision_arranged", "source": X.SUSPENDED, "dest": X.ALTERNATIVE_PROVISION},
    {"trigger": "pex_risk_meeting_held", "source": BEFORE_PEX, "dest": X.PEX_RISK},
    {"trigger": "permanently_excluded", "source": BEFORE_PEX + [X.PEX_RISK], "dest": X.PERMANENTLY_EXCLUDED},
    {"trigger": "governors_decided", "source": X.PERMANENTLY_EXCLUDED, "dest": X.GOVERNORS_REVIEW},
    {"trigger": "irp_applied", "source": X.GOVERNORS_REVIEW, "dest": X.IRP_REQUESTED},
    {"trigger": "irp_decided", "source": X.IRP_REQUESTED, "dest": X.IRP_DECIDED},
    {"trigger": "governors_reconsidered", "source": X.IRP_DECIDED, "dest": X.RECONSIDERED},
    {"trigger": "exclusion_closed", "source": [s for s in X if s != X.CLOSED], "dest": X.CLOSED},
]

MACHINE = ProcessMachine("exclusion process", ExclusionState, TRANSITIONS, initial=X.CONCERN_RAISED.value,
                         final=frozenset({X.CLOSED.value}))


def current_exclusion(session: Session, child_ref: str, year: str) -> Exclusion | None:
    return session.exec(select(Exclusion).where(Exclusion.child_ref == child_ref, Exclusion.school_year == year,
                                                Exclusion.is_open)).first()


def _start(ctx: EventContext) -> Exclusion:
    x = Exclusion(child_ref=ctx.child.ref, school_year=academic_year_of(ctx.on), school_urn=ctx.child.school_urn,
                  opened_on=ctx.on, state_changed_on=ctx.on)
    ctx.session.add(x)
    ctx.session.flush()
    return x


def _require(ctx: EventContext) -> Exclusion:
    x = current_exclusion(ctx.session, ctx.child.ref, academic_year_of(ctx.on))
    if x is None:
        raise TransitionNotAllowed(ctx.child.ref, "exclusion process", ctx.event, "none open this school year",
                                   ["behaviour_concern_raised", "suspension_started", "permanently_excluded"])
    MACHINE.check(x, ctx.event, ctx.child.ref)
    return x


def _fire(ctx: EventContext, x: Exclusion) -> Outcome:
    before, after = MACHINE.fire(x, ctx.event, ctx.child.ref)
    x.state_changed_on = ctx.on
    if after == X.CLOSED:
        x.is_open, x.closed_on = False, ctx.on
    ctx.session.add(x)
    return Outcome("exclusion", x.id, before, after)


def _open(ctx: EventContext, key: str, x: Exclusion, start=None):
    return open_deadline(ctx.session, ctx.config, ctx.child, key, start or ctx.on, "exclusion", x.id,
                         opened_on=ctx.on)


def _close(ctx: EventContext, kinds, status=None, reason=""):
    return close_open(ctx.session, ctx.config, ctx.child, kinds, ctx.on, status, reason, process="exclusion")


# ---- handlers -----------------------------------------------------------------------

def on_concern_raised(ctx: EventContext) -> Outcome:
    x = current_exclusion(ctx.session, ctx.child.ref, academic_year_of(ctx.on))
    if x is not None:
        raise TransitionNotAllowed(ctx.child.ref, "exclusion process", ctx.event, x.state, MACHINE.allowed(x.state))
    x = _start(ctx)
    return Outcome("exclusion", x.id, None, x.state, messages=[
        "The school should consult the Virtual School now (vs_consulted), before any suspension."])


def on_vs_consulted(ctx: EventContext) -> Outcome:
    x = _require(ctx)
    x.vs_consulted_on = ctx.on
    return _fire(ctx, x)


def _year_days(session: Session, x: Exclusion) -> list[Suspension]:
    return list(session.exec(select(Suspension).where(Suspension.exclusion_id == x.id)))


def on_suspension_started(ctx: EventContext) -> Outcome:
    year = academic_year_of(ctx.params["first_day"])
    x = current_exclusion(ctx.session, ctx.child.ref, year)
    messages = []
    if x is None:
        x = _start(ctx)
        messages.append("No concern was raised with the Virtual School before this suspension.")
    MACHINE.check(x, ctx.event, ctx.child.ref)
    first, days = ctx.params["first_day"], ctx.params["days"]
    if days < 1:
        raise InputError("days", days, "a suspension lasts at least 1 school day")
    cal = calendar_for(ctx.session, ctx.config, ctx.child)
    if not cal.is_school_day(first):
        raise InputError("first_day", format_day(first), "is not a school day at the child's school")
    cap = ctx.config.timescales.rule("suspension_cap", first).number
    earlier = _year_days(ctx.session, x)
    so_far = sum(s.days for s in earlier)
    if so_far + days > cap:
        raise InputError("days", days, f"{ctx.child.ref} has already been suspended for {so_far} school days in "
                         f"{year}; a pupil may be suspended for at most {cap} school days in a school year "
                         f"({cap - so_far} left)")
    term = cal.current_or_next_term(first).label
    outcome = _fire(ctx, x)
    ctx.session.add(Suspension(exclusion_id=x.id, child_ref=ctx.child.ref, first_day=first, days=days,
                               term=term, recorded_on=ctx.today))
    if days >= 6 or ctx.config.settings.provision_from_first_day:
        key = "suspension_provision_best_practice" if ctx.config.settings.provision_from_first_day \
            else "suspension_provision"
        d = _open(ctx, key, x, start=first)
        messages.append(f"Full-time provision due from {format_day(d.due_on)}.")
    if cal.between(first, ctx.today, "working") > 1:
        open_flag(ctx.session, ctx.config, ctx.child, "suspension_reported_late", ctx.today, "vsh",
                  f"suspension from {format_day(first)} recorded on {format_day(ctx.today)}: the head teacher must "
                  "tell the VSH and social worker without delay", process="exclusion")
        messages.append("Recorded late: flagged to the VSH.")
    in_term = sum(s.days for s in earlier if s.term == term) + days
    # thresholds with their sources in timescales.toml: more than 15 in a term, more than 5 (not 5 itself)
    review_over = ctx.config.timescales.rule("suspension_term_review_over", first).number
    meeting_over = ctx.config.timescales.rule("suspension_meeting_on_request_over", first).number
    if in_term > review_over or ctx.params.get("missed_exam"):
        if not _open_governors_review(ctx, x):
            d = _open(ctx, "governors_review", x, start=first)
            messages.append(f"Governors must consider reinstatement by {format_day(d.due_on)} "
                            f"({in_term} school days this term).")
    elif in_term > meeting_over and ctx.params.get("meeting_requested"):
        d = _open(ctx, "governors_meeting_on_request", x, start=first)
        messages.append(f"Governors' meeting on request due by {format_day(d.due_on)}.")
    outcome.messages += messages
    outcome.payload["school_days_this_term"] = in_term
    return outcome


def _open_governors_review(ctx: EventContext, x: Exclusion) -> list:
    return [d for d in open_deadlines(ctx.session, ctx.child.ref, ["governors_review"]) if d.process_id == x.id]


def on_provision_arranged(ctx: EventContext) -> Outcome:
    x = _require(ctx)
    latest = max(_year_days(ctx.session, x), key=lambda s: s.first_day)
    latest.provision_from, latest.provision_hours = ctx.params["from_date"], ctx.params["hours"]
    ctx.session.add(latest)
    outcome = _fire(ctx, x)
    for d in open_deadlines(ctx.session, ctx.child.ref, ["suspension_provision", "suspension_provision_best_practice"]):
        close_deadline(ctx.session, ctx.config, ctx.child, d, ctx.params["from_date"])
    return outcome


def on_pex_meeting(ctx: EventContext) -> Outcome:
    x = _require(ctx)
    x.pex_meeting_on = ctx.on
    outcome = _fire(ctx, x)
    outcome.payload["attendees"] = ctx.params["attendees"]
    return outcome


def on_permanently_excluded(ctx: EventContext) -> Outcome:
    x = current_exclusion(ctx.session, ctx.child.ref, academic_year_of(ctx.on)) or _start(ctx)
    MACHINE.check(x, ctx.event, ctx.child.ref)
    outcome = _fire(ctx, x)
    x.excluded_on, x.school_urn = ctx.on, ctx.child.school_urn or x.school_urn
    if x.pex_meeting_on is None:
        x.no_pre_exclusion_meeting = True
        open_flag(ctx.session, ctx.config, ctx.child, "no_pre_exclusion_meeting", ctx.on, "vsh",
                  "permanent exclusion without the multi-agency meeting of SW, carer, IRO and VSH with the school",
                  process="exclusion")
        outcome.messages.append("No pre-exclusion meeting was held: escalated to the VSH.")
    d = _open(ctx, "governors_review", x)
    outcome.messages.append(f"Governors must consider reinstatement by {format_day(d.due_on)}.")
    if open_admission(ctx.session, ctx.child.ref) is None:
        outcome.messages += start_admission(ctx, "permanently_excluded", x.school_urn).messages
    early = significant_change(ctx.session, ctx.config, ctx.child, ctx.on, "permanently excluded")
    if early:
        outcome.messages.append(f"Early PEP review due {format_day(early.due_on)}.")
    return outcome


def on_governors_decided(ctx: EventContext) -> Outcome:
    x = _require(ctx)
    outcome = _fire(ctx, x)
    x.governors_decision = ctx.params["decision"]
    _close(ctx, ["governors_review"])
    if ctx.params["decision"] == "upheld":
        d = _open(ctx, "irp_application", x)
        outcome.messages.append(f"An independent review may be applied for until {format_day(d.due_on)}; "
                                "the VSH advises.")
    return outcome


def on_irp_applied(ctx: EventContext) -> Outcome:
    x = _require(ctx)
    outcome = _fire(ctx, x)
    _close(ctx, ["irp_application"])
    d = _open(ctx, "irp_panel", x)
    outcome.messages.append(f"The panel must meet by {format_day(d.due_on)}.")
    return outcome


def on_irp_decided(ctx: EventContext) -> Outcome:
    x = _require(ctx)
    outcome = _fire(ctx, x)
    x.irp_decision = ctx.params["decision"]
    _close(ctx, ["irp_panel"])
    if ctx.params["decision"] != "uphold":
        d = _open(ctx, "irp_reconsideration", x)
        outcome.messages.append(f"Governors must reconsider by {format_day(d.due_on)}.")
    return outcome


def on_reconsidered(ctx: EventContext) -> Outcome:
    x = _require(ctx)
    _close(ctx, ["irp_reconsideration"])
    return _fire(ctx, x)


def on_closed(ctx: EventContext) -> Outcome:
    x = _require(ctx)
    outcome = _fire(ctx, x)
    cancel_process(ctx.session, ctx.config, ctx.child, "exclusion", x.id, ctx.on, "exclusion process closed")
    return outcome


def _this_year(now: CaseNow) -> Exclusion | None:
    return now.memo("exclusion", lambda: current_exclusion(now.session, now.child.ref, academic_year_of(now.today)))


def _offered_by_state(now: CaseNow, event: str) -> bool:
    x = _this_year(now)
    return now.child.looked_after and x is not None and event in MACHINE.allowed(x.state)


def _first_or_by_state(now: CaseNow, event: str) -> bool:
    """What starts the year's process, while none is open; then as its state allows."""
    return now.child.looked_after and (_this_year(now) is None or _offered_by_state(now, event))


_ = dict(offered=_offered_by_state)
_first = dict(offered=_first_or_by_state)
for spec in (
    EventSpec("behaviour_concern_raised", "exclusion", on_concern_raised, (), **_first),
    EventSpec("vs_consulted", "exclusion", on_vs_consulted, (), recorded_by=VIRTUAL_SCHOOL_ROLES, **_),
    EventSpec("suspension_started", "exclusion", on_suspension_started,
              (Param("first_day", date_value, True, "the first day of the suspension"),
               Param("days", SUSPENSION_DAYS, True, "length in school days"),
               Param("missed_exam", yes_no, False, "yes if it means missing a public examination"),
               Param("meeting_requested", yes_no, False, "yes if the parent asks for a governors' meeting")),
              **_first, opens=("suspension_provision", "suspension_provision_best_practice", "governors_review", "governors_meeting_on_request"), limits=("suspension_cap", "suspension_term_review_over", "suspension_meeting_on_request_over")),
    EventSpec("provision_arranged", "exclusion", on_provision_arranged,
              (Param("from_date", date_value, True, "first day of the provision"),
               Param("hours", HOURS_A_WEEK, True, "hours a week")), **_),
    EventSpec("pex_risk_meeting_held", "exclusion", on_pex_meeting,
              (Param("attendees", free_text, True, "who attended (SW, carer, IRO, VSH, school)"),), **_),
    EventSpec("permanently_excluded", "exclusion", on_permanently_excluded, (), **_first, opens=("governors_review", "admission_placement", "pep_significant_change")),
    EventSpec("governors_decided", "exclusion", on_governors_decided,
              (Param("decision", choice("upheld", "reinstated"), True, "upheld or reinstated"),), **_, opens=("irp_application",)),
    EventSpec("irp_applied", "exclusion", on_irp_applied, (), **_, opens=("irp_panel",)),
    EventSpec("irp_decided", "exclusion", on_irp_decided,
              (Param("decision", choice("uphold", "recommend_reconsider", "quash"), True, "the panel's decision"),),
              **_, opens=("irp_reconsideration",)),
    EventSpec("governors_reconsidered", "exclusion", on_reconsidered, (), **_),
    EventSpec("exclusion_closed", "exclusion", on_closed, (Param("reason", free_text, False, "why"),), **_),
):
    register(spec)
