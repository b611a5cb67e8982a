"""Shared fixtures: configuration, calendars, and databases on SQLite and a real PostgreSQL.

The PostgreSQL server is started once per test session in a temporary directory on a
free port, and stopped at the end.  Where no server can be started the PostgreSQL
variants skip with the reason, unless PEPFLOW_REQUIRE_POSTGRES=1 (as in CI), when they fail.
"""

from __future__ import annotations

import datetime as dt
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from pepflow.config import load_config

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    """One history key and one checkpoint file for the whole session, outside the repository
    (each checkpoint names its database, so the databases of different tests do not mix;
    tests/test_history_key.py checks the defaults beside a database)."""
    where = Path(tempfile.mkdtemp(prefix="pepflow-history-"))
    os.environ.setdefault("PEPFLOW_HISTORY_KEY_FILE", str(where / "history.key"))
    os.environ.setdefault("PEPFLOW_HISTORY_CHECKPOINT_FILE", str(where / "history.checkpoints"))


@pytest.fixture(scope="session")
def config():
    return load_config()


@pytest.fixture(scope="session")
def cal(config):
    return config.calendar("default")


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# ---- PostgreSQL ---------------------------------------------------------------------

def _pg_bindir() -> str | None:
    found = shutil.which("pg_ctl")
    if found:
        return str(Path(os.path.realpath(found)).parent)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return str(Path(candidates[-1]).parent) if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _PostgresServer:
    def __init__(self) -> None:
        bindir = _pg_bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL is not installed (no pg_ctl found; apt-get install postgresql)")
        self.bindir = bindir
        self.dir = tempfile.mkdtemp(prefix="pepflow-pg-")
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            shutil.chown(self.dir, "postgres", "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        data = os.path.join(self.dir, "data")
        self._run(f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self._run(f"{bindir}/pg_ctl", "-D", data, "-l", os.path.join(self.dir, "log"), "-w",
                  "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off",
                  "start")
        self.data = data
        self._ids = itertools.count(1)

    def _run(self, *args: str) -> None:
        result = subprocess.run([*self.as_user, *args], capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stderr.strip() or result.stdout.strip()}")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self, template: str | None = None) -> str:
        """A new empty database, or a copy of the database ``template`` (which nothing may be using)."""
        import psycopg

        name = f"pepflow_test_{next(self._ids)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name}")
            conn.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        return self.url(name)

    def down_for(self, seconds: float) -> None:
        """Stop the server at once (as a crash would), and start it again ``seconds`` later."""
        self._run(f"{self.bindir}/pg_ctl", "-D", self.data, "-m", "immediate", "stop")
        time.sleep(seconds)
        self._run(f"{self.bindir}/pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "log"), "-w",
                  "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self) -> None:
        subprocess.run([*self.as_user, f"{self.bindir}/pg_ctl", "-D", self.data, "-m", "immediate",
                        "stop"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server():
    try:
        server = _PostgresServer()
    except (RuntimeError, OSError, KeyError) as exc:
        if os.environ.get("PEPFLOW_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required here but could not start: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty database: a SQLite file, or a new database on the test PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("postgres_server").new_database()


@pytest.fixture
def engine(db_url):
    from pepflow.db import make_engine

    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def cli(capsys, monkeypatch, tmp_path):
    """Run the ``pepflow`` command in-process; returns (exit code, stdout, stderr)."""
    from pepflow.cli import run

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PEPFLOW_TODAY", raising=False)
    monkeypatch.delenv("PEPFLOW_DATABASE_URL", raising=False)
    monkeypatch.delenv("PEPFLOW_CONFIG", raising=False)

    def invoke(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            run(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return code, out, err

    return invoke
