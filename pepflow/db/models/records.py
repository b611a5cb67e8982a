"""A child's record as records law sees it (issue 43): subject access requests on their statutory
clock, and legal holds that keep records from the purge."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlmodel import Field

from pepflow.db.models.base import Table


class SubjectAccessRequest(Table, table=True):
    """A request for a child's record (UK GDPR art. 15): who asked, how their identity and authority
    were checked, when it was received, when it is due (one calendar month; once extended by up to
    two more, with a reason) and when it was answered."""

    __tablename__ = "subject_access_request"
    id: Optional[int] = Field(default=None, primary_key=True)
    child_ref: str = Field(foreign_key="child.ref", index=True)
    requester: str
    relationship: str  # the_child, parent, representative, other
    identity_checked: str  # how the requester's identity was checked
    authority_checked: str = ""  # how their authority to ask for the child's record was checked
    received_on: dt.date
    due_on: dt.date
    extended_to: Optional[dt.date] = None
    extension_reason: str = ""
    answered_on: Optional[dt.date] = None


class LegalHold(Table, table=True):
    """Records kept from the purge while an inquiry or a claim needs them: one child's, or everyone's
    (``child_ref`` empty), from when it was placed until it is lifted."""

    __tablename__ = "legal_hold"
    id: Optional[int] = Field(default=None, primary_key=True)
    child_ref: Optional[str] = Field(default=None, foreign_key="child.ref", index=True)
    reason: str
    placed_on: dt.date
    placed_by: str = ""
    lifted_on: Optional[dt.date] = None
    lifted_by: str = ""
