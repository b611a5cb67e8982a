"""The history proves itself against concurrency and against someone holding the database
(issue 36): appends take turns on every database, the seal says from which row the history is
keyed, a missing key is never replaced, checkpoints follow the database's identity, and no
checkpoint is written over a history that fails."""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import subprocess
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from pepflow.audit.checkpoints import read as read_checkpoints
from pepflow.audit.checkpoints import write as checkpoint
from pepflow.audit.verify import checkpoint as checked_checkpoint
from pepflow.audit.verify import verify
from pepflow.db import history_keys as keys
from pepflow.db import make_engine
from pepflow.db.seal import read_seal
from pepflow.errors import HistoryError, InputError

from .support.history_writers import append_rows
from .tampering import rewritten_as_unkeyed, tamper


def test_concurrent_writers_in_processes_and_threads_keep_one_chain(db_url):
    make_engine(db_url).dispose()
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=append_rows, args=(db_url, 25, f"p{n}")) for n in range(4)]
    threads = [threading.Thread(target=append_rows, args=(db_url, 25, f"t{n}")) for n in range(3)]
    for worker in processes + threads:
        worker.start()
    for worker in processes + threads:
        worker.join(timeout=300)
    assert all(p.exitcode == 0 for p in processes)
    engine = make_engine(db_url)
    try:
        result = verify(engine)
        assert result.ok, result.problems
        assert result.rows == 7 * 25
        with engine.connect() as conn:
            forks = conn.execute(text("SELECT prev_hash FROM event GROUP BY prev_hash HAVING COUNT(*) > 1")).all()
        assert forks == []
    finally:
        engine.dispose()


def test_a_new_database_is_sealed_keyed_from_its_first_row(engine):
    with engine.connect() as conn:
        seal = read_seal(conn)
    assert seal is not None and seal.keyed_from == 1 and len(seal.database_id) == 32
    assert seal.problem(keys.keyring_for(engine.url.render_as_string(hide_password=True))) is None


def test_every_row_rewritten_as_from_before_keying_is_caught_by_the_seal(engine):
    append_rows(engine.url.render_as_string(hide_password=False), 6, "a")
    checkpoint(engine)
    said = rewritten_as_unkeyed(engine)
    result = verify(engine)
    assert not result.ok and said in " | ".join(result.problems)
    with pytest.raises(HistoryError, match="no checkpoint was written"):
        checked_checkpoint(engine)


def test_a_removed_seal_is_named(engine):
    append_rows(engine.url.render_as_string(hide_password=False), 3, "a")
    tamper(engine, "DELETE FROM history_seal")
    assert "the history's seal is missing" in " | ".join(verify(engine).problems)


def test_a_changed_seal_is_named(engine):
    append_rows(engine.url.render_as_string(hide_password=False), 3, "a")
    tamper(engine, "UPDATE history_seal SET keyed_from = 1000")
    assert "the history's seal was changed" in " | ".join(verify(engine).problems)


@pytest.fixture
def own_key(tmp_path, monkeypatch):
    """A database with a history key file of its own (not the test session's): (url, key file)."""
    key_file = tmp_path / "history.key"
    monkeypatch.setenv("PEPFLOW_HISTORY_KEY_FILE", str(key_file))
    keys.forget()
    yield f"sqlite:///{tmp_path / 'council.db'}", key_file
    keys.forget()


def test_a_missing_key_is_an_error_naming_the_file_and_no_key_is_made(own_key, tmp_path, cli):
    url, key_file = own_key
    append_rows(url, 3, "a")
    assert key_file.exists()
    key_file.rename(tmp_path / "elsewhere.key")
    keys.forget()
    code, out, err = cli("--db", url, "audit", "verify")
    assert code == 1 and not key_file.exists()
    assert str(key_file) in err and "does not exist" in err and "restore the key file" in err
    assert "Made a new history key" not in out + err
    with pytest.raises(InputError, match="does not exist"):
        append_rows(url, 1, "b")
    assert not key_file.exists()


