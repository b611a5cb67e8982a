"""Attendance: percentages per half term, bands, and the three-stage approach.

Bands (settings in pepflow.toml): good at or above 95%, persistent absence at or below 90%,
severe at or below 50% (003 Essex guide; (guidance) Working together to improve school
attendance, 2024).  Dropping into persistent absence gives the VS inclusion officer a
stage-1 task.  Stages (004 Southwark three-stage approach): 1 initial action, 2 formal
action, 3 statutory action with an education legal planning meeting within 20 school days
of the consultation and reports due 5 days before it.  A part-time timetable or
alternative provision recorded in the PEP is reviewed every half term (``ptt_review``).
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from pepflow.calendars import Calendar, HalfTerm, academic_year_of, format_day
from pepflow.engine.events import CaseNow, EventContext, EventSpec, Outcome, Param, register
from pepflow.values import choice, date_value, free_text, percent, text, yes_no
from pepflow.config import Settings
from pepflow.db.models import AttendanceRecord
from pepflow.engine.deadlines import calendar_for, close_open, open_deadline, open_flag
from pepflow.errors import InputError

BANDS = ("good", "below_good", "persistent_absence", "severe_absence")


def band(percent: float, settings: Settings) -> str:
    """The attendance band of a percentage of sessions attended."""
    if percent <= settings.attendance_severe:
        return "severe_absence"
    if percent <= settings.attendance_persistent:
        return "persistent_absence"
    if percent >= settings.attendance_good:
        return "good"
    return "below_good"


def _squashed(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def half_terms_to_report(cal: Calendar, on: dt.date, count: int = 6) -> list[HalfTerm]:
    """The half terms attendance may be recorded for on ``on``: those begun by then, newest first."""
    return [h for h in reversed(cal.half_terms()) if h.start <= on][:count]


def half_term_of(cal: Calendar, written: str, on: dt.date) -> HalfTerm:
    """The calendar's half term a person named ("autumn 1 2026-27", "Autumn 1", "2026-27-autumn-1"):
    one of the child's school's calendar, never free text, so one half term has one name."""
    wanted = _squashed(written)
    year = academic_year_of(on)
    for h in cal.half_terms():
        names = {_squashed(h.key), _squashed(h.label)}
        if h.academic_year_matches(year):
            names.add(_squashed(h.label.rsplit(" ", 1)[0]))  # "autumn 1" in the event's school year
        if wanted in names:
            if h.start > on:
                raise InputError("half_term", written, f"{h.label} has not begun by {format_day(on)}")
            return h
    recent = ", ".join(h.label for h in half_terms_to_report(cal, on))
    raise InputError("half_term", written, f"is not a half term of the school's calendar (recent ones: {recent})")


def on_attendance_recorded(ctx: EventContext) -> Outcome:
    half = half_term_of(calendar_for(ctx.session, ctx.config, ctx.child), ctx.params["half_term"], ctx.on)
    before, after, messages = record_band(ctx.session, ctx.config, ctx.child, half, ctx.params["percent"], ctx.on)
    return Outcome("attendance", None, before, after, messages=messages)


def record_band(session, config, child, half: HalfTerm, percent: float, on: dt.date
                ) -> tuple[str | None, str, list[str]]:
    """A half term's percentage and its band, typed by hand (``attendance_recorded``) or worked out
    from the register's marks (``states/attendance_marks.py``): falling into persistent absence gives
    the VS inclusion officer a stage-1 task.  Returns the band before, the band now and what to say."""
    new_band = band(percent, config.settings)
    previous = session.exec(select(AttendanceRecord).where(AttendanceRecord.child_ref == child.ref)
                            .order_by(AttendanceRecord.recorded_on.desc(), AttendanceRecord.id.desc())).first()
    session.add(AttendanceRecord(child_ref=child.ref, half_term=half.key, percent=percent, band=new_band,
                                 recorded_on=on))
    messages = [f"Attendance {half.label}: {percent:.1f}%, {new_band.replace('_', ' ')}."]
    was_persistent = previous is not None and previous.band in ("persistent_absence", "severe_absence")
    if new_band in ("persistent_absence", "severe_absence") and not was_persistent:
        open_flag(session, config, child, "attendance_stage_1", on, "vs_officer",
                  f"attendance fell to {percent:.1f}% ({new_band.replace('_', ' ')}): start stage 1 "
                  "(initial action: review meeting, plan, timescale)", process="attendance")
        messages.append("Persistent absence: a stage-1 task for the VS inclusion officer.")
    return (previous.band if previous else None), new_band, messages


def on_stage_started(ctx: EventContext) -> Outcome:
    stage = ctx.params["stage"]
    review = ctx.params["review_date"]
    if review < ctx.on:
        raise InputError("review_date", format_day(review), "is before the stage starts")
    close_open(ctx.session, ctx.config, ctx.child, [f"attendance_stage_{stage}"], ctx.on, process="attendance")
    open_flag(ctx.session, ctx.config, ctx.child, f"attendance_stage_{stage}_review", ctx.on, "vs_officer",
              f"review of attendance stage {stage}", process="attendance", due_on=review)
    messages = [f"Stage {stage} started; review due {format_day(review)}."]
    if stage == "3":
        meeting = open_deadline(ctx.session, ctx.config, ctx.child, "attendance_legal_planning", ctx.on,
                                "attendance", opened_on=ctx.on)
        cal = calendar_for(ctx.session, ctx.config, ctx.child)
        reports_due = cal.add(meeting.due_on, -5, "school")
        open_flag(ctx.session, ctx.config, ctx.child, "attendance_reports", ctx.on, "vs_officer",
                  "reports for the education legal planning meeting (5 days before it)", process="attendance",
                  due_on=reports_due)
        messages.append(f"Legal planning meeting due by {format_day(meeting.due_on)}; reports by "
                        f"{format_day(reports_due)}.")
    return Outcome("attendance", None, None, f"stage_{stage}", messages=messages)


def on_stage_reviewed(ctx: EventContext) -> Outcome:
    stage = ctx.params["stage"]
    closed = close_open(ctx.session, ctx.config, ctx.child, [f"attendance_stage_{stage}_review"], ctx.on,
                        process="attendance")
    if not closed:
        raise InputError("stage", stage, f"no open review of stage {stage} for {ctx.child.ref}")
    return Outcome("attendance", None, f"stage_{stage}", f"stage_{stage}", messages=["Review recorded."])


def on_legal_planning_meeting(ctx: EventContext) -> Outcome:
    close_open(ctx.session, ctx.config, ctx.child, ["attendance_legal_planning", "attendance_reports"], ctx.on,
               process="attendance")
    return Outcome("attendance", None, "stage_3", "stage_3")


def on_ptt_recorded(ctx: EventContext) -> Outcome:
    d = open_deadline(ctx.session, ctx.config, ctx.child, "ptt_review", ctx.on, "attendance",
                      note=f"{ctx.params['arrangement']}: {ctx.params['details']}")
    return Outcome("attendance", None, None, "part_time", messages=[f"Half-termly review due {format_day(d.due_on)}."])


def on_ptt_reviewed(ctx: EventContext) -> Outcome:
    closed = close_open(ctx.session, ctx.config, ctx.child, ["ptt_review"], ctx.on, process="attendance")
    if not closed:
        raise InputError("event", ctx.event, f"{ctx.child.ref} has no part-time timetable or provision to review")
    messages = []
    if ctx.params.get("continues", True):
        d = open_deadline(ctx.session, ctx.config, ctx.child, "ptt_review", ctx.on, "attendance",
                          note=closed[0].note)
        messages.append(f"Next review due {format_day(d.due_on)}.")
    return Outcome("attendance", None, "part_time", "part_time" if ctx.params.get("continues", True) else "full_time",
                   messages=messages)


def _while_a_stage_review_is_open(now: CaseNow, event: str) -> bool:
    return now.child.looked_after and any(k.startswith("attendance_stage_") and k.endswith("_review")
                                          for k in now.open_kinds)


def _while_open(kind: str):
    def offered(now: CaseNow, event: str) -> bool:
        return now.child.looked_after and kind in now.open_kinds
    offered.__doc__ = f"Offered while a {kind} deadline is open."
    return offered


for spec in (
    EventSpec("attendance_recorded", "attendance", on_attendance_recorded,
              (Param("half_term", text, True, "which half term of the school's calendar, e.g. autumn 1 2026-27",
                     half_term=True),
               Param("percent", percent, True, "sessions attended, percent"))),
    EventSpec("attendance_stage_started", "attendance", on_stage_started,
              (Param("stage", choice("1", "2", "3"), True, "1, 2 or 3"),
               Param("review_date", date_value, True, "when the stage is reviewed")), opens=("attendance_legal_planning",)),
    EventSpec("attendance_stage_reviewed", "attendance", on_stage_reviewed,
              (Param("stage", choice("1", "2", "3"), True, "1, 2 or 3"),), offered=_while_a_stage_review_is_open),
    EventSpec("attendance_legal_planning_held", "attendance", on_legal_planning_meeting, (),
              offered=_while_open("attendance_legal_planning")),
    EventSpec("ptt_recorded", "attendance", on_ptt_recorded,
              (Param("arrangement", choice("part_time_timetable", "alternative_provision"), True, "which"),
               Param("details", free_text, True, "hours and provider")), opens=("ptt_review",)),
    EventSpec("ptt_reviewed", "attendance", on_ptt_reviewed,
              (Param("continues", yes_no, False, "no if the child is back to full time"),),
              offered=_while_open("ptt_review"), opens=("ptt_review",)),
):
    register(spec)
