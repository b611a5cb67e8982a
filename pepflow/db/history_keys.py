"""The history key: the secret each history row's hash is keyed with, kept outside the database.

Someone who can write to the database but does not have this key cannot add, change or
re-chain history rows without ``pepflow audit verify`` noticing: the hash of every row is
an HMAC-SHA256 under the key.  The key lives in a file (``PEPFLOW_HISTORY_KEY_FILE``; by
default beside a SQLite database, else ``pepflow-history.key`` in the current folder) or in
``PEPFLOW_HISTORY_KEY``.  The file is made, readable by its owner only, only where no history
signed with a key exists yet: when a database is made (its seal, ``db/seal.py``), when one from
before keyed history is upgraded, or by ``pepflow audit init-key``; pepflow says where.  It
must be backed up apart from the database (a backup that holds both proves nothing).  A
missing key is an error naming the file to restore, never replaced: a new key would sign new
rows under the history of the old one.  A key file that other users can read, or that git
tracks (a key in a repository is public), is refused.

A key file holds one key per line, ``<id> <64 hex digits>``, oldest first; the last is the
one new rows are signed with.  A key's id ends with a fingerprint of the key itself
(``k2-1f0c9a3e``), so two keys never share an id.  Rotating (``pepflow audit rotate-key``) appends a key: each
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
import stat
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from pepflow.errors import InputError
from pepflow.environment import environment

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

    def verifies(self, key_id: str, message: bytes, signature: str) -> bool:
        """Whether ``signature`` is this keyring's key ``key_id`` over ``message`` (in constant time)."""
        return self.has(key_id) and hmac.compare_digest(self.sign(key_id, message), signature)


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


def fingerprint(key: bytes) -> str:
    """Eight hex digits naming a key without revealing it."""
    return hashlib.sha256(b"pepflow history key id|" + key).hexdigest()[:8]


def new_key_line(keys: dict[str, bytes]) -> str:
    """A new key's line: its id is the next ``k<n>`` with the key's own fingerprint, so a key made
    in place of a lost one can never pass for it."""
    number = len(keys) + 1
    while any(k == f"k{number}" or k.startswith(f"k{number}-") for k in keys):
        number += 1
    key = secrets.token_bytes(32)
    return f"k{number}-{fingerprint(key)} {key.hex()}\n"


def load(path: Path) -> Keyring:
    """The keyring in ``path``; a missing, unreadable, shared or git-tracked file is an error
    naming it and what to do."""
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise InputError("history key file", str(path),
                         "does not exist. This database's history is signed with a key: restore the key file "
                         "from where it was backed up (apart from the database), or point "
                         "PEPFLOW_HISTORY_KEY_FILE at it. pepflow never makes a new key in place of a lost "
                         "one") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("history key file", str(path), f"cannot be read: {getattr(exc, 'strerror', exc)}") from None
    check_private(path)
    keys, current = parse_keys(text, f"history key file {path}")
    return Keyring(keys, current, str(path))


def check_private(path: Path) -> None:
    """Refuse a key file other users may read, or one a git repository tracks."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise InputError("history key file", str(path),
                         f"can be read by other users (mode {mode:04o}): anyone who can read it can rewrite the "
                         f"history. Run: chmod 600 {path}  (and make its owner the user pepflow runs as)")
    if _tracked_by_git(path):
        raise InputError("history key file", str(path),
                         "is tracked by git, so everyone with the repository has it. Make a new database with "
                         "a key kept elsewhere (PEPFLOW_HISTORY_KEY_FILE), and remove this file from the "
                         "repository: git rm --cached")


def _tracked_by_git(path: Path) -> bool:
    folder = path.resolve().parent
    probe = folder
    while not (probe / ".git").exists():
        if probe.parent == probe:
            return False  # not in a work tree: no git asked
        probe = probe.parent
    try:
        done = subprocess.run(["git", "-C", str(folder), "ls-files", "--error-unmatch", path.name],
                              capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def create(path: Path, database: str) -> Keyring:
    """Make a key file with a first key (another process that made it first wins: its key is
    used).  Only for a database whose history holds no keyed row."""
    made = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    text = HEADER + f"# made {made} for {database}\n" + new_key_line({})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return load(path)
    except OSError as exc:
        raise InputError("history key file", str(path), f"cannot be created: {exc.strerror}") from None
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(text)
    log.warning("Made a new history key in %s. Back it up apart from the database: without it the "
                "history cannot be proved (PEPFLOW_HISTORY_KEY_FILE sets where it is kept).", path.resolve())
    return load(path)


def rotate(path: Path) -> str:
    """Append a new key to the key file; returns its id.  Rows written from now on are signed
    with it; older rows keep verifying under their own key."""
    keyring = load(path)
    line = new_key_line(keyring.keys)
    with open(path, "a", encoding="ascii") as fh:
        fh.write(line)
    forget()
    return line.split()[0]


_rings: dict[str, Keyring] = {}
_lock = threading.Lock()


def keyring_for(database_url: str, create_missing: bool = False) -> Keyring:
    """The keyring of a database, read once per process (the settings say where it is).
    ``create_missing`` makes the key file where there is none: only for a database whose history
    has no keyed row (``db/seal.py``); otherwise a missing file is an error (``load``)."""
    ring = _rings.get(database_url)
    if ring is None:
        with _lock:
            ring = _rings.get(database_url)
            if ring is None:
                env = environment()
                if env.history_key:
                    ring = from_environment(env.history_key)
                elif database_url in ("sqlite://", "sqlite:///:memory:"):
                    ring = Keyring({"memory": secrets.token_bytes(32)}, "memory", "memory")
                else:
                    path = key_file_for(database_url, env.history_key_file)
                    ring = create(path, database_url) if create_missing and not path.exists() else load(path)
                _rings[database_url] = ring
    return ring


def forget() -> None:
    """Read the key files again on next use (after a rotation, and in tests)."""
    with _lock:
        _rings.clear()
