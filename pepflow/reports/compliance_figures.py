"""Compliance figures for the VSH and Ofsted, from the deadline ledger and the history only.

Every deadline ends in one outcome, judged as of the report's date: ``met`` (on time),
``met_late`` (by how many units), ``missed``, ``cancelled`` (with its reason), ``breached``
(still open past its due date) or ``pending`` (not yet due).  Each keeps the rule version it
was computed by.  Because nothing here reads today's state of a case, a report for last
year gives the same numbers next year.  Groups smaller than 5 show counts but no
percentage (small cohorts mislead: Virtual School Handbook §5c iii).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from typing import Any, Callable

from sqlalchemy import func
from sqlmodel import Session, select

from pepflow.cohort import key_stage, year_group, year_group_label
from pepflow.config import Config
from pepflow.db.models import (Admission, CarePlacement, Child, Deadline, Event, Exclusion,
                               Pep, PepSection, PpPlusLine, AttendanceMark, SubjectAccessRequest, Suspension)
from pepflow.engine.deadlines import calendar_for
from pepflow.statuses import CLOSED_STATUSES, DeadlineStatus
from pepflow.reports.outcomes import outcome, timescale_outcomes
from pepflow.reports.roll import RollGroup, latest_attendance_bands, roll_at
from pepflow.calendars import academic_year_of
import re

SMALL_GROUP = 5
REPORT_VERSION = 1


def percent(part: int, whole: int) -> float | None:
    """A percentage, or None for a group too small to show one."""
    return round(100 * part / whole, 1) if whole >= SMALL_GROUP else None


def _median(counts: Counter) -> float | None:
    """The median of values given as {value: how many}."""
    total = sum(counts.values())
    if not total:
        return None
    values = sorted(counts)
    def nth(k: int) -> int:
        seen = 0
        for v in values:
            seen += counts[v]
            if seen > k:
                return v
        return values[-1]
    return (nth((total - 1) // 2) + nth(total // 2)) / 2


def _term_label(config: Config, day: dt.date) -> str:
    try:
        return config.calendar().current_or_next_term(day).label
    except Exception:  # outside the calendar's years: report the school year instead
        return academic_year_of(day)


def compliance(session: Session, config: Config, start: dt.date, end: dt.date, as_of: dt.date) -> dict[str, Any]:
    """Every figure, read with a few column queries (no ORM objects for the big tables)."""
    D, E = Deadline.__table__.c, Event.__table__.c
    roll = roll_at(session, as_of)
    # ---- every timescale due in the period, by outcome: counted by the database ---------
    timescales, late_counts = timescale_outcomes(session, start, end, as_of)
    for kind, entry in timescales.items():
        o = entry["outcomes"]
        judged = o["met"] + o["met_late"] + o["missed"] + o["breached"]
        entry["judged"] = judged
        entry["on_time_percent"] = percent(o["met"], judged)
        entry["median_days_late"] = _median(late_counts[kind])
        entry["outcomes"] = {k: v for k, v in sorted(o.items()) if v}
        entry["rule_versions"] = sorted(entry["rule_versions"])

    # ---- the history, counted by name, date and the one detail each figure needs -------
    names = ("pep_meeting_held", "pep_approved", "direction_issued", "adjudicator_referred", "adjudicator_upheld",
             "adjudicator_named_other", "sos_request_made", "sos_directed", "care_placement_changed")
    counts: Counter = Counter()
    meetings: Counter = Counter()
    ratings: dict[str, Counter] = defaultdict(Counter)
    in_period = (E.effective_on >= start, E.effective_on <= end)
    # counted from the (name, date) index alone; a payload is read only where a figure needs it
    for name, day, n in session.execute(select(E.name, E.effective_on, func.count())
                                        .where(E.name.in_(names), *in_period).group_by(E.name, E.effective_on)):
        counts[name] += n
        if name == "pep_meeting_held":
            meetings[_term_label(config, day)] += n
    # each PEP keeps the day it was approved and its rating (written by the pep_approved
    # event, never changed): counted from their index, not read out of the events' payloads
    P = Pep.__table__.c
    for day, rated, n in session.execute(select(P.approved_on, P.quality_rating, func.count())
                                         .where(P.approved_on >= start, P.approved_on <= end)
                                         .group_by(P.approved_on, P.quality_rating)):
        ratings[_term_label(config, day)][rated or "unknown"] += n
    emergencies = session.execute(select(func.count()).select_from(CarePlacement).where(
        CarePlacement.emergency, CarePlacement.start >= start, CarePlacement.start <= end)).scalar_one()

    # ---- admissions -----------------------------------------------------------------
    admissions = list(session.exec(select(Admission).where(Admission.identified_on >= start,
                                                           Admission.identified_on <= end)))
    by_child = {c.ref: c for c in session.exec(select(Child).where(
        Child.ref.in_([a.child_ref for a in admissions])))} if admissions else {}
    placed: dict[str, list[int]] = {"in_area": [], "out_of_area": []}
    for a in admissions:
        if a.started_on and a.started_on <= as_of:
            child = by_child[a.child_ref]
            try:
                used = calendar_for(session, config, child).between(a.identified_on, a.started_on, "school")
            except Exception:
                continue
            placed["out_of_area" if a.in_area is False else "in_area"].append(used)
    clocks = session.execute(select(D.status, D.closed_on, D.due_on).where(
        D.status.in_((DeadlineStatus.OPEN,) + CLOSED_STATUSES),  # every status: lets the (status, kind) index find them
        D.kind == "admission_placement", D.opened_on >= start, D.opened_on <= end)).all()
    within = sum(1 for d in clocks if outcome(d, as_of) == "met")
    judged = sum(1 for d in clocks if outcome(d, as_of) in ("met", "met_late", "breached", "missed"))
    admissions_section = {
        "needs": len(admissions), "judged": judged, "within_20_school_days": within,
        "within_percent": percent(within, judged),
        "median_school_days_to_place": {k: (statistics.median(v) if v else None) for k, v in placed.items()},
        "placed": {k: len(v) for k, v in placed.items()},
        "days_to_place": sorted(placed["in_area"] + placed["out_of_area"]),
        "directions_made": counts["direction_issued"],
        "directions_referred_to_adjudicator": counts["adjudicator_referred"],
        "directions_upheld_by_adjudicator": counts["adjudicator_upheld"],
        "adjudicator_named_other_school": counts["adjudicator_named_other"],
        "secretary_of_state_requests": counts["sos_request_made"],
        "secretary_of_state_directed": counts["sos_directed"],
        "emergency_care_moves": emergencies,
    }

    # ---- exclusions, attendance, funding ---------------------------------------------
    # the columns the figures count, not ORM objects (thousands at 100,000 children: bench/report.py)
    suspensions = session.execute(select(Suspension.first_day, Suspension.days).where(
        Suspension.first_day >= start, Suspension.first_day <= end)).all()
    exclusions = session.execute(select(Exclusion.no_pre_exclusion_meeting).where(
        Exclusion.excluded_on >= start, Exclusion.excluded_on <= end)).all()
    months = Counter(s.first_day.strftime("%Y-%m") for s in suspensions)
    attendance_bands = latest_attendance_bands(session, start, min(end, as_of))
    register = _register_attendance(session, config, start, min(end, as_of))
    pp: dict[str, dict[str, int]] = defaultdict(lambda: {"approved": 0, "amount": 0})
    for term, approved in session.execute(select(PpPlusLine.term, PpPlusLine.approved_pence).where(
            PpPlusLine.status.in_(("approved", "part_approved")), PpPlusLine.decided_on >= start,
            PpPlusLine.decided_on <= min(end, as_of))):
        pp[term]["approved"] += 1
        pp[term]["amount"] += approved
    for figures in pp.values():  # pounds: whole where they are whole
        figures["amount"] = figures["amount"] // 100 if figures["amount"] % 100 == 0 else figures["amount"] / 100
    pp_impact = _pp_plus_impact(session, start, min(end, as_of), as_of)
    access = _subject_access(session, start, min(end, as_of), as_of)

    pep_qa = _pep_qa(session, config, start, end)

    return {
        "report": "compliance", "version": REPORT_VERSION, "authority": config.settings.authority_name,
        "from": start.isoformat(), "to": end.isoformat(), "as_of": as_of.isoformat(),
        "roll": {"children_on_roll": roll.children, "up_to_date_pep": roll.up_to_date,
                 "up_to_date_percent": percent(roll.up_to_date, roll.children),
                 "out_of_area": roll.out_of_area},
        "timescales": dict(sorted(timescales.items())),
        "pep_meetings_per_term": dict(sorted(meetings.items())),
        "qa_ratings_per_term": {k: dict(sorted(v.items())) for k, v in sorted(ratings.items())},
        "admissions": admissions_section,
        "exclusions": {"suspensions": len(suspensions), "suspension_days": sum(s.days for s in suspensions),
                       "suspensions_by_month": dict(sorted(months.items())),
                       "permanent_exclusions": len(exclusions),
                       "with_pre_exclusion_meeting": sum(1 for x in exclusions if not x.no_pre_exclusion_meeting)},
        "attendance_bands": attendance_bands,
        "attendance_from_the_register": register,
        "pp_plus_approved_per_term": {k: v for k, v in sorted(pp.items())},
        "pp_plus_impact": pp_impact,
        "subject_access": access,
        "pep_qa": pep_qa,
        "breakdowns": _breakdowns(roll.groups, as_of),
    }


def _register_attendance(session: Session, config: Config, start: dt.date, until: dt.date) -> dict[str, Any]:
    """The cohort's attendance from the register's marks over the period, as the DfE computes it
    (issue 41): all the children's sessions together, and how many children were persistently or
    severely absent; beside the national figures the council entered (pepflow.toml)."""
    from pepflow.rules.attendance_figures import figures_from

    per_child: dict[str, dict[str, int]] = defaultdict(dict)
    for ref, category, count in session.execute(
            select(AttendanceMark.child_ref, AttendanceMark.category, func.count()).where(
                AttendanceMark.day >= start, AttendanceMark.day <= until)
            .group_by(AttendanceMark.child_ref, AttendanceMark.category)):
        per_child[ref][category] = count
    together: dict[str, int] = defaultdict(int)
    persistent = severe = 0
    for counts in per_child.values():
        shown = figures_from(counts)
        persistent += shown.persistent_absence
        severe += shown.severe_absence
        for category, count in counts.items():
            together[category] += count
    cohort = figures_from(together)
    settings = config.settings
    return {"children_with_marks": len(per_child), "possible_sessions": cohort.possible_sessions,
            "percentage": cohort.percentage, "persistent_absence": persistent,
            "persistent_absence_percent": percent(persistent, len(per_child)), "severe_absence": severe,
            "national_percentage": settings.attendance_national_percent,
            "national_persistent_absence_percent": settings.attendance_national_persistent_percent,
            "national_source": settings.attendance_national_source}


def _subject_access(session: Session, start: dt.date, until: dt.date, as_of: dt.date) -> dict[str, int]:
    """Subject access requests received in the period, and how they stood on ``as_of``: answered in
    time or late, extended, still open, overdue (issue 43)."""
    counts = {"received": 0, "extended": 0, "answered_in_time": 0, "answered_late": 0, "open": 0, "overdue": 0}
    for received, due, extended, answered in session.execute(
            select(SubjectAccessRequest.received_on, SubjectAccessRequest.due_on, SubjectAccessRequest.extended_to,
                   SubjectAccessRequest.answered_on).where(SubjectAccessRequest.received_on >= start,
                                                           SubjectAccessRequest.received_on <= until)):
        counts["received"] += 1
        last = extended or due
        counts["extended"] += extended is not None
        if answered is not None and answered <= as_of:
            counts["answered_in_time" if answered <= last else "answered_late"] += 1
        else:
            counts["open"] += 1
            counts["overdue"] += as_of > last
    return counts


def _pp_plus_impact(session: Session, start: dt.date, until: dt.date, as_of: dt.date) -> dict[str, dict[str, Any]]:
    """The Pupil Premium Plus approved against targets in the period, by category, beside how those
    targets' reviews at the next PEP went by ``as_of`` (a review after it is "not yet reviewed", so a
    report as of a past date stays as it was)."""
    impact: dict[str, dict[str, Any]] = defaultdict(lambda: {"spent": 0, "targets_funded": 0, "met": 0,
                                                             "partly_met": 0, "not_met": 0, "not_reviewed": 0})
    for category, approved, review, review_on in session.execute(
            select(PpPlusLine.category, PpPlusLine.approved_pence, PpPlusLine.outcome, PpPlusLine.outcome_on).where(
                PpPlusLine.kind == "request", PpPlusLine.status.in_(("approved", "part_approved")),
                PpPlusLine.decided_on >= start, PpPlusLine.decided_on <= until)):
        figures = impact[category]
        figures["spent"] += approved
        figures["targets_funded"] += 1
        reviewed = review in ("met", "partly_met", "not_met") and review_on is not None and review_on <= as_of
        figures[review if reviewed else "not_reviewed"] += 1
    for figures in impact.values():
        figures["spent"] = round(figures["spent"] / 100, 2)
    return {k: impact[k] for k in sorted(impact)}


def _pep_qa(session: Session, config: Config, start: dt.date, end: dt.date) -> dict[str, Any]:
    """What quality assurance measured, for PEPs written in pepflow (config/pep.toml): each
    section's grades by the term the PEP was approved in, the sections sent back and how often,
    and last term's targets as the next meetings reviewed them (met, partly, not met)."""
    template = config.pep_template
    titles = {s.key: s.title for s in template.sections}
    P, S = Pep.__table__.c, PepSection.__table__.c
    grades: dict[str, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for day, section, grade, n in session.execute(
            select(P.approved_on, S.section, S.qa_grade, func.count()).join(Pep.__table__, P.id == S.pep_id)
            .where(P.approved_on >= start, P.approved_on <= end, S.qa_grade != "")
            .group_by(P.approved_on, S.section, S.qa_grade)):
        grades[_term_label(config, day)][titles.get(section, section)][grade] += n
    returned = Counter()
    for section, n in session.execute(select(S.section, func.sum(S.returned_count)).join(
            Pep.__table__, P.id == S.pep_id).where(S.returned_count > 0, P.state_changed_on >= start,
                                                    P.state_changed_on <= end).group_by(S.section)):
        returned[titles.get(section, section)] += int(n or 0)
    reviewed: Counter = Counter()
    carried = [(s.key, f.key) for s in template.sections for f in s.fields
               if f.carry_from and any(c.key == "outcome" for c in f.columns)]
    for key, field in carried:
        for values, in session.execute(select(S["values"]).join(Pep.__table__, P.id == S.pep_id).where(
                S.section == key, P.meeting_held_on >= start, P.meeting_held_on <= end)):
            for row in (values or {}).get(field) or []:
                if isinstance(row, dict) and row.get("outcome"):
                    reviewed[row["outcome"]] += 1
    return {"grades_by_term": {term: {section: dict(sorted(c.items())) for section, c in sorted(by.items())}
                               for term, by in sorted(grades.items())},
            "sections_returned": dict(sorted(returned.items())),
            "last_terms_targets": dict(sorted(reviewed.items()))}


def _natural(label: str) -> tuple:
    """'Year 2' before 'Year 10'."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", label))


def _breakdowns(groups: list[RollGroup], as_of: dt.date) -> dict[str, list[dict[str, Any]]]:
    """The up-to-date PEP rate by group; characteristics as recorded on the child now."""
    def year_of(g: RollGroup) -> int:  # every child born in one school year is in one year group
        return year_group(dt.date(g.born_in_school_year, 9, 1), as_of)

    dimensions: dict[str, Callable[[RollGroup], str]] = {
        "key_stage": lambda g: key_stage(year_of(g)),
        "year_group": lambda g: year_group_label(year_of(g)),
        "sen_status": lambda g: g.sen_status,
        "legal_status": lambda g: g.legal_status,
        "placement_type": lambda g: g.placement_type or "not recorded",
        "area": lambda g: "in area" if g.in_area else "out of area",
        "school_ofsted": lambda g: g.school_ofsted,
    }
    out = {}
    for name, group_of in dimensions.items():
        children: Counter = Counter()
        current: Counter = Counter()
        for g in groups:
            children[group_of(g)] += g.children
            current[group_of(g)] += g.up_to_date
        out[name] = [{"group": k, "children": children[k], "up_to_date_pep": current[k],
                      "percent": percent(current[k], children[k])} for k in sorted(children, key=_natural)]
    return out
