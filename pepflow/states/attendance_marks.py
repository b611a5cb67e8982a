"""What the register's marks mean for each child (issue 41 items 2-5): their figures for any period,
the half term's band worked out as the marks arrive (the stages and their clocks as before:
``states.attendance.record_band``), and the alerts raised the same day, each once with the marks
that raised it: absent without a reason for a run of sessions, sent home (``E``) with no suspension
recorded (the sign of an unlawful exclusion), and a part-time mark (``C2``) with no part-time
timetable recorded, or after it ended.  Alerts are items for the social worker and VS admin (and
the designated teacher, for a missing reason) on My work."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select

from pepflow.audit import audit
from pepflow.calendars import HalfTerm, format_day
from pepflow.errors import CalendarRangeError
from pepflow.config import Config
from pepflow.db.models import (AttendanceAlert, AttendanceMark, AttendanceRecord, AttendanceTotal, Child, Deadline,
                               Suspension)
from pepflow.db.unit import UnitOfWork
from pepflow.engine.deadlines import calendar_for, open_flag, owner_for
from pepflow.rules.attendance_figures import AttendanceFigures, added, figures_from
from pepflow.states.attendance import band, record_band

LOOK_BACK_DAYS = 42  # the marks an import's alerts look at: six weeks before its latest mark
OWNERS = {"attendance_no_reason": ("social_worker", "vs_admin", "designated_teacher"),
          "attendance_sent_home": ("social_worker", "vs_admin"),
          "attendance_part_time": ("social_worker", "vs_admin")}


def counts(session: UnitOfWork, child_ref: str, start: dt.date, end: dt.date) -> dict[str, int]:
    """Sessions by category for a child over a period: the marks, and totals wholly inside it
    (attending totals count as attending; totals name no approved activity or not-possible session)."""
    marked = dict(session.execute(
        select(AttendanceMark.category, func.count()).where(
            AttendanceMark.child_ref == child_ref, AttendanceMark.day >= start, AttendanceMark.day <= end)
        .group_by(AttendanceMark.category)).all())
    totals = session.execute(select(func.coalesce(func.sum(AttendanceTotal.attending), 0),
                                    func.coalesce(func.sum(AttendanceTotal.authorised), 0),
                                    func.coalesce(func.sum(AttendanceTotal.unauthorised), 0)).where(
        AttendanceTotal.child_ref == child_ref, AttendanceTotal.start >= start, AttendanceTotal.end <= end)).one()
    return added(marked, {"attending": int(totals[0]), "authorised_absence": int(totals[1]),
                          "unauthorised_absence": int(totals[2])})


def figures(session: UnitOfWork, child_ref: str, start: dt.date, end: dt.date) -> AttendanceFigures:
    return figures_from(counts(session, child_ref, start, end))


def has_marks(session: UnitOfWork, child_ref: str) -> bool:
    return session.execute(select(AttendanceMark.day).where(AttendanceMark.child_ref == child_ref).limit(1)).first() \
        is not None


def by_week(session: UnitOfWork, child_ref: str, start: dt.date, end: dt.date) -> list[tuple[dt.date, AttendanceFigures]]:
    """Each week's figures (weeks starting on Monday) with a possible session, oldest first: the
    child page's chart."""
    weeks: dict[dt.date, dict[str, int]] = defaultdict(dict)
    for day, category, count in session.execute(
            select(AttendanceMark.day, AttendanceMark.category, func.count()).where(
                AttendanceMark.child_ref == child_ref, AttendanceMark.day >= start, AttendanceMark.day <= end)
            .group_by(AttendanceMark.day, AttendanceMark.category)):
        monday = day - dt.timedelta(days=day.weekday())
        weeks[monday][category] = weeks[monday].get(category, 0) + count
    return [(monday, figures_from(weeks[monday])) for monday in sorted(weeks)
            if figures_from(weeks[monday]).possible_sessions]


@dataclass
class AfterImport:
    bands: int = 0
    alerts: int = 0
    messages: list[str] | None = None


CHUNK = 500


