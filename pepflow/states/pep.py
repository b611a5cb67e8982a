"""The PEP lifecycle: one row per cycle (the initial PEP, then one per term or early review).

    due ─► meeting_scheduled ─► meeting_held ─► submitted ─► in_qa ─► approved ─► distributed
     └──────────────────────────────┘              ▲   │        │
                                                   │   └─► returned ◄┘
                                                   └── pep_resubmitted
    approved / distributed ─► superseded  (when the next cycle's meeting is scheduled or held)
    any open state ─► closed               (left_care)

A child has exactly one current PEP while looked after.  When the current PEP is approved
or distributed, ``pep_meeting_scheduled`` and ``pep_meeting_held`` begin the next cycle:
the old row is superseded and the event applies to a new row in ``due``.
"""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Session

from pepflow.statuses import DeadlineStatus
from pepflow.calendars import format_day, format_units
from pepflow.vocabulary import kind_label, state_label
from pepflow.engine.events import CaseNow, EventContext, EventSpec, Outcome, Param, register
from pepflow.role_table import VIRTUAL_SCHOOL_ROLES
from pepflow.values import Choice, date_value, free_text
from pepflow.config import Config
from pepflow.db import cases
from pepflow.db.models import Child, Deadline, Pep
from pepflow.states.pep_document import missing_before_submission
from pepflow.states.pp_plus_allowance import release_allowance
from pepflow.engine import child_summaries
from pepflow.engine.deadlines import close_deadline, close_open, open_deadline, open_deadlines
from pepflow.errors import InputError, TransitionNotAllowed
from pepflow.engine.machine import ProcessMachine


class PepState(StrEnum):
    DUE = "due"
    MEETING_SCHEDULED = "meeting_scheduled"
    MEETING_HELD = "meeting_held"
    SUBMITTED = "submitted"
    IN_QA = "in_qa"
    RETURNED = "returned"
    APPROVED = "approved"
    DISTRIBUTED = "distributed"
    SUPERSEDED = "superseded"
    CLOSED = "closed"


S = PepState
OPEN_STATES = [s.value for s in S if s not in (S.SUPERSEDED, S.CLOSED)]
COMPLETE_STATES = (S.APPROVED.value, S.DISTRIBUTED.value)

TRANSITIONS = [
    {"trigger": "pep_meeting_scheduled", "source": [S.DUE, S.MEETING_SCHEDULED], "dest": S.MEETING_SCHEDULED},
    {"trigger": "pep_meeting_held", "source": [S.DUE, S.MEETING_SCHEDULED], "dest": S.MEETING_HELD},
    {"trigger": "pep_submitted", "source": S.MEETING_HELD, "dest": S.SUBMITTED},
    {"trigger": "pep_qa_started", "source": S.SUBMITTED, "dest": S.IN_QA},
    {"trigger": "pep_returned", "source": [S.SUBMITTED, S.IN_QA], "dest": S.RETURNED},
    {"trigger": "pep_resubmitted", "source": S.RETURNED, "dest": S.SUBMITTED},
    {"trigger": "pep_approved", "source": [S.SUBMITTED, S.IN_QA], "dest": S.APPROVED},
    {"trigger": "pep_distributed", "source": S.APPROVED, "dest": S.DISTRIBUTED},
    {"trigger": "supersede", "source": [S.APPROVED, S.DISTRIBUTED], "dest": S.SUPERSEDED},
    {"trigger": "left_care", "source": OPEN_STATES, "dest": S.CLOSED},
]

MACHINE = ProcessMachine("PEP", PepState, TRANSITIONS, initial=S.DUE.value,
                         final=frozenset({S.SUPERSEDED.value, S.CLOSED.value}))
NEXT_CYCLE_EVENTS = ("pep_meeting_scheduled", "pep_meeting_held")
INTERNAL_EVENTS = ("supersede",)
# Deadlines that belong to one PEP cycle, and those met by holding the next PEP meeting.
REVIEW_KINDS = child_summaries.REVIEW_KINDS  # past due, the PEP is not up to date (the reports count it)


def current_pep(session: Session, child_ref: str) -> Pep | None:
    """The child's one current PEP (None when not looked after or the record is incomplete)."""
    return cases.current_pep(session, child_ref)


def allowed_events(pep: Pep | None) -> list[str]:
    """What the user may record on this PEP now (child-level events are listed elsewhere)."""
    if pep is None:
        return []
    events = [e for e in MACHINE.allowed(pep.state) if e not in INTERNAL_EVENTS]
    if pep.state in COMPLETE_STATES:
        events = list(NEXT_CYCLE_EVENTS) + events
    return events


def no_current_pep(ctx: EventContext) -> TransitionNotAllowed:
    if ctx.child.looked_after:
        state = "missing: the record is incomplete (add the date of the last PEP meeting to the children list, and import it again)"
    else:
        state = "closed: the child is not looked after"
    return TransitionNotAllowed(ctx.child.ref, "PEP", ctx.event, state, ["entered_care"])


