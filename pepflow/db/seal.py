"""The history's seal: this database's identity, and the history row from which every row is
signed with the history key, the whole signed with that key.

A keyed chain alone cannot tell a database that was never keyed from one whose every row was
rewritten, by someone without the key, as a row "from before the history was keyed" (plain
sha256).  The seal says, under the key, that rows from ``keyed_from`` on are keyed: a forger
can neither lower it nor remove it unnoticed (``audit/verify.py``).  It is made with the
database (``migrate.prepare``) or by revision 0010 for an older one, and never again: a
database at today's revision without its seal has been tampered with.

Its ``database_id`` is the database's identity: checkpoints (``audit/checkpoints.py``) and
backup manifests (``db/backup.py``) name it, so they follow the database through a backup and
restore and whatever its URL is called.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from pepflow.db.history_keys import Keyring, keyring_for
from pepflow.errors import InputError


@dataclass(frozen=True)
class Seal:
    database_id: str
    made_at: str
    keyed_from: int
    key_id: str
    signature: str

    def message(self) -> bytes:
        return f"pepflow history seal 1|{self.database_id}|{self.made_at}|{self.keyed_from}".encode("utf-8")

    def problem(self, keyring: Keyring) -> str | None:
        """Why this seal cannot be trusted with ``keyring``, or None."""
        if not keyring.has(self.key_id):
            return (f"the history's seal is signed with key '{self.key_id[:20]}', which {keyring.where} does not "
                    "hold: the key file is not this database's, or a key was lost")
        if not keyring.verifies(self.key_id, self.message(), self.signature):
            return "the history's seal was changed: it no longer matches its signature"
        return None


def _signed(keyring: Keyring, made_at: str, keyed_from: int) -> Seal:
    """A seal with a new database identity, signed with the keyring's current key."""
    unsigned = Seal(uuid.uuid4().hex, made_at, keyed_from, keyring.current, "")
    return Seal(unsigned.database_id, made_at, keyed_from, keyring.current,
                keyring.sign(keyring.current, unsigned.message()))


def database_url(connection: Connection) -> str:
    return connection.engine.url.render_as_string(hide_password=True)


def read_seal(connection: Connection) -> Seal | None:
    """The database's seal, or None when it has none (a database made before seals, or tampered with)."""
    if not inspect(connection).has_table("history_seal"):
        return None
    row = connection.execute(text("SELECT database_id, made_at, keyed_from, key_id, signature FROM history_seal "
                                  "WHERE id = 1")).first()
    return Seal(*row) if row else None


def make_seal(connection: Connection, now: dt.datetime | None = None) -> Seal:
    """Seal a database that has no seal: keyed from its first keyed row, or from the next row
    when none is keyed yet (a new database, or one from before keyed history).  The key file is
    made only in that second case: a history already signed needs the key it was signed with."""
    first_keyed, last = connection.execute(text(
        "SELECT (SELECT MIN(id) FROM event WHERE key_id <> ''), (SELECT MAX(id) FROM event)")).one()
    keyring = keyring_for(database_url(connection), create_missing=first_keyed is None)
    made_at = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    keyed_from = first_keyed if first_keyed is not None else (last or 0) + 1
    seal = _signed(keyring, made_at, keyed_from)
    connection.execute(text("INSERT INTO history_seal (id, database_id, made_at, keyed_from, key_id, signature) "
                            "VALUES (1, :d, :m, :k, :i, :s)"),
                       {"d": seal.database_id, "m": seal.made_at, "k": seal.keyed_from, "i": seal.key_id,
                        "s": seal.signature})
    return seal


def new_identity(connection: Connection) -> Seal:
    """Give a copy of a database that goes its own way (a simulation's copy, a test's copy of a
    template) an identity of its own, sealed again with the same key and ``keyed_from``: the
    original's checkpoints are then not read as the copy's.  A backup restored keeps its
    identity instead, so it is compared with the original's.  Needs the key, as any seal does."""
    old = read_seal(connection)
    keyring = keyring_for(database_url(connection))
    if old is None or old.problem(keyring):
        raise InputError("database", database_url(connection),
                         "has no seal this key can prove, so it cannot be given a new identity")
    seal = _signed(keyring, old.made_at, old.keyed_from)
    connection.execute(text("UPDATE history_seal SET database_id = :d, key_id = :i, signature = :s WHERE id = 1"),
                       {"d": seal.database_id, "i": seal.key_id, "s": seal.signature})
    return seal
