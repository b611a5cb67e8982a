"""Eighteen ways an administrator of the database could change a case's record behind pepflow's
back, each with what ``pepflow audit verify`` (or ``--replay``) must then say.

Each ``Tampering`` changes a database with a checkpointed history of a few children or more
(the triggers that refuse it dropped first, as that administrator could) and returns the
words the finding must contain.  ``tests/test_history_tampering.py`` runs each on SQLite and
PostgreSQL; ``bench/tamper.py`` runs each on a copy of the demo database and counts them."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import text

from pepflow.audit import FIELDS, _encode_body, _plain, row_hash
from pepflow.db.history_keys import keyring_for
from pepflow.db.history_guard import unguard
from pepflow.db.writes import json_text


@dataclass(frozen=True)
class Tampering:
    name: str
    apply: Callable[[Any], str]  # changes the database; returns what the finding must say
    by_replay: bool = False  # found by --replay (the tables), not by the chain


def ids(engine) -> list[int]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT id FROM event ORDER BY id"))]


def rows(engine) -> list[dict]:
    """The history rows with their columns' own types (dates as dates), as a forger would read them."""
    from sqlalchemy import select

    from pepflow.db.models import Event

    t = Event.__table__
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(t).order_by(t.c.id))]


def tamper(engine, *statements: str, **params) -> None:
    with engine.begin() as conn:
        unguard(conn)
        for statement in statements:
            conn.execute(text(statement), params)


def plain_sha256(previous: str, row: dict) -> str:
    """What a forger without the key can compute: the chain's old, unkeyed hash."""
    payload = row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
    fields = [_plain({**row, "payload": payload}.get(f)) for f in FIELDS] + [row["key_id"]]
    return hashlib.sha256((previous + _encode_body(fields)).encode()).hexdigest()


