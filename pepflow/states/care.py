"""Events about the child's care that drive the PEP: entering and leaving care, care
reviews, school and placement changes, and bringing in a cohort already in care.

Care reviews run as a chain of deadlines (first within 20 working days, the second
within 3 months, then every 6 months); each ``care_review_held`` opens the next.  An
approved PEP must be in place before each review: ``pep_before_care_review`` is opened
with the review unless the current PEP is approved and will still be current then.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from pepflow.statuses import DeadlineStatus
from pepflow.calendars import format_day
from pepflow.audit import audit, change_marks, claim_changes
from pepflow.engine.events import CaseNow, EventContext, EventSpec, Outcome, Param, register
from pepflow.role_table import VIRTUAL_SCHOOL_ROLES
from pepflow.role_table import CASELOAD_ROLES
from pepflow.values import choice, date_value, free_text, ref, text, yes_no
from pepflow.config import Config
from pepflow.db import cases
from pepflow.db.models import CarePlacement, Child, Deadline, Pep, School
from pepflow.engine.deadlines import calendar_for, close_deadline, close_open, open_deadline, open_deadlines, open_flag
from pepflow.errors import InputError, TransitionNotAllowed
from pepflow.record_choices import LEGAL, PLACEMENT_TYPES
from pepflow.states.changes import age_range_warnings, move_school, significant_change
from pepflow.states.pep import COMPLETE_STATES, MACHINE, current_pep, no_current_pep, start_cycle
from pepflow.states.admission import open_admission, start_admission
from pepflow.states.pep import allowed_events

CARE_REVIEW_KINDS = ("care_review_1", "care_review_2", "care_review_next")
FLAG = "record_incomplete"


# the children list's columns a record needs, as a person names them (README: the children list)
MISSING_WORDS = {"last_pep_meeting": "the last PEP meeting", "last_care_review": "the last care review"}


def open_care_review(session: Session, config: Config, child: Child, key: str, start: dt.date,
                     opened_on: dt.date) -> Deadline:
    """Open the next care review, and the PEP-before-review check when it is needed."""
    review = open_deadline(session, config, child, key, start, "care", opened_on=opened_on)
    pep = current_pep(session, child.ref)
    still_current = pep is not None and pep.state in COMPLETE_STATES and all(
        d.due_on >= review.due_on for d in open_deadlines(session, child.ref, ["pep_review"]))
    if not still_current and not open_deadlines(session, child.ref, ["pep_before_care_review"]):
        open_deadline(session, config, child, "pep_before_care_review", review.due_on, "pep",
                      pep.id if pep else None, opened_on=opened_on)
    return review


# ---- handlers -----------------------------------------------------------------------

def require_looked_after(ctx: EventContext) -> Pep | None:
    """The child's current PEP, if there is one, for an event of their care.

    What happens in a child's care (a move, a review, a new school, leaving care) is recorded
    whether or not their PEP record is complete: a child whose record lacks its last PEP
    meeting still moves placement, and the 20-school-day clock of a school move must start.
    The incomplete record stays on VS admin's My work.  A child not looked after has no care
    to record."""
    pep = current_pep(ctx.session, ctx.child.ref)
    if pep is None and not ctx.child.looked_after:
        raise no_current_pep(ctx)
    return pep


NO_PEP_YET = ("No early PEP review could be set: the child's PEP record is incomplete, which VS admin "
              "has on My work.")

def on_entered_care(ctx: EventContext) -> Outcome:
    s, child = ctx.session, ctx.child
    pep = current_pep(s, child.ref)
    if pep is not None:
        raise TransitionNotAllowed(child.ref, "PEP", ctx.event, pep.state, allowed_events(pep))
    if ctx.on < child.dob:
        raise InputError("on", format_day(ctx.on), "is before the child's date of birth")
    close_open(s, ctx.config, child, [FLAG], ctx.on, DeadlineStatus.CANCELLED, "new episode of care recorded")
    child.looked_after, child.left_care_on, child.entered_care = True, None, ctx.on
    child.first_entered_care = child.first_entered_care or ctx.on
    s.add(child)
    pep = start_cycle(s, child, "initial", ctx.on)
    initial = open_deadline(s, ctx.config, child, "initial_pep", ctx.on, "pep", pep.id)
    review = open_care_review(s, ctx.config, child, "care_review_1", ctx.on, ctx.on)
    return Outcome("pep", pep.id, None, pep.state, messages=[
        f"Initial PEP due {format_day(initial.due_on)}; first care review due {format_day(review.due_on)}."])


def on_care_review_held(ctx: EventContext) -> Outcome:
    pep = require_looked_after(ctx)
    s, config, child = ctx.session, ctx.config, ctx.child
    closed = close_open(s, config, child, CARE_REVIEW_KINDS, ctx.on, process="care")
    close_open(s, config, child, ["pep_before_care_review"], ctx.on, DeadlineStatus.MISSED,
               "care review held without an approved PEP")
    child.last_care_review = ctx.on
    s.add(child)
    key = "care_review_2" if any(d.kind == "care_review_1" for d in closed) else "care_review_next"
    review = open_care_review(s, config, child, key, ctx.on, ctx.on)
    state = pep.state if pep else None
    return Outcome("care", None, state, state, payload={"next_review": key},
                   messages=[f"Next care review due {format_day(review.due_on)}."])


def on_school_changed(ctx: EventContext) -> Outcome:
    pep = require_looked_after(ctx)
    urn = ctx.params["school_urn"]  # a known school (its Param says so: commands.check_params_against_case)
    if urn == ctx.child.school_urn:
        raise InputError("school_urn", urn, f"{ctx.child.ref} is already on roll there")
    before = pep.state if pep else None
    move_school(ctx.session, ctx.child, urn, ctx.on)
    d = significant_change(ctx.session, ctx.config, ctx.child, ctx.on, "school changed")
    after = current_pep(ctx.session, ctx.child.ref)
    msg = (f"Early PEP review due {format_day(d.due_on)}." if d else "An early PEP review is already due."
           if after else f"School changed. {NO_PEP_YET}")
    return Outcome("pep", after.id if after else None, before, after.state if after else None, messages=[msg],
                   warnings=age_range_warnings(ctx.session.get(School, urn), ctx.child, ctx.on))


def on_care_placement_changed(ctx: EventContext) -> Outcome:
    pep = require_looked_after(ctx)
    s, child, p = ctx.session, ctx.child, ctx.params
    for placement in s.exec(select(CarePlacement).where(
            CarePlacement.child_ref == child.ref, CarePlacement.end.is_(None))):
        placement.end = ctx.on
        s.add(placement)
    in_area = p.get("in_area", child.in_area)
    s.add(CarePlacement(child_ref=child.ref, start=ctx.on, carer_ref=p.get("carer_ref"),
                        placement_type=p.get("placement_type", child.placement_type),
                        in_area=in_area, la=p.get("la", ""), emergency=bool(p.get("emergency"))))
    child.in_area = in_area
    child.placement_type = p.get("placement_type", child.placement_type)
    s.add(child)
    before, messages = (pep.state if pep else None), []
    if p.get("school_urn"):
        move_school(s, child, p["school_urn"], ctx.on)
    if p.get("school_changes") or p.get("school_urn"):
        d = significant_change(s, ctx.config, child, ctx.on, "care placement changed school")
        messages.append(f"Early PEP review due {format_day(d.due_on)}." if d else
                        "An early PEP review is already due." if pep else NO_PEP_YET)
    close_open(s, ctx.config, child, ["vs_placement_view"], ctx.on, DeadlineStatus.MISSED,
               "the move happened without the Virtual School's view")
    if p.get("school_changes") and not p.get("school_urn"):
        if open_admission(s, child.ref) is None:
            reason = "emergency_placement" if p.get("emergency") else "care_placement_moved"
            messages += start_admission(ctx, reason).messages
    if not in_area:
        open_flag(s, ctx.config, child, "notify_destination_vs", ctx.on, "vs_officer",
                  f"care placement out of area ({p.get('la') or 'another authority'}): notify that "
                  "authority's Virtual School [002 Virtual School Handbook §2e ii]", process="care")
    after = current_pep(s, child.ref)
    return Outcome("pep", after.id if after else None, before, after.state if after else None, messages=messages)


def on_care_placement_proposed(ctx: EventContext) -> Outcome:
    """The VSH must have a voice before a planned move changes a child's education."""
    pep = require_looked_after(ctx)
    s, child, p = ctx.session, ctx.child, ctx.params
    messages = []
    if p["move"] == "planned" and p["school_must_change"]:
        open_flag(s, ctx.config, child, "vs_placement_view", ctx.on, "vsh",
                  f"planned move on {format_day(p['proposed_date'])} changes school: the Virtual School's "
                  "view is needed before it", process="care", due_on=p["proposed_date"])
        messages.append(f"The Virtual School's view is needed by {format_day(p['proposed_date'])}.")
    if not p["in_area"]:
        open_flag(s, ctx.config, child, "out_of_area_education", ctx.on, "vsh",
                  "out-of-area placement: suitable education must be arranged before the move "
                  "[002 Virtual School Handbook §2e]", process="care", due_on=p["proposed_date"])
        messages.append("Out of area: suitable education must be in place before the move.")
    state = pep.state if pep else None
    return Outcome("care", None, state, state, messages=messages)


