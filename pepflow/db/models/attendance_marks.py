"""Attendance from the register (issue 41): each session's mark as a school recorded it, totals for
those who send totals instead, each import, and the alerts the marks raised (once each).  A mark
keeps its code's category, so a child's figures for any period are one indexed GROUP BY."""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field

from pepflow.db.models.base import Table


class AttendanceMark(Table, table=True):
    """One session of one child at one school: ``AM`` or ``PM``, the register code and its category.
    A dual-registered child has a mark at each school (``D`` at the one they were not at)."""

    __tablename__ = "attendance_mark"
    # a child's marks over a period are one range of the primary key; the cohort's figures for a
    # period read the day index (bench/attendance.py)
    __table_args__ = (Index("ix_attendance_mark_day", "day", "category", "child_ref"),)
    child_ref: str = Field(foreign_key="child.ref", primary_key=True)
    day: dt.date = Field(primary_key=True)
    session: str = Field(primary_key=True)  # AM, PM
    school_urn: str = Field(foreign_key="school.urn", primary_key=True)
    code: str
    category: str  # attending, approved_activity, authorised_absence, unauthorised_absence, not_possible
    import_id: int = Field(foreign_key="attendance_import.id")
    changed_from: str = ""  # the code before the last import that changed it


class AttendanceTotal(Table, table=True):
    """A school's or a service's totals for a child over a period, where no marks are sent."""

    __tablename__ = "attendance_total"
    __table_args__ = (UniqueConstraint("child_ref", "school_urn", "start", "end", name="uq_attendance_total"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    child_ref: str = Field(foreign_key="child.ref", index=True)
    school_urn: str = Field(foreign_key="school.urn")
    start: dt.date
    end: dt.date
    possible: int
    attending: int
    authorised: int
    unauthorised: int
    import_id: int = Field(foreign_key="attendance_import.id")


class AttendanceImport(Table, table=True):
    """One file of marks or totals: when, by whom, and what it did."""

    __tablename__ = "attendance_import"
    id: Optional[int] = Field(default=None, primary_key=True)
    kind: str  # marks, totals
    filename: str
    imported_on: dt.date
    imported_by: str = ""
    rows: int = 0
    added: int = 0
    unchanged: int = 0
    changed: int = 0
    set_aside: int = 0


class AttendanceAlert(Table, table=True):
    """An alert the marks raised (a run of absences without a reason, sent home with no suspension
    recorded, a part-time mark with no timetable recorded), once for its first mark, with the marks."""

    __tablename__ = "attendance_alert"
    __table_args__ = (UniqueConstraint("child_ref", "kind", "first_day", "first_session", name="uq_attendance_alert"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    child_ref: str = Field(foreign_key="child.ref", index=True)
    kind: str
    first_day: dt.date
    first_session: str
    marks: list[Any] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    raised_on: dt.date
