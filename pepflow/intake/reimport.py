"""What a difference in the council's data means: the events that say what happened.

Every import that brings a child pepflow already holds (the children list, the SSDA903
return) says what their record shows now; where that differs from pepflow's, this module
is the one place that turns the difference into events, each dated the day it happened
(the import's own day where the source gives none).  The callers record them through
``record_event`` like any other event, so a refused one is refused for the same reasons.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pepflow.config import Config
from pepflow.db.models import Child
from pepflow.db.unit import UnitOfWork
from pepflow.engine.recording import record_event
from pepflow.errors import PepflowError

# events of the same day in the order they happened: a period of care ends before the next begins
_FIRST = {"left_care": 0, "entered_care": 1}


@dataclass(frozen=True)
class Seen:
    """What the council's data now says of a child.  A field left as None is one the source
    does not give; each ``*_since`` is the day that fact began (the import's day when None)."""

    on: dt.date  # the day of the data (a CSV import's day; an SSDA903 return's extract)
    looked_after: bool | None = None
    entered_care: dt.date | None = None
    entry_before_return: bool = False  # the period's first episode is not its start (SSDA903)
    left_care_on: dt.date | None = None
    left_care_reason: str = ""
    previous_end: dt.date | None = None  # left care and came back between two returns
    previous_reason: str = ""
    legal_status: str | None = None
    legal_status_since: dt.date | None = None
    placement_type: str | None = None
    placement_since: dt.date | None = None  # a new care placement began then
    in_area: bool | None = None
    carer_ref: str | None = None  # "" for no carer
    gives_where: bool = False  # the source says where and with whom a child lives (the children list)
    school_urn: str | None = None
    social_worker_ref: str | None = None
    social_worker_since: dt.date | None = None
    reviews: tuple[dt.date, ...] = field(default_factory=tuple)


Happened = tuple[dt.date, str, dict[str, str]]


def what_happened(child: Child, seen: Seen, placed_since: dt.date | None = None) -> list[Happened]:
    """The events, in the order they happened, that bring ``child`` to what ``seen`` says.
    ``placed_since`` is the day pepflow's latest care placement of the child began."""
    events: list[Happened] = []
    if seen.looked_after is False:
        if child.looked_after:
            return [(seen.left_care_on or seen.on, "left_care", {"reason": seen.left_care_reason})]
        return []
    base = child.entered_care
    if seen.looked_after and not child.looked_after:
        events.append((seen.entered_care or seen.on, "entered_care", {}))
        base = seen.entered_care or seen.on
    elif (seen.entered_care and seen.entered_care > child.entered_care and not seen.entry_before_return
          and seen.previous_end):
        events += [(seen.previous_end, "left_care", {"reason": seen.previous_reason}),
                   (seen.entered_care, "entered_care", {})]
        base = seen.entered_care

    def since(day: dt.date | None) -> dt.date:
        return max(day or seen.on, base)  # nothing of the case is dated before its period began

    if seen.legal_status is not None and seen.legal_status != child.legal_status:
        events.append((since(seen.legal_status_since), "legal_status_changed", {"legal_status": seen.legal_status}))
    events += _placement_and_school(child, seen, base, placed_since, since)
    if seen.social_worker_ref and seen.social_worker_ref != child.social_worker_ref:
        events.append((since(seen.social_worker_since), "social_worker_changed",
                       {"social_worker_ref": seen.social_worker_ref}))
    last = child.last_care_review if base == child.entered_care else None
    events += [(d, "care_review_held", {}) for d in seen.reviews if d >= base and (last is None or d > last)]
    return sorted(events, key=lambda e: (e[0], _FIRST.get(e[1], 2)))


def _placement_and_school(child: Child, seen: Seen, base: dt.date, placed_since: dt.date | None,
                          since) -> list[Happened]:
    """A new care placement (with its school when that changed too), or a new school alone."""
    moved = seen.placement_since is not None and placed_since is not None and \
        seen.placement_since > (placed_since if base == child.entered_care else base)
    changed = {name: value for name, value in (("placement_type", seen.placement_type), ("in_area", seen.in_area),
                                               ("carer_ref", seen.carer_ref))
               if value is not None and value != getattr(child, name)}
    new_school = seen.school_urn is not None and seen.school_urn != child.school_urn
    if moved or changed:
        params = {"placement_type": seen.placement_type if seen.placement_type is not None else child.placement_type}
        if seen.gives_where:
            in_area = seen.in_area if seen.in_area is not None else child.in_area
            params.update(in_area="yes" if in_area else "no",
                          carer_ref=seen.carer_ref if seen.carer_ref is not None else child.carer_ref)
        if new_school:
            params.update(school_changes="yes", school_urn=seen.school_urn)
        return [(since(seen.placement_since), "care_placement_changed",
                 {k: str(v) for k, v in params.items() if v not in (None, "")})]
    if new_school:
        return [(seen.on, "school_changed", {"school_urn": seen.school_urn})]
    return []


@dataclass
class Recorded:
    """What recording a child's events did, in the import report's words."""

    lines: list[str] = field(default_factory=list)  # "C123: school changed on 03 Nov 2026 (…)"
    refused: list[str] = field(default_factory=list)  # "child C123: school changed cannot be recorded: …"
    left_care: bool = False


def record_happened(session: UnitOfWork, config: Config, ref: str, happened: list[Happened], today: dt.date,
                    actor: str, dated: bool, stop_after_refusal: bool) -> Recorded:
    """Record each event through ``record_event`` as the import (``actor``).  ``dated``: the
    report says each event's day (the SSDA903 return's events are dated as they happened);
    ``stop_after_refusal``: a refused event stops the child's later ones, which may rest on it."""
    done = Recorded()
    for on, event, params in happened:
        words = event.replace("_", " ") + (f" on {on:%d %b %Y}" if dated else "")
        try:
            outcome = record_event(session, config, ref, event, on, today, params=params, actor=actor)
        except PepflowError as exc:
            when = f" on {on.isoformat()}" if dated else ""
            done.refused.append(f"child {ref}: {event.replace('_', ' ')}{when} cannot be recorded: {exc}")
            if stop_after_refusal:
                break
            continue
        said = " ".join(outcome.messages)
        done.lines.append(f"{ref}: {words}" + (f" ({said})" if said else ""))
        done.left_care = done.left_care or event == "left_care"
    return done