def after_import(session: UnitOfWork, config: Config, written: list[tuple[str, dt.date, str, str, str, str]],
                 today: dt.date) -> AfterImport:
    """The half terms' bands and the alerts for the children whose marks an import added or changed.

    Read a chunk of children at a time (their rows, their half terms' counts, their latest records,
    their recent marks), so a day's marks for 10,000 children act in a few dozen queries
    (bench/attendance.py); a band is written as a new record only when it changes (the stage-1
    task with it), else the half term's record from the marks is brought up to date."""
    result = AfterImport(messages=[])
    by_child: dict[str, list[dt.date]] = defaultdict(list)
    for ref, day, *_ in written:
        by_child[ref].append(day)
    rules = config.attendance_codes.alerts
    refs = sorted(by_child)
    terms_of: dict[str | None, list[HalfTerm]] = {}
    for start in range(0, len(refs), CHUNK):
        part = refs[start:start + CHUNK]
        children = {c.ref: c for c in session.execute(select(Child).where(Child.ref.in_(part))).scalars()}
        halves: dict[str, list[HalfTerm]] = {}
        wanted: dict[tuple[dt.date, dt.date], list[str]] = defaultdict(list)
        for ref in part:
            if ref not in children:
                continue
            urn = children[ref].school_urn
            if urn not in terms_of:  # a school's half terms, worked out once an import
                terms_of[urn] = calendar_for(session, config, children[ref]).half_terms()
            found = {h.key: h for h in (_half_term(terms_of[urn], day) for day in by_child[ref]) if h is not None}
            halves[ref] = sorted(found.values(), key=lambda h: h.start)
            for h in halves[ref]:
                wanted[(h.start, min(h.end, today))].append(ref)
        counted = _counts_of(session, wanted)
        latest = _latest_records(session, part)
        for ref in part:
            for half in halves.get(ref, ()):
                shown = figures_from(counted.get((ref, half.start), {}))
                if shown.percentage is None:
                    continue
                result.bands += _band(session, config, children[ref], half, shown.percentage, latest.get(ref), today,
                                      result.messages)
        marks = _recent_marks(session, part, {ref: max(by_child[ref]) for ref in part})
        for ref in part:
            if ref in children:
                result.alerts += _alerts(session, config, rules, children[ref], marks.get(ref, []), today)
    return result


def _counts_of(session: UnitOfWork, wanted: dict[tuple[dt.date, dt.date], list[str]]
               ) -> dict[tuple[str, dt.date], dict[str, int]]:
    """Sessions by category for each (child, half term's first day), marks and totals, by period."""
    out: dict[tuple[str, dt.date], dict[str, int]] = defaultdict(dict)
    for (first, last), refs in wanted.items():
        for ref, category, count in session.execute(
                select(AttendanceMark.child_ref, AttendanceMark.category, func.count()).where(
                    AttendanceMark.child_ref.in_(refs), AttendanceMark.day >= first, AttendanceMark.day <= last)
                .group_by(AttendanceMark.child_ref, AttendanceMark.category)):
            out[(ref, first)][category] = count
        for ref, attending, authorised, unauthorised in session.execute(
                select(AttendanceTotal.child_ref, AttendanceTotal.attending, AttendanceTotal.authorised,
                       AttendanceTotal.unauthorised).where(AttendanceTotal.child_ref.in_(refs),
                                                           AttendanceTotal.start >= first, AttendanceTotal.end <= last)):
            out[(ref, first)] = added(out[(ref, first)], {"attending": attending, "authorised_absence": authorised,
                                                          "unauthorised_absence": unauthorised})
    return out


def _latest_records(session: UnitOfWork, refs: list[str]) -> dict[str, AttendanceRecord]:
    """Each child's latest attendance record (the band a change is measured from)."""
    latest: dict[str, AttendanceRecord] = {}
    for record in session.execute(select(AttendanceRecord).where(AttendanceRecord.child_ref.in_(refs))
                                  .order_by(AttendanceRecord.recorded_on, AttendanceRecord.id)).scalars():
        latest[record.child_ref] = record
    return latest


def _band(session: UnitOfWork, config: Config, child: Child, half: HalfTerm, percent: float,
          last: AttendanceRecord | None, today: dt.date, messages: list[str]) -> int:
    """Write the half term's figure: a new record when the band changes (or the half term has none
    yet), with what the stages make of it; else the latest record brought up to date."""
    if last is not None and last.half_term == half.key and last.band == band(percent, config.settings):
        if abs(last.percent - percent) >= 0.05 or last.recorded_on != today:
            last.percent, last.recorded_on = percent, today
            session.add(last)
            return 1
        return 0
    _, _, said = record_band(session, config, child, half, percent, today)
    messages.extend(f"{child.ref}: {m}" for m in said[1:])
    return 1


def _recent_marks(session: UnitOfWork, refs: list[str], latest: dict[str, dt.date]
                  ) -> dict[str, list[tuple[dt.date, str, str]]]:
    """Each child's possible sessions in the weeks before their latest mark, in register order."""
    since = min(latest.values()) - dt.timedelta(days=LOOK_BACK_DAYS)
    out: dict[str, list[tuple[dt.date, str, str]]] = defaultdict(list)
    for ref, day, session_name, code in session.execute(
            select(AttendanceMark.child_ref, AttendanceMark.day, AttendanceMark.session, AttendanceMark.code).where(
                AttendanceMark.child_ref.in_(refs), AttendanceMark.day >= since,
                AttendanceMark.category != "not_possible")
            .order_by(AttendanceMark.child_ref, AttendanceMark.day, AttendanceMark.session)):
        if day >= latest[ref] - dt.timedelta(days=LOOK_BACK_DAYS) and day <= latest[ref]:
            out[ref].append((day, session_name, code))
    return out


