"""The restore drill: a populated database backed up while the service writes to it, restored into
a fresh database, proved by ``pepflow audit verify``, every table's rows as the backup recorded."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from sqlalchemy import func
from sqlmodel import select
from sqlmodel import Session

from pepflow.db import make_engine
from pepflow.db.models import Event

from .conftest import ROOT
from .faults.harness import DEMO_DAY, demo_database, python_env


def _history_rows(url: str) -> int:
    engine = make_engine(url)
    with Session(engine) as s:
        count = s.exec(select(func.count()).select_from(Event)).one()
    engine.dispose()
    return count


def test_a_backup_taken_while_the_service_writes_restores_whole_and_verifies(db_url, cli, tmp_path, request):
    demo_database(db_url)
    before = _history_rows(db_url)
    # the service at work: a term of events simulated day by day, each day its own transactions
    writer = subprocess.Popen([sys.executable, "-m", "pepflow.cli", "--db", db_url, "--today", DEMO_DAY.isoformat(),
                               "simulate", "--in-place", "--from", DEMO_DAY.isoformat(), "--to", "2027-01-29"],
                              cwd=ROOT, env=python_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while _history_rows(db_url) == before and time.monotonic() < deadline:
            time.sleep(0.05)
        backup = tmp_path / "pepflow.backup"
        code, out, err = cli("--db", db_url, "db", "backup", str(backup))
        assert code == 0, err
        assert writer.poll() is None, "the writer finished before the backup: the drill proves nothing"
    finally:
        _, writer_err = writer.communicate(timeout=300)
    assert writer.returncode == 0, writer_err[-2000:]
    manifest = json.loads((tmp_path / "pepflow.backup.json").read_text())
    after = _history_rows(db_url)
    assert before < manifest["tables"]["event"] < after  # taken in the middle of the writing
    if db_url.startswith("sqlite"):
        target = f"sqlite:///{tmp_path / 'restored.db'}"
    else:
        target = request.getfixturevalue("postgres_server").new_database()
    code, out, err = cli("--db", target, "db", "restore", str(backup))
    assert code == 0, err
    assert "every table has the rows the backup recorded" in out
    code, out, err = cli("--db", target, "audit", "verify")
    assert code == 0, out + err
    assert _history_rows(target) == manifest["tables"]["event"]
    # a restore never goes over a database that has data
    code, _, err = cli("--db", target, "db", "restore", str(backup))
    assert code == 1 and "restore into a new" in err


def test_a_backup_never_overwrites_a_file(cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    demo_database(url)
    (tmp_path / "taken.backup").write_text("an earlier backup")
    code, _, err = cli("--db", url, "db", "backup", str(tmp_path / "taken.backup"))
    assert code == 1 and "already exists" in err
