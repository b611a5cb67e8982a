"""``pepflow audit verify``: walk the keyed chain, then check it against every checkpoint.

What each tampering looks like here:

* a row changed, inserted, deleted or swapped in the middle: the link or the keyed hash
  of the first row that no longer fits;
* a row appended, or the chain recomputed after an edit, by anyone without the key: the
  keyed hash of the first such row;
* rows taken off the end, or every row deleted: the history no longer reaches the row a
  checkpoint recorded;
* the chain rewritten by someone who had the key: the hash at a checkpointed row differs;
* every row rewritten as a row "from before the history was keyed" (plain sha256, which needs
  no key): the database's seal (``db/seal.py``) says, under the key, from which row on every
  row is keyed; a seal missing, changed or signed with a key not held is named too.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from sqlalchemy import Text, cast, func, select
from sqlalchemy.engine import Engine

from pepflow.clock import Clock
from pepflow.db.history_keys import Keyring, keyring_for
from pepflow.db.models import Event
from pepflow.db.seal import Seal, read_seal
from pepflow.errors import HistoryError
from pepflow.audit import GENESIS, history_rows, row_hash
from pepflow.audit.checkpoints import Checkpoint, database_name, read, write

log = logging.getLogger("pepflow.history")


@dataclass
class Verification:
    rows: int
    first_bad_id: int | None = None
    problem: str = ""
    last_id: int = 0
    rows_not_fitting: int = 0  # after the first, the walk goes on from each row's own hash
    unkeyed_rows: int = 0  # written before the history was keyed (plain sha256)
    rows_by_key: dict[str, int] = field(default_factory=dict)
    checkpoint_file: Path | None = None
    checkpoints: list[Checkpoint] = field(default_factory=list)
    checkpoint_problems: list[str] = field(default_factory=list)
    seal_problems: list[str] = field(default_factory=list)
    keyed_from: int | None = None  # the seal's first row that must be keyed (None: no seal)

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None and not self.checkpoint_problems and not self.seal_problems

    @property
    def problems(self) -> list[str]:
        chain = []
        if self.first_bad_id is not None:
            others = self.rows_not_fitting - 1
            more = f" ({others} more rows after it do not fit either)" if others else ""
            chain = [f"row {self.first_bad_id}: {self.problem}{more}"]
        return self.seal_problems + chain + self.checkpoint_problems


MISSING_SEAL = ("the history's seal is missing (table history_seal): it was removed, so nothing proves which rows "
                "were written before the history was keyed")


def verify_rows(rows: Iterable[Any], keyring: Keyring, checkpoints: list[Checkpoint] = (),
                seal: Seal | None = None, previous: str = GENESIS) -> Verification:
    """Walk ``rows`` in id order (``previous``: the hash of the row before the first); the result
    names the first row that does not fit, every checkpoint the history no longer matches, and a
    seal that is missing (``seal`` None) or cannot be trusted."""
    wanted = {c.last_id for c in checkpoints}
    seen: dict[int, tuple[int, str]] = {}
    result = Verification(0)
    keyed = False
    if seal is None:
        result.seal_problems.append(MISSING_SEAL)
    else:
        said = seal.problem(keyring)
        if said:
            result.seal_problems.append(said)
    keyed_from = result.keyed_from = seal.keyed_from if seal is not None else None
    for row in rows:
        data = dict(row._mapping)
        result.rows += 1
        result.last_id = data["id"]
        key_id = data["key_id"] or ""
        problem = None
        if data["prev_hash"] != previous:
            problem = ("its link to the row before does not match: a row before it was deleted or inserted, "
                       "or this one was")
        elif not key_id and keyed_from is not None and data["id"] >= keyed_from:
            problem = ("it is not signed with the history key, though the database's seal says every row from "
                       f"row {keyed_from} on is: it was added or rewritten without pepflow")
        elif not key_id and keyed:
            problem = ("it is not signed with the history key, though rows before it are: it was added "
                       "without pepflow")
        elif key_id and keyed_from is not None and data["id"] < keyed_from:
            problem = (f"it is signed with a key, though the database's seal says rows before row {keyed_from} "
                       "were written before the history was keyed: it was added without pepflow")
        elif key_id and not keyring.has(key_id):
            problem = (f"it is signed with key '{key_id[:20]}', which {keyring.where} does not hold: the key "
                       "file is not this database's, or a key was lost")
        elif row_hash(previous, data if key_id else {**data, "payload": json.loads(data["payload_text"])},
                      keyring) != data["hash"]:
            problem = ("its contents do not match its keyed hash: it was changed, or added or re-chained by "
                       "someone without the history key" if key_id else
                       "its contents do not match its hash: it was changed")
        if problem:
            result.rows_not_fitting += 1
            if result.first_bad_id is None:
                result.first_bad_id, result.problem = data["id"], problem
        keyed = keyed or bool(key_id)
        if problem:
            pass  # counted above
        elif key_id:
            result.rows_by_key[key_id] = result.rows_by_key.get(key_id, 0) + 1
        else:
            result.unkeyed_rows += 1
        previous = data["hash"]
        if data["id"] in wanted:
            seen[data["id"]] = (result.rows, previous)
    result.checkpoints = list(checkpoints)
    result.checkpoint_problems = [p for c in checkpoints for p in _against(c, result, seen)]
    return result


def _against(c: Checkpoint, result: Verification, seen: dict[int, tuple[int, str]]) -> list[str]:
    if not c.signed:
        return [f"line {c.line} of the checkpoint file was changed or is not pepflow's (its signature "
                "does not match)"]
    if c.last_id == 0:
        return []
    if c.last_id not in seen:
        if result.rows == 0:
            return [f"the history is empty, but {c.said()}: every row was deleted"]
        if result.last_id < c.last_id:
            return [f"the history ends at row {result.last_id} ({result.rows} rows), but {c.said()}: "
                    f"{c.rows - result.rows if c.rows > result.rows else 'some'} rows were deleted from its end"]
        return [f"row {c.last_id} is missing, but {c.said()}: it was deleted"]
    rows, hash_ = seen[c.last_id]
    found = []
    if hash_ != c.hash:
        found.append(f"row {c.last_id}'s hash is not the one in {c.said()}: the history up to it was rewritten")
    if rows != c.rows:
        found.append(f"{rows} rows up to row {c.last_id}, but {c.said()}: rows were deleted or inserted "
                     "before it")
    return found


def _counted(rows: Iterable[Any], every: int, on_rows: Callable[[int], None]) -> Iterator[Any]:
    n = 0
    for row in rows:
        yield row
        n += 1
        if n == every:
            on_rows(n)
            n = 0
    on_rows(n)


def history_size(engine: Engine) -> int:
    """How many rows the history holds (for a progress bar's length)."""
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Event.__table__)).scalar_one()


