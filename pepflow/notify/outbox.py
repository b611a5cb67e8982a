"""The dispatcher: claim pending outbox rows, send them, record each as it goes.

The delivery guarantee (README, "Email"):

* **Nothing is lost.**  A row leaves the outbox only as ``sent`` (the relay accepted it),
  ``failed`` (the relay refused it for good, or it was not delivered within
  ``give_up_after_hours`` of its first try: an item for VS admin), or ``skipped`` (a step
  passed over after downtime).
* **Sent means sent.**  Each email is marked sent, with its history row, as soon as the
  relay accepts it; a connection sends nothing more until that mark is committed.  The
  marks of all connections are committed together (a group commit, in a thread, while
  the other connections go on sending), so after a crash at any point at most the emails
  in flight, one per connection (``PEPFLOW_SMTP_CONNECTIONS``), are sent again, under
  the same Message-ID.
* **Claims are leases.**  Claiming is one UPDATE that stamps a unique token on rows still
  ``pending`` (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), so two dispatchers never take
  the same row.  Every commit renews the claim; rows a dead dispatcher left ``sending``
  are released when their lease (``lease_seconds``) runs out.  A dispatcher that finds
  it no longer holds a row (every update checks what it changed) stops, and writes
  neither a sent mark nor history for a row it lost.
* **Faults by kind** (``faults``): a relay failure pauses delivery without charging any
  email (``relay``); a temporary refusal retries that email with backoff; a permanent
  one fails it at once.  A failed email is queued to VS admin as a notice.

Time comes from the ``clock`` (lease, backoff, giving up), so an hour runs in a test in
seconds.  A database error while recording is retried for up to ``DB_RETRY_FOR`` (real
seconds: it waits for the database, not for the domain's time) before the dispatch stops.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

from sqlalchemy import case, func, literal, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from ..audit import audit
from ..clock import Clock
from ..config import Config
from ..db.models import Notification, Person
from ..db.unit import UnitOfWork
from ..db.writes import INSERT_NOTIFICATION, executemany, is_postgres, json_text, plain_rows
from . import relay
from .faults import Fault, classify, describe
from .mailers import Mailer
from .render import OutgoingEmail, build_message, environment

log = logging.getLogger("pepflow.dispatch")
T = Notification.__table__
DB_RETRY_FOR = 60.0  # seconds a dispatch keeps trying to record what it sent while the database is away
# kinds that go on their own, at once, whatever the digest setting (a person must act on them)
ALWAYS_IMMEDIATE = frozenset({"delivery_failed", "notice"})


@dataclass
class DispatchResult:
    claimed: int = 0
    emails_sent: int = 0
    notifications_sent: int = 0
    failed_for_now: int = 0
    failed_for_good: int = 0
    released: int = 0  # taken back unsent, uncharged (a relay failure, or the dispatch stopped)
    paused_until: dt.datetime | None = None  # the relay is down: nothing was tried
    relay_error: str = ""
    lease_lost: bool = False
    errors: list[str] = field(default_factory=list)


def release_stale_claims(engine: Engine, now: dt.datetime, lease: dt.timedelta) -> int:
    """Give back rows whose dispatcher stopped renewing its claim (it died or hung)."""
    with Session(engine) as session:
        result = session.execute(update(T).where(T.c.status == "sending", T.c.claimed_at < now - lease)
                                 .values(status="pending", claim_token=""))
        session.commit()
        return result.rowcount or 0


# what sending needs of each claimed row (its timestamps would cost more to read than the rest)
_CLAIMED = (T.c.id, T.c.child_ref, T.c.recipient_ref, T.c.recipient_email, T.c.step, T.c.attempts, T.c.payload,
            T.c.first_attempt_at)


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
            .values(status="sending", claim_token=token, claimed_at=now,
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


class _Recorder:
    """Records each email's outcome as the mailer reports it (see the module's docstring)."""

    def __init__(self, engine: Engine, config: Config, clock: Clock, token: str, groups: list[list[Any]],
                 messages: _Messages, result: DispatchResult):
        self.engine, self.config, self.clock, self.token = engine, config, clock, token
        self.delivery = config.notifications.delivery
        self.groups, self.messages, self.result = groups, messages, result
        self.held = {row.id for group in groups for row in group}  # rows this dispatch still holds
        self.queue: list[tuple[int, Exception | None, asyncio.Future[None]]] = []
        self.writer: asyncio.Task[None] | None = None
        self.stop = False
        self.relay_failed = False

    async def report(self, i: int, error: Exception | None) -> bool:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.queue.append((i, error, done))
        if self.writer is None or self.writer.done():
            self.writer = asyncio.create_task(self._write_loop())
        await done
        return not self.stop

    async def _write_loop(self) -> None:
        while self.queue:
            batch, self.queue = self.queue, []
            started = time.monotonic()
            while True:
                try:
                    await asyncio.to_thread(self._write, [(i, error) for i, error, _ in batch])
                    break
                except DBAPIError as exc:  # the database is away: wait for it, a while
                    if time.monotonic() - started > DB_RETRY_FOR:
                        log.error("dispatch: could not record what was sent (%s); stopping: the emails in "
                                  "flight will be sent again", str(exc.orig)[:200])
                        self.stop = True
                        self.result.errors.append(f"database: {str(exc.orig)[:200]}")
                        break
                    await asyncio.sleep(1.0)
            for _, _, done in batch:
                done.set_result(None)

    def _write(self, batch: list[tuple[int, Exception | None]]) -> None:
        """One transaction: the outcome of each email in ``batch``, its history, the lease renewed."""
        now = self.clock.now()
        counts = {"emails": 0, "sent": 0, "retry": 0, "failed": 0}
        failed_rows: list[tuple[Any, str]] = []
        lost = False
        with UnitOfWork(self.engine) as session:
            connection = session.connection()
            relay_error = ""
            for i, error in batch:
                group = self.groups[i]
                ids = [row.id for row in group]
                if error is None:
                    mid = self.messages[i].message_id
                    marked = set(connection.execute(
                        update(T).where(T.c.id.in_(ids), T.c.claim_token == self.token, T.c.status == "sending")
                        .values(status="sent", sent_at=now, message_id=mid, attempts=T.c.attempts + 1,
                                last_error="").returning(T.c.id)).scalars())
                    for row in group:
                        if row.id in marked:
                            audit(session, row.child_ref, "notify", "notification_sent", now.date(), {
                                "notification_id": row.id, "to": row.recipient_ref, "step": row.step,
                                "kind": row.payload.get("kind"), "message_id": mid})
                    lost |= len(marked) < len(ids)
                    self.held -= set(ids)
                    counts["emails"] += 1 if marked else 0
                    counts["sent"] += len(marked)
                    continue
                fault = classify(error)
                why = describe(error)
                self.result.errors.append(f"{group[0].recipient_email}: {why}")
                if fault is Fault.RELAY:
                    relay_error = relay_error or why  # the rows stay held, and are given back uncharged
                    continue
                for row in group:
                    attempts = row.attempts + 1
                    first = row.first_attempt_at or now
                    final = fault is Fault.PERMANENT or now - first >= dt.timedelta(
                        hours=self.delivery.give_up_after_hours)
                    wait = relay.pause_for(self.delivery, attempts)
                    changed = connection.execute(
                        update(T).where(T.c.id == row.id, T.c.claim_token == self.token, T.c.status == "sending")
                        .values(status="failed" if final else "pending", attempts=attempts,
                                next_attempt_at=None if final else now + wait, last_error=why[:500],
                                claim_token="")).rowcount
                    self.held.discard(row.id)
                    if not changed:
                        lost = True
                        continue
                    audit(session, row.child_ref, "notify", "notification_failed" if final else "notification_retry",
                          now.date(), {"notification_id": row.id, "to": row.recipient_ref, "attempts": attempts,
                                       "error": why[:200]})
                    counts["failed" if final else "retry"] += 1
                    if final:
                        failed_rows.append((row, why))
            if self.held and not lost:  # the lease renewed: every row still held must still be ours
                renewed = connection.execute(update(T).where(T.c.claim_token == self.token, T.c.status == "sending")
                                             .values(claimed_at=now)).rowcount
                lost = renewed < len(self.held)
            if counts["sent"]:
                relay.record_success(connection, now)
            if relay_error and not self.relay_failed:
                status = relay.record_failure(connection, self.delivery, now, relay_error)
                self.result.relay_error = relay_error
                self.result.paused_until = status.next_try_at
            if failed_rows:
                tell_vs_admin(session, self.config, failed_rows, now)
            session.commit()
        if relay_error:
            self.relay_failed = True
            self.stop = True
        if lost:
            self.result.lease_lost = True
            self.stop = True
        self.result.emails_sent += counts["emails"]
        self.result.notifications_sent += counts["sent"]
        self.result.failed_for_now += counts["retry"]
        self.result.failed_for_good += counts["failed"]


def tell_vs_admin(session: UnitOfWork, config: Config, failed: list[tuple[Any, str]], now: dt.datetime) -> None:
    """A notice to each VS admin of each email that failed for good (in the same transaction).
    Not for a failed notice of this kind: a broken VS admin address would go round for ever."""
    admins = session.connection().execute(
        select(Person.ref, Person.email).where(Person.role == "vs_admin", Person.email != "")).all()
    rows = []
    for row, why in failed:
        if row.step == "delivery_failed":
            continue
        what = (f"the email to {row.recipient_ref or 'VS admin'} <{row.recipient_email}> could not be "
                f"delivered ({why}); tell them another way, or correct the address and retry it on the Emails page")
        for admin in admins:
            rows.append((f"failed:{row.id}:{admin.ref}", None, row.child_ref, admin.ref, admin.email,
                         "delivery_failed", "pending", 0, now, "", "", "", json_text({
                             "kind": "delivery_failed", "what": what, "child_ref": row.child_ref,
                             "due_on": now.date().isoformat(), "days_overdue": 0, "step": "delivery_failed",
                             "why": "VS admin", "notification_id": row.id}), 1))
    executemany(session, INSERT_NOTIFICATION, rows)


def give_up_on_old(engine: Engine, config: Config, now: dt.datetime) -> int:
    """Fail the waiting emails first tried more than ``give_up_after_hours`` ago."""
    delivery = config.notifications.delivery
    cutoff = now - dt.timedelta(hours=delivery.give_up_after_hours)
    why = f"not delivered within {delivery.give_up_after_hours} hours"
    with UnitOfWork(engine) as session:
        gone = plain_rows(session.execute(
            update(T).where(T.c.status == "pending", T.c.first_attempt_at < cutoff)
            .values(status="failed", claim_token="", last_error=case(
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
        values: dict[str, Any] = {"status": "pending", "claim_token": ""}
        if error:
            values["last_error"] = error[:500]
        count = session.execute(update(T).where(T.c.claim_token == token, T.c.status == "sending")
                                .values(**values)).rowcount
        session.commit()
    return count or 0


def dispatch(engine: Engine, config: Config, mailer: Mailer, clock: Clock, limit: int = 5000) -> DispatchResult:
    """Send what is due now; safe to run in several processes at once (see the module's docstring)."""
    delivery = config.notifications.delivery
    now = clock.now()
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
    recorder = _Recorder(engine, config, clock, token, groups, messages, result)
    try:
        asyncio.run(mailer.send_many(messages, recorder.report))
    finally:
        result.released = _release(engine, token, result.relay_error)
    return result


def retry_failed(session: Session, ids: list[int] | None = None) -> int:
    """Put failed rows back in the queue (VS admin's retry button), in the caller's
    transaction, so the web page writes its audit row with the change.  They count their
    time to give up afresh."""
    statement = update(T).where(T.c.status == "failed")
    if ids:
        statement = statement.where(T.c.id.in_(ids))
    count = session.execute(statement.values(status="pending", attempts=0, next_attempt_at=None,
                                             first_attempt_at=None)).rowcount
    return count or 0


def outbox_rows(engine: Engine, status: str | None = None, limit: int = 200) -> list[Any]:
    with Session(engine) as session:
        query = select(T).order_by(T.c.id.desc()).limit(limit)
        if status:
            query = query.where(T.c.status == status)
        return session.execute(query).all()


def relay_status(engine: Engine, config: Config, now: dt.datetime) -> relay.RelayStatus:
    with engine.connect() as connection:
        return relay.read(connection, config.notifications.delivery, now)
