"""Shared fixtures: configuration, calendars, and databases on SQLite and a real PostgreSQL.

The PostgreSQL server is started once per test session in a temporary directory on a
free port, and stopped at the end.  Where no server can be started the PostgreSQL
variants skip with the reason, unless PEPFLOW_REQUIRE_POSTGRES=1 (as in CI), when they fail.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from pepflow.config import load_config

from .pgserver import PostgresServer, free_port  # noqa: F401  (free_port: used by tests)
from .support import ROOT, d  # noqa: F401  (used by tests)
from .support.admissions import schools  # noqa: F401  (fixture)
from .support.cases import world  # noqa: F401  (fixture)
from .support.web import fresh_site  # noqa: F401  (fixture)



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


# ---- PostgreSQL ---------------------------------------------------------------------

@pytest.fixture(scope="session")
def postgres_server():
    try:
        server = PostgresServer()
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