def on_vs_placement_view(ctx: EventContext) -> Outcome:
    pep = require_looked_after(ctx)
    close_open(ctx.session, ctx.config, ctx.child, ["vs_placement_view"], ctx.on)
    state = pep.state if pep else None
    return Outcome("care", None, state, state,
                   messages=[f"Virtual School view recorded: {ctx.params['view']}."])


def on_legal_status_changed(ctx: EventContext) -> Outcome:
    """A new legal basis for the child's care (a care order made, a section 20 agreement …)."""
    pep = require_looked_after(ctx)
    new = ctx.params["legal_status"]
    if new == ctx.child.legal_status:
        raise InputError("legal_status", new, f"is already {ctx.child.ref}'s legal status")
    ctx.child.legal_status = new
    ctx.session.add(ctx.child)
    state = pep.state if pep else None
    return Outcome("care", None, state, state, messages=[f"Legal status is now {new.replace('_', ' ')}."])


def on_social_worker_changed(ctx: EventContext) -> Outcome:
    """A new allocated social worker: the social worker's open deadlines for the child are theirs now,
    so reminders and escalations go to the person who holds the case."""
    pep = require_looked_after(ctx)
    s, child, new = ctx.session, ctx.child, ctx.params["social_worker_ref"]
    if new == child.social_worker_ref:
        raise InputError("social_worker_ref", new, f"is already {child.ref}'s social worker")
    moved = 0
    for deadline in open_deadlines(s, child.ref):
        if deadline.owner_role == "social_worker":
            deadline.owner_ref = new
            s.add(deadline)
            moved += 1
    child.social_worker_ref = new
    s.add(child)
    state = pep.state if pep else None
    return Outcome("care", None, state, state, payload={"deadlines_moved": moved},
                   messages=[f"Social worker is now {new}; {moved} open deadline(s) are theirs."])


