"""Recording what each send did, as the mailer reports it: the half of the dispatcher
that keeps the delivery guarantee (see ``outbox``'s docstring).

Each outcome is queued; a group commit writes the outcomes of all connections together
(waiting at most ``LINGER`` for them) with their history rows, renews the lease a quarter
of the way through it, and tells the mailer whether to go on.  A database error while
recording is retried for up to ``DB_RETRY_FOR`` (real seconds: it waits for the database,
not for the domain's time) before the dispatch stops.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Sequence

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from pepflow.audit import audit
from pepflow.clock import Clock
from pepflow.config import Config
from pepflow.db.models import Notification, Person
from pepflow.db.unit import UnitOfWork
from pepflow.db.writes import INSERT_NOTIFICATION, MARK_SENT, executemany, json_text
from pepflow.notify import relay
from pepflow.notify.faults import Fault, classify, describe
from pepflow.notify.render import OutgoingEmail
from pepflow.statuses import OutboxStatus

log = logging.getLogger("pepflow.dispatch")
T = Notification.__table__
LINGER = 0.005  # seconds a group commit waits for the other connections' outcomes
DB_RETRY_FOR = 60.0  # seconds a dispatch keeps trying to record what it sent while the database is away


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


class Recorder:
    """Records each email's outcome as the mailer reports it (see the module's docstring)."""

    def __init__(self, engine: Engine, config: Config, clock: Clock, token: str, groups: list[list[Any]],
                 messages: Sequence[OutgoingEmail], result: DispatchResult, width: int = 1):
        self.engine, self.config, self.clock, self.token = engine, config, clock, token
        self.width = max(1, min(width, len(groups)))  # how many outcomes can come at once
        self.delivery = config.notifications.delivery
        self.groups, self.messages, self.result = groups, messages, result
        self.held = {row.id for group in groups for row in group}  # rows this dispatch still holds
        self.queue: list[tuple[int, Exception | None, asyncio.Future[bool]]] = []
        self.writer: asyncio.Task[None] | None = None
        self.filled = asyncio.Event()  # as many outcomes queued as can come at once
        self.stop = False
        self.relay_failed = False
        self.lease = dt.timedelta(seconds=self.delivery.lease_seconds)
        self.renewed_at = clock.now()  # when the rows were claimed
        self.relay_up = False
        self.session: UnitOfWork | None = None  # one session records the whole dispatch

    def report(self, i: int, error: Exception | None) -> asyncio.Future[bool]:
        """Queue an outcome; the future comes true once it is committed (False: stop sending)."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.queue.append((i, error, done))
        if len(self.queue) >= self.width:
            self.filled.set()
        if self.writer is None or self.writer.done():
            self.writer = asyncio.create_task(self._write_loop())
        return done

    async def _write_loop(self) -> None:
        while self.queue:
            # a group commit: wait a moment for the other connections' outcomes, so one commit
            # records several (a commit per email was a third of the cost: bench/dispatch.py)
            if len(self.queue) < self.width:
                try:
                    await asyncio.wait_for(self.filled.wait(), LINGER)
                except TimeoutError:
                    pass
            self.filled.clear()
            batch, self.queue = self.queue, []
            started = time.monotonic()
            while True:
                try:
                    self._write([(i, error) for i, error, _ in batch])
                    break
                except DBAPIError as exc:  # the database is away: wait for it, a while
                    if time.monotonic() - started > DB_RETRY_FOR:
                        log.error("dispatch: could not record what was sent (%s); stopping: the emails in "
                                  "flight are recorded before this process sends more", str(exc.orig)[:200])
                        self._keep_unrecorded([i for i, error, _ in batch if error is None])
                        self.stop = True
                        self.result.errors.append(f"database: {str(exc.orig)[:200]}")
                        break
                    await asyncio.sleep(1.0)
            for _, _, done in batch:
                done.set_result(not self.stop)

    def close(self) -> None:
        if self.session is not None:
            self.session.close()

    def _keep_unrecorded(self, accepted: list[int]) -> None:
        """The relay accepted these emails but the database could not record it: kept in this
        process, and recorded before it sends anything more (``record_unrecorded``)."""
        now = self.clock.now()
        with _unrecorded_lock:
            for i in accepted:
                _UNRECORDED.append(Unrecorded(now, self.messages[i].message_id, self.token, list(self.groups[i])))


    def _write(self, batch: list[tuple[int, Exception | None]]) -> None:
        """One transaction: the outcome of each email in ``batch``, its history, the lease renewed.

        On the event loop itself: the connections wait for it in any case (the guarantee), and
        a thread of its own was slower, the two taking turns at the interpreter (0.46 against
        0.53 of the ceiling: bench/dispatch.py)."""
        if self.session is None:
            self.session = UnitOfWork(self.engine)
        session = self.session
        try:
            self._record(session, batch)
        except Exception:
            session.rollback()
            session.drop_queues()
            raise

    def _record(self, session: UnitOfWork, batch: list[tuple[int, Exception | None]]) -> None:
        now = self.clock.now()
        counts = {"emails": 0, "sent": 0, "retry": 0, "failed": 0}
        failed_rows: list[tuple[Any, str]] = []
        done: set[int] = set()  # rows this batch settles (sent, to retry or failed): no longer held
        errors: list[str] = []
        lost = False
        relay_error = ""
        connection = session.connection()
        accepted = [i for i, error in batch if error is None]
        if accepted:
            marks = [(now, self.messages[i].message_id, row.id, self.token) for i in accepted
                     for row in self.groups[i]]
            if executemany(session, MARK_SENT, marks) == len(marks):
                marked = {mark[2] for mark in marks}
            else:  # some rows are no longer ours: find which of them this update marked
                lost = True
                marked = set(connection.execute(select(T.c.id).where(
                    T.c.id.in_([mark[2] for mark in marks]), T.c.claim_token == self.token,
                    T.c.status == OutboxStatus.SENT)).scalars())
            for i in accepted:
                mine = [row for row in self.groups[i] if row.id in marked]
                if mine:
                    email_sent(session, mine, self.messages[i].message_id, now)
                done |= {row.id for row in self.groups[i]}
                counts["emails"] += 1 if mine else 0
                counts["sent"] += len(mine)
        for i, error in batch:
            if error is None:
                continue
            group = self.groups[i]
            fault, why = classify(error), describe(error)
            errors.append(f"{group[0].recipient_email}: {why}")
            if fault is Fault.RELAY:
                relay_error = relay_error or why  # the rows stay held, and are given back uncharged
                continue
            for row in group:
                attempts = row.attempts + 1
                final = fault is Fault.PERMANENT or now - (row.first_attempt_at or now) >= dt.timedelta(
                    hours=self.delivery.give_up_after_hours)
                changed = connection.execute(
                    update(T).where(T.c.id == row.id, T.c.claim_token == self.token, T.c.status == OutboxStatus.SENDING)
                    .values(status=OutboxStatus.FAILED if final else OutboxStatus.PENDING, attempts=attempts,
                            next_attempt_at=None if final else now + relay.pause_for(self.delivery, attempts),
                            last_error=why[:500], claim_token="")).rowcount
                done.add(row.id)
                if not changed:
                    lost = True
                    continue
                audit(session, row.child_ref, "notify", "notification_failed" if final else "notification_retry",
                      now.date(), {"notification_id": row.id, "to": row.recipient_ref, "attempts": attempts,
                                   "error": why[:200]})
                counts["failed" if final else "retry"] += 1
                if final:
                    failed_rows.append((row, why))
        held = self.held - done
        renew = bool(held) and not lost and now - self.renewed_at >= self.lease / 4
        if renew:  # every row still held must still be ours (renewing the thousands of held rows
            # at every commit made a dispatch ten times slower: bench/dispatch.py)
            renewed = connection.execute(update(T).where(T.c.claim_token == self.token, T.c.status == OutboxStatus.SENDING)
                                         .values(claimed_at=now)).rowcount
            lost = renewed < len(held)
        if counts["sent"] and not self.relay_up:  # once a dispatch: it is up
            relay.record_success(connection, now)
        paused_until = None
        if relay_error and not self.relay_failed:
            paused_until = relay.record_failure(connection, self.delivery, now, relay_error).next_try_at
        if failed_rows:
            tell_vs_admin(session, self.config, failed_rows, now)
        session.commit()
        # what this dispatch knows changes only once it is committed (a failed commit is tried again)
        self.held = held
        self.renewed_at = now if renew else self.renewed_at
        self.relay_up = self.relay_up or bool(counts["sent"])
        self.result.errors += errors
        if relay_error:
            if not self.relay_failed:
                self.result.relay_error, self.result.paused_until = relay_error, paused_until
            self.relay_failed = self.stop = True
        if lost:
            self.result.lease_lost = self.stop = True
        self.result.emails_sent += counts["emails"]
        self.result.notifications_sent += counts["sent"]
        self.result.failed_for_now += counts["retry"]
        self.result.failed_for_good += counts["failed"]


