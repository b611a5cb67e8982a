"""Which events a child's record can take now, across every process.

The web case page offers exactly these; recording still goes through
``commands.record_event``, which checks again, so this list is a convenience for people
and never the guard itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from pepflow.calendars import academic_year_of
from pepflow.commands import event_spec
from pepflow.events import EventSpec
from pepflow.db.models import Child
from pepflow.deadlines import open_deadlines
from pepflow.vocabulary import process_label



@dataclass(frozen=True)
class NextEvent:
    name: str
    group: str  # the process label people see
    spec: EventSpec


def events_open_to(session: Session, child: Child, today: dt.date) -> list[NextEvent]:
    from pepflow.states import admission, exclusion
    from pepflow.states.pep import allowed_events, current_pep

    if not child.looked_after:
        names = [("pep", "entered_care")]
    else:
        open_kinds = {d.kind for d in open_deadlines(session, child.ref)}
        pep = current_pep(session, child.ref)
        names = [("pep", e) for e in allowed_events(pep) if e != "left_care"]
        if pep is not None:
            names.append(("pep", "pp_plus_requested"))
        # a child's care goes on whether or not their PEP record is complete (states/care.py)
        names += [("care", e) for e in ("care_review_held", "school_changed", "care_placement_changed",
                                        "care_placement_proposed", "legal_status_changed",
                                        "social_worker_changed")]
        if "vs_placement_view" in open_kinds:
            names.append(("care", "vs_placement_view"))
        case = admission.open_admission(session, child.ref)
        if case is None:
            names.append(("admission", "admission_needed"))
        else:
            names += [("admission", e) for e in admission.MACHINE.allowed(case.state)]
            names.append(("admission", "temporary_education_arranged"))
        x = exclusion.current_exclusion(session, child.ref, academic_year_of(today))
        if x is None:
            names += [("exclusion", e) for e in ("behaviour_concern_raised", "suspension_started",
                                                 "permanently_excluded")]
        else:
            names += [("exclusion", e) for e in exclusion.MACHINE.allowed(x.state)]
        names += [("attendance", "attendance_recorded"), ("attendance", "attendance_stage_started"),
                  ("attendance", "ptt_recorded")]
        if any(k.startswith("attendance_stage_") and k.endswith("_review") for k in open_kinds):
            names.append(("attendance", "attendance_stage_reviewed"))
        if "attendance_legal_planning" in open_kinds:
            names.append(("attendance", "attendance_legal_planning_held"))
        if "ptt_review" in open_kinds:
            names.append(("attendance", "ptt_reviewed"))
        if pep is not None:
            names.append(("care", "left_care"))
    seen: dict[str, NextEvent] = {}
    for process, name in names:
        if name not in seen:
            seen[name] = NextEvent(name, process_label(process), event_spec(name))
    return list(seen.values())
