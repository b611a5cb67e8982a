"""Use cases the CLI and web pages share: each is one database transaction."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func
from sqlmodel import SQLModel, select

from .app import App
from .db.engine import session_scope
from .db.models import Child
from .errors import InputError
from .importing import ImportReport, import_records, read_csv, read_mapping


def import_file(app: App, kind: str, file: Path, mapping: Path | None = None) -> ImportReport:
    """Import one CSV file in one transaction (nothing is written if any row is bad)."""
    columns = read_mapping(mapping) if mapping else None
    rows = read_csv(file, kind, columns)
    with session_scope(app.engine) as session:
        return import_records(session, app.config, kind, rows, app.today(), str(file))


def reset_database(app: App) -> None:
    """Drop and recreate every table (used by the demo)."""
    SQLModel.metadata.drop_all(app.engine)
    SQLModel.metadata.create_all(app.engine)


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
    with session_scope(app.engine) as session:
        summary = create_demo_cohort(session, config, today, children=children, schools=schools)
    return [f"Demo database: {app.url} (today is {today.isoformat()})", *summary.lines()]
