"""Use cases the CLI and web pages share: each is one database transaction."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

from pepflow.service.application import App
from pepflow.db.connection import refresh_statistics, reset, session_scope
from pepflow.config import Config
from pepflow.db.models import Child
from pepflow.db.unit import UnitOfWork
from pepflow.engine.go_live import note_first_import
from pepflow.errors import InputError
from pepflow.intake.csv_import import ImportReport, import_records
from pepflow.intake.reimport import Seen, record_happened, what_happened


# A child's fields that change only by what happened to them: a re-import that changes one
from pepflow.intake.csv_reading import ignored_columns, read_csv, read_mapping
from pepflow.statuses import DeadlineStatus
from pepflow.audit import audit, change_marks, claim_changes
from pepflow.calendars import format_day
from pepflow.db.models import Deadline
from pepflow.db.models import School
from pepflow.engine.deadlines import open_deadlines, open_flag
from pepflow.engine.recording import record_event
from pepflow.errors import ImportFileError
from pepflow.intake.gias import GIAS_COLUMNS, read_gias
from pepflow.intake.inspections import import_inspections
from pepflow.intake.ssda903.apply import Ssda903Report, apply_return, assess
from pepflow.intake.ssda903.read import read_return
from pepflow.service.demo import DEMO_ACCOUNTS, create_demo_accounts, create_demo_cohort, demo_sign_in_lines
from pepflow.accounts.local import account_for, set_password
from pepflow.audit.disclosures import security_event
from pepflow.accounts.local import end_sessions_of
from pepflow.states.care import bring_in
from pepflow.vocabulary import kind_label
import secrets


# A child's fields that change only by what happened to them: a re-import that changes one
# records the event (school_changed, care_placement_changed, legal_status_changed,
# social_worker_changed), not a bare edit of the row.
CHANGED_BY_EVENTS = ("school_urn", "placement_type", "in_area", "carer_ref", "legal_status", "social_worker_ref")


def import_file(app: App, kind: str, file: Path, mapping: Path | None = None) -> ImportReport:
    """Import one CSV file in one transaction (nothing is written if any row is bad, or if an
    event it implies cannot be recorded)."""
    columns = read_mapping(mapping) if mapping else None
    rows = read_csv(file, kind, columns)
    with session_scope(app.engine) as session:
        by_events = CHANGED_BY_EVENTS if kind == "children" else ()
        go_live = note_first_import(session, app.config, app.today(), Path(file).name) if kind == "children" else None
        report = import_records(session, app.config, kind, rows, app.today(), str(file), by_events,
                                blanks_filled_are_facts=go_live is not None and app.today() <= go_live)
        if kind == "children":
            record_what_happened(session, app.config, report, app.today(), Path(file).name)
            bring_in_children(session, app.config, report.added + report.changed, app.today())
            session.flush()
            flag_closed_schools(session, app.config, app.today())  # GIAS may have come first: listed as flagged
            report.flagged = flagged_by_import(session, report.added + report.changed, app.today())
    report.ignored_columns = ignored_columns(file, kind, columns)
    refresh_statistics(app.engine)  # an import can change a table's size many times over
    return report


def flagged_by_import(session, refs: list[str], today: dt.date) -> list[str]:
    """The flags (items for a person, no timescale) open on these children since today, in words."""
    found = []
    for chunk in range(0, len(refs), 500):
        found += session.execute(select(Deadline.child_ref, Deadline.kind, Deadline.note).where(
            Deadline.child_ref.in_(refs[chunk:chunk + 500]), Deadline.status == DeadlineStatus.OPEN, Deadline.rule_version == "",
            Deadline.opened_on == today).order_by(Deadline.child_ref)).all()
    return [f"{ref}: {kind_label(kind)}" + (f": {note}" if note else "") for ref, kind, note in sorted(found)]


class _CheckOnly(Exception):
    """Raised to roll back a ``--check`` import once it has found what it would do."""


def import_ssda903(app: App, paths: list[Path], extract_date: dt.date, check: bool = False):
    """Import an SSDA903 return (``pepflow/intake/ssda903``) in one transaction: the children whose rows
    contradict each other are held back and the others load.  With ``check`` the whole import
    is worked out and rolled back, so the report says what it would do and nothing is written."""
    today = app.today()
    if extract_date > today:
        raise InputError("--extract-date", extract_date.isoformat(),
                         f"is in the future (today is {today:%d %b %Y}); give the date the return was extracted")
    ret = read_return(paths)
    records, quarantined, warnings = assess(ret, extract_date)
    report = Ssda903Report(extract_date, quarantined=quarantined, warnings=warnings)
    try:
        with session_scope(app.engine) as session:
            added = apply_return(session, app.config, records, report, today, ret.files)
            bring_in_children(session, app.config, added, today)
            if check:
                raise _CheckOnly
        refresh_statistics(app.engine)
    except _CheckOnly:
        pass
    return report


def import_inspections_file(app: App, file: Path):
    """Import Ofsted inspections (``inspections.py``) in one transaction."""
    rows = read_csv(file, "inspections")  # which columns it needs depends on the file (inspections.py)
    with session_scope(app.engine) as session:
        report = import_inspections(session, rows, app.today(), str(file))
    refresh_statistics(app.engine)
    return report


def import_gias(app: App, file: Path) -> ImportReport:
    """Import the GIAS establishment file (``gias.py``) as the schools list, in one transaction,
    then flag for VS admin each child in care on roll at a school the file says has closed."""
    rows, warnings = read_gias(file)
    with session_scope(app.engine) as session:
        report = import_records(session, app.config, "schools", rows, app.today(), str(file), names=GIAS_COLUMNS)
        report.warnings += warnings
        report.events += flag_closed_schools(session, app.config, app.today())
    refresh_statistics(app.engine)
    return report


def flag_closed_schools(session, config, today) -> list[str]:
    """A ``school_closed`` item on VS admin's My work for each child in care on roll at a closed
    school (once: an open one is not repeated)."""
    said = []
    closed = {s.urn: s for s in session.exec(select(School).where(School.status == "closed"))}
    if not closed:
        return said
    for child in session.exec(select(Child).where(Child.looked_after, Child.school_urn.in_(list(closed)))):
        if open_deadlines(session, child.ref, ["school_closed"]):
            continue
        school = closed[child.school_urn]
        when = f" on {format_day(school.close_date)}" if school.close_date else ""
        logged = change_marks(session)  # the flag is written to the history with why it was raised
        open_flag(session, config, child, "school_closed", today, "vs_admin",
                  f"{school.name} ({school.urn}) closed{when}, and {child.ref} is still on roll there: record "
                  "the school they go to now", process="care")
        row = audit(session, child.ref, "care", "school_closed_flagged", today,
                    {"school_urn": school.urn, "closed_on": school.close_date.isoformat() if school.close_date else None})
        claim_changes(session, logged, row)
        said.append(f"{child.ref}: flagged for VS admin, their school {school.urn} has closed")
    return said


def record_what_happened(session, config, report: ImportReport, today, file_name: str) -> None:
    """Record, as events dated the day of the import, what a re-import says changed: a new care
    placement (with its school, when that changed too), a new school, a new legal status or a
    new social worker.  The actor is the import, so the history says where each came from."""
    actor = f"import of {file_name}"
    problems = []
    for ref, new in report.to_record:
        child = session.get(Child, ref)
        seen = Seen(on=today, legal_status=new.get("legal_status"), placement_type=new.get("placement_type"),
                    in_area=new.get("in_area"), carer_ref=(new["carer_ref"] or "") if "carer_ref" in new else None,
                    school_urn=new.get("school_urn"), social_worker_ref=new.get("social_worker_ref"), gives_where=True)
        done = record_happened(session, config, ref, what_happened(child, seen), today, actor, dated=False,
                               stop_after_refusal=False)
        problems += done.refused
        report.events += done.lines
    if problems:
        raise ImportFileError(file_name, problems)


def bring_in_children(session, config, refs: list[str], today) -> None:
    """Start the PEP and care-review clocks of imported children (see states.care.bring_in)."""
    for ref in refs:
        bring_in(session, config, session.get(Child, ref), today)


def admit_child(session: UnitOfWork, config: Config, today: dt.date, **record: str) -> Child:
    """One child added to the roll and brought in (their PEP and care-review clocks started), as
    one row of the children list: checked by the same rules, recorded in the history the same
    way.  For callers with a child rather than a file (the tests, a form); an error names the
    row as the children list's first."""
    import_records(session, config, "children", [(2, record)], today)
    bring_in_children(session, config, [record["ref"]], today)
    return session.get(Child, record["ref"])