# the payload as the text stored: a keyed row's hash covers that text itself
HISTORY_COLUMNS = [c for c in Event.__table__.c if c.name != "payload"] + [
    cast(Event.__table__.c.payload, Text).label("payload_text")]


def _what_proves(engine: Engine, also: Path | None = None) -> tuple[Keyring, Path | None, list[Checkpoint],
                                                                  Seal | None]:
    """The key, the checkpoint file and its checkpoints of this database, and its seal."""
    keyring = keyring_for(database_name(engine))
    with engine.connect() as connection:
        seal = read_seal(connection)
    path, checkpoints = read(engine, also, seal.database_id if seal else "")
    return keyring, path, checkpoints, seal


def verify(engine: Engine, batch: int = 10_000, on_rows: Callable[[int], None] | None = None,
           also: Path | None = None) -> Verification:
    """Walk the whole history in order, a batch at a time, and check it against the checkpoints
    (``on_rows(n)`` after each batch: a progress bar; ``also``: another checkpoint file, such as
    that of the database a backup was taken from)."""
    keyring, path, checkpoints, seal = _what_proves(engine, also)
    rows = history_rows(engine, HISTORY_COLUMNS, batch)
    if on_rows:
        rows = _counted(rows, batch, on_rows)
    result = verify_rows(rows, keyring, checkpoints, seal)
    result.checkpoint_file = path
    return result


def verify_since_checkpoint(engine: Engine, batch: int = 10_000) -> Verification:
    """Check what was added since the latest good checkpoint: that row still holds the hash the
    checkpoint recorded, the rows after it chain and are keyed, and the seal holds.  The whole
    history when there is no checkpoint yet.  Cheap enough for every sweep (a day's rows)."""
    t = Event.__table__
    keyring, _path, checkpoints, seal = _what_proves(engine)
    good = [c for c in checkpoints if c.signed and c.last_id]
    if not good:
        return verify(engine, batch)
    latest = good[-1]
    with engine.connect() as connection:
        rows_to_it = connection.execute(select(func.count()).where(t.c.id <= latest.last_id)).scalar_one()
        row_there = connection.execute(select(t.c.hash).where(t.c.id == latest.last_id)).scalar()
    tail = history_rows(engine, HISTORY_COLUMNS, batch, after=latest.last_id)
    result = verify_rows(tail, keyring, [], seal, previous=latest.hash)
    result.checkpoints = [latest]
    if row_there is None:
        result.checkpoint_problems.append(f"row {latest.last_id} is missing, but {latest.said()}: it was deleted")
    elif row_there != latest.hash:
        result.checkpoint_problems.append(f"row {latest.last_id}'s hash is not the one in {latest.said()}: the "
                                          "history up to it was rewritten")
    elif rows_to_it != latest.rows:
        result.checkpoint_problems.append(f"{rows_to_it} rows up to row {latest.last_id}, but {latest.said()}: "
                                          "rows were deleted or inserted before it")
    return result


def checkpoint(engine: Engine, clock: Clock | None = None) -> Checkpoint:
    """Checkpoint the history's head, after checking what was added since the last checkpoint
    (``verify_since_checkpoint``): a checkpoint is never written over a history that fails, or
    it would vouch for the forgery.  Raises ``HistoryError`` naming what does not fit."""
    found = verify_since_checkpoint(engine)
    if not found.ok:
        problems = "; ".join(found.problems)
        log.error("History NOT checkpointed: it does not verify: %s. Run `pepflow audit verify --replay`.", problems)
        raise HistoryError(f"The history does not verify, so no checkpoint was written: {problems}. "
                           "Run `pepflow audit verify --replay` and restore from a backup that verifies.")
    return write(engine, clock)
