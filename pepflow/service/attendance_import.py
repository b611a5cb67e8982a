"""Importing the register (issue 41): the file's marks or totals checked and written, then what they
mean for each child (bands, stages, alerts), all in one transaction, so a failure leaves nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pepflow.config import Config
from pepflow.db.unit import UnitOfWork
from pepflow.intake.attendance_marks import MarksImported, import_marks, import_totals
from pepflow.states.attendance_marks import AfterImport, after_import


def import_register(session: UnitOfWork, config: Config, path: str | Path, today: dt.date, by: str = "",
                    totals: bool = False) -> tuple[MarksImported, AfterImport]:
    """Import a file of marks (or, with ``totals``, of totals) and act on what changed."""
    done = (import_totals if totals else import_marks)(session, config, path, today, by)
    if totals:
        written = [(ref, today, "", "", "", "") for ref in sorted(done.children)]
    else:
        written = done.written
    session.flush()
    return done, after_import(session, config, written, today)