def on_left_care(ctx: EventContext) -> Outcome:
    pep = require_looked_after(ctx)
    s, child = ctx.session, ctx.child
    before = None
    if pep is not None:
        before, _ = MACHINE.fire(pep, "left_care", child.ref)
        pep.is_current, pep.closed_on, pep.state_changed_on = False, ctx.on, ctx.on
        s.add(pep)
        cases.set_current_pep(s, child.ref, None)
    reason = ctx.params.get("reason", "left care")
    cancelled = close_open(s, ctx.config, child, None, ctx.on, DeadlineStatus.CANCELLED, f"left care: {reason}")
    child.looked_after, child.left_care_on = False, ctx.on
    s.add(child)
    return Outcome("pep", pep.id if pep else None, before, pep.state if pep else None,
                   payload={"deadlines_cancelled": len(cancelled)},
                   messages=[f"{child.ref} left care; {len(cancelled)} open deadline(s) cancelled."])


def _while_not_looked_after(now: CaseNow, event: str) -> bool:
    return not now.child.looked_after


def _while_the_view_is_awaited(now: CaseNow, event: str) -> bool:
    return now.child.looked_after and "vs_placement_view" in now.open_kinds


def _while_a_pep_is_open(now: CaseNow, event: str) -> bool:
    return now.child.looked_after and now.memo("pep", lambda: current_pep(now.session, now.child.ref)) is not None


