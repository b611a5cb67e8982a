"""Backups a council can prove: ``pepflow db backup FILE`` and ``pepflow db restore FILE``.

A backup is taken while the service runs and is consistent: on SQLite through SQLite's online
backup API (a page-by-page copy that restarts if another connection writes meanwhile), on
PostgreSQL by ``pg_dump`` (custom format) reading a snapshot that pepflow exported and counted
in, so the counts it writes beside the backup (``FILE.json``: every table's rows, the schema
revision, the history's last row and its hash) are those of exactly what was dumped.

The manifest is signed with the history key (which is kept apart from the database and is not in
the backup), and names the database's identity (its seal, ``db/seal.py``): a backup cut short
with its manifest edited to match is refused.  A restore goes into a new database only (a SQLite
file that does not exist, or a PostgreSQL database with no tables) and is then checked against
those counts, and its history walked and compared with every checkpoint of the database it came
from (``audit verify``), whatever URL either is known by.  ``pepflow audit verify --replay`` then
compares the tables with the history.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

from pepflow.errors import BackupError, InputError
from pepflow.db.history_keys import Keyring, key_file_for, keyring_for
from pepflow.db.seal import new_identity, read_seal
from pepflow.db.connection import make_engine


@dataclass
class Manifest:
    taken_at: str
    database: str
    dialect: str
    revision: str | None
    tables: dict[str, int]
    history_last_id: int | None
    history_last_hash: str | None
    database_id: str | None = None
    key_id: str | None = None
    signature: str | None = None

    def as_json(self) -> dict[str, Any]:
        return self.__dict__.copy()

    def signed_text(self) -> bytes:
        """What the signature covers: every other field, in a fixed form."""
        fields = {k: v for k, v in self.__dict__.items() if k not in ("key_id", "signature")}
        return ("pepflow backup manifest 1|" + json.dumps(fields, sort_keys=True, separators=(",", ":"))
                ).encode("utf-8")

    def sign(self, keyring: Keyring) -> None:
        self.key_id = keyring.current
        self.signature = keyring.sign(keyring.current, self.signed_text())

    def problem(self, keyring: Keyring) -> str | None:
        """Why this manifest cannot be trusted with ``keyring``, or None."""
        if not self.signature or not self.key_id:
            return ("its manifest is not signed with the history key: it was changed, or made by a pepflow "
                    "from before manifests were signed")
        if not keyring.has(self.key_id):
            return (f"its manifest is signed with key '{self.key_id[:20]}', which {keyring.where} does not hold: "
                    "use the history key of the database it was taken from")
        if not keyring.verifies(self.key_id, self.signed_text(), self.signature):
            return "its manifest was changed after the backup was made (its signature does not match)"
        return None

    @classmethod
    def of(cls, data: dict[str, Any]) -> "Manifest":
        return cls(**{k: data.get(k) for k in cls.__dataclass_fields__})


def manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _counts(connection) -> tuple[str | None, dict[str, int], int | None, str | None]:
    """The schema revision, each table's rows, and the history's head, as this connection sees them."""
    names = sorted(t for t in inspect(connection).get_table_names())
    tables = {t: connection.execute(text(f'SELECT COUNT(*) FROM "{t}"')).scalar_one() for t in names}
    revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar() \
        if "alembic_version" in names else None
    head = connection.execute(text("SELECT id, hash FROM event ORDER BY id DESC LIMIT 1")).first() \
        if "event" in names else None
    return revision, tables, (head[0] if head else None), (head[1] if head else None)


def _online_copy(engine: Engine, path: Path) -> None:
    source = sqlite3.connect(engine.url.database, timeout=30)
    target = sqlite3.connect(str(path))
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()


def copy_sqlite(engine: Engine, path: Path) -> None:
    """Copy a SQLite database, in use or not, to ``path`` (replaced if there) with SQLite's
    online backup API, with its history key beside it (``<file>.history-key``) when it has one
    there, so the copy's history verifies as the original's does.  The copy goes its own way (a
    simulation): it is given an identity of its own (``seal.new_identity``)."""
    _online_copy(engine, path)
    key = key_file_for(f"sqlite:///{engine.url.database}")
    if key.exists():
        copied = key_file_for(f"sqlite:///{path}")
        copied.unlink(missing_ok=True)
        _write_private(copied, key.read_text(encoding="ascii"))
    copy = make_engine(f"sqlite:///{path}", create=False)
    try:
        with copy.begin() as connection:
            new_identity(connection)
    finally:
        copy.dispose()


def backup(engine: Engine, path: Path, now: dt.datetime) -> Manifest:
    """Back the database up to ``path`` (which must not exist) and write its manifest beside it."""
    if path.exists():
        raise InputError("FILE", str(path), "already exists: give a new file for each backup")
    if not path.parent.is_dir():
        raise InputError("FILE", str(path), "is in a folder that does not exist")
    database = engine.url.render_as_string(hide_password=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # readable by its owner only
    if engine.dialect.name == "sqlite":
        try:
            _online_copy(engine, path)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        copy = create_engine(f"sqlite:///{path}")
        with copy.connect() as connection:
            revision, tables, last_id, last_hash = _counts(connection)
        copy.dispose()
    else:
        revision, tables, last_id, last_hash = _pg_dump(engine, path)
    with engine.connect() as connection:
        seal = read_seal(connection)
    manifest = Manifest(now.astimezone(dt.timezone.utc).isoformat(), database, engine.dialect.name, revision,
                        tables, last_id, last_hash, seal.database_id if seal else None)
    manifest.sign(keyring_for(database))
    _write_private(manifest_path(path), json.dumps(manifest.as_json(), indent=2) + "\n")
    return manifest


def _write_private(path: Path, text: str) -> None:
    """A file only its owner can read (a backup's manifest names the database and its tables)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def _libpq(url) -> tuple[list[str], dict[str, str]]:
    """pg_dump's and pg_restore's connection arguments for ``url``: the password in the
    environment (PGPASSWORD), never on a command line others can read."""
    args = ["--dbname", url.database or "postgres"]
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed: install PostgreSQL's client tools (Debian: postgresql-client)")
    return found


def _pg_dump(engine: Engine, path: Path) -> tuple[str | None, dict[str, int], int | None, str | None]:
    """pg_dump of a snapshot this connection holds open and counts in (REPEATABLE READ)."""
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        with connection.begin():
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            counted = _counts(connection)
            args, env = _libpq(engine.url)
            done = subprocess.run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
                                   f"--snapshot={snapshot}", "--file", str(path), *args],
                                  env=env, capture_output=True, text=True)
    if done.returncode != 0:
        path.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {done.stderr.strip()[:500]}")
    return counted