def _middle(engine) -> int:
    all_ids = ids(engine)
    return all_ids[len(all_ids) // 2]


def changed_effective_date(engine) -> str:
    middle = _middle(engine)
    tamper(engine, "UPDATE event SET effective_on = '2026-01-04' WHERE id = :i", i=middle)
    return f"row {middle}: its contents do not match its keyed hash"


def changed_payload(engine) -> str:
    middle = _middle(engine)
    tamper(engine, "UPDATE event SET payload = '{}' WHERE id = :i", i=middle)
    return f"row {middle}: its contents do not match"


def changed_actor(engine) -> str:
    middle = _middle(engine)
    tamper(engine, "UPDATE event SET actor_ref = 'VSH1' WHERE id = :i", i=middle)
    return f"row {middle}: its contents do not match"


def deleted_middle_row(engine) -> str:
    all_ids = ids(engine)
    at = len(all_ids) // 2
    tamper(engine, "DELETE FROM event WHERE id = :i", i=all_ids[at])
    return f"row {all_ids[at + 1]}: its link to the row before does not match"


def changed_hash(engine) -> str:
    middle = _middle(engine)
    tamper(engine, "UPDATE event SET hash = :h WHERE id = :i", h="f" * 64, i=middle)
    return f"row {middle}: its contents do not match"


def swapped_rows(engine) -> str:
    all_ids = ids(engine)
    a, b = all_ids[len(all_ids) // 2], all_ids[len(all_ids) // 2 + 1]
    tamper(engine, "UPDATE event SET id = -1 WHERE id = :a", "UPDATE event SET id = :a WHERE id = :b",
           "UPDATE event SET id = :b WHERE id = -1", a=a, b=b)
    return f"row {a}: its link to the row before does not match"


def unkeyed_row_among_keyed(engine) -> str:
    middle = _middle(engine)
    tamper(engine, "UPDATE event SET key_id = '' WHERE id = :i", i=middle)
    return f"row {middle}: it is not signed with the history key"


def deleted_last_row(engine) -> str:
    tamper(engine, "DELETE FROM event WHERE id = :i", i=ids(engine)[-1])
    return "1 rows were deleted from its end"


def deleted_last_fifty_rows(engine) -> str:
    tamper(engine, "DELETE FROM event WHERE id >= :i", i=ids(engine)[-50])
    return "50 rows were deleted from its end"


def deleted_every_row(engine) -> str:
    tamper(engine, "DELETE FROM event")
    return "the history is empty, but the checkpoint of"


def forged_row_appended(engine) -> str:
    last = rows(engine)[-1]
    forged = {**last, "id": last["id"] + 1, "name": "left_care", "prev_hash": last["hash"]}
    forged["hash"] = plain_sha256(last["hash"], forged)
    columns = [c for c in forged if c != "payload"]
    tamper(engine, f"INSERT INTO event ({', '.join(columns)}, payload) VALUES "
           f"({', '.join(':' + c for c in columns)}, '{{}}')", **{c: forged[c] for c in columns})
    return f"row {forged['id']}: its contents do not match its keyed hash"


def _rechain(engine, edited: int, signer: Callable[[str, dict], str]) -> None:
    history = rows(engine)
    statements, params = ["UPDATE event SET actor_ref = 'VSH1' WHERE id = :e"], {"e": history[edited]["id"]}
    previous = history[edited - 1]["hash"]
    for n, row in enumerate(history[edited:]):
        payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
        row = {**row, "payload": payload, "prev_hash": previous, **({"actor_ref": "VSH1"} if n == 0 else {})}
        previous = signer(previous, row)
        statements.append(f"UPDATE event SET prev_hash = :p{n}, hash = :h{n} WHERE id = :i{n}")
        params.update({f"p{n}": row["prev_hash"], f"h{n}": previous, f"i{n}": row["id"]})
    tamper(engine, *statements, **params)


def edited_and_rechained(engine) -> str:
    edited = len(ids(engine)) // 2
    _rechain(engine, edited, plain_sha256)
    return f"row {ids(engine)[edited]}: its contents do not match its keyed hash"


def rechained_with_the_stolen_key(engine) -> str:
    """Someone who also stole the key can re-chain every row; the checkpoint kept apart still differs."""
    ring = keyring_for(engine.url.render_as_string(hide_password=True))
    _rechain(engine, 2, lambda previous, row: row_hash(previous, {**row, "payload_text": json_text(row["payload"])},
                                                       ring))
    return "hash is not the one in the checkpoint of"


def deadline_moved_a_year(engine) -> str:
    with engine.connect() as conn:
        deadline, due = conn.execute(text("SELECT id, due_on FROM deadline WHERE status = 'open' "
                                          "ORDER BY id")).first()
    due = due if isinstance(due, dt.date) else dt.date.fromisoformat(due)
    moved = due.replace(year=due.year + 1, day=min(due.day, 28))
    tamper(engine, "UPDATE deadline SET due_on = :due WHERE id = :i", due=moved, i=deadline)
    return f"deadline {deadline} ("  # … ): due_on is <moved> in the table, <due> in the history


def deadline_marked_met(engine) -> str:
    with engine.connect() as conn:
        deadline = conn.execute(text("SELECT id FROM deadline WHERE status = 'open' ORDER BY id")).scalar()
    tamper(engine, "UPDATE deadline SET status = 'met' WHERE id = :i", i=deadline)
    return f"deadline {deadline} ("  # … status is met in the table, open in the history


def date_of_birth_changed(engine) -> str:
    with engine.connect() as conn:
        ref, dob = conn.execute(text("SELECT ref, dob FROM child ORDER BY ref")).first()
    dob = dob if isinstance(dob, dt.date) else dt.date.fromisoformat(dob)
    tamper(engine, "UPDATE child SET dob = '2012-01-01' WHERE ref = :r", r=ref)
    return f"child {ref}: dob is 2012-01-01 in the table, {dob.isoformat()} in the history"


TAMPERINGS = [
    Tampering("a row's effective date changed", changed_effective_date),
    Tampering("a row's payload changed", changed_payload),
    Tampering("a row's actor changed", changed_actor),
    Tampering("a middle row deleted", deleted_middle_row),
    Tampering("a row's hash changed", changed_hash),
    Tampering("two rows swapped", swapped_rows),
    Tampering("a row's key id removed", unkeyed_row_among_keyed),
    Tampering("the last row deleted", deleted_last_row),
    Tampering("the last 50 rows deleted", deleted_last_fifty_rows),
    Tampering("every row deleted", deleted_every_row),
    Tampering("a forged row appended with a recomputed hash", forged_row_appended),
    Tampering("a middle row edited and the chain recomputed after it", edited_and_rechained),
    Tampering("the chain recomputed with the stolen key", rechained_with_the_stolen_key),
    Tampering("every row rewritten as unkeyed and the checkpoints removed", lambda e: rewritten_as_unkeyed(e)),
    Tampering("every row and the seal re-signed with a forged key (a key swap)",
              lambda e: resigned_with_a_forged_key(e)),
    Tampering("a deadline's due date moved a year", deadline_moved_a_year, by_replay=True),
    Tampering("a deadline marked met", deadline_marked_met, by_replay=True),
    Tampering("a child's date of birth changed", date_of_birth_changed, by_replay=True),
]


def finding(engine, config, tampering: Tampering) -> tuple[bool, str]:
    """(detected, what pepflow said) after ``tampering``: the chain and checkpoints, and for a
    tampering of the tables, the replay."""
    from pepflow.audit.replay import replay
    from pepflow.audit.verify import verify

    result = verify(engine)
    if not result.ok:
        return True, " | ".join(result.problems)
    found = replay(engine, config)
    return (not found.ok), " | ".join(found.differences)


def rewritten_as_unkeyed(engine) -> str:
    """Every row rewritten as a row "from before the history was keyed" (plain sha256, which
    needs no key), with one decision changed, and this database's checkpoints removed from the
    checkpoint file: only the seal still says the history is keyed."""
    from pepflow.audit.checkpoints import checkpoint_file, database_id

    history = rows(engine)
    statements, params = [], {}
    previous = "0" * 64
    for n, row in enumerate(history):
        payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
        row = {**row, "payload": payload, "prev_hash": previous, "key_id": "",
               **({"actor_ref": "VSH1"} if n == len(history) // 2 else {})}
        previous = plain_sha256(previous, row)
        statements.append(f"UPDATE event SET key_id = '', actor_ref = :a{n}, prev_hash = :p{n}, hash = :h{n} "
                          f"WHERE id = :i{n}")
        params.update({f"a{n}": row["actor_ref"], f"p{n}": row["prev_hash"], f"h{n}": previous, f"i{n}": row["id"]})
    tamper(engine, *statements, **params)
    path, identity = checkpoint_file(engine), database_id(engine)
    if path is not None and path.exists():
        kept = [line for line in path.read_text().splitlines(keepends=True) if identity not in line]
        path.write_text("".join(kept))
    return f"row {history[0]['id']}: it is not signed with the history key, though the database's seal says"


def resigned_with_a_forged_key(engine) -> str:
    """A key swap: every row and the seal re-signed with the forger's own key, under the real
    key's id, one decision changed (as if the key file had been replaced by theirs)."""
    from pepflow.db.history_keys import Keyring
    from pepflow.db.seal import read_seal

    real = keyring_for(engine.url.render_as_string(hide_password=True))
    forged = Keyring({key_id: b"forged key " + key_id.encode() for key_id in real.keys}, real.current, "forged")
    history = rows(engine)
    statements, params = [], {}
    previous = "0" * 64
    for n, row in enumerate(history):
        payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
        row = {**row, "payload": payload, "prev_hash": previous,
               **({"actor_ref": "VSH1"} if n == len(history) // 2 else {})}
        previous = row_hash(previous, {**row, "payload_text": json_text(payload)}, forged)
        statements.append(f"UPDATE event SET actor_ref = :a{n}, payload = :j{n}, prev_hash = :p{n}, hash = :h{n} "
                          f"WHERE id = :i{n}")
        params.update({f"a{n}": row["actor_ref"], f"j{n}": json_text(payload), f"p{n}": row["prev_hash"],
                       f"h{n}": previous, f"i{n}": row["id"]})
    with engine.connect() as conn:
        seal = read_seal(conn)
    statements.append("UPDATE history_seal SET signature = :seal")
    params["seal"] = forged.sign(seal.key_id, seal.message())
    tamper(engine, *statements, **params)
    return f"row {history[0]['id']}: its contents do not match its keyed hash"