def test_a_key_file_others_can_read_is_refused(own_key, cli):
    url, key_file = own_key
    append_rows(url, 1, "a")
    key_file.chmod(0o644)
    keys.forget()
    code, _, err = cli("--db", url, "audit", "verify")
    assert code == 1 and "can be read by other users (mode 0644)" in err and f"chmod 600 {key_file}" in err


def test_a_key_file_git_tracks_is_refused(tmp_path, monkeypatch):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    key_file = tmp_path / "pepflow-history.key"
    keys.create(key_file, "sqlite:///x.db")
    subprocess.run(["git", "-C", str(tmp_path), "add", "pepflow-history.key"], check=True)
    keys.forget()
    with pytest.raises(InputError, match="is tracked by git"):
        keys.load(key_file)


def test_keys_made_in_place_of_each_other_never_share_an_id(tmp_path):
    first = keys.create(tmp_path / "a.key", "x")
    second = keys.create(tmp_path / "b.key", "x")
    assert first.current.startswith("k1-") and second.current.startswith("k1-")
    assert first.current != second.current
    assert keys.rotate(tmp_path / "a.key").startswith("k2-")


def test_checkpoints_follow_the_database_whatever_its_url_is_called(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    absolute = f"sqlite:///{tmp_path / 'council.db'}"
    append_rows(absolute, 4, "a")
    engine = make_engine(absolute)
    checkpoint(engine)
    engine.dispose()
    relative = make_engine("sqlite:///council.db")
    try:
        _, found = read_checkpoints(relative)
        assert len(found) == 1 and found[0].last_id == 4
    finally:
        relative.dispose()


def test_a_backup_cut_short_with_its_manifest_edited_is_refused(db_url, cli, tmp_path, request):
    append_rows(db_url, 8, "a")
    backup = tmp_path / "pepflow.backup"
    code, _, err = cli("--db", db_url, "db", "backup", str(backup))
    assert code == 0, err
    assert stat.S_IMODE(os.stat(backup).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(f"{backup}.json").st_mode) == 0o600
    manifest_file = Path(f"{backup}.json")
    manifest = json.loads(manifest_file.read_text())
    manifest["tables"]["event"] -= 2
    manifest["history_last_id"] -= 2
    manifest_file.write_text(json.dumps(manifest))
    target = (f"sqlite:///{tmp_path / 'restored.db'}" if db_url.startswith("sqlite")
              else request.getfixturevalue("postgres_server").new_database())
    code, _, err = cli("--db", target, "db", "restore", str(backup))
    assert code == 1 and "its manifest was changed after the backup was made" in err


def test_a_restore_is_compared_with_the_checkpoints_of_the_database_it_came_from(db_url, cli, tmp_path, request):
    append_rows(db_url, 8, "a")
    engine = make_engine(db_url)
    try:
        backup = tmp_path / "pepflow.backup"
        assert cli("--db", db_url, "db", "backup", str(backup))[0] == 0
        append_rows(db_url, 2, "b")
        checkpoint(engine)  # the live database moves on, checkpointed
        with engine.connect() as conn:
            identity = read_seal(conn).database_id
    finally:
        engine.dispose()
    target = (f"sqlite:///{tmp_path / 'restored.db'}" if db_url.startswith("sqlite")
              else request.getfixturevalue("postgres_server").new_database())
    code, out, err = cli("--db", target, "db", "restore", str(backup))
    # the backup is older than the live database's checkpoint: the restored history ends before it
    assert code == 1 and "does NOT verify" in err and "2 rows were deleted from its end" in err, out + err
    restored = make_engine(target, create=False)
    try:
        with restored.connect() as conn:
            assert read_seal(conn).database_id == identity
    finally:
        restored.dispose()


def test_init_key_makes_the_key_for_the_service_user_once(own_key, cli):
    url, key_file = own_key
    code, out, err = cli("--db", url, "audit", "init-key")
    assert code == 0, err
    assert key_file.exists() and stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert "Back the file up now" in out and keys.load(key_file).current.startswith("k1-")
    code, _, err = cli("--db", url, "audit", "init-key")
    assert code == 1 and "already exists" in err
    append_rows(url, 2, "a")  # the database made afterwards is sealed with that key
    keys.forget()
    assert verify(make_engine(url)).ok
