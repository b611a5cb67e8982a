"""Exporting a child's record for subject access (issue 43 item 2): the zip (``reports/record_export``)
and its disclosure in the history, in one transaction: who exported it, when, and the zip's digest."""

from __future__ import annotations

import datetime as dt
import hashlib

from pepflow.audit.disclosures import disclosed
from pepflow.db.unit import UnitOfWork
from pepflow.reports.record_export import export_zip


def export_record(session: UnitOfWork, child_ref: str, by: str, on: dt.date, now: dt.datetime
                  ) -> tuple[bytes, dict[str, int]]:
    data, counts = export_zip(session, child_ref, now)
    disclosed(session, "record_exported", on, by, {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
                                                   "rows": counts}, child_ref)
    return data, counts
