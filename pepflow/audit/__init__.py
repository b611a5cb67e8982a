"""The tamper-evident history: each row's hash is keyed and chained to the row before.

``row_hash`` is an HMAC-SHA256, under the history key (``db/history_keys.py``, kept outside the
database), of the previous row's hash and every field the row records, the key's id
included.  Changing a row, inserting one, deleting one or appending one breaks the chain
for anyone without the key; cutting rows off the end, or emptying the table, is caught by
the checkpoints kept outside the database (``audit/checkpoints.py``).  ``verify``
(``audit/verify.py``) walks the chain and checks it against them; ``replay``
(``audit/replay.py``) rebuilds the processes and deadlines from the history and compares
them with the tables.

Rows are queued with ``audit`` in a ``UnitOfWork`` and written by ``write_audit``, the
only writer of the ``event`` table, at the latest when the transaction commits: no
change commits without its audit rows.  Nothing updates or deletes them, and the
database refuses to (triggers made with the table, ``db/history_guard.py``).

May import: ``engine`` (they are one layer), ``db``, ``rules``, ``config`` and the ground.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import operator
from typing import Any, Iterator

from sqlalchemy import event, select
from sqlmodel import Session

from pepflow.clock import SystemClock
from pepflow.db.unit import UnitOfWork
from pepflow.db.writes import AUDIT_COLUMNS, INSERT_AUDIT, executemany, json_text, last_audit_hash, lock_audit_chain
from pepflow.db.history_keys import Keyring, keyring_for
from pepflow.audit.snapshots import deadline_snapshots, process_snapshots

# 2: a keyed row's hash covers a keyed commitment to its payload rather than the payload itself, so a
# payload purged on its retention date (a tombstone in its place) leaves the chain provable (issue 43)
PAYLOAD_VERSION = 2

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


KEYED_FIELDS = tuple(f for f in FIELDS if f != "payload")


def row_hash(previous: str, row: dict[str, Any], keyring: Keyring | None = None) -> str:
    """The row's hash: HMAC-SHA256 under its key (``row["key_id"]``) of the previous hash, the
    row's fields in the fixed order of KEYED_FIELDS with the key id, and the payload exactly as
    stored (``row["payload_text"]``: the stored text is what is proved, and it is neither decoded
    nor encoded again to check it); from payload version 2, a keyed commitment to that text
    (``payload_commitment``), or the commitment kept when the payload was purged.  A row without a key id was written before the history was
    keyed: plain sha256 of the previous hash and every field of FIELDS, the payload decoded."""
    key_id = row.get("key_id") or ""
    if not key_id:
        fields = [_plain(row.get(f)) for f in FIELDS]
        return hashlib.sha256((previous + _encode_body(fields)).encode("utf-8")).hexdigest()
    assert keyring is not None, "a keyed row needs the keyring"
    fields = [_plain(row.get(f)) for f in KEYED_FIELDS]
    fields.append(key_id)
    if (row.get("payload_version") or 1) >= 2:
        committed = row.get("payload_commitment") or payload_commitment(key_id, row["payload_text"], keyring)
        return keyring.sign(key_id, (previous + _encode_body(fields) + "\n#" + committed).encode("utf-8"))
    return keyring.sign(key_id, (previous + _encode_body(fields) + "\n" + row["payload_text"]).encode("utf-8"))


def payload_commitment(key_id: str, payload_text: str, keyring: Keyring) -> str:
    """The keyed commitment to a payload (payload version 2): what the row's hash covers, kept in
    the row when the payload itself is purged, so the row still proves its place in the chain and
    no one without the key can tell or test what the payload was."""
    return keyring.sign(key_id, ("payload\n" + payload_text).encode("utf-8"))


def keyring_of(session: Session) -> Keyring:
    return keyring_for(session.get_bind().url.render_as_string(hide_password=True))


def chain(session: Session, rows: list[dict[str, Any]]) -> None:
    """Give ``rows`` their keyed hashes, continuing from the last row written.

    On PostgreSQL a transaction-scoped advisory lock makes appends take turns; SQLite
    transactions that write already hold the database's single write lock."""
    keyring = keyring_of(session)
    lock_audit_chain(session)
    previous = last_audit_hash(session) or GENESIS
    for row in rows:
        row["key_id"] = keyring.current
        row["prev_hash"] = previous
        row["hash"] = previous = row_hash(previous, row, keyring)


