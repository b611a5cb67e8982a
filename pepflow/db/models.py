"""The tables.

People, schools and children are keyed by the council's own references (URN for
schools).  ``deadline``, ``event`` and ``notification`` are generic: every state machine
writes to them, and the sweep, the reports and the web pages read them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import JSON, Column, Index, UniqueConstraint, insert_sentinel
from sqlalchemy.orm.attributes import set_attribute
from sqlmodel import Field, SQLModel

from pepflow.clock import SystemClock
from pepflow.db.types import UTCDateTime


def _utcnow() -> dt.datetime:
    return SystemClock().now()


class Table(SQLModel):
    """Base of every table: setting a column goes straight to SQLAlchemy.

    SQLModel also routes each assignment through pydantic (for validation on assignment,
    which tables do not use); on the event path that doubled the cost of every change."""

    def __setattr__(self, name: str, value: Any) -> None:
        columns = _COLUMN_NAMES.get(type(self))
        if columns is None:
            columns = _COLUMN_NAMES[type(self)] = frozenset(c.key for c in type(self).__table__.columns)
        if name in columns:
            set_attribute(self, name, value)
        else:
            super().__setattr__(name, value)


_COLUMN_NAMES: dict[type, frozenset[str]] = {}


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
    ref: str = Field(primary_key=True)
    first_name: str
    last_name: str
    dob: dt.date
    upn: str = ""
    upn_unknown: str = ""  # SSDA903 UN1-UN5: why no UPN is known (rules/ssda903_codes.UPN_UNKNOWN)
    sen_status: str = "none"  # none, sen_support, ehcp
    legal_status: str = "other"  # importing.LEGAL
    entered_care: dt.date  # start of the current episode
    first_entered_care: Optional[dt.date] = None
    school_urn: Optional[str] = Field(default=None, foreign_key="school.urn", index=True)
    social_worker_ref: Optional[str] = Field(default=None, foreign_key="person.ref", index=True)
    iro_ref: Optional[str] = Field(default=None, foreign_key="person.ref")
    carer_ref: Optional[str] = Field(default=None, foreign_key="person.ref")
    in_area: bool = True
    placement_type: str = ""  # importing.PLACEMENT_TYPES
    last_pep_meeting: Optional[dt.date] = None
    last_care_review: Optional[dt.date] = None
    looked_after: bool = True
    left_care_on: Optional[dt.date] = None


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


class EducationPlacement(Table, table=True):
    __tablename__ = "education_placement"
    id: Optional[int] = Field(default=None, primary_key=True)
    child_ref: str = Field(foreign_key="child.ref", index=True)
    school_urn: str = Field(foreign_key="school.urn")
    start: dt.date
    end: Optional[dt.date] = None


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
    status: str = "open"  # open, met, met_late, cancelled
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


class PpPlusRequest(Table, table=True):
    """A Pupil Premium Plus request, decided with its PEP's quality assurance."""

    __tablename__ = "pp_plus_request"
    id: Optional[int] = Field(default=None, primary_key=True)
    child_ref: str = Field(foreign_key="child.ref", index=True)
    pep_id: int = Field(foreign_key="pep.id", index=True)
    term: str
    amount: int  # whole pounds
    purpose: str
    requested_on: dt.date
    status: str = "requested"  # requested, approved, declined
    decided_on: Optional[dt.date] = None
    decision_note: str = ""


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


class Event(Table, table=True):
    """Append-only audit: one row per accepted event, written in the same transaction."""

    __table_args__ = (Index("ix_event_child", "child_ref", "id"),
                      Index("ix_event_name_date", "name", "effective_on"))
    id: Optional[int] = Field(default=None, primary_key=True)
    child_ref: Optional[str] = Field(default=None)
    process: str
    process_id: Optional[int] = None
    name: str
    effective_on: dt.date
    recorded_at: dt.datetime = Field(default_factory=_utcnow, sa_type=UTCDateTime)
    actor_ref: Optional[str] = None
    state_before: Optional[str] = None
    state_after: Optional[str] = None
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    payload_version: int = 1
    key_id: str = ""  # the history key this row's hash is keyed with ("" before keyed history)
    prev_hash: str = ""  # the hash of the row before: the chain (pepflow/audit)
    hash: str = ""


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