def reset_database(app: App) -> None:
    """Drop and recreate every table (used by the demo)."""
    reset(app.engine)


def run_demo(app: App, children: int = 300, schools: int = 40, reset: bool = False) -> list[str]:
    """Create the synthetic cohort and return the summary lines to print."""
    config, today = app.config, app.today()
    with session_scope(app.engine) as session:
        existing = session.exec(select(func.count()).select_from(Child)).one()
    if existing and not reset:
        raise InputError("--db", app.url, (
            f"this database already holds {existing} children; use --reset to empty it for the demo"))
    if existing or reset:
        reset_database(app)


    with session_scope(app.engine) as session:
        summary = create_demo_cohort(session, config, today, children=children, schools=schools)
        accounts = create_demo_accounts(session, secrets.token_hex(8), today)
    refresh_statistics(app.engine)
    return [f"Demo database: {app.shown_url} (today is {today.isoformat()})", *summary.lines(), *accounts]


def record(app: App, child_ref: str, event: str, on: str, by: str | None = None,
           params: dict[str, str] | None = None, actor: str | None = None):
    """Record one event in its own transaction; a refused event writes nothing."""
    with session_scope(app.engine) as session:
        return record_event(session, app.config, child_ref, event, on, app.today(), by, params, actor)


def demo_sign_in_again(app: App) -> list[str]:
    """At each start of the demo on a database that already holds it: a new shared password for the
    demo's accounts (only its hash is kept, so the first one cannot be printed again), printed as
    on the first start; an account the demo did not make is not touched."""
    password = secrets.token_hex(8)
    with session_scope(app.engine) as session:
        emails = [email for email, _, _ in DEMO_ACCOUNTS if account_for(session, email) is not None]
        for email in emails:
            user = set_password(session, email, password, app.clock.now())
            end_sessions_of(session, user.id)
            security_event(session, "password_set", app.today(), {"account": user.email, "by": "the demo's start"})
    return demo_sign_in_lines(password, emails) if emails else []


def database_is_empty(app: App) -> bool:
    with session_scope(app.engine) as session:
        return session.exec(select(func.count()).select_from(Child)).one() == 0
