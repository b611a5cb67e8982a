"""School admissions: one process per need for a new education placement.

    need_identified ─► school_proposed ─► applied ─► offered ─────────────► on_roll
          ▲                 ▲                └─► refused                         ▲
          │                 └───────────────────┘  │ maintained (or academy once │
          │                                        │ directions commence):       │
          │                                        ├─► direction_consultation ─► direction_issued
          │                                        │                               ├─► referred_to_adjudicator
          │                                        │                               │     ├─ upheld ──► offered
          │                                        │                               │     └─ other named ► offered
          └── sos_declined ◄── sos_requested ◄─────┘ academy: ask the Secretary of State
    any open state ─► withdrawn

The 20-school-day clock (``admission_placement``) is the child's: it runs from the need to
the first day at school and is never paused by the process's own steps.
"""

from __future__ import annotations

from pepflow.statuses import DeadlineStatus
from pepflow.calendars import format_day
from pepflow.vocabulary import kind_label
from pepflow.cohort import year_group
from pepflow.engine.events import CaseNow, EventContext, EventSpec, Outcome, Param, register
from pepflow.role_table import VIRTUAL_SCHOOL_ROLES
from pepflow.values import HOURS_A_WEEK, choice, free_text, ref
from pepflow.db.models import (Admission, PermanentExclusionRecord, School)
from pepflow.engine.deadlines import cancel_process, close_open, open_deadline, open_flag
from pepflow.errors import InputError, TransitionNotAllowed
from pepflow.rules.placement import BLOCK, DECISION_SETTINGS, NEEDS_APPROVAL, Proposal, check
from pepflow.states.admission_findings import (decisions_recorded, excluded_from, keep_decisions, latest_inspection,
                                              replace_findings)
from pepflow.states.changes import age_range_warnings, move_school, significant_change
from pepflow.states.admission_machine import (  # the process's states and steps, and its handlers' helpers
    CHILD_CLOCK, DECISION_CLOCKS, MACHINE, NO_EDUCATION, NOMINATED_OFFICER_ROLES, A, direction_route, fire,
    open_admission, require, school_of)
from pepflow.states.admission_directions import (
    on_adjudicator_named_other, on_adjudicator_referred, on_adjudicator_upheld, on_consultation_answered,
    on_consultation_started, on_direction_issued, on_sos_request_made)


# ---- handlers -----------------------------------------------------------------------

def on_admission_needed(ctx: EventContext) -> Outcome:
    return start_admission(ctx, ctx.params["reason"], ctx.params.get("excluded_from"))


def start_admission(ctx: EventContext, reason: str, excluded_from: str | None = None) -> Outcome:
    """Open a need for a new school (also used when a move or an exclusion needs one)."""
    existing = open_admission(ctx.session, ctx.child.ref)
    if existing is not None:
        raise TransitionNotAllowed(ctx.child.ref, "admission", ctx.event, existing.state,
                                   MACHINE.allowed(existing.state))
    if excluded_from:
        school_of(ctx, excluded_from)
        ctx.session.add(PermanentExclusionRecord(child_ref=ctx.child.ref, school_urn=excluded_from,
                                                 excluded_on=ctx.on))
    admission = Admission(child_ref=ctx.child.ref, reason=reason, identified_on=ctx.on, state_changed_on=ctx.on)
    ctx.session.add(admission)
    ctx.session.flush()
    clock = open_deadline(ctx.session, ctx.config, ctx.child, "admission_placement", ctx.on, "admission",
                          admission.id)
    open_flag(ctx.session, ctx.config, ctx.child, NO_EDUCATION, ctx.on, "vs_officer",
              "no school place and no temporary education recorded", process="admission")
    return Outcome("admission", admission.id, None, admission.state, messages=[
        f"On roll at a suitable school due by {format_day(clock.due_on)} (20 school days)."])


