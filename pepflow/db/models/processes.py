"""The processes' own rows: deadlines and their reminder steps, each PEP, admissions (with their
findings and decisions), exclusions and suspensions, and attendance.  Pupil Premium Plus has
its own module (``pp_plus.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint, Index, insert_sentinel
from sqlmodel import Field

from pepflow.statuses import DeadlineStatus
from pepflow.db.models.base import Table
from pepflow.db.types import UTCDateTime


class Deadline(Table, table=True):
    """One timescale running for one child: what, for whom, when, by which rule."""

    __table_args__ = (
        # covering for lists of what is due or overdue (bench/web.py) and for counting outcomes
        # by kind with their rule versions, units and days late (bench/report.py)
        Index("ix_deadline_ledger", "status", "kind", "due_on", "child_ref", "rule_version", "unit", "days_late"),
        # a report for a past date finds the deadlines closed since then
        Index("ix_deadline_closed_on", "closed_on"),
        # a report finds the rule versions (and their units) of each kind due in its period by
        # a few seeks, where reading them off every deadline tripled its cost (bench/report.py)
        Index("ix_deadline_rule", "kind", "rule_version", "due_on", "unit"),
        Index("ix_deadline_child_status", "child_ref", "status"),
        Index("ix_deadline_process", "process", "process_id", "status"),
        # My work: a person's open deadlines, or a team's (no person named, the role's); without
        # it VS admin's page read every open deadline of 100,000 children (0.4 s, bench/web.py)
        Index("ix_deadline_owner", "owner_ref", "status", "owner_role", "due_on"),
        # lets SQLAlchemy insert many new deadlines in one statement on SQLite, where it
        # otherwise inserts one row at a time to learn each id (bench/pep_machine.py)
        insert_sentinel("insert_sentinel"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    child_ref: str = Field(foreign_key="child.ref")
    process: str  # pep, care, admission, exclusion, attendance
    process_id: Optional[int] = None
    kind: str  # usually the rule key, e.g. initial_pep
    rule_key: str
    rule_version: str  # effective_from of the rule version used
    opened_on: dt.date
    due_on: dt.date
    number: int
    unit: str
    counting: str = "after"
    calendar: str = "default"
    source: str = ""
    owner_role: str
    owner_ref: Optional[str] = None
    status: str = DeadlineStatus.OPEN  # statuses.DeadlineStatus
    closed_on: Optional[dt.date] = None
    days_late: Optional[int] = None
    late_unit: str = ""  # the unit days_late is counted in
    close_reason: str = ""
    note: str = ""


class DeadlineStep(Table, table=True):
    """When the sweep next has a reminder or escalation to send for a deadline, and the last
    step it handled.

    Kept apart from the deadline and stored in date order (a WITHOUT ROWID table on
    SQLite), so a day's sweep reads and rewrites a few contiguous pages, where updating
    the deadline rows themselves dirtied one page per deadline and made every sweep's
    commit write and checkpoint tens of megabytes (bench/sweep.py).  A row whose deadline
    has closed is removed by the sweep when its date comes."""

    __tablename__ = "deadline_step"
    __table_args__ = {"sqlite_with_rowid": False}
    next_step_on: dt.date = Field(primary_key=True)
    deadline_id: int = Field(primary_key=True)
    last_step: str = ""  # the last reminder or escalation step handled ("" before the first)


class Pep(Table, table=True):
    """One PEP cycle of one child: the initial PEP, then one per term (or an early review)."""

    __table_args__ = (Index("ix_pep_child_current", "child_ref", "is_current"),
                      Index("ix_pep_state", "is_current", "state"),
                      # QA ratings by the day they were given, counted from the index alone
                      # (bench/report.py: reading them out of 200,000 events' payloads took 0.9 s)
                      Index("ix_pep_approved", "approved_on", "quality_rating"))
    id: Optional[int] = Field(default=None, primary_key=True)
    child_ref: str = Field(foreign_key="child.ref")
    cycle: str  # initial, termly, early
    state: str = "due"
    is_current: bool = True
    opened_on: dt.date
    state_changed_on: dt.date
    meeting_date: Optional[dt.date] = None
    meeting_held_on: Optional[dt.date] = None
    submitted_on: Optional[dt.date] = None
    approved_on: Optional[dt.date] = None  # with quality_rating: written by pep_approved, never changed
    distributed_on: Optional[dt.date] = None
    quality_rating: Optional[str] = None  # red, amber, green
    times_returned: int = 0
    returned_reason: str = ""
    closed_on: Optional[dt.date] = None
    imported: bool = False


class Admission(Table, table=True):
    """One need for a new education placement, from identified to on roll (or withdrawn)."""

    __table_args__ = (Index("ix_admission_child_open", "child_ref", "is_open"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    child_ref: str = Field(foreign_key="child.ref")
    reason: str  # entered_care, care_placement_moved, permanently_excluded, emergency_placement, other
    state: str = "need_identified"
    is_open: bool = True
    identified_on: dt.date
    state_changed_on: dt.date
    school_urn: Optional[str] = None  # the school proposed, applied to, directed or named
    route: str = ""  # direction (maintained, or academy once commenced) or secretary_of_state
    applied_on: Optional[dt.date] = None
    decided_on: Optional[dt.date] = None
    consultation_started_on: Optional[dt.date] = None
    consultation_answer: str = ""
    direction_issued_on: Optional[dt.date] = None
    referral_window_ends: Optional[dt.date] = None
    temporary_hours: Optional[int] = None
    started_on: Optional[dt.date] = None
    closed_on: Optional[dt.date] = None
    in_area: Optional[bool] = None


class AdmissionFinding(Table, table=True):
    """What checking the school proposed for an admission found (``rules/placement.py``): a
    finding that needs someone's decision, or one the Virtual School must act on.  The rows are
    the latest proposal's: proposing a school again replaces them.  Each also opened a flag
    (``placement_approval`` or ``notify_destination_vs``) for the person who must act."""

    __tablename__ = "admission_finding"
    id: Optional[int] = Field(default=None, primary_key=True)
    admission_id: int = Field(foreign_key="admission.id", index=True)
    school_urn: str
    rule: str  # e.g. ofsted_requires_improvement, key_stage_4_move
    level: str  # needs_approval or notify (a block refuses the proposal and leaves no row)
    message: str
    source: str
    found_on: dt.date


class AdmissionDecision(Table, table=True):
    """A decision (or reason) recorded for proposing a school on an admission: the VSH's
    decision, the nominated officer's approval, the reasons for a Year 10-11 move or an inadequate
    school.  It stands when the same school is proposed again, so each person records theirs in turn."""

    __tablename__ = "admission_decision"
    __table_args__ = (UniqueConstraint("admission_id", "school_urn", "setting"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    admission_id: int = Field(foreign_key="admission.id", index=True)
    school_urn: str
    setting: str  # vsh_decision, nominated_officer, ks4_reason, exceptional_reason
    value: str
    recorded_on: dt.date


class PermanentExclusionRecord(Table, table=True):
    """Schools a child has been permanently excluded from: never proposed again."""

    __tablename__ = "permanent_exclusion_record"
    id: Optional[int] = Field(default=None, primary_key=True)
    child_ref: str = Field(foreign_key="child.ref", index=True)
    school_urn: str
    excluded_on: dt.date


class Exclusion(Table, table=True):
    """A child's behaviour and exclusion process in one school year."""

    __table_args__ = (Index("ix_exclusion_child_year", "child_ref", "school_year"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    child_ref: str = Field(foreign_key="child.ref")
    school_year: str
    school_urn: Optional[str] = None
    state: str = "concern_raised"
    is_open: bool = True
    opened_on: dt.date
    state_changed_on: dt.date
    vs_consulted_on: Optional[dt.date] = None
    pex_meeting_on: Optional[dt.date] = None
    excluded_on: Optional[dt.date] = None
    no_pre_exclusion_meeting: bool = False
    governors_decision: str = ""
    irp_decision: str = ""
    closed_on: Optional[dt.date] = None


class Suspension(Table, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    exclusion_id: int = Field(foreign_key="exclusion.id", index=True)
    child_ref: str = Field(foreign_key="child.ref", index=True)
    first_day: dt.date
    days: int  # school days
    term: str
    recorded_on: dt.date
    provision_from: Optional[dt.date] = None
    provision_hours: Optional[int] = None


class AttendanceRecord(Table, table=True):
    __tablename__ = "attendance_record"
    # each child's latest record in a period, found by one seek per record
    # (bench/report.py: 0.25 s where reading 100,000 records into Python took 0.55 s)
    __table_args__ = (Index("ix_attendance_latest", "child_ref", "recorded_on", "id", "band"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    child_ref: str = Field(foreign_key="child.ref", index=True)
    half_term: str  # e.g. "autumn 1 2026-27"
    percent: float
    band: str
    recorded_on: dt.date


class ContactNote(Table, table=True):
    """A contact about a child a person wants on the record: who was contacted, how, when and what
    was said, and who noted it.  Also a row of the child's history (``contact_noted``)."""

    __tablename__ = "contact_note"
    id: Optional[int] = Field(default=None, primary_key=True)
    child_ref: str = Field(foreign_key="child.ref", index=True)
    contacted_on: dt.date
    with_whom: str
    how: str  # engine/contact_log.HOW
    said: str
    noted_by: str  # the account or person who noted it
    noted_at: dt.datetime = Field(sa_type=UTCDateTime)


class PepSection(Table, table=True):
    """One section of a PEP's document as its owner last saved it (config/pep.toml says what the
    sections and fields are): the values typed, whether every required field is filled, and a
    version that moves with each save, so a save over someone else's is refused
    (states/pep_document.py).  Facts pepflow already knows are not kept here: they are read from
    its records when the section is shown."""

    __tablename__ = "pep_section"
    __table_args__ = (UniqueConstraint("pep_id", "section", name="uq_pep_section"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    pep_id: int = Field(foreign_key="pep.id", index=True)
    section: str  # the section's key in the PEP template
    values: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = "in_progress"  # in_progress, completed, needs_changes
    version: int = 1
    saved_by: str = ""  # the account that saved it
    saved_at: dt.datetime = Field(sa_type=UTCDateTime)
    # the Virtual School's quality assurance of this section (a grade of pep.toml's [qa] scale)
    qa_grade: str = ""
    qa_comment: str = ""
    returned_count: int = 0  # how many times quality assurance sent this section back


class PepPdf(Table, table=True):
    """A PEP's PDF as quality assurance approved it: made once, kept with the hash of the document
    it shows (in its footer too) and when it was made, for the case page, the care record's folder
    and ``pepflow pep pdf`` (service/pep_pdf.py)."""

    __tablename__ = "pep_pdf"
    id: Optional[int] = Field(default=None, primary_key=True)
    pep_id: int = Field(foreign_key="pep.id", sa_column_kwargs={"unique": True})
    made_at: dt.datetime = Field(sa_type=UTCDateTime)
    document_sha256: str  # of the document's JSON the PDF shows
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class PepAttachment(Table, table=True):
    """A document uploaded to a PEP's section (a school report, a drawing, work): its type read
    from its content, never its name; kept with its hash; downloaded only as an attachment
    (states/pep_attachments.py)."""

    __tablename__ = "pep_attachment"
    id: Optional[int] = Field(default=None, primary_key=True)
    pep_id: int = Field(foreign_key="pep.id", index=True)
    section: str
    filename: str  # as uploaded, cleaned: shown and offered back, never trusted for the type
    content_type: str  # from the content: application/pdf, image/png, image/jpeg, a Word document
    size: int
    sha256: str
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    uploaded_by: str
    uploaded_at: dt.datetime = Field(sa_type=UTCDateTime)


class PepDelegation(Table, table=True):
    """A designated teacher giving a colleague at their school the DT's PEP sections for one
    pupil, until a day (service/delegations.py): while it runs the colleague sees that pupil and
    fills in those sections, and nothing else."""

    __tablename__ = "pep_delegation"
    id: Optional[int] = Field(default=None, primary_key=True)
    from_account_id: int = Field(foreign_key="user_account.id")
    to_account_id: int = Field(foreign_key="user_account.id", index=True)
    child_ref: str = Field(foreign_key="child.ref")
    until: dt.date  # the last day it runs
    made_on: dt.date
    ended_on: Optional[dt.date] = None  # ended early by the DT
