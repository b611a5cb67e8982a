"""The history key: the secret each history row's hash is keyed with, kept outside the database.

Someone who can write to the database but does not have this key cannot add, change or
re-chain history rows without ``pepflow audit verify`` noticing: the hash of every row is
an HMAC-SHA256 under the key.  The key lives in a file (``PEPFLOW_HISTORY_KEY_FILE``; by
default beside a SQLite database, else ``pepflow-history.key`` in the current folder) or in
``PEPFLOW_HISTORY_KEY``.  The file is created, readable by its owner only, the first time a
history row is written, and pepflow says where: it must be backed up apart from the database
(a backup that holds both proves nothing).

A key file holds one key per line, ``<id> <64 hex digits>``, oldest first; the last is the
one new rows are signed with.  Rotating (``pepflow audit rotate-key``) appends a key: each
row records the id of the key it was signed with, so older rows still verify under theirs.
``PEPFLOW_HISTORY_KEY`` holds the same pairs as ``id=hex,id=hex`` (or one bare secret).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

log = logging.getLogger("pepflow.history")

HEADER = ("# pepflow history key: keep it secret and back it up apart from the database.\n"
          "# Without it `pepflow audit verify` cannot prove the history; with it anyone could rewrite it.\n"
          "# One key per line, oldest first; new history rows are signed with the last.\n")


@dataclass(frozen=True)
class Keyring:
    """The keys of one database's history: every key by id, and the one that signs new rows."""

    keys: dict[str, bytes]
    current: str
    where: str  # the file, or the environment variable, for messages

    def sign(self, key_id: str, message: bytes) -> str:
        return hmac.digest(self.keys[key_id], message, "sha256").hex()

    def has(self, key_id: str) -> bool:
        return key_id in self.keys


def key_file_for(database_url: str, setting: str | None = None) -> Path:
    """Where the key of this database lives: the setting, else beside a SQLite file, else
    ``pepflow-history.key`` in the current folder."""
    if setting:
        return Path(setting)
    if database_url.startswith("sqlite:///") and len(database_url) > len("sqlite:///"):
        return Path(database_url[len("sqlite:///"):] + ".history-key")
    return Path("pepflow-history.key")


def parse_keys(text: str, where: str) -> tuple[dict[str, bytes], str]:
    """The keys of a key file (or ``PEPFLOW_HISTORY_KEY``) and the current one's id."""
    keys: dict[str, bytes] = {}
    current = ""
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.replace("=", " ").split()
        if len(parts) != 2 or not _is_hex_key(parts[1]):
            raise InputError(where, f"line {number}", "is not '<key id> <64 hex digits>'")
        keys[parts[0]] = bytes.fromhex(parts[1])
        current = parts[0]
    if not keys:
        raise InputError(where, "", "holds no key")
    return keys, current


def _is_hex_key(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdefABCDEF" for c in value)


def from_environment(value: str) -> Keyring:
    """``PEPFLOW_HISTORY_KEY``: ``id=hex,id=hex`` pairs, oldest first, or one bare secret."""
    where = "PEPFLOW_HISTORY_KEY"
    if "=" not in value and "," not in value:
        return Keyring({"env": hashlib.sha256(value.encode("utf-8")).digest()}, "env", where)
    keys, current = parse_keys(value.replace(",", "\n"), where)
    return Keyring(keys, current, where)


def new_key_line(keys: dict[str, bytes]) -> str:
    number = 1
    while f"k{number}" in keys:
        number += 1
    return f"k{number} {secrets.token_hex(32)}\n"


def load_or_create(path: Path, database: str) -> Keyring:
    """The keyring in ``path``, creating the file with a first key when there is none."""
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        text = _create(path, database)
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("history key file", str(path), f"cannot be read: {exc}") from None
    keys, current = parse_keys(text, f"history key file {path}")
    return Keyring(keys, current, str(path))


def _create(path: Path, database: str) -> str:
    made = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = HEADER + f"# made {made} for {database}\n" + new_key_line({})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="ascii")
    except OSError as exc:
        raise InputError("history key file", str(path), f"cannot be created: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(text)
    log.warning("Made a new history key in %s. Back it up apart from the database: without it the "
                "history cannot be proved (PEPFLOW_HISTORY_KEY_FILE sets where it is kept).", path.resolve())
    return text


def rotate(path: Path) -> str:
    """Append a new key to the key file; returns its id.  Rows written from now on are signed
    with it; older rows keep verifying under their own key."""
    keyring = load_or_create(path, "")
    line = new_key_line(keyring.keys)
    with open(path, "a", encoding="ascii") as fh:
        fh.write(line)
    forget()
    return line.split()[0]


_rings: dict[str, Keyring] = {}
_lock = threading.Lock()


def keyring_for(database_url: str) -> Keyring:
    """The keyring of a database, read once per process (the settings say where it is)."""
    ring = _rings.get(database_url)
    if ring is None:
        from ..settings import environment

        with _lock:
            ring = _rings.get(database_url)
            if ring is None:
                env = environment()
                if env.history_key:
                    ring = from_environment(env.history_key)
                elif database_url in ("sqlite://", "sqlite:///:memory:"):
                    ring = Keyring({"memory": secrets.token_bytes(32)}, "memory", "memory")
                else:
                    ring = load_or_create(key_file_for(database_url, env.history_key_file), database_url)
                _rings[database_url] = ring
    return ring


def forget() -> None:
    """Read the key files again on next use (after a rotation, and in tests)."""
    with _lock:
        _rings.clear()
