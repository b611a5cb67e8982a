"""Disclosures and security events, in the history like every change.

Who saw what is recorded in the same transaction as the page or file that showed it: a
child's page, a record form (it shows the child's name, school and social worker), a CSV
download (which list, its filters, how many rows).  Security events (sign-ins, failed and
successful, sign-outs, password changes, a look-up of a child outside one's caseload) have a
process of their own; ``pepflow audit security`` lists them.  Neither is an event of a case:
a child's history shows its disclosures only with ``--views``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pepflow.audit import audit
from pepflow.db.unit import UnitOfWork

ACCESS_PROCESS = "access"  # who viewed or downloaded what (web pages), not events of a case
SECURITY_PROCESS = "security"  # sign-ins and refusals


def disclosed(session: UnitOfWork, what: str, on: dt.date, actor: str, payload: dict[str, Any],
              child_ref: str | None = None) -> None:
    """Record that ``actor`` was shown ``what`` (case_viewed, record_form_viewed, csv_downloaded)."""
    audit(session, child_ref, ACCESS_PROCESS, what, on, payload, actor=actor)


def security_event(session: UnitOfWork, what: str, on: dt.date, payload: dict[str, Any],
                   actor: str | None = None) -> None:
    """Record a security event (sign_in, sign_in_refused, sign_out, password_set, out_of_scope)."""
    audit(session, None, SECURITY_PROCESS, what, on, payload, actor=actor)