def audit(session: UnitOfWork, child_ref: str | None, process: str, name: str, on: dt.date,
          payload: dict[str, Any], process_id: int | None = None, before: str | None = None,
          after: str | None = None, actor: str | None = None) -> dict[str, Any]:
    """Queue one audit row for this transaction (``write_audit`` inserts the queue); returns it."""
    row = dict(child_ref=child_ref, process=process, process_id=process_id, name=name, effective_on=on,
               actor_ref=actor, state_before=before, state_after=after, payload=payload,
               payload_version=PAYLOAD_VERSION)
    session.audit_rows.append(row)
    return row


_audit_parameters = operator.itemgetter(*("payload_text" if c == "payload" else c for c in AUDIT_COLUMNS))


def write_audit(session: UnitOfWork) -> None:
    """Insert the queued audit rows in the current transaction.

    Each deadline opened or closed in the transaction is recorded, as it stands, in the
    row of the event that changed it (``_deadlines``), or in a ``deadlines_changed`` row of
    its child: the history alone rebuilds every deadline (``audit/replay.py``).
    One executemany of the driver for the whole queue (an ORM object per row costs ten
    times more, and SQLAlchemy's per-row parameter processing twice as much).  The rows
    are recorded together, so they share one ``recorded_at``."""
    _record_unclaimed_deadlines(session)
    rows, session.audit_rows = session.audit_rows, []
    if rows:
        recorded_at = SystemClock().now()
        for r in rows:
            r["recorded_at"] = recorded_at
            touched = r.pop("_deadlines", None)
            if touched:
                r["payload"]["deadlines"] = deadline_snapshots(session, touched)
            moved = r.pop("_processes", None)
            if moved:
                r["payload"]["processes"] = process_snapshots(session, moved)
            r["payload_text"] = json_text(r["payload"])
        session.deadline_starts.clear()
        chain(session, rows)
        executemany(session, INSERT_AUDIT, [_audit_parameters(r) for r in rows])
        # which children this transaction's history names, and in which process, for what is kept
        # with the changes (engine/child_summaries.py)
        session.children_named.update((r["child_ref"], r["process"]) for r in rows if r["child_ref"])


def change_marks(session: UnitOfWork) -> tuple[int, int]:
    """Where the session's logs of changed deadlines and moved processes stand now."""
    return len(session.deadline_log), len(session.process_log)


def claim_changes(session: UnitOfWork, since: tuple[int, int], row: dict[str, Any]) -> None:
    """The deadlines changed and processes moved since ``since`` (``change_marks``) belong to ``row``."""
    touched = session.deadline_log[since[0]:]
    if touched:
        del session.deadline_log[since[0]:]
        row.setdefault("_deadlines", []).extend(touched)
    moved = session.process_log[since[1]:]
    if moved:
        del session.process_log[since[1]:]
        row.setdefault("_processes", []).extend(moved)


def _record_unclaimed_deadlines(session: UnitOfWork) -> None:
    """Deadlines changed outside an event (an import, a flag) get a row per child."""
    log, session.deadline_log = session.deadline_log, []
    session.process_log.clear()  # moved only by events, which claim them
    by_child: dict[str, list[Any]] = {}
    for deadline in log:
        by_child.setdefault(deadline.child_ref, []).append(deadline)
    for child_ref, touched in by_child.items():
        on = max(d.closed_on or d.opened_on for d in touched)
        row = audit(session, child_ref, "deadline", "deadlines_changed", on, {})
        row["_deadlines"] = touched


@event.listens_for(UnitOfWork, "before_commit")
def _write_audit_before_commit(session: UnitOfWork) -> None:
    """No change commits without its audit rows."""
    write_audit(session)


def history_rows(engine: Any, columns: list[Any], batch: int = 10_000, after: int = 0) -> Iterator[Any]:
    """Every history row in id order (after row ``after``), ``columns`` of it (the first must be the id), read
    ``batch`` rows at a time on one connection: a walk over millions of rows in constant memory
    (``verify`` and ``replay``)."""
    t = Event.__table__
    last = after
    with engine.connect() as conn:
        while True:
            chunk = conn.execute(select(*columns).where(t.c.id > last).order_by(t.c.id).limit(batch)).all()
            if not chunk:
                return
            yield from chunk
            last = chunk[-1][0]


# after the chain's definitions, which verify.py reads from this package
from pepflow.audit.verify import Verification, verify  # noqa: E402, F401
# each child's summary for the reports is written in the same transaction as the history rows that
# say what changed: registered wherever the history is (engine/child_summaries.py)
import pepflow.engine.child_summaries  # noqa: E402, F401
from pepflow.db.models import Event