def email_sent(session: UnitOfWork, rows: list[Any], message_id: str, when: dt.datetime) -> None:
    """The history row of one email the relay accepted, naming the outbox rows it carried.

    One row an email, not one a reminder: a digest of five reminders wrote five signed rows, half
    of what recording a dispatch cost (issue 42, bench/dispatch.py).  Each reminder stays on its
    child's page, read from its outbox row (``reports/listings.py``), so the email's row names no
    child: it holds nothing of theirs but the outbox rows' numbers."""
    audit(session, None, "notify", "email_sent", when.date(),
          {"to": rows[0].recipient_ref, "message_id": message_id, "notifications": [row.id for row in rows]})


@dataclass
class Unrecorded:
    """An email the relay accepted whose sent mark could not be committed."""

    sent_at: dt.datetime
    message_id: str
    token: str
    rows: list[Any]


_UNRECORDED: list[Unrecorded] = []
_unrecorded_lock = threading.Lock()


def record_unrecorded(engine: Engine) -> str:
    """Record, as sent, the emails this process sent but could not record (the database was full
    or away when the relay accepted them); "" once they are, else why not.  A dispatch sends
    nothing until this succeeds: on a disk that stays full, each dispatch would otherwise send
    its emails in flight again, beyond the guarantee (issue 36).  A row another dispatcher has
    claimed since is left to it."""
    with _unrecorded_lock:
        if not _UNRECORDED:
            return ""
        waiting = list(_UNRECORDED)
        session = UnitOfWork(engine)
        try:
            connection = session.connection()
            for email in waiting:
                recorded = [row for row in email.rows if connection.execute(
                    update(T).where(T.c.id == row.id, T.c.claim_token.in_(("", email.token)),
                                    T.c.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))
                    .values(status=OutboxStatus.SENT, sent_at=email.sent_at, message_id=email.message_id,
                            attempts=T.c.attempts + 1, last_error="", claim_token="")).rowcount]
                if recorded:
                    email_sent(session, recorded, email.message_id, email.sent_at)
            session.commit()
        except DBAPIError as exc:
            session.rollback()
            return f"database: {str(exc.orig)[:200]}"
        finally:
            session.close()
        del _UNRECORDED[:len(waiting)]
        log.info("dispatch: %d emails sent earlier are now recorded", len(waiting))
        return ""

