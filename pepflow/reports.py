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
from typing import Any

from sqlalchemy import and_, case, func, literal
from sqlmodel import Session, select

from .cohort import key_stage, year_group, year_group_label
from .config import Config
from .db.planner import not_for_index
from .db.models import (Admission, AttendanceRecord, Child, Deadline, Event, Exclusion, PpPlusRequest, School,
                        Suspension)
from .states.pep import REVIEW_KINDS
from .deadlines import CLOSED_STATUSES, OverdueOn, calendar_for

SMALL_GROUP = 5
REPORT_VERSION = 1


def percent(part: int, whole: int) -> float | None:
    """A percentage, or None for a group too small to show one."""
    return round(100 * part / whole, 1) if whole >= SMALL_GROUP else None


def outcome(d: Any, as_of: dt.date) -> str:
    """A deadline's outcome judged on ``as_of`` (``d`` is a Deadline or a row of its columns)."""
    if d.closed_on is not None and d.closed_on <= as_of and d.status != "open":
        return d.status
    return "breached" if d.due_on < as_of else "pending"


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
        from .calendars import academic_year_of
        return academic_year_of(day)


def compliance(session: Session, config: Config, start: dt.date, end: dt.date, as_of: dt.date) -> dict[str, Any]:
    """Every figure, read with a few column queries (no ORM objects for the big tables)."""
    C, D, E = Child.__table__.c, Deadline.__table__.c, Event.__table__.c
    roll = session.execute(select(C.ref, C.dob, C.in_area, C.sen_status, C.legal_status, C.placement_type,
                                  C.school_urn).where(C.entered_care <= as_of)
                           .where((C.left_care_on.is_(None)) | (C.left_care_on > as_of))).all()
    schools = {s.urn: s for s in session.exec(select(School))}
    # children whose PEP was overdue (or whose record was incomplete) at as_of: those whose
    # deadline is still open, read from the covering index (status, kind, due_on, child_ref, …),
    # and those whose deadline was open then and closed since (through the closed_on index)
    review = REVIEW_KINDS + ("record_incomplete",)
    behind = set(session.execute(select(D.child_ref).where(
        D.status == "open", D.due_on < as_of, D.kind.in_(REVIEW_KINDS))).scalars())
    behind |= set(session.execute(select(D.child_ref).where(
        D.status == "open", D.kind == "record_incomplete", D.opened_on <= as_of)).scalars())
    behind |= set(session.execute(select(D.child_ref).where(
        D.closed_on > as_of, D.status != "open", D.kind.in_(review), D.opened_on <= as_of,
        (D.due_on < as_of) | (D.kind == "record_incomplete"))).scalars())
    current = {c.ref for c in roll} - behind
    # ---- every timescale due in the period, by outcome: counted by the database ---------
    timescales, late_counts = _timescale_outcomes(session, start, end, as_of)
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
    rating = E.payload["rating"].as_string()
    for day, rated, n in session.execute(select(E.effective_on, rating, func.count())
                                         .where(E.name == "pep_approved", *in_period)
                                         .group_by(E.effective_on, rating)):
        ratings[_term_label(config, day)][rated or "unknown"] += n
    emergencies = session.execute(select(func.count()).select_from(Event).where(
        E.name == "care_placement_changed", *in_period, E.payload["emergency"].as_boolean())).scalar_one()

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
        D.status.in_(("open",) + CLOSED_STATUSES),  # every status: lets the (status, kind) index find them
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
    suspensions = list(session.exec(select(Suspension).where(Suspension.first_day >= start,
                                                             Suspension.first_day <= end)))
    exclusions = list(session.exec(select(Exclusion).where(Exclusion.excluded_on >= start,
                                                           Exclusion.excluded_on <= end)))
    months = Counter(s.first_day.strftime("%Y-%m") for s in suspensions)
    A = AttendanceRecord.__table__.c
    latest: dict[str, str] = {}
    for child_ref, band in session.execute(select(A.child_ref, A.band).where(
            A.recorded_on >= start, A.recorded_on <= min(end, as_of)).order_by(A.recorded_on, A.id)):
        latest[child_ref] = band
    pp: dict[str, dict[str, int]] = defaultdict(lambda: {"approved": 0, "amount": 0})
    for r in session.exec(select(PpPlusRequest).where(
            PpPlusRequest.status == "approved", PpPlusRequest.decided_on >= start,
            PpPlusRequest.decided_on <= min(end, as_of))):
        if r.decided_on:
            pp[r.term]["approved"] += 1
            pp[r.term]["amount"] += r.amount

    return {
        "report": "compliance", "version": REPORT_VERSION, "authority": config.settings.authority_name,
        "from": start.isoformat(), "to": end.isoformat(), "as_of": as_of.isoformat(),
        "roll": {"children_on_roll": len(roll), "up_to_date_pep": len(current),
                 "up_to_date_percent": percent(len(current), len(roll)),
                 "out_of_area": sum(1 for c in roll if not c.in_area)},
        "timescales": dict(sorted(timescales.items())),
        "pep_meetings_per_term": dict(sorted(meetings.items())),
        "qa_ratings_per_term": {k: dict(sorted(v.items())) for k, v in sorted(ratings.items())},
        "admissions": admissions_section,
        "exclusions": {"suspensions": len(suspensions), "suspension_days": sum(s.days for s in suspensions),
                       "suspensions_by_month": dict(sorted(months.items())),
                       "permanent_exclusions": len(exclusions),
                       "with_pre_exclusion_meeting": sum(1 for x in exclusions if not x.no_pre_exclusion_meeting)},
        "attendance_bands": dict(sorted(Counter(latest.values()).items())),
        "pp_plus_approved_per_term": {k: v for k, v in sorted(pp.items())},
        "breakdowns": _breakdowns(roll, current, schools, as_of),
    }


