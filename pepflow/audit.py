"""The tamper-evident history: each audit row carries a hash chained to the one before.

``row_hash`` covers every field a row records and the previous row's hash, so changing a
row, inserting one or deleting one breaks the chain at that point; ``verify`` walks the
chain and names the first row that does not fit.

Rows are queued with ``audit`` in a ``UnitOfWork`` and written by ``write_audit``, the
only writer of the ``event`` table, at the latest when the transaction commits: no
change commits without its audit rows.  Nothing updates or deletes audit rows.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import operator
from dataclasses import dataclass
from typing import Any, Iterable

from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from .clock import SystemClock
from .db.models import Event
from .db.unit import UnitOfWork
from .db.writes import AUDIT_COLUMNS, INSERT_AUDIT, executemany, json_text, last_audit_hash, lock_audit_chain

PAYLOAD_VERSION = 1

GENESIS = "0" * 64
FIELDS = ("child_ref", "process", "process_id", "name", "effective_on", "recorded_at", "actor_ref",
          "state_before", "state_after", "payload", "payload_version")


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, dict)):
        return value
    if isinstance(value, dt.datetime):
        return _utc_text(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@functools.lru_cache(maxsize=64)
def _utc_text(value: dt.datetime) -> str:
    """Cached: a transaction's audit rows share one ``recorded_at`` (``write_audit``)."""
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# json.dumps with these arguments builds this encoder afresh on every call
_encode_body = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode


def row_hash(previous: str, row: dict[str, Any]) -> str:
    """sha256 of the previous hash and the row's fields, in the fixed order of FIELDS."""
    body = _encode_body([_plain(row.get(f)) for f in FIELDS])
    return hashlib.sha256((previous + body).encode("utf-8")).hexdigest()


def chain(session: Session, rows: list[dict[str, Any]]) -> None:
    """Give ``rows`` their hashes, continuing from the last row written.

    On PostgreSQL a transaction-scoped advisory lock makes appends take turns; SQLite
    transactions that write already hold the database's single write lock."""
    lock_audit_chain(session)
    previous = last_audit_hash(session) or GENESIS
    for row in rows:
        row["prev_hash"] = previous
        row["hash"] = previous = row_hash(previous, row)


def audit(session: UnitOfWork, child_ref: str | None, process: str, name: str, on: dt.date,
          payload: dict[str, Any], process_id: int | None = None, before: str | None = None,
          after: str | None = None, actor: str | None = None) -> None:
    """Queue one audit row for this transaction; ``write_audit`` inserts the queue."""
    session.audit_rows.append(dict(
        child_ref=child_ref, process=process, process_id=process_id, name=name, effective_on=on,
        actor_ref=actor, state_before=before, state_after=after, payload=payload,
        payload_version=PAYLOAD_VERSION))


_audit_parameters = operator.itemgetter(*("payload_text" if c == "payload" else c for c in AUDIT_COLUMNS))


def write_audit(session: UnitOfWork) -> None:
    """Insert the queued audit rows in the current transaction.

    One executemany of the driver for the whole queue (an ORM object per row costs ten
    times more, and SQLAlchemy's per-row parameter processing twice as much).  The rows
    are recorded together, so they share one ``recorded_at``."""
    rows, session.audit_rows = session.audit_rows, []
    if rows:
        recorded_at = SystemClock().now()
        for r in rows:
            r["recorded_at"] = recorded_at
            r["payload_text"] = json_text(r["payload"])
        chain(session, rows)
        executemany(session, INSERT_AUDIT, [_audit_parameters(r) for r in rows])


@event.listens_for(UnitOfWork, "before_commit")
def _write_audit_before_commit(session: UnitOfWork) -> None:
    """No change commits without its audit rows."""
    write_audit(session)


@dataclass
class Verification:
    rows: int
    first_bad_id: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None


def verify_rows(rows: Iterable[Any]) -> Verification:
    previous, count = GENESIS, 0
    for row in rows:
        count += 1
        data = dict(row._mapping)
        if data["prev_hash"] != previous:
            return Verification(count, data["id"], "its link to the row before does not match: a row before it "
                                "was deleted or inserted, or this one was")
        if row_hash(previous, data) != data["hash"]:
            return Verification(count, data["id"], "its contents do not match its hash: it was changed")
        previous = data["hash"]
    return Verification(count)


def verify(engine: Engine, batch: int = 10_000) -> Verification:
    """Walk the whole history in order, a batch at a time."""
    t = Event.__table__

    def rows() -> Iterable[Any]:
        last = 0
        with Session(engine) as session:
            while True:
                chunk = session.execute(select(t).where(t.c.id > last).order_by(t.c.id).limit(batch)).all()
                if not chunk:
                    return
                yield from chunk
                last = chunk[-1].id

    return verify_rows(rows())