def on_school_proposed(ctx: EventContext) -> Outcome:
    admission = require(ctx)
    school = school_of(ctx, ctx.params["school_urn"])
    recorded = decisions_recorded(ctx.session, admission, school.urn)
    p = {**recorded, **ctx.params}
    findings = check(Proposal(
        urn=school.urn, school_name=school.name, inspection=latest_inspection(ctx.session, school),
        school_la=school.la,
        home_la=ctx.config.settings.home_la, year_group=year_group(ctx.child.dob, ctx.on),
        excluded_from=excluded_from(ctx.session, ctx.child.ref), currently_at=ctx.child.school_urn,
        exceptional_reason=p.get("exceptional_reason", ""), vsh_decision=p.get("vsh_decision", ""),
        ks4_reason=p.get("ks4_reason", ""), nominated_officer=p.get("nominated_officer", "")))
    blocks = [f for f in findings if f.level == BLOCK]
    if blocks:
        raise InputError("school_urn", school.urn, "; ".join(f"{f.message} [{f.source}]" for f in blocks))
    outcome = fire(ctx, admission)
    outcome.warnings += age_range_warnings(school, ctx.child, ctx.on)
    admission.school_urn = school.urn
    admission.in_area = not school.la or school.la == ctx.config.settings.home_la
    # findings of an earlier proposal are settled (or replaced) by this one
    close_open(ctx.session, ctx.config, ctx.child, ["placement_approval"], ctx.on, DeadlineStatus.MET,
               "decision recorded" if p.get("vsh_decision") or p.get("nominated_officer") else "school proposed again",
               process="admission")
    for f in findings:
        kind = "placement_approval" if f.level == NEEDS_APPROVAL else "notify_destination_vs"
        owner = "vsh" if f.level == NEEDS_APPROVAL else "vs_officer"
        open_flag(ctx.session, ctx.config, ctx.child, kind, ctx.on, owner, f"{f.message} [{f.source}]",
                  process="admission")
        outcome.messages.append(f"{'Needs approval' if f.level == NEEDS_APPROVAL else 'To do'}: {f.message}")
    keep_decisions(ctx.session, admission, school.urn, recorded, ctx.params, ctx.on)
    replace_findings(ctx.session, admission, school.urn, findings, ctx.on)
    # the history's record of what was found and decided (the rows above are what is decided on)
    outcome.payload["findings"] = [{"level": f.level, "rule": f.rule, "source": f.source} for f in findings]
    outcome.payload.update({k: p[k] for k in DECISION_SETTINGS if p.get(k)})
    return outcome


def on_application_made(ctx: EventContext) -> Outcome:
    admission = require(ctx)
    outcome = fire(ctx, admission)
    admission.applied_on = ctx.on
    for key in DECISION_CLOCKS:
        d = open_deadline(ctx.session, ctx.config, ctx.child, key, ctx.on, "admission", admission.id)
        outcome.messages.append(f"{kind_label(key)} due {format_day(d.due_on)}.")
    return outcome


def _decided(ctx: EventContext, admission: Admission) -> None:
    admission.decided_on = admission.decided_on or ctx.on
    close_open(ctx.session, ctx.config, ctx.child, DECISION_CLOCKS, ctx.on, process="admission")


def on_place_offered(ctx: EventContext) -> Outcome:
    admission = require(ctx)
    _decided(ctx, admission)
    return fire(ctx, admission)


def on_place_refused(ctx: EventContext) -> Outcome:
    admission = require(ctx)
    _decided(ctx, admission)
    outcome = fire(ctx, admission)
    school = school_of(ctx, admission.school_urn)
    admission.route = direction_route(ctx, school)
    outcome.messages.append(
        "Next: consult the admission authority before directing (direction_consultation_started)."
        if admission.route == "direction" else
        "An academy: ask the Secretary of State to direct (sos_request_made), or propose another school.")
    return outcome


def on_simple(ctx: EventContext) -> Outcome:
    return fire(ctx, require(ctx))