def require_current(ctx: EventContext) -> Pep:
    pep = current_pep(ctx.session, ctx.child.ref)
    if pep is None:
        raise no_current_pep(ctx)
    return pep


def _check_date_order(ctx: EventContext, pep: Pep) -> None:
    if ctx.on < pep.state_changed_on:
        raise InputError("on", format_day(ctx.on), (
            f"is before the PEP's last recorded step on {format_day(pep.state_changed_on)} "
            f"(“{state_label('pep', pep.state)}”); record events in the order they happened"))


def start_cycle(session: Session, child: Child, cycle: str, on) -> Pep:
    """Make a new current PEP in ``due``; the caller has dealt with the old one."""
    pep = Pep(child_ref=child.ref, cycle=cycle, state=S.DUE.value, is_current=True,
              opened_on=on, state_changed_on=on)
    session.add(pep)
    session.flush()
    cases.set_current_pep(session, child.ref, pep)
    return pep


CYCLE_KINDS = ("pep_completion", "pep_distribution", "pep_qa", "pep_resubmission")


def supersede(session: Session, config: Config, child: Child, pep: Pep, on) -> None:
    """The next cycle begins: steps of this PEP still outstanding are recorded as missed."""
    MACHINE.fire(pep, "supersede", pep.child_ref)
    for d in open_deadlines(session, child.ref, CYCLE_KINDS):
        if d.process_id == pep.id:
            close_deadline(session, config, child, d, on, DeadlineStatus.MISSED, "the PEP was superseded first")
    pep.is_current, pep.state_changed_on = False, on
    session.add(pep)
    session.flush()  # the new current PEP must not meet the old one in the index
    cases.set_current_pep(session, child.ref, None)


def pep_for_event(ctx: EventContext) -> tuple[Pep, str]:
    """The PEP this event applies to, beginning the next cycle when the event allows it."""
    pep = require_current(ctx)
    before = pep.state
    if ctx.event in NEXT_CYCLE_EVENTS and pep.state in COMPLETE_STATES:
        _check_date_order(ctx, pep)
        supersede(ctx.session, ctx.config, ctx.child, pep, ctx.on)
        pep = start_cycle(ctx.session, ctx.child, "termly", ctx.on)
        pep.state_changed_on = ctx.on
    else:
        MACHINE.check(pep, ctx.event, ctx.child.ref)
        if ctx.event != "pep_meeting_scheduled":
            _check_date_order(ctx, pep)
    return pep, before


def _close(ctx: EventContext, kinds, status=None, reason="") -> list[Deadline]:
    return close_open(ctx.session, ctx.config, ctx.child, kinds, ctx.on, status, reason)


def _open(ctx: EventContext, key: str, pep: Pep, start=None) -> Deadline:
    return open_deadline(ctx.session, ctx.config, ctx.child, key, start or ctx.on, "pep", pep.id,
                         opened_on=ctx.on)


def _transition(ctx: EventContext) -> tuple[Pep, Outcome]:
    pep, before = pep_for_event(ctx)
    MACHINE.fire(pep, ctx.event, ctx.child.ref)
    pep.state_changed_on = ctx.on
    return pep, Outcome("pep", pep.id, before, pep.state)


# ---- handlers -----------------------------------------------------------------------

def on_meeting_scheduled(ctx: EventContext) -> Outcome:
    pep, outcome = _transition(ctx)
    pep.meeting_date = ctx.params["meeting_date"]
    outcome.messages.append(f"PEP meeting for {ctx.child.ref} set for {format_day(pep.meeting_date)}.")
    late = [d for d in open_deadlines(ctx.session, ctx.child.ref, REVIEW_KINDS) if d.due_on < pep.meeting_date]
    for d in late:  # told now, while the date can still be moved
        outcome.warnings.append(f"{kind_label(d.kind)} is due by {format_day(d.due_on)}, before this "
                                "meeting: the PEP will be late unless the meeting is brought forward.")
    return outcome


def on_meeting_held(ctx: EventContext) -> Outcome:
    pep, outcome = _transition(ctx)
    pep.meeting_held_on = ctx.on
    met = _close(ctx, REVIEW_KINDS)
    # sharing the final PEP starts at approval (config/timescales.toml): a PEP still in QA has no final version to share
    d = _open(ctx, "pep_completion", pep)
    outcome.messages.append(f"{kind_label('pep_completion')} due {format_day(d.due_on)} "
                            f"({format_units(d.number, d.unit)}).")
    outcome.payload["deadlines_closed"] = [f"{d.kind}:{d.status}" for d in met]
    return outcome


def on_submitted(ctx: EventContext) -> Outcome:
    missing = missing_before_submission(ctx.session, ctx.config, ctx.child, require_current(ctx), ctx.on)
    if missing:  # a PEP written in pepflow is submitted whole
        shown = "; ".join(missing[:8]) + (f"; and {len(missing) - 8} more" if len(missing) > 8 else "")
        raise InputError("event", "PEP submitted", f"cannot be recorded yet: still to fill in: {shown}")
    pep, outcome = _transition(ctx)
    pep.submitted_on = ctx.on
    _close(ctx, ["pep_completion"])
    d = _open(ctx, "pep_qa", pep)
    outcome.messages.append(f"Quality assurance due {format_day(d.due_on)}.")
    return outcome