def restore(path: Path, target_url: str) -> tuple[Manifest, list[str]]:
    """Restore the backup at ``path`` into the new database ``target_url`` once its manifest's
    signature holds; returns the manifest and what differs from it (nothing when the restore is
    whole)."""
    manifest_file = manifest_path(path)
    if not path.exists() or not manifest_file.exists():
        raise InputError("FILE", str(path), f"needs the backup and its manifest {manifest_file.name} beside it")
    try:
        manifest = Manifest.of(json.loads(manifest_file.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise InputError("FILE", str(manifest_file), f"is not a backup manifest: {exc}") from None

    engine = make_engine(target_url, create=False)
    refused = manifest.problem(keyring_for(engine.url.render_as_string(hide_password=True)))
    if refused:
        engine.dispose()
        raise BackupError(f"The backup {path} was not restored: {refused}.")
    try:
        if engine.dialect.name != manifest.dialect:
            raise InputError("--db", target_url, f"is {engine.dialect.name}; the backup is of a {manifest.dialect} "
                             "database")
        if engine.dialect.name == "sqlite":
            target = Path(engine.url.database or "")
            if target.exists() and target.stat().st_size > 0:
                raise InputError("--db", target_url, "already exists: restore into a new file")
            source, copy = sqlite3.connect(str(path)), sqlite3.connect(str(target))
            try:
                source.backup(copy)
            finally:
                source.close()
                copy.close()
        else:
            with engine.connect() as connection:
                if inspect(connection).get_table_names():
                    raise InputError("--db", target_url, "already has tables: restore into a new, empty database")
            args, env = _libpq(engine.url)
            done = subprocess.run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
                                   *args, str(path)], env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise BackupError(f"pg_restore failed: {done.stderr.strip()[:500]}")
        with engine.connect() as connection:
            revision, tables, last_id, last_hash = _counts(connection)
    finally:
        engine.dispose()
    differences = [f"{t}: {tables.get(t)} rows restored, {n} in the backup" for t, n in sorted(manifest.tables.items())
                   if tables.get(t) != n]
    if revision != manifest.revision:
        differences.append(f"schema revision {revision}, the backup's is {manifest.revision}")
    if (last_id, last_hash) != (manifest.history_last_id, manifest.history_last_hash):
        differences.append(f"the history ends at row {last_id}, the backup's at row {manifest.history_last_id}")
    return manifest, differences