def on_temporary_education(ctx: EventContext) -> Outcome:
    admission = open_admission(ctx.session, ctx.child.ref)
    if admission is None:
        raise TransitionNotAllowed(ctx.child.ref, "admission", ctx.event, "none open", ["admission_needed"])
    admission.temporary_hours = ctx.params["hours"]
    ctx.session.add(admission)
    close_open(ctx.session, ctx.config, ctx.child, [NO_EDUCATION], ctx.on, DeadlineStatus.MET, "temporary education arranged")
    return Outcome("admission", admission.id, admission.state, admission.state,
                   messages=[f"{ctx.params['hours']} hours a week of temporary education recorded."])


def on_started_at_school(ctx: EventContext) -> Outcome:
    admission = require(ctx)
    if admission.state == A.DIRECTION_ISSUED and admission.referral_window_ends \
            and ctx.on <= admission.referral_window_ends:
        raise InputError("on", format_day(ctx.on), "the school may still refer the direction to the "
                         f"Adjudicator until {format_day(admission.referral_window_ends)}")
    outcome = fire(ctx, admission)
    admission.started_on = ctx.on
    close_open(ctx.session, ctx.config, ctx.child, CHILD_CLOCK + (NO_EDUCATION, "adjudicator_referral"), ctx.on,
               process="admission")
    close_open(ctx.session, ctx.config, ctx.child, ["out_of_area_education"], ctx.on, process="care")
    if admission.school_urn and admission.school_urn != ctx.child.school_urn:
        move_school(ctx.session, ctx.child, admission.school_urn, ctx.on)
    d = open_deadline(ctx.session, ctx.config, ctx.child, "dt_full_details", ctx.on, "admission", admission.id)
    outcome.messages.append(f"The new school's DT must have full details by {format_day(d.due_on)}.")
    early = significant_change(ctx.session, ctx.config, ctx.child, ctx.on, "started at a new school")
    if early:
        outcome.messages.append(f"Early PEP review due {format_day(early.due_on)}.")
    return outcome


def on_school_not_agreed(ctx: EventContext) -> Outcome:
    """The Virtual School Head does not agree to the proposed school: its approval is closed as
    not agreed and the admission needs a school again (its 20-school-day clock runs on)."""
    admission = require(ctx)
    urn = admission.school_urn
    outcome = fire(ctx, admission)
    admission.school_urn = None
    close_open(ctx.session, ctx.config, ctx.child, ["placement_approval"], ctx.on, DeadlineStatus.CANCELLED,
               f"the Virtual School Head did not agree: {ctx.params['reason']}", process="admission")
    school = ctx.session.get(School, urn) if urn else None
    outcome.messages.append(f"Not agreed: {school.name if school else 'the proposed school'}. "
                            "Propose another school.")
    return outcome


def on_withdrawn(ctx: EventContext) -> Outcome:
    admission = require(ctx)
    outcome = fire(ctx, admission)
    reason = f"admission withdrawn: {ctx.params['reason']}"
    cancel_process(ctx.session, ctx.config, ctx.child, "admission", admission.id, ctx.on, reason)
    close_open(ctx.session, ctx.config, ctx.child, [NO_EDUCATION], ctx.on, DeadlineStatus.CANCELLED, reason)
    return outcome


def _case(now: CaseNow) -> Admission | None:
    return now.memo("admission", lambda: open_admission(now.session, now.child.ref))


def _while_none_is_open(now: CaseNow, event: str) -> bool:
    return now.child.looked_after and _case(now) is None


def _offered_by_state(now: CaseNow, event: str) -> bool:
    case = _case(now)
    return now.child.looked_after and case is not None and event in MACHINE.allowed(case.state)


def _while_one_is_open(now: CaseNow, event: str) -> bool:
    return now.child.looked_after and _case(now) is not None