def _timescale_outcomes(session: Session, start: dt.date, end: dt.date, as_of: dt.date
                        ) -> tuple[dict[str, dict[str, Any]], dict[str, Counter]]:
    """Deadlines due in the period by kind and outcome as of ``as_of``, and days late.

    A deadline's outcome is its closing status if it was closed by ``as_of``, else breached
    (past due) or pending.  Counting that row by row is a sort of every deadline (3 s for
    1.2 million on SQLite); instead the counts by status and kind stream from the index
    (status, kind, due_on, …), and the few rows closed after ``as_of`` are moved back to
    breached or pending (bench/report.py)."""
    D = Deadline.__table__.c
    in_period = (D.due_on >= start, D.due_on <= end)
    overdue_then = case((D.due_on < as_of, 1), else_=0)
    timescales: dict[str, dict[str, Any]] = {}
    flags: set[str] = set()  # kinds with items no rule governs (rule_version ""): not timescales
    several: set[str] = set()  # kinds judged by more than one rule version in the period
    for status, kind, version, unit, n, overdue, last_version in session.execute(
            select(D.status, D.kind, func.min(D.rule_version), func.min(D.unit), func.count(),
                   func.sum(overdue_then), func.max(D.rule_version))
            .where(*in_period).group_by(D.status, D.kind)):
        entry = timescales.setdefault(kind, {"kind": kind, "unit": unit, "outcomes": Counter(),
                                             "rule_versions": set()})
        entry["rule_versions"] |= {v for v in (version, last_version) if v}
        if version == "":
            flags.add(kind)
        if version != last_version:
            several.add(kind)
        outcomes = entry["outcomes"]
        if status == "open":
            outcomes["breached"] += overdue
            outcomes["pending"] += n - overdue
        else:
            outcomes[status] += n
    for kind in [k for k, entry in timescales.items() if not entry["rule_versions"]]:
        del timescales[kind]  # only flags
    if several:  # a version between the first and the last: ask for the whole list
        for kind, version in session.execute(select(D.kind, D.rule_version).distinct().where(
                D.status.in_(("open",) + CLOSED_STATUSES), D.kind.in_(several), *in_period)):
            if version and kind in timescales:
                timescales[kind]["rule_versions"].add(version)
    # the days late of the deadlines met late, from the covering (status, kind, …) index ...
    late_counts: dict[str, Counter] = defaultdict(Counter)
    for kind, days_late, n in session.execute(
            select(D.kind, D.days_late, func.count())
            .where(D.status == "met_late", *in_period, D.rule_version != "", D.days_late.is_not(None))
            .group_by(D.kind, D.days_late)):
        if kind in timescales:
            late_counts[kind][days_late] += n
    # ... less those closed after as_of, which were still open then (found through the
    # closed_on index; there are none when the report is as of today)
    # (SQLite with statistics would rather scan the (status, kind, due_on) index and look up
    # every row of the period for its closed_on: 3.3 s of a 6.6 s report at 1,200,000
    # deadlines, bench/report.py; so status and due_on are not offered to it for an index)
    due = not_for_index(D.due_on)
    for status, kind, version, overdue, days_late, n in session.execute(
            select(D.status, D.kind, D.rule_version, overdue_then, D.days_late, func.count())
            .where(D.closed_on > as_of, not_for_index(D.status) != "open", due >= start, due <= end)
            .group_by(D.status, D.kind, D.rule_version, overdue_then, D.days_late)):
        if kind not in timescales:
            continue
        outcomes = timescales[kind]["outcomes"]  # flags too: they are taken out below as they stood then
        outcomes[status] -= n
        outcomes["breached" if overdue else "pending"] += n
        if status == "met_late" and version != "" and days_late is not None:
            late_counts[kind][days_late] -= n
            if not late_counts[kind][days_late]:
                del late_counts[kind][days_late]
    mixed = flags & set(timescales)
    if mixed:  # a kind used both by a rule and as a flag: take the flags back out
        judged_as = case((and_(D.closed_on.is_not(None), D.closed_on <= as_of, D.status != "open"), D.status),
                         (D.due_on < as_of, literal("breached")), else_=literal("pending"))
        for kind, result, n in session.execute(
                select(D.kind, judged_as, func.count()).where(*in_period, D.rule_version == "", D.kind.in_(mixed))
                .group_by(D.kind, judged_as)):
            timescales[kind]["outcomes"][result] -= n
    return timescales, late_counts


