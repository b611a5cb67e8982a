"""The dispatcher: claim pending outbox rows, send them, record each as it goes.

The delivery guarantee (README, "Email"):

* **Nothing is lost.**  A row leaves the outbox only as ``sent`` (the relay accepted it),
  ``failed`` (the relay refused it for good, or it was not delivered within
  ``give_up_after_hours`` of its first try: an item for VS admin), or ``skipped`` (a step
  passed over after downtime).
* **Sent means sent.**  Each email is marked sent, with its history row, as soon as the
  relay accepts it; a connection lets no further message be accepted until that mark is
  committed (it starts the next one's envelope meanwhile).  The marks of all connections
  are committed together (a group commit: ``recorder``), so after a crash at any point
  at most the emails in flight, one per connection (``PEPFLOW_SMTP_CONNECTIONS``), are
  sent again, under the same Message-ID.  When the database cannot record (a full disk) for
  longer than the recorder waits, the dispatch stops and its process keeps the emails the
  relay accepted: the next dispatch records them before it sends anything, and sends nothing
  while it cannot.
* **Claims are leases.**  Claiming is one UPDATE that stamps a unique token on rows still
  ``pending`` (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two dispatchers never take
  the same row.  The claim is renewed each quarter of its lease (``lease_seconds``);
  rows a dead dispatcher left ``sending`` are released when their lease runs out.  A
  dispatcher that finds it no longer holds a row (every update checks what it changed)
  stops, and writes neither a sent mark nor history for a row it lost.
* **Faults by kind** (``faults``): a relay failure pauses delivery without charging any
  email (``relay``); a temporary refusal retries that email with backoff; a permanent
  one fails it at once.  A failed email is queued to VS admin as a notice.

Time comes from the ``clock`` (lease, backoff, giving up), so an hour runs in a test in
seconds.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections import defaultdict
from typing import Any, Callable, Sequence

from sqlalchemy import case, func, literal, or_, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session

from pepflow.audit import audit
from pepflow.clock import Clock
from pepflow.config import Config
from pepflow.db.models import Notification
from pepflow.db.unit import UnitOfWork
from pepflow.db.writes import is_postgres, plain_rows
from pepflow.notify import relay
from pepflow.notify.mailers import Mailer
from pepflow.notify.recorder import DispatchResult, Recorder, record_unrecorded, tell_vs_admin
from pepflow.notify.render import OutgoingEmail, build_message, environment
from pepflow.statuses import OutboxStatus

T = Notification.__table__
# steps that go on their own, at once, whatever the digest setting (a person must act on them)
ALWAYS_IMMEDIATE = frozenset({"delivery_failed", "notice", "account_link"})


def release_stale_claims(engine: Engine, now: dt.datetime, lease: dt.timedelta) -> int:
    """Give back rows whose dispatcher stopped renewing its claim (it died or hung)."""
    with Session(engine) as session:
        result = session.execute(update(T).where(T.c.status == OutboxStatus.SENDING, T.c.claimed_at < now - lease)
                                 .values(status=OutboxStatus.PENDING, claim_token=""))
        session.commit()
        return result.rowcount or 0


# what sending needs of each claimed row (its timestamps would cost more to read than the rest)
_CLAIMED = (T.c.id, T.c.child_ref, T.c.recipient_ref, T.c.recipient_email, T.c.step, T.c.attempts, T.c.payload,
            T.c.first_attempt_at)


def claim(engine: Engine, now: dt.datetime, limit: int) -> tuple[str, list[Any]]:
    """Take up to ``limit`` rows that are due to be sent; returns the token and the rows."""
    token = uuid.uuid4().hex
    due = select(T.c.id).where(T.c.status == OutboxStatus.PENDING,
                               or_(T.c.next_attempt_at.is_(None), T.c.next_attempt_at <= now)
                               ).order_by(T.c.id).limit(limit)
    with Session(engine) as session:
        if is_postgres(session):
            due = due.with_for_update(skip_locked=True)
        rows = plain_rows(session.execute(
            update(T).where(T.c.id.in_(due.scalar_subquery()), T.c.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.SENDING, claim_token=token, claimed_at=now,
                    first_attempt_at=func.coalesce(T.c.first_attempt_at, now)).returning(*_CLAIMED)))
        session.commit()
    return token, sorted(rows, key=lambda r: r.id)


def _groups(config: Config, rows: list[Any]) -> list[list[Any]]:
    """One email per recipient (the digest), or one per row for immediate kinds."""
    delivery = config.notifications.delivery
    groups: dict[str, list[Any]] = defaultdict(list)
    single: list[list[Any]] = []
    for row in rows:
        kind = row.payload.get("kind")
        if not delivery.digest or kind in delivery.immediate_kinds or row.step in ALWAYS_IMMEDIATE:
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


def give_up_on_old(engine: Engine, config: Config, now: dt.datetime) -> int:
    """Fail the waiting emails first tried more than ``give_up_after_hours`` ago."""
    delivery = config.notifications.delivery
    cutoff = now - dt.timedelta(hours=delivery.give_up_after_hours)
    why = f"not delivered within {delivery.give_up_after_hours} hours"
    with UnitOfWork(engine) as session:
        gone = plain_rows(session.execute(
            update(T).where(T.c.status == OutboxStatus.PENDING, T.c.first_attempt_at < cutoff)
            .values(status=OutboxStatus.FAILED, claim_token="", last_error=case(
                (T.c.last_error == "", literal(why)), else_=literal(why + "; last: ") + T.c.last_error))
            .returning(T.c.id, T.c.child_ref, T.c.recipient_ref, T.c.recipient_email, T.c.step, T.c.last_error)))
        if not gone:
            return 0
        for row in gone:
            audit(session, row.child_ref, "notify", "notification_failed", now.date(),
                  {"notification_id": row.id, "to": row.recipient_ref, "error": row.last_error[:200]})
        tell_vs_admin(session, config, [(row, row.last_error) for row in gone], now)
        session.commit()
    return len(gone)


def _release(engine: Engine, token: str, error: str = "") -> int:
    """Give back the rows of ``token`` not yet sent, charging them nothing."""
    with Session(engine) as session:
        values: dict[str, Any] = {"status": OutboxStatus.PENDING, "claim_token": ""}
        if error:
            values["last_error"] = error[:500]
        count = session.execute(update(T).where(T.c.claim_token == token, T.c.status == OutboxStatus.SENDING)
                                .values(**values)).rowcount
        session.commit()
    return count or 0


def dispatch(engine: Engine, config: Config, mailer: Mailer, clock: Clock, limit: int = 5000) -> DispatchResult:
    """Send what is due now; safe to run in several processes at once (see the module's docstring)."""
    delivery = config.notifications.delivery
    now = clock.now()
    not_recorded = record_unrecorded(engine)
    if not_recorded:  # the database still cannot record what was sent: send nothing more
        return DispatchResult(errors=[not_recorded])
    release_stale_claims(engine, now, dt.timedelta(seconds=delivery.lease_seconds))
    failed_old = give_up_on_old(engine, config, now)
    with engine.connect() as connection:
        status = relay.read(connection, delivery, now)
    if status.down and status.next_try_at is not None and now < status.next_try_at:
        return DispatchResult(failed_for_good=failed_old, paused_until=status.next_try_at,
                              relay_error=status.last_error)
    token, rows = claim(engine, now, limit)
    result = DispatchResult(claimed=len(rows), failed_for_good=failed_old)
    if not rows:
        return result
    try:
        env = environment(config)
        groups = _groups(config, rows)
        messages = _Messages(lambda i: build_message(config, env, groups[i][0].recipient_email,
                                                     [r.payload for r in groups[i]], groups[i][0].id, now),
                             len(groups))
    except Exception:
        _release(engine, token)  # nothing was sent: give the rows back
        raise
    recorder = Recorder(engine, config, clock, token, groups, messages, result,
                         width=getattr(mailer, "connections", 1))
    try:
        asyncio.run(mailer.send_many(messages, recorder.report))
    finally:
        recorder.close()
        result.released = _release(engine, token, result.relay_error)
    return result


def retry_failed(session: Session, ids: list[int] | None = None) -> int:
    """Put failed rows back in the queue (VS admin's retry button), in the caller's
    transaction, so the web page writes its audit row with the change.  They count their
    time to give up afresh."""
    statement = update(T).where(T.c.status == OutboxStatus.FAILED)
    if ids:
        statement = statement.where(T.c.id.in_(ids))
    count = session.execute(statement.values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=None,
                                             first_attempt_at=None)).rowcount
    return count or 0


def relay_status(engine: Engine, config: Config, now: dt.datetime) -> relay.RelayStatus:
    with engine.connect() as connection:
        return relay.read(connection, config.notifications.delivery, now)
