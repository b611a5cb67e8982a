"""Use cases the CLI and web pages share: each is one database transaction."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

from .app import App
from .db.engine import reset, session_scope
from .db.models import Child
from .errors import InputError
from .importing import ImportReport, import_records, read_csv, read_mapping


def import_file(app: App, kind: str, file: Path, mapping: Path | None = None) -> ImportReport:
    """Import one CSV file in one transaction (nothing is written if any row is bad)."""
    columns = read_mapping(mapping) if mapping else None
    rows = read_csv(file, kind, columns)
    with session_scope(app.engine) as session:
        report = import_records(session, app.config, kind, rows, app.today(), str(file))
        if kind == "children":
            bring_in_children(session, app.config, report.added + report.changed, app.today())
        return report


def bring_in_children(session, config, refs: list[str], today) -> None:
    """Start the PEP and care-review clocks of imported children (see states.care.bring_in)."""
    from .states.care import bring_in

    for ref in refs:
        bring_in(session, config, session.get(Child, ref), today)


def reset_database(app: App) -> None:
    """Drop and recreate every table (used by the demo)."""
    reset(app.engine)


def run_demo(app: App, children: int = 300, schools: int = 40, reset: bool = False) -> list[str]:
    """Create the synthetic cohort and return the summary lines to print."""
    from .demo import create_demo_cohort

    config, today = app.config, app.today()
    with session_scope(app.engine) as session:
        existing = session.exec(select(func.count()).select_from(Child)).one()
    if existing and not reset:
        raise InputError("--db", app.url, (
            f"this database already holds {existing} children; use --reset to empty it for the demo"))
    if existing or reset:
        reset_database(app)
    import secrets

    from .demo import create_demo_accounts

    with session_scope(app.engine) as session:
        summary = create_demo_cohort(session, config, today, children=children, schools=schools)
        accounts = create_demo_accounts(session, secrets.token_hex(8))
    return [f"Demo database: {app.url} (today is {today.isoformat()})", *summary.lines(), *accounts]


def record(app: App, child_ref: str, event: str, on: str, by: str | None = None,
           params: dict[str, str] | None = None, actor: str | None = None):
    """Record one event in its own transaction; a refused event writes nothing."""
    from .commands import record_event

    with session_scope(app.engine) as session:
        return record_event(session, app.config, child_ref, event, on, app.today(), by, params, actor)


def database_is_empty(app: App) -> bool:
    with session_scope(app.engine) as session:
        return session.exec(select(func.count()).select_from(Child)).one() == 0
