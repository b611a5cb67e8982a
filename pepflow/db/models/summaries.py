"""What the compliance report counts of each child now, kept with the changes that move it
(``engine/child_summaries.py``): counting the roll from the children and their deadlines was
half of the report's time at 100,000 children (issue 42, bench/report.py)."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Index
from sqlmodel import Field

from pepflow.db.models.base import Table


class ChildSummary(Table, table=True):
    """One child as the report groups and counts them: the characteristics of its breakdowns,
    the day from which their PEP is behind, and their latest attendance band."""

    __tablename__ = "child_summary"
    # the roll's GROUP BY read in the index's order, nothing sorted (bench/report.py)
    __table_args__ = (Index("ix_child_summary_roll", "born_in_school_year", "sen_status", "legal_status",
                            "placement_type", "in_area", "school_urn", "entered_care", "left_care_on",
                            "pep_behind_since"),)
    child_ref: str = Field(primary_key=True, foreign_key="child.ref")
    # the calendar year in which the school year of their birth began (September to August)
    born_in_school_year: int
    sen_status: str
    legal_status: str
    placement_type: Optional[str] = None
    in_area: bool
    school_urn: Optional[str] = None  # its Ofsted judgement is read from the school at report time
    entered_care: dt.date
    left_care_on: Optional[dt.date] = None
    # the first day on which the PEP counts as not up to date: the day after the earliest open
    # review deadline's due date, or the day an open "record incomplete" was opened; None: up to date
    pep_behind_since: Optional[dt.date] = None
    latest_band: Optional[str] = None  # of the latest attendance record (the latest day, then the last entered)
    latest_band_on: Optional[dt.date] = None


class ChildSummaryState(Table, table=True):
    """From which day on the summaries equal the full computation: the latest date any summarised
    row holds (a deadline opened or closed, care entered or left, an attendance record).  A report
    as of an earlier day counts from the tables themselves."""

    __tablename__ = "child_summary_state"
    id: int = Field(default=1, primary_key=True)
    holds_from: dt.date