def _half_term(halves: list[HalfTerm], day: dt.date) -> HalfTerm | None:
    return next((h for h in halves if h.start <= day <= h.end), None)


# ---- alerts -------------------------------------------------------------------------------

def _alerts(session: UnitOfWork, config: Config, rules, child: Child, marks: list[tuple[dt.date, str, str]],
            today: dt.date) -> int:
    """The alerts a child's recent marks raise (each once): checked against the records only where
    the marks hold a sent-home or part-time code."""
    raised = 0
    for run in _runs(marks, set(rules.no_reason)):
        if len(run) >= rules.no_reason_in_a_row:
            raised += _raise(session, config, child, "attendance_no_reason", run, today,
                             f"absent without a reason for {len(run)} sessions in a row from {_when(run[0])}: "
                             "find out why")
    for run in _runs(marks, set(rules.sent_home)):
        unrecorded = [m for m in run if not _suspended(session, config, child, m[0])]
        if unrecorded:
            raised += _raise(session, config, child, "attendance_sent_home", unrecorded, today,
                             f"marked E (sent home: suspended or excluded, no provision) from {_when(unrecorded[0])} "
                             "with no suspension recorded: the sign of an unlawful exclusion")
    for run in _runs(marks, set(rules.part_time)):
        timetable = _timetable(session, child.ref)
        outside = [m for m in run if timetable is None or (timetable[1] is not None and m[0] > timetable[1])]
        if outside:
            why = ("after the part-time timetable ended on " + format_day(timetable[1])) if timetable else \
                "with no part-time timetable recorded"
            raised += _raise(session, config, child, "attendance_part_time", outside, today,
                             f"marked C2 (part-time timetable) from {_when(outside[0])} {why}: record it "
                             "(ptt_recorded) or ask the school why")
    return raised


def _runs(marks: list[tuple[dt.date, str, str]], codes: set[str]) -> list[list[tuple[dt.date, str, str]]]:
    """Runs of consecutive sessions (in register order) whose codes are among ``codes``."""
    runs, current = [], []
    for mark in marks:
        if mark[2] in codes:
            current.append(mark)
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def _when(mark: tuple[dt.date, str, str]) -> str:
    return f"{format_day(mark[0])} {mark[1]}"


def _suspended(session: UnitOfWork, config: Config, child: Child, day: dt.date) -> bool:
    cal = calendar_for(session, config, child)
    for first, days in session.execute(select(Suspension.first_day, Suspension.days).where(
            Suspension.child_ref == child.ref, Suspension.first_day <= day)):
        try:
            last = cal.add(first, max(days - 1, 0), "school") if days > 1 else first
        except CalendarRangeError:  # beyond the calendar's term dates: count it as running
            return True
        if day <= last:
            return True
    return False


def _timetable(session: UnitOfWork, child_ref: str) -> tuple[dt.date, dt.date | None] | None:
    """The part-time timetable recorded for the child: (started, ended or None), the latest."""
    row = session.execute(select(Deadline.opened_on, Deadline.closed_on, Deadline.status, Deadline.close_reason).where(
        Deadline.child_ref == child_ref, Deadline.kind == "ptt_review").order_by(Deadline.id.desc()).limit(1)).first()
    if row is None:
        return None
    first = session.execute(select(func.min(Deadline.opened_on)).where(
        Deadline.child_ref == child_ref, Deadline.kind == "ptt_review")).scalar()
    return first, (None if row.status == "open" else row.closed_on)


def _raise(session: UnitOfWork, config: Config, child: Child, kind: str, marks: list[tuple[dt.date, str, str]],
           today: dt.date, note: str) -> int:
    first_day, first_session, _ = marks[0]
    held = session.execute(select(AttendanceAlert).where(
        AttendanceAlert.child_ref == child.ref, AttendanceAlert.kind == kind, AttendanceAlert.first_day == first_day,
        AttendanceAlert.first_session == first_session)).scalar_one_or_none()
    shown = [f"{d.isoformat()} {s} {c}" for d, s, c in marks[:60]]
    if held is not None:  # raised already: the run may have grown; the marks are kept up to date
        if held.marks != shown:
            held.marks = shown
        return 0
    session.add(AttendanceAlert(child_ref=child.ref, kind=kind, first_day=first_day, first_session=first_session,
                                marks=shown, raised_on=today))
    for role in OWNERS[kind]:
        flag = open_flag(session, config, child, kind, today, role, note, process="attendance")
        flag.owner_ref = owner_for(session, child, role)
    audit(session, child.ref, "attendance", "attendance_alert_raised", today,
          {"alert": kind, "marks": shown, "note": note})
    return 1
