"""The history's key and checkpoints, and ``pepflow audit`` on the command line."""

from __future__ import annotations

import os
import stat

from sqlalchemy import text

from pepflow.db import history_keys as keys
from pepflow.audit.checkpoints import write as checkpoint
from pepflow.audit.verify import verify
from pepflow.db.history_guard import unguard

from .conftest import d
from .support.cases import add_child, event


def history(engine, config):
    add_child(engine, config, d("2025-12-18"))
    event(engine, config, "C100", "pep_meeting_held", "2026-01-05")
    event(engine, config, "C100", "pep_submitted", "2026-01-08")
    event(engine, config, "C100", "pep_approved", "2026-01-12", rating="green")
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT id FROM event ORDER BY id"))]


def test_audit_verify_exits_non_zero_on_a_broken_chain(world, config, cli):
    ids = history(world, config)
    code, out, _ = cli("--db", str(world.url), "audit", "verify")
    assert code == 0 and f"History intact: {len(ids)} rows, each keyed and chained" in out
    assert "Checkpoint written" in out
    with world.begin() as conn:
        unguard(conn)
        conn.execute(text("UPDATE event SET payload = '{\"rating\": \"amber\"}' WHERE id = :i"), {"i": ids[-1]})
    code, _, err = cli("--db", str(world.url), "audit", "verify")
    assert code == 1 and "History NOT intact" in err and f"row {ids[-1]}: its contents do not match" in err


def test_audit_verify_replay_names_an_edited_deadline(world, config, cli):
    history(world, config)
    code, out, _ = cli("--db", str(world.url), "audit", "verify", "--replay")
    assert code == 0 and "children match the tables" in out
    with world.begin() as conn:
        conn.execute(text("UPDATE deadline SET status = 'cancelled' WHERE status = 'open'"))
    code, _, err = cli("--db", str(world.url), "audit", "verify", "--replay")
    assert code == 1 and "The tables do NOT match the history" in err and "status is cancelled in the table" in err


def test_rows_signed_before_a_key_rotation_still_verify(world, config, monkeypatch, tmp_path):
    history(world, config)
    key_file = tmp_path / "rotating.key"
    key_file.write_text(open(os.environ["PEPFLOW_HISTORY_KEY_FILE"]).read())
    key_file.chmod(0o600)
    monkeypatch.setenv("PEPFLOW_HISTORY_KEY_FILE", str(key_file))
    keys.forget()
    try:
        first = keys.rotate(key_file)
        event(world, config, "C100", "pep_distributed", "2026-01-14")
        result = verify(world)
        assert first.startswith("k2-") and result.ok, result.problems
        assert {k.split("-")[0] for k in result.rows_by_key} == {"k1", "k2"}
        assert result.rows_by_key[first] == 1
        key_file.write_text(key_file.read_text().splitlines()[-1] + "\n")  # the old key lost
        keys.forget()
        result = verify(world)
        assert not result.ok and "is signed with key 'k1-" in result.problem
    finally:
        keys.forget()


def test_a_new_key_file_is_made_beside_a_sqlite_database_readable_by_its_owner_only(tmp_path, monkeypatch):
    import logging

    said: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: said.append(record.getMessage())
    logging.getLogger("pepflow.history").addHandler(handler)
    monkeypatch.delenv("PEPFLOW_HISTORY_KEY_FILE")
    monkeypatch.delenv("PEPFLOW_HISTORY_CHECKPOINT_FILE")
    keys.forget()
    try:
        from pepflow.db import make_engine

        engine = make_engine(f"sqlite:///{tmp_path / 'council.db'}")
        checkpoint(engine)
        key_file = tmp_path / "council.db.history-key"
        assert key_file.exists() and stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
        assert any(str(key_file.resolve()) in m and "Back it up apart from the database" in m for m in said)
        assert (tmp_path / "council.db.history-checkpoints").exists()
    finally:
        keys.forget()
        logging.getLogger("pepflow.history").removeHandler(handler)


def test_a_key_from_the_environment_signs_the_history(world, config, monkeypatch):
    old_id, old = [line for line in open(os.environ["PEPFLOW_HISTORY_KEY_FILE"]) if line.startswith("k1-")][0].split()
    monkeypatch.setenv("PEPFLOW_HISTORY_KEY", f"{old_id}={old},k9={'ab' * 32}")
    keys.forget()
    try:
        history(world, config)
        result = verify(world)
        assert result.ok and set(result.rows_by_key) == {old_id, "k9"}
        monkeypatch.setenv("PEPFLOW_HISTORY_KEY", "a council secret without the old keys")
        keys.forget()
        assert "which PEPFLOW_HISTORY_KEY does not hold" in verify(world).problem
    finally:
        keys.forget()


def test_a_checkpoint_line_edited_by_hand_is_named(world, config):
    history(world, config)
    checkpoint(world)
    path = os.environ["PEPFLOW_HISTORY_CHECKPOINT_FILE"]
    url = world.url.render_as_string(hide_password=True)
    lines = open(path).read().splitlines()
    mine = [i for i, line in enumerate(lines) if url in line][-1]
    lines[mine] = lines[mine].replace('"rows": ', '"rows": 1')
    open(path, "w").write("\n".join(lines) + "\n")
    result = verify(world)
    assert not result.ok and f"line {mine + 1} of the checkpoint file was changed" in result.problems[0]


def test_audit_checkpoint_and_rotate_key_commands(world, config, cli):
    history(world, config)
    code, out, _ = cli("--db", str(world.url), "audit", "checkpoint")
    assert code == 0 and "Checkpoint written to" in out


def test_a_checkpoint_file_that_cannot_be_written_is_a_clear_error_and_the_sweep_goes_on(world, config, cli,
                                                                                         monkeypatch, tmp_path):
    monkeypatch.setenv("PEPFLOW_HISTORY_CHECKPOINT_FILE", str(tmp_path / "missing" / "checkpoints"))
    (tmp_path / "missing").write_text("a file where the folder should be")
    code, _, err = cli("--db", str(world.url), "audit", "checkpoint")
    assert code == 1 and "history checkpoint file" in err and "cannot be written" in err
    code, out, _ = cli("--db", str(world.url), "--today", "2026-01-12", "sweep")
    assert code == 0 and "Sweep 12 Jan 2026" in out


def test_the_history_is_checkpointed_at_the_weekend_too(world, config):
    from pepflow.service.application import App
    from pepflow.audit.checkpoints import read
    from pepflow.service.scheduler import history_checkpoint_job

    history(world, config)
    app = App(database_url=world.url.render_as_string(hide_password=False))
    history_checkpoint_job(app)
    _, checkpoints = read(world)
    assert checkpoints[-1].last_id == verify(world).last_id


def test_a_checkpoint_cut_short_by_a_kill_while_written_is_not_read_as_tampering(world, config):
    history(world, config)
    checkpoint(world)
    with open(os.environ["PEPFLOW_HISTORY_CHECKPOINT_FILE"], "a") as fh:
        fh.write('{"at": "2026-12-02T03:00:00Z", "database": "')
    try:
        assert verify(world).ok
    finally:
        path = os.environ["PEPFLOW_HISTORY_CHECKPOINT_FILE"]
        text = open(path).read()
        open(path, "w").write(text[:text.rindex("\n") + 1])
