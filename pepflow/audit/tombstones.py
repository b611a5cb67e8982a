"""Purging a history row's payload on its retention date and keeping the chain provable (issue 43).

A row of payload version 2 is hashed over a keyed commitment to its payload (``audit.row_hash``);
tombstoning it keeps that commitment in the row (``payload_commitment``) and puts a tombstone in the
payload's place: when and by which rule it was purged, the child as a keyed identifier (never the
reference, nor a plain hash of it that anyone could test a guess against), and what the history needs
to rebuild the processes and deadlines (their snapshots, and the child's fields that are not
personal), so ``audit verify`` and ``audit verify --replay`` still pass and the statistics reported
for past years do not change.  The database allows this change only (``db/history_guard.py``).
A row written before version 2 cannot be tombstoned without breaking its hash: it is counted, and
kept, so the council can see it."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import Text, bindparam, cast, select, update

from pepflow.audit import keyring_of, payload_commitment
from pepflow.db.models import Event
from pepflow.db.unit import UnitOfWork

PERSONAL_CHILD_FIELDS = ("first_name", "last_name", "dob", "upn", "upn_unknown")
KEPT_FOR_REPLAY = ("deadlines", "processes")
CHUNK = 500


@dataclass
class Tombstoned:
    rows: int = 0
    kept_unkeyed: int = 0  # written before payload version 2: kept as they are


def keyed_subject(session: UnitOfWork, child_ref: str) -> str:
    """The child as a tombstone names them: keyed with the history key, so only pepflow can match it."""
    keyring = keyring_of(session)
    return keyring.sign(keyring.current, ("purged child\n" + child_ref).encode("utf-8"))[:32]


def tombstone(session: UnitOfWork, ids: list[int], on: dt.date, rule: str, subject: str) -> Tombstoned:
    """Replace these rows' payloads with tombstones (once; a row tombstoned already is left)."""
    keyring = keyring_of(session)
    done = Tombstoned()
    E = Event.__table__
    change = update(E).where(E.c.id == bindparam("rid"), E.c.payload_commitment.is_(None)).values(
        payload=bindparam("stone", type_=E.c.payload.type), payload_commitment=bindparam("committed"))
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        stones = []
        for row_id, key_id, version, text, committed in session.execute(
                select(E.c.id, E.c.key_id, E.c.payload_version, cast(E.c.payload, Text), E.c.payload_commitment)
                .where(E.c.id.in_(part))):
            if committed is not None:
                continue
            if not key_id or (version or 1) < 2:
                done.kept_unkeyed += 1
                continue
            original = json.loads(text or "{}")
            stone: dict = {"purged": {"on": on.isoformat(), "rule": rule, "subject": subject}}
            stone.update({k: original[k] for k in KEPT_FOR_REPLAY if k in original})
            if isinstance(original.get("child"), dict):
                stone["child"] = {k: v for k, v in original["child"].items() if k not in PERSONAL_CHILD_FIELDS}
            stones.append({"rid": row_id, "stone": stone, "committed": payload_commitment(key_id, text, keyring)})
        if stones:  # one statement for the chunk (bench/records.py)
            session.execute(change, stones)
            done.rows += len(stones)
    return done
