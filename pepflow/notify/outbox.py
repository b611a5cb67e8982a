"""The dispatcher: claim pending outbox rows, send them, record what happened.

Claiming is one UPDATE that stamps a unique token on rows still ``pending`` (on
PostgreSQL the rows are picked with ``FOR UPDATE SKIP LOCKED``), so two dispatchers
never take the same row.  A row is marked ``sent`` only after the server accepted it;
a failure is retried with exponential backoff up to ``max_attempts``, then ``failed``.
Rows left ``sending`` by a process that died are released after ``STALE_CLAIM`` and
sent again under the same Message-ID.  Every send and failure goes to the audit history.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ..audit import audit, write_audit
from ..config import Config
from ..db.unit import UnitOfWork
from ..db.writes import MARK_RETRY, MARK_SENT, executemany, is_postgres, plain_rows
from ..db.models import Notification
from .mailers import Mailer
from .render import OutgoingEmail, build_message, environment

STALE_CLAIM = dt.timedelta(minutes=15)
T = Notification.__table__


@dataclass
class DispatchResult:
    claimed: int = 0
    emails_sent: int = 0
    notifications_sent: int = 0
    failed_for_now: int = 0
    failed_for_good: int = 0
    errors: list[str] = field(default_factory=list)


def release_stale_claims(engine: Engine, now: dt.datetime) -> int:
    with Session(engine) as session:
        result = session.execute(update(T).where(T.c.status == "sending", T.c.claimed_at < now - STALE_CLAIM)
                                 .values(status="pending", claim_token=""))
        session.commit()
        return result.rowcount or 0


def _release(engine: Engine, token: str) -> None:
    with Session(engine) as session:
        session.execute(update(T).where(T.c.claim_token == token, T.c.status == "sending")
                        .values(status="pending", claim_token=""))
        session.commit()


# what sending needs of each claimed row (its timestamps would cost more to read than the rest)
_CLAIMED = (T.c.id, T.c.child_ref, T.c.recipient_ref, T.c.recipient_email, T.c.step, T.c.attempts, T.c.payload)


def claim(engine: Engine, now: dt.datetime, limit: int) -> tuple[str, list[Any]]:
    """Take up to ``limit`` rows that are due to be sent; returns the token and the rows."""
    token = uuid.uuid4().hex
    due = select(T.c.id).where(T.c.status == "pending",
                               or_(T.c.next_attempt_at.is_(None), T.c.next_attempt_at <= now)
                               ).order_by(T.c.id).limit(limit)
    with Session(engine) as session:
        if is_postgres(session):
            due = due.with_for_update(skip_locked=True)
        rows = plain_rows(session.execute(
            update(T).where(T.c.id.in_(due.scalar_subquery()), T.c.status == "pending")
            .values(status="sending", claim_token=token, claimed_at=now).returning(*_CLAIMED)))
        session.commit()
    return token, sorted(rows, key=lambda r: r.id)


def _groups(config: Config, rows: list[Any]) -> list[list[Any]]:
    """One email per recipient (the digest), or one per row for immediate kinds."""
    delivery = config.notifications.delivery
    groups: dict[str, list[Any]] = defaultdict(list)
    single: list[list[Any]] = []
    for row in rows:
        if not delivery.digest or row.payload.get("kind") in delivery.immediate_kinds:
            single.append([row])
        else:
            groups[row.recipient_email.lower()].append(row)
    return list(groups.values()) + single


class _Messages(Sequence[OutgoingEmail]):
    """The emails of one dispatch, each rendered when the mailer first takes it: the SMTP
    connections take them one at a time, so rendering one overlaps the others' waits for
    the server (a fifth of a dispatch of 2,000 digests: bench/sweep.py)."""

    def __init__(self, build: Callable[[int], OutgoingEmail], count: int):
        self._build = build
        self._made: list[OutgoingEmail | None] = [None] * count

    def __len__(self) -> int:
        return len(self._made)

    def __getitem__(self, i: int) -> OutgoingEmail:  # type: ignore[override]
        made = self._made[i]
        if made is None:
            made = self._made[i] = self._build(i)
        return made


def dispatch(engine: Engine, config: Config, mailer: Mailer, now: dt.datetime, limit: int = 5000
             ) -> DispatchResult:
    """Send what is due now; safe to run in several processes at once."""
    release_stale_claims(engine, now)
    token, rows = claim(engine, now, limit)
    result = DispatchResult(claimed=len(rows))
    if not rows:
        return result
    try:
        env = environment(config)
        groups = _groups(config, rows)
        messages = _Messages(lambda i: build_message(config, env, groups[i][0].recipient_email,
                                                     [r.payload for r in groups[i]], groups[i][0].id, now),
                             len(groups))
        messages[0]  # a template that cannot render fails here, before anything is sent
    except Exception:
        _release(engine, token)  # nothing was sent: give the rows back
        raise
    outcomes = asyncio.run(mailer.send_many(messages))
    delivery = config.notifications.delivery
    sent: list[tuple[Any, ...]] = []  # parameters of the two UPDATEs below
    retry: list[tuple[Any, ...]] = []
    with UnitOfWork(engine) as session:
        for i, (group, error) in enumerate(zip(groups, outcomes)):
            for row in group:
                if error is None:
                    sent.append((now, messages[i].message_id, row.id, token))
                    audit(session, row.child_ref, "notify", "notification_sent", now.date(), {
                        "notification_id": row.id, "to": row.recipient_ref, "step": row.step,
                        "kind": row.payload.get("kind"), "message_id": messages[i].message_id})
                    continue
                attempts = row.attempts + 1
                final = attempts >= delivery.max_attempts
                wait = dt.timedelta(seconds=delivery.retry_after_seconds * 2 ** (attempts - 1))
                retry.append(("failed" if final else "pending", attempts, None if final else now + wait,
                              f"{type(error).__name__}: {error}"[:500], row.id, token))
                audit(session, row.child_ref, "notify",
                      "notification_failed" if final else "notification_retry", now.date(), {
                          "notification_id": row.id, "to": row.recipient_ref, "attempts": attempts,
                          "error": f"{type(error).__name__}: {error}"[:200]})
            if error is None:
                result.emails_sent += 1
            else:
                result.errors.append(f"{group[0].recipient_email}: {error}")
        executemany(session, MARK_SENT, sent)
        executemany(session, MARK_RETRY, retry)
        write_audit(session)
        session.commit()
    result.notifications_sent = len(sent)
    result.failed_for_good = sum(1 for r in retry if r[0] == "failed")
    result.failed_for_now = len(retry) - result.failed_for_good
    return result


def retry_failed(session: Session, ids: list[int] | None = None) -> int:
    """Put failed rows back in the queue (VS admin's retry button), in the caller's
    transaction, so the web page writes its audit row with the change."""
    statement = update(T).where(T.c.status == "failed")
    if ids:
        statement = statement.where(T.c.id.in_(ids))
    count = session.execute(statement.values(status="pending", attempts=0, next_attempt_at=None)).rowcount
    return count or 0


def outbox_rows(engine: Engine, status: str | None = None, limit: int = 200) -> list[Any]:
    with Session(engine) as session:
        query = select(T).order_by(T.c.id.desc()).limit(limit)
        if status:
            query = query.where(T.c.status == status)
        return session.execute(query).all()
