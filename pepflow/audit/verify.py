"""``pepflow audit verify``: walk the keyed chain, then check it against every checkpoint.

What each tampering looks like here:

* a row changed, inserted, deleted or swapped in the middle: the link or the keyed hash
  of the first row that no longer fits;
* a row appended, or the chain recomputed after an edit, by anyone without the key: the
  keyed hash of the first such row;
* rows taken off the end, or every row deleted: the history no longer reaches the row a
  checkpoint recorded;
* the chain rewritten by someone who had the key: the hash at a checkpointed row differs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from sqlalchemy import Text, cast
from sqlalchemy.engine import Engine

from ..db.models import Event
from . import GENESIS, history_rows, row_hash
from .checkpoints import Checkpoint, database_name, read
from .keys import Keyring, keyring_for


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

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None and not self.checkpoint_problems

    @property
    def problems(self) -> list[str]:
        chain = []
        if self.first_bad_id is not None:
            others = self.rows_not_fitting - 1
            more = f" ({others} more rows after it do not fit either)" if others else ""
            chain = [f"row {self.first_bad_id}: {self.problem}{more}"]
        return chain + self.checkpoint_problems


def verify_rows(rows: Iterable[Any], keyring: Keyring, checkpoints: list[Checkpoint] = ()) -> Verification:
    """Walk ``rows`` in id order; the result names the first row that does not fit, and every
    checkpoint the history no longer matches."""
    wanted = {c.last_id for c in checkpoints}
    seen: dict[int, tuple[int, str]] = {}
    result = Verification(0)
    previous, keyed = GENESIS, False
    for row in rows:
        data = dict(row._mapping)
        result.rows += 1
        result.last_id = data["id"]
        key_id = data["key_id"] or ""
        problem = None
        if data["prev_hash"] != previous:
            problem = ("its link to the row before does not match: a row before it was deleted or inserted, "
                       "or this one was")
        elif not key_id and keyed:
            problem = ("it is not signed with the history key, though rows before it are: it was added "
                       "without pepflow")
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
    from sqlalchemy import func, select

    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Event.__table__)).scalar_one()


def verify(engine: Engine, batch: int = 10_000, on_rows: Callable[[int], None] | None = None) -> Verification:
    """Walk the whole history in order, a batch at a time, and check it against the checkpoints
    (``on_rows(n)`` after each batch: a progress bar)."""
    t = Event.__table__
    keyring = keyring_for(database_name(engine))
    path, checkpoints = read(engine)

    # the payload as the text stored: a keyed row's hash covers that text itself
    columns = [c for c in t.c if c.name != "payload"] + [cast(t.c.payload, Text).label("payload_text")]
    rows = history_rows(engine, columns, batch)
    if on_rows:
        rows = _counted(rows, batch, on_rows)
    result = verify_rows(rows, keyring, checkpoints)
    result.checkpoint_file = path
    return result
