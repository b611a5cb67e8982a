"""The admission process's states and steps (its transition table and machine) and the helpers
every admission handler uses: the child's open admission, moving it on, the school named.
The handlers are in ``admission`` and, for the local authority's direction route, in
``admission_directions``."""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Session, select

from pepflow.calendars import format_day
from pepflow.db.models import Admission, School
from pepflow.engine.events import EventContext, Outcome
from pepflow.engine.machine import ProcessMachine
from pepflow.errors import InputError, TransitionNotAllowed


class AdmissionState(StrEnum):
    NEED_IDENTIFIED = "need_identified"
    SCHOOL_PROPOSED = "school_proposed"
    APPLIED = "applied"
    OFFERED = "offered"
    REFUSED = "refused"
    DIRECTION_CONSULTATION = "direction_consultation"
    DIRECTION_ISSUED = "direction_issued"
    REFERRED_TO_ADJUDICATOR = "referred_to_adjudicator"
    SOS_REQUESTED = "sos_requested"
    ON_ROLL = "on_roll"
    WITHDRAWN = "withdrawn"


A = AdmissionState
OPEN = [s.value for s in A if s not in (A.ON_ROLL, A.WITHDRAWN)]
TRANSITIONS = [
    {"trigger": "school_proposed", "source": [A.NEED_IDENTIFIED, A.SCHOOL_PROPOSED, A.REFUSED], "dest": A.SCHOOL_PROPOSED},
    {"trigger": "school_not_agreed", "source": A.SCHOOL_PROPOSED, "dest": A.NEED_IDENTIFIED},
    {"trigger": "application_made", "source": A.SCHOOL_PROPOSED, "dest": A.APPLIED},
    {"trigger": "place_offered", "source": [A.APPLIED, A.DIRECTION_CONSULTATION], "dest": A.OFFERED},
    {"trigger": "place_refused", "source": A.APPLIED, "dest": A.REFUSED},
    {"trigger": "direction_consultation_started", "source": A.REFUSED, "dest": A.DIRECTION_CONSULTATION},
    {"trigger": "consultation_answered", "source": A.DIRECTION_CONSULTATION, "dest": A.DIRECTION_CONSULTATION},
    {"trigger": "direction_issued", "source": A.DIRECTION_CONSULTATION, "dest": A.DIRECTION_ISSUED},
    {"trigger": "adjudicator_referred", "source": A.DIRECTION_ISSUED, "dest": A.REFERRED_TO_ADJUDICATOR},
    {"trigger": "adjudicator_upheld", "source": A.REFERRED_TO_ADJUDICATOR, "dest": A.OFFERED},
    {"trigger": "adjudicator_named_other", "source": A.REFERRED_TO_ADJUDICATOR, "dest": A.OFFERED},
    {"trigger": "sos_request_made", "source": A.REFUSED, "dest": A.SOS_REQUESTED},
    {"trigger": "sos_directed", "source": A.SOS_REQUESTED, "dest": A.OFFERED},
    {"trigger": "sos_declined", "source": A.SOS_REQUESTED, "dest": A.NEED_IDENTIFIED},
    {"trigger": "started_at_school", "source": [A.OFFERED, A.DIRECTION_ISSUED], "dest": A.ON_ROLL},
    {"trigger": "admission_withdrawn", "source": OPEN, "dest": A.WITHDRAWN},
]

MACHINE = ProcessMachine("admission", AdmissionState, TRANSITIONS, initial=A.NEED_IDENTIFIED.value,
                         final=frozenset({A.ON_ROLL.value, A.WITHDRAWN.value}))
CHILD_CLOCK = ("admission_placement",)
DECISION_CLOCKS = ("admission_decision", "admission_decision_aim")
NO_EDUCATION = "no_education_arranged"
NOMINATED_OFFICER_ROLES = ("vsh", "team_manager")


def open_admission(session: Session, child_ref: str) -> Admission | None:
    return session.exec(select(Admission).where(Admission.child_ref == child_ref, Admission.is_open)).first()


def require(ctx: EventContext) -> Admission:
    """The child's open admission, if it can take this event on this date; else why not."""
    admission = open_admission(ctx.session, ctx.child.ref)
    if admission is None:
        raise TransitionNotAllowed(ctx.child.ref, "admission", ctx.event, "none open", ["admission_needed"])
    MACHINE.check(admission, ctx.event, ctx.child.ref)
    if ctx.on < admission.state_changed_on:
        raise InputError("on", format_day(ctx.on), (
            f"is before the admission's last step on {format_day(admission.state_changed_on)}"))
    return admission


def fire(ctx: EventContext, admission: Admission) -> Outcome:
    """Move the admission by the event; a final state closes it."""
    before, after = MACHINE.fire(admission, ctx.event, ctx.child.ref)
    admission.state_changed_on = ctx.on
    if after in MACHINE.final:
        admission.is_open, admission.closed_on = False, ctx.on
    ctx.session.add(admission)
    return Outcome("admission", admission.id, before, after)


def school_of(ctx: EventContext, urn: str) -> School:
    school = ctx.session.get(School, urn)
    if school is None:
        raise InputError("school_urn", urn, "is not a known school (import schools first)")
    return school


def direction_route(ctx: EventContext, school: School) -> str:
    """'direction' for a maintained school, or an academy once the council's commencement
    date for the 2026 Act has come (judged on the event's date); else 'secretary_of_state'."""
    if school.type not in ("academy", "free"):
        return "direction"
    commenced = ctx.config.settings.academy_directions_from
    return "direction" if commenced and ctx.on >= commenced else "secretary_of_state"
