"""Checkpoints of the history's head, kept outside the database.

A keyed chain proves that no row was changed or added without the key, but not that
rows were taken off its end: a history cut short is still a valid chain.  So pepflow
writes the head of the chain (last row id, number of rows, that row's keyed hash) to a
file at every sweep (at least daily under ``pepflow run``), on ``pepflow audit checkpoint``
and after a successful ``pepflow audit verify``, and to the service log, but only over a history
that verifies (``audit/verify.checkpoint``).  ``verify`` checks the history against every
checkpoint of its database, found by the database's identity (its seal, ``db/seal.py``),
whatever its URL is called and after a backup is restored elsewhere: a history that no longer
reaches a checkpointed row, holds a different number of rows up to it, or a different
hash there, was truncated, emptied or rewritten.

The file (``PEPFLOW_HISTORY_CHECKPOINT_FILE``; by default beside a SQLite database, else
``pepflow-history.checkpoints`` in the current folder) holds one JSON object per line,
each signed with the history key.  Keep a copy where a database administrator cannot
rewrite it (README: "What the history guarantees").
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from pepflow.clock import Clock, SystemClock
from pepflow.db.models import Event
from pepflow.db.seal import read_seal
from pepflow.errors import InputError
from pepflow.db.history_keys import Keyring, keyring_for
from pepflow.environment import environment

log = logging.getLogger("pepflow.history")

IN_MEMORY = ("sqlite://", "sqlite:///:memory:")


@dataclass(frozen=True)
class Checkpoint:
    at: str
    database: str
    last_id: int
    rows: int
    hash: str
    key_id: str
    database_id: str = ""  # the database's identity (its seal); "" in lines written before seals
    line: int = 0
    signed: bool = True  # its signature matches (a line edited by hand does not)

    def said(self) -> str:
        return f"the checkpoint of {self.at} (line {self.line}: row {self.last_id}, {self.rows} rows)"


def database_name(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def file_for(database_url: str, setting: str | None = None) -> Path | None:
    """Where a database's checkpoints are kept (None for a database in memory)."""
    if setting:
        return Path(setting)
    if database_url in IN_MEMORY:
        return None
    if database_url.startswith("sqlite:///"):
        return Path(database_url[len("sqlite:///"):] + ".history-checkpoints")
    return Path("pepflow-history.checkpoints")


def checkpoint_file(engine: Engine) -> Path | None:
    return file_for(database_name(engine), environment().history_checkpoint_file)


def _body(at: str, database: str, last_id: int, rows: int, hash_: str, key_id: str, database_id: str = "") -> str:
    fields = {"at": at, "database": database, "last_id": last_id, "rows": rows, "hash": hash_, "key_id": key_id}
    if database_id:
        fields["database_id"] = database_id
    return json.dumps(fields, sort_keys=True, separators=(",", ":"))


def database_id(engine: Engine) -> str:
    """The database's identity, from its seal ("" when it has none)."""
    with engine.connect() as connection:
        seal = read_seal(connection)
    return seal.database_id if seal else ""


def head(engine: Engine) -> tuple[int, int, str]:
    """The history's last row id, its number of rows and the last row's hash (0, 0, "" when empty)."""
    t = Event.__table__
    with engine.connect() as conn:
        last, rows = conn.execute(select(func.max(t.c.id), func.count())).one()
        if last is None:
            return 0, 0, ""
        return last, rows, conn.execute(select(t.c.hash).where(t.c.id == last)).scalar_one()


def write(engine: Engine, clock: Clock | None = None) -> Checkpoint:
    """Checkpoint the history's head now: a signed line in the checkpoint file and the log."""
    database = database_name(engine)
    ring = keyring_for(database)
    last_id, rows, hash_ = head(engine)
    identity = database_id(engine)
    at = (clock or SystemClock()).now().astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = _body(at, database, last_id, rows, hash_, ring.current, identity)
    signature = ring.sign(ring.current, body.encode("utf-8"))
    path = checkpoint_file(engine)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            torn = _ends_torn(path)
            with open(path, "a", encoding="utf-8") as fh:
                fh.write(("\n" if torn else "") + json.dumps({**json.loads(body), "signature": signature}, sort_keys=True) + "\n")
        except OSError as exc:
            log.error("History checkpoint: row %s, %s rows, hash %s, NOT written to %s: %s", last_id, rows,
                      hash_ or "-", path, exc.strerror)
            raise InputError("history checkpoint file", str(path), f"cannot be written: {exc.strerror} "
                             "(PEPFLOW_HISTORY_CHECKPOINT_FILE sets where it is kept)") from None
    log.info("History checkpoint: row %s, %s rows, hash %s (%s)", last_id, rows, hash_ or "-",
             path or "not kept in a file: the database is in memory")
    return Checkpoint(at, database, last_id, rows, hash_, ring.current, identity)


def _ends_torn(path: Path) -> bool:
    """Whether the file's last line was cut short (a kill while it was written): its last byte."""
    if not path.exists() or path.stat().st_size == 0:
        return False
    with open(path, "rb") as fh:
        fh.seek(-1, 2)
        return fh.read(1) != b"\n"


def read(engine: Engine, also: Path | None = None, identity: str | None = None) -> tuple[Path | None, list[Checkpoint]]:
    """The checkpoints of this database, in the order written (with ``also``, those in that file
    too: the source's file after a restore); a line whose signature does not match is returned
    with ``signed=False``.  A line is this database's when it names the database's identity
    (its seal), or, written before seals, the same URL."""
    database = database_name(engine)
    identity = database_id(engine) if identity is None else identity  # the caller may have read the seal
    path = checkpoint_file(engine)
    ring = keyring_for(database)
    found: list[Checkpoint] = []
    for source in dict.fromkeys(p for p in (path, also) if p is not None):
        if not source.exists():
            continue
        with open(source, encoding="utf-8", errors="replace") as fh:
            for number, line in enumerate(fh, 1):
                if not line.endswith("\n"):
                    continue  # a last line cut short by a kill while it was written: not a checkpoint
                checkpoint = _parse(line, number, ring)
                if checkpoint is None:
                    continue
                ours = (checkpoint.database_id == identity if checkpoint.database_id and identity
                        else checkpoint.database in (database, "?"))
                if ours:
                    found.append(checkpoint)
    return path, found


def _parse(line: str, number: int, ring: Keyring) -> Checkpoint | None:
    try:
        data = json.loads(line)
        fields = (str(data["at"]), str(data["database"]), int(data["last_id"]), int(data["rows"]),
                  str(data["hash"]), str(data["key_id"]), str(data.get("database_id", "")))
        signature = str(data["signature"])
    except (ValueError, KeyError, TypeError):
        return Checkpoint("?", "?", 0, 0, "", "", line=number, signed=False) if line.strip() else None
    body = _body(*fields).encode("utf-8")
    signed = ring.verifies(fields[5], body, signature)
    return Checkpoint(*fields, line=number, signed=signed)