def _natural(label: str) -> tuple:
    """'Year 2' before 'Year 10'."""
    import re
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", label))


def _breakdowns(roll: list[Any], current: set[str], schools: dict[str, School], as_of: dt.date
                ) -> dict[str, list[dict[str, Any]]]:
    """The up-to-date PEP rate by group; characteristics as recorded on the child now.

    Each dimension is one list of group names counted by ``Counter`` with the children's
    up-to-date flags (100,000 children in a fraction of a second: bench/report.py)."""
    by_dob = {dob: year_group(dob, as_of) for dob in {c.dob for c in roll}}
    groups = [by_dob[c.dob] for c in roll]
    ofsted = {urn: school.ofsted for urn, school in schools.items()}
    stage = {g: key_stage(g) for g in set(groups)}
    label = {g: year_group_label(g) for g in set(groups)}
    dimensions = {
        "key_stage": [stage[g] for g in groups],
        "year_group": [label[g] for g in groups],
        "sen_status": [c.sen_status for c in roll],
        "legal_status": [c.legal_status for c in roll],
        "placement_type": [c.placement_type or "not recorded" for c in roll],
        "area": ["in area" if c.in_area else "out of area" for c in roll],
        "school_ofsted": [ofsted.get(c.school_urn, "no school") for c in roll],
    }
    up_to_date = [c.ref in current for c in roll]
    out = {}
    for name, values in dimensions.items():
        counted = Counter(zip(values, up_to_date))
        totals: Counter = Counter()
        for (g, _), n in counted.items():
            totals[g] += n
        out[name] = [{"group": g, "children": totals[g], "up_to_date_pep": counted[(g, True)],
                      "percent": percent(counted[(g, True)], totals[g])} for g in sorted(totals, key=_natural)]
    return out


EXPORT_COLUMNS = ("child_ref", "kind", "process", "start", "due", "closed", "outcome", "units_late", "late_unit",
                  "unit", "rule", "rule_version", "owner_role", "close_reason")


def export_deadlines(session: Session, config: Config, start: dt.date, end: dt.date, as_of: dt.date):
    """One row per deadline due in the period, with its outcome as of ``as_of`` (for CSV):
    how late it was met, or for a breach how overdue it is on ``as_of`` (``how_late``)."""
    D = Deadline.__table__.c
    rows = session.execute(select(D.child_ref, D.kind, D.process, D.opened_on, D.due_on, D.closed_on, D.status,
                                  D.days_late, D.late_unit, D.unit, D.rule_key, D.rule_version, D.owner_role,
                                  D.close_reason, D.calendar, Child.school_urn)
                           .join(Child, Child.ref == D.child_ref)
                           .where(D.due_on >= start, D.due_on <= end).order_by(D.due_on, D.id))
    overdue = OverdueOn(config, as_of)
    for d in rows:
        result = outcome(d, as_of)
        late: tuple[Any, Any] = ("", "")
        if result == "met_late":
            late = (d.days_late, d.late_unit)
        elif result == "breached":
            now = overdue.of(d)
            late = (now.count, now.unit)
        yield (d.child_ref, d.kind, d.process, d.opened_on.isoformat(), d.due_on.isoformat(),
               d.closed_on.isoformat() if d.closed_on and d.closed_on <= as_of else "", result, *late,
               d.unit, d.rule_key, d.rule_version, d.owner_role, d.close_reason if d.closed_on else "")