def on_qa_started(ctx: EventContext) -> Outcome:
    return _transition(ctx)[1]


def on_returned(ctx: EventContext) -> Outcome:
    pep, outcome = _transition(ctx)
    pep.times_returned += 1
    pep.returned_reason = ctx.params["reason"]
    _close(ctx, ["pep_qa"])
    d = _open(ctx, "pep_resubmission", pep)
    outcome.messages.append(f"Returned to the designated teacher; resubmission due {format_day(d.due_on)}.")
    return outcome


def on_resubmitted(ctx: EventContext) -> Outcome:
    missing = missing_before_submission(ctx.session, ctx.config, ctx.child, require_current(ctx), ctx.on)
    if missing:
        raise InputError("event", "PEP resubmitted", f"cannot be recorded yet: still to fill in: {'; '.join(missing[:8])}")
    pep, outcome = _transition(ctx)
    pep.submitted_on = ctx.on
    _close(ctx, ["pep_resubmission"])
    _open(ctx, "pep_qa", pep)
    return outcome


def on_approved(ctx: EventContext) -> Outcome:
    rating = ctx.params["rating"]
    pep, outcome = _transition(ctx)
    pep.approved_on, pep.quality_rating = ctx.on, rating
    _close(ctx, ["pep_qa"])
    _close(ctx, ["pep_before_care_review"])
    anchor = pep.meeting_held_on or ctx.on
    review = _open(ctx, "pep_review", pep, start=anchor)
    outcome.messages.append(f"Next termly PEP review due {format_day(review.due_on)}.")
    if not open_deadlines(ctx.session, ctx.child.ref, ["pep_distribution"]):  # one opened at a meeting before this version
        shared = _open(ctx, "pep_distribution", pep)
        outcome.messages.append(f"{kind_label('pep_distribution')} due {format_day(shared.due_on)}.")
    allowance = release_allowance(ctx, pep)  # a flat Pupil Premium Plus model pays the term on the PEP's grade
    if allowance:
        outcome.payload["pp_plus"] = allowance
        if allowance.get("allowance", "none") != "none":
            outcome.messages.append(f"Pupil Premium Plus: {allowance['allowance']} released for {allowance['term']}.")
    return outcome


def on_distributed(ctx: EventContext) -> Outcome:
    pep, outcome = _transition(ctx)
    pep.distributed_on = ctx.on
    _close(ctx, ["pep_distribution"])
    return outcome


# ---- registration -------------------------------------------------------------------

class _Rating(Choice):
    """An approved PEP's rating: red is a rating, but a red PEP is returned, never approved (said
    here, before anything is checked); the form offers amber and green."""

    def __call__(self, value: str) -> str:
        rating = super().__call__(value)
        if rating == "red":
            raise ValueError("a red PEP cannot be approved: return it for changes (pep_returned) with a reason")
        return rating


_rating = _Rating(("red", "amber", "green"), offered=("amber", "green"))


def _offered_by_state(now: CaseNow, event: str) -> bool:
    """Offered when the current PEP's state allows it (or, once it is complete, to start the next)."""
    return now.child.looked_after and event in now.memo("pep_events", lambda: allowed_events(_current(now)))


def _current(now: CaseNow) -> Pep | None:
    return now.memo("pep", lambda: current_pep(now.session, now.child.ref))


_VS = VIRTUAL_SCHOOL_ROLES  # quality assurance is the Virtual School's (DOMAIN.md: VS admin quality-assures PEPs)
for spec in (
    EventSpec("pep_meeting_scheduled", "pep", on_meeting_scheduled,
              (Param("meeting_date", date_value, True, "the date of the meeting"),), offered=_offered_by_state),
    EventSpec("pep_meeting_held", "pep", on_meeting_held, (), offered=_offered_by_state, opens=("pep_completion",)),
    EventSpec("pep_submitted", "pep", on_submitted, (), offered=_offered_by_state, opens=("pep_qa",)),
    EventSpec("pep_qa_started", "pep", on_qa_started, (), recorded_by=_VS, offered=_offered_by_state),
    EventSpec("pep_returned", "pep", on_returned,
              (Param("reason", free_text, True, "why it is returned"),), recorded_by=_VS, offered=_offered_by_state, opens=("pep_resubmission",)),
    EventSpec("pep_resubmitted", "pep", on_resubmitted, (), offered=_offered_by_state, opens=("pep_qa",)),
    EventSpec("pep_approved", "pep", on_approved,
              (Param("rating", _rating, True, "quality rating, amber or green (a red PEP is returned)"),),
              recorded_by=_VS, offered=_offered_by_state, opens=("pep_review", "pep_distribution")),
    EventSpec("pep_distributed", "pep", on_distributed, (), offered=_offered_by_state),
):
    register(spec)