def tell_vs_admin(session: UnitOfWork, config: Config, failed: list[tuple[Any, str]], now: dt.datetime) -> None:
    """A notice to each VS admin of each email that failed for good (in the same transaction):
    one per person not told and reason, whatever the number of items the email listed.  Not
    for a failed notice of this kind: a broken VS admin address would go round for ever."""
    admins = session.connection().execute(
        select(Person.ref, Person.email).where(Person.role == "vs_admin", Person.email != "")).all()
    emails: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for row, why in failed:
        if row.step != "delivery_failed":
            emails[(row.recipient_email.lower(), why)].append(row)
    rows = []
    for (_, why), items in emails.items():
        first = min(items, key=lambda r: r.id)
        cases = sorted({r.child_ref for r in items if r.child_ref})
        about = (f"case {cases[0]}" if len(cases) == 1 else f"{len(cases)} cases ({', '.join(cases[:5])}"
                 + (", …)" if len(cases) > 5 else ")")) if cases else "VS admin's items"
        what = (f"the email to {first.recipient_ref or 'VS admin'} <{first.recipient_email}> about {about} could "
                f"not be delivered ({why}); tell them another way, or correct the address and retry it on the "
                "Emails page")
        for admin in admins:
            rows.append((f"failed:{first.id}:{admin.ref}", None, first.child_ref, admin.ref, admin.email,
                         "delivery_failed", OutboxStatus.PENDING, 0, now, "", "", "", json_text({
                             "kind": "delivery_failed", "what": what, "child_ref": first.child_ref,
                             "due_on": now.date().isoformat(), "days_overdue": 0, "step": "delivery_failed",
                             "why": "VS admin", "notification_ids": sorted(r.id for r in items)}), 1))
    executemany(session, INSERT_NOTIFICATION, rows)