class HistorySeal(Table, table=True):
    """Which database this is, and from which history row on every row is signed with the history
    key, itself signed with that key (``db/seal.py``).  One row, made with the database: without
    it a forger could rewrite the whole history as rows "from before the history was keyed"."""

    __tablename__ = "history_seal"
    id: int = Field(default=1, primary_key=True)
    database_id: str  # random, made with the database; kept by backup and restore (checkpoints name it)
    made_at: str  # ISO instant, UTC, as signed
    keyed_from: int  # every history row with this id or a later one is keyed
    key_id: str
    signature: str


class Notification(Table, table=True):
    """The email outbox: a reminder or escalation is a row before it is an email."""

    __table_args__ = (
        UniqueConstraint("key", name="uq_notification_key"),
        Index("ix_notification_status_next", "status", "next_attempt_at"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    key: str  # unique per (deadline, step, recipient): the sweep's idempotency key
    deadline_id: Optional[int] = Field(default=None, foreign_key="deadline.id")
    child_ref: Optional[str] = None
    recipient_ref: Optional[str] = None
    recipient_email: str = ""
    step: str = ""
    status: str = "pending"  # pending, sending, sent, failed, skipped
    attempts: int = 0
    created_at: dt.datetime = Field(default_factory=_utcnow, sa_type=UTCDateTime)
    next_attempt_at: Optional[dt.datetime] = Field(default=None, sa_type=UTCDateTime)
    sent_at: Optional[dt.datetime] = Field(default=None, sa_type=UTCDateTime)
    message_id: str = ""
    last_error: str = ""
    claim_token: str = ""  # set by the dispatcher that is sending it
    claimed_at: Optional[dt.datetime] = Field(default=None, sa_type=UTCDateTime)  # renewed while sending
    # the first time a dispatcher took it: pepflow gives up on an email by time since then
    first_attempt_at: Optional[dt.datetime] = Field(default=None, sa_type=UTCDateTime)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    payload_version: int = 1


class SweepRun(Table, table=True):
    """One row per day swept: the unique date is what makes a day's sweep happen once,
    however many processes run it (written in the sweep's own transaction, so a sweep that
    died left no row and the next one does the day)."""

    __tablename__ = "sweep_run"
    swept_on: dt.date = Field(primary_key=True)
    swept_at: dt.datetime = Field(sa_type=UTCDateTime)
    swept_by: str = ""  # host and process id
    deadlines_due: int = 0
    written: int = 0
    skipped: int = 0
    duration_ms: int = 0  # how long the sweep took (the service's metrics)


class RelayState(Table, table=True):
    """The mail relay as the dispatchers have found it (one row, id 1): while it is down,
    delivery pauses until ``next_try_at`` and no email is charged an attempt."""

    __tablename__ = "relay_state"
    id: int = Field(default=1, primary_key=True)
    down_since: Optional[dt.datetime] = Field(default=None, sa_type=UTCDateTime)  # None: up
    failures: int = 0  # relay failures in a row: the pause doubles with each, up to a cap
    next_try_at: Optional[dt.datetime] = Field(default=None, sa_type=UTCDateTime)
    last_error: str = ""
    last_sent_at: Optional[dt.datetime] = Field(default=None, sa_type=UTCDateTime)


class UserAccount(Table, table=True):
    """A person who signs in to the web pages (local accounts; see pepflow/accounts/local.py)."""

    __tablename__ = "user_account"
    id: Optional[int] = Field(default=None, primary_key=True)
    email: str = Field(sa_column_kwargs={"unique": True})
    role: str  # vsh, vs_admin, vs_officer, social_worker, team_manager, designated_teacher, iro, read_only
    person_ref: Optional[str] = Field(default=None, foreign_key="person.ref")  # whose caseload
    school_urn: Optional[str] = Field(default=None, foreign_key="school.urn")  # a DT's school
    password_hash: str = ""
    active: bool = True
    created_at: dt.datetime = Field(default_factory=_utcnow, sa_type=UTCDateTime)
    password_changed_at: Optional[dt.datetime] = Field(default=None, sa_type=UTCDateTime)
    # the second factor (pepflow/accounts/totp.py): a TOTP secret once set up and confirmed, and
    # the last time step a code was accepted for, so a code is never accepted twice
    totp_secret: str = ""
    totp_set_up_at: Optional[dt.datetime] = Field(default=None, sa_type=UTCDateTime)
    totp_last_step: int = 0


class RecoveryCode(Table, table=True):
    """One of an account's recovery codes (stored hashed), each good for one sign-in without
    the authenticator app."""

    __tablename__ = "recovery_code"
    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    code_hash: str
    used_at: Optional[dt.datetime] = Field(default=None, sa_type=UTCDateTime)


class SiteSetting(Table, table=True):
    """A setting VS admin changes on the web pages (not in pepflow.toml, which IT owns), such as
    which roles must use a second factor."""

    __tablename__ = "site_setting"
    name: str = Field(primary_key=True)
    value: str


class WebSession(Table, table=True):
    """A signed-in browser: the cookie carries the signed token, the row its expiry."""

    __tablename__ = "web_session"
    token: str = Field(primary_key=True)  # random; the cookie holds it signed
    user_id: int = Field(foreign_key="user_account.id", index=True)
    csrf_token: str
    created_at: dt.datetime = Field(sa_type=UTCDateTime)
    last_seen_at: dt.datetime = Field(sa_type=UTCDateTime)
    client: str = ""  # the address it signed in from
    browser: str = ""  # its User-Agent, cut short
    notice: str = ""  # a one-time banner for its next page
    via: str = ""  # "oidc": signed in through the council's provider, whose session sign-out ends too


class SignInThrottle(Table, table=True):
    """Recent sign-in attempts of one email address, one client address or one trusted browser
    (pepflow/accounts/throttle.py): how many failed, and when the last began."""

    __tablename__ = "sign_in_throttle"
    key: str = Field(primary_key=True)  # "account:<email>", "client:<address>" or "device:<id>"
    failures: int = 0
    last_attempt_at: dt.datetime = Field(sa_type=UTCDateTime)


class WebSecret(Table, table=True):
    """The key that signs session cookies, made at first start when PEPFLOW_SECRET_KEY is not set,
    so every process serving the same database shares it."""

    __tablename__ = "web_secret"
    name: str = Field(primary_key=True)
    value: str


def new_row(model: type[SQLModel], **values: Any) -> Any:
    """A new (pending) row built without SQLModel's per-field validation.

    Recording an event creates several deadline rows; SQLModel's constructor sets each
    field through pydantic and SQLAlchemy and costs about as much as the rest of the event
    (bench/pep_machine.py).  Values here come from our own code, already checked, so the
    row's dict is filled directly with the model's defaults for what is not given."""
    manager = model._sa_class_manager
    obj = manager.new_instance()
    defaults = _defaults(model)
    data = {**defaults, **values}
    obj.__dict__.update(data)
    object.__setattr__(obj, "__pydantic_fields_set__", set(values))
    object.__setattr__(obj, "__pydantic_extra__", None)
    object.__setattr__(obj, "__pydantic_private__", None)
    return obj


_DEFAULTS: dict[type, dict[str, Any]] = {}


def _defaults(model: type[SQLModel]) -> dict[str, Any]:
    if model not in _DEFAULTS:
        found = {}
        for name, info in model.model_fields.items():
            if info.default_factory is None and not info.is_required():
                found[name] = info.default
        _DEFAULTS[model] = found
    return _DEFAULTS[model]