# a child's care goes on whether or not their PEP record is complete: these are offered to every
# child in care (the default), whatever the PEP's state
for spec in (
    EventSpec("entered_care", "pep", on_entered_care, (), offered=_while_not_looked_after, opens=("initial_pep", "care_review_1", "pep_before_care_review")),
    EventSpec("care_review_held", "care", on_care_review_held, (), opens=("care_review_2", "care_review_next", "pep_before_care_review")),
    EventSpec("school_changed", "pep", on_school_changed,
              (Param("school_urn", ref, True, "URN of the new school", school=True),), listed_under="care", opens=("pep_significant_change",)),
    EventSpec("care_placement_changed", "pep", on_care_placement_changed,
              (Param("school_changes", yes_no, False, "yes if the move means a new school"),
               Param("school_urn", ref, False, "URN of the new school, if known", school=True),
               Param("placement_type", choice(*[t for t in PLACEMENT_TYPES if t]), False, "type"),
               Param("in_area", yes_no, False, "yes or no"),
               Param("carer_ref", ref, False, "the new carer's reference", person=("carer",)),
               Param("la", text, False, "the local authority the placement is in"),
               Param("emergency", yes_no, False, "yes for an emergency move")), listed_under="care", opens=("pep_significant_change", "admission_placement")),
    EventSpec("care_placement_proposed", "care", on_care_placement_proposed,
              (Param("move", choice("planned", "emergency"), True, "planned or emergency"),
               Param("in_area", yes_no, True, "yes or no"),
               Param("school_must_change", yes_no, True, "yes or no"),
               Param("proposed_date", date_value, True, "the planned date of the move"))),
    EventSpec("vs_placement_view", "care", on_vs_placement_view,
              (Param("view", choice("support", "concerns", "resist"), True, "support, concerns or resist"),
               Param("reasons", free_text, True, "the Virtual School's reasons")),
              recorded_by=VIRTUAL_SCHOOL_ROLES, offered=_while_the_view_is_awaited),
    EventSpec("legal_status_changed", "care", on_legal_status_changed,
              (Param("legal_status", choice(*LEGAL), True, "the new legal status"),)),
    EventSpec("social_worker_changed", "care", on_social_worker_changed,
              (Param("social_worker_ref", ref, True, "the new social worker's reference",
                     person=CASELOAD_ROLES),)),
    EventSpec("left_care", "pep", on_left_care, (Param("reason", free_text, False, "why"),),
              offered=_while_a_pep_is_open, listed_under="care"),
):
    register(spec)


# ---- bringing in a cohort already in care ---------------------------------------------

def bring_in(session: Session, config: Config, child: Child, today: dt.date) -> list[str]:
    """Give an imported child the right current PEP and next deadlines, without guessing.

    With ``last_pep_meeting`` the child gets a completed PEP and the next termly review;
    a child whose initial PEP is still in time gets the initial PEP; anyone else is
    flagged for VS admin to add the dates and import again.  Care reviews likewise."""
    if not child.looked_after:
        return []
    done, missing = [], []
    logged = change_marks(session)
    pep = current_pep(session, child.ref)
    if pep is None:
        if child.last_pep_meeting:
            pep = start_cycle(session, child, "termly", child.last_pep_meeting)
            pep.state, pep.imported = "distributed", True
            pep.meeting_held_on = child.last_pep_meeting
            session.add(pep)
            d = open_deadline(session, config, child, "pep_review", child.last_pep_meeting, "pep",
                              pep.id, opened_on=today)
            done.append(f"next termly PEP review due {format_day(d.due_on)}")
        else:
            rule = config.timescales.rule("initial_pep", child.entered_care)
            due = calendar_for(session, config, child, rule).add(
                child.entered_care, rule.number, rule.unit, rule.counting)
            if due >= today:
                pep = start_cycle(session, child, "initial", child.entered_care)
                open_deadline(session, config, child, "initial_pep", child.entered_care, "pep", pep.id)
                done.append(f"initial PEP due {format_day(due)}")
            else:
                missing.append("last_pep_meeting")
    if not open_deadlines(session, child.ref, CARE_REVIEW_KINDS):
        if child.last_care_review:
            first = config.timescales.rule("care_review_1", child.entered_care)
            days = calendar_for(session, config, child, first).between(
                child.entered_care, child.last_care_review, first.unit)
            key = "care_review_2" if days <= first.number else "care_review_next"
            d = open_care_review(session, config, child, key, child.last_care_review, today)
            done.append(f"next care review due {format_day(d.due_on)}")
        else:
            rule = config.timescales.rule("care_review_1", child.entered_care)
            due = calendar_for(session, config, child, rule).add(child.entered_care, rule.number, rule.unit)
            if due >= today:
                open_care_review(session, config, child, "care_review_1", child.entered_care, today)
                done.append(f"first care review due {format_day(due)}")
            else:
                missing.append("last_care_review")
    flags = open_deadlines(session, child.ref, [FLAG])
    note = (f"add the date of {' and of '.join(MISSING_WORDS[m] for m in missing)} to {child.ref}'s row of the "
            "children list, and import it again") if missing else ""
    for flag in flags:
        if flag.note != note:
            close_deadline(session, config, child, flag, today, DeadlineStatus.MET if not missing else "cancelled",
                           "record completed" if not missing else "superseded by a new check")
    if missing and not any(f.note == note for f in flags):
        due = calendar_for(session, config, child).add(today, config.settings.record_incomplete_working_days,
                                                        "working")
        open_flag(session, config, child, FLAG, today, "vs_admin", note, due_on=due)
        done.append(f"flagged for VS admin: {note}")
    if done:
        row = audit(session, child.ref, "pep", "imported", today, {"derived": done},
                    process_id=pep.id if pep else None, after=pep.state if pep else None)
        claim_changes(session, logged, row)
    session.flush()
    return done