_urn = Param("school_urn", ref, True, "the school's URN", school=True)
# the local authority's own steps (a direction, the Secretary of State, the adjudicator) are the
# Virtual School's to record; the LA directs, and asks the Secretary of State (DOMAIN.md)
_VS = VIRTUAL_SCHOOL_ROLES
_ = dict(offered=_offered_by_state)
for spec in (
    EventSpec("admission_needed", "admission", on_admission_needed,
              (Param("reason", choice("entered_care", "care_placement_moved", "permanently_excluded",
                                      "emergency_placement", "other"), True, "why a new school is needed"),
               Param("excluded_from", ref, False, "URN of the school that permanently excluded the child", school=True)),
              offered=_while_none_is_open, opens=("admission_placement",)),
    EventSpec("school_proposed", "admission", on_school_proposed,
              (_urn, Param("exceptional_reason", free_text, False, "why an inadequate school"),
               # a "requires improvement" school only with the VSH's decision (002 Handbook §2c i)
               Param("vsh_decision", free_text, False, "the VSH's decision and evidence (requires improvement)",
                     decided_by=frozenset({"vsh"}), decision="the Virtual School Head's decision"),
               Param("ks4_reason", free_text, False, "why a Year 10-11 move is absolutely necessary"),
               # a Key Stage 4 move needs the nominated officer's approval (CPPCR 2010 reg 10), which
               # the Virtual School records
               # the nominated officer is a senior officer the council names (reg 10): the people list's
               # Virtual School Head or a team manager, chosen from a list on the decision page
               Param("nominated_officer", ref, False, "the approving nominated officer",
                     person=NOMINATED_OFFICER_ROLES, decided_by=VIRTUAL_SCHOOL_ROLES,
                     decision="the nominated officer's approval")), **_),
    # the VSH does not agree to the proposed school: the proposal ends and another school is proposed
    EventSpec("school_not_agreed", "admission", on_school_not_agreed,
              (Param("reason", free_text, True, "why the Virtual School Head does not agree to the school"),),
              recorded_by=frozenset({"vsh"}), **_),
    EventSpec("application_made", "admission", on_application_made, (), **_, opens=DECISION_CLOCKS),
    EventSpec("place_offered", "admission", on_place_offered, (), **_),
    EventSpec("place_refused", "admission", on_place_refused, (), **_),
    EventSpec("direction_consultation_started", "admission", on_consultation_started, (), recorded_by=_VS, **_, opens=("direction_consultation",)),
    EventSpec("consultation_answered", "admission", on_consultation_answered,
              (Param("answer", choice("willing", "not_willing"), True, "willing or not_willing"),), recorded_by=_VS,
              **_),
    EventSpec("direction_issued", "admission", on_direction_issued, (), recorded_by=_VS, **_, opens=("adjudicator_referral",)),
    EventSpec("adjudicator_referred", "admission", on_adjudicator_referred, (), recorded_by=_VS, **_),
    EventSpec("adjudicator_upheld", "admission", on_adjudicator_upheld, (), recorded_by=_VS, **_),
    EventSpec("adjudicator_named_other", "admission", on_adjudicator_named_other, (_urn,), recorded_by=_VS, **_),
    EventSpec("sos_request_made", "admission", on_sos_request_made, (), recorded_by=_VS, **_),
    EventSpec("sos_directed", "admission", on_simple, (), recorded_by=_VS, **_),
    EventSpec("sos_declined", "admission", on_simple, (), recorded_by=_VS, **_),
    EventSpec("temporary_education_arranged", "admission", on_temporary_education,
              (Param("hours", HOURS_A_WEEK, True, "hours a week"),), offered=_while_one_is_open),
    EventSpec("started_at_school", "admission", on_started_at_school, (), **_, opens=("dt_full_details", "pep_significant_change")),
    EventSpec("admission_withdrawn", "admission", on_withdrawn, (Param("reason", free_text, True, "why"),), **_),
):
    register(spec)
