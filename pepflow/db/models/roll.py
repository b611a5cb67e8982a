"""The council's roll: schools and their inspections, people, children, their care and
education placements, and the children an SSDA903 return held back."""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import Index, JSON, Column, UniqueConstraint, event
from sqlalchemy.orm.attributes import set_attribute
from sqlmodel import Field

from pepflow.db.models.base import Table


class School(Table, table=True):
    urn: str = Field(primary_key=True)
    name: str
    type: str  # maintained, academy, free, special, independent, pru, ap, further_education, other
    la: str = ""
    phase: str = ""  # GIAS PhaseOfEducation, as published ("Primary", "Secondary", "All-through" …)
    low_age: Optional[int] = None  # statutory age range, GIAS StatutoryLowAge / StatutoryHighAge
    high_age: Optional[int] = None
    status: str = "open"  # open, closed, proposed_to_close, proposed_to_open (GIAS EstablishmentStatus)
    close_date: Optional[dt.date] = None
    ofsted: str = "none"  # outstanding, good, requires_improvement, inadequate, none
    ofsted_date: Optional[dt.date] = None
    calendar: str = "default"
    dt_ref: Optional[str] = Field(default=None, foreign_key="person.ref")
    head_ref: Optional[str] = Field(default=None, foreign_key="person.ref")


class Inspection(Table, table=True):
    """One Ofsted inspection of a school, in the terms of its framework (rules/inspections.py):
    an overall effectiveness grade (before September 2024), key judgements without an overall
    grade (2024-25), or a report card (from November 2025: each evaluation area on a five-point
    scale, safeguarding met or not met)."""

    __table_args__ = (UniqueConstraint("urn", "inspected_on", name="uq_inspection_school_date"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    urn: str = Field(foreign_key="school.urn", index=True)
    inspected_on: dt.date
    framework: str  # overall_grade, key_judgements, report_card
    overall: str = ""  # outstanding, good, requires_improvement, inadequate (overall_grade only)
    grades: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    safeguarding: str = ""  # met / not_met (report cards), effective / not_effective (key judgements)


class Person(Table, table=True):
    ref: str = Field(primary_key=True)
    role: str
    name: str
    email: str = ""
    manager_ref: Optional[str] = None


class Child(Table, table=True):
    # the children page lists children looked after by name, a page at a time (bench/children.py)
    __table_args__ = (Index("ix_child_by_name", "looked_after", "last_name", "first_name", "ref"),)
    ref: str = Field(primary_key=True)
    first_name: str
    last_name: str
    dob: dt.date
    upn: str = ""
    upn_unknown: str = ""  # SSDA903 UN1-UN5: why no UPN is known (rules/ssda903_codes.UPN_UNKNOWN)
    sen_status: str = "none"  # none, sen_support, ehcp
    legal_status: str = "other"  # record_choices.LEGAL
    entered_care: dt.date  # start of the current episode
    first_entered_care: Optional[dt.date] = None
    school_urn: Optional[str] = Field(default=None, foreign_key="school.urn", index=True)
    social_worker_ref: Optional[str] = Field(default=None, foreign_key="person.ref", index=True)
    iro_ref: Optional[str] = Field(default=None, foreign_key="person.ref")
    carer_ref: Optional[str] = Field(default=None, foreign_key="person.ref")
    in_area: bool = True
    placement_type: str = ""  # record_choices.PLACEMENT_TYPES
    last_pep_meeting: Optional[dt.date] = None
    last_care_review: Optional[dt.date] = None
    looked_after: bool = True
    left_care_on: Optional[dt.date] = None
    died_on: Optional[dt.date] = None  # the retention schedule keeps a record 15 years after a death before 18
    ever_ehcp: bool = False  # an EHC plan at any time: some councils' schedules keep education records longer

    @property
    def name(self) -> str:
        """The child's name as lists show it beside their reference."""
        return f"{self.first_name} {self.last_name}".strip()


class CarePlacement(Table, table=True):
    __tablename__ = "care_placement"
    id: Optional[int] = Field(default=None, primary_key=True)
    child_ref: str = Field(foreign_key="child.ref", index=True)
    start: dt.date
    end: Optional[dt.date] = None
    carer_ref: Optional[str] = None
    placement_type: str = ""
    in_area: bool = True
    la: str = ""
    emergency: bool = False  # an emergency move (care_placement_changed with emergency=yes)


class EducationPlacement(Table, table=True):
    __tablename__ = "education_placement"
    id: Optional[int] = Field(default=None, primary_key=True)
    child_ref: str = Field(foreign_key="child.ref", index=True)
    school_urn: str = Field(foreign_key="school.urn")
    start: dt.date
    end: Optional[dt.date] = None


class HeldBackChild(Table, table=True):
    """A child the latest SSDA903 return held back (pepflow cannot know whether, since when or where
    they are looked after): listed on VS admin's My work until a later return loads them.  Not
    a deadline: the child may not be in pepflow at all."""

    __tablename__ = "held_back_child"
    child_ref: str = Field(primary_key=True)
    problems: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    first_held_on: dt.date  # the day of the first import that held them back
    last_held_on: dt.date
    files: str = ""  # the return's files, as the import names them


@event.listens_for(Child.sen_status, "set")
def _remember_an_ehcp(target: Child, value: str, _old: object, _initiator: object) -> None:
    """Once a child has an EHC plan their record is kept as such (issue 43: the retention schedule),
    whoever sets it (an import, an event, a form)."""
    if value == "ehcp":
        set_attribute(target, "ever_ehcp", True)


@event.listens_for(Child, "init")
def _made_with_an_ehcp(_target: Child, _args: tuple, kwargs: dict) -> None:
    if kwargs.get("sen_status") == "ehcp":
        kwargs["ever_ehcp"] = True
