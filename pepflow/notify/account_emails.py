"""Emails about a person's own account, through the outbox like every other email: the link
to set a password ("Forgot your password?", VS admin's reset, a new account's welcome).

Each goes on its own and at once (``ALWAYS_IMMEDIATE``), never in a digest; the history
records that it was sent, never the link (the recorder keeps only an email's kind).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert
from sqlmodel import Session

from pepflow.config import Config
from pepflow.db.models import Notification
from pepflow.statuses import OutboxStatus

STEP = "account_link"
SUBJECTS = {"reset": "Set a new password for pepflow", "welcome": "Your pepflow account: set your password"}


def queue_password_link(session: Session, config: Config, email: str, person_ref: str | None, link_id: int,
                        token: str, purpose: str, expires_at: dt.datetime, now: dt.datetime) -> None:
    """Put the email carrying a password link in the outbox (sent within a minute)."""
    base = config.settings.base_url.rstrip("/")
    session.execute(insert(Notification.__table__), [{
        "key": f"{STEP}:{link_id}", "deadline_id": None, "child_ref": None, "recipient_ref": person_ref,
        "recipient_email": email, "step": STEP, "status": OutboxStatus.PENDING, "attempts": 0,
        "created_at": now, "next_attempt_at": None, "message_id": "", "last_error": "", "claim_token": "",
        "payload_version": 1, "payload": {
            "kind": STEP, "step": STEP, "purpose": purpose, "subject": SUBJECTS[purpose], "what": SUBJECTS[purpose],
            "link": f"{base}/password/{token}", "expires_at": expires_at.isoformat(timespec="minutes")}}])
