"""No database password reaches a message, an error or a log line (issue 35): every ``db``
command, a restore, an unreachable server, and the service's own log lines."""

from __future__ import annotations

import logging

from pepflow.errors import InputError, without_passwords
from pepflow.logs import RequestFields

SECRET = "Tr0ub4dor-and-3"


def _with_password(url: str) -> str:
    """The test server trusts loopback, so a password in the URL is accepted and ignored."""
    return url.replace("postgres@", f"postgres:{SECRET}@")


def test_no_db_command_prints_the_database_password(postgres_server, cli, tmp_path):
    url = _with_password(postgres_server.new_database())
    said = []
    for args in (("db", "upgrade"), ("db", "current"), ("audit", "checkpoint"), ("audit", "verify"),
                 ("db", "backup", str(tmp_path / "p.backup"))):
        code, out, err = cli("--db", url, *args)
        assert code == 0, err
        said.append(out + err)
    target = _with_password(postgres_server.new_database())
    code, out, err = cli("--db", target, "db", "restore", str(tmp_path / "p.backup"))
    said.append(out + err)
    code, out, err = cli("--db", target, "db", "restore", str(tmp_path / "p.backup"))  # refused: has tables
    assert code == 1
    said.append(out + err)
    unreachable = f"postgresql://pepflow_owner:{SECRET}@127.0.0.1:1/pepflow"
    code, out, err = cli("--db", unreachable, "db", "current")
    assert code != 0
    said.append(out + err)
    assert all(SECRET not in text for text in said), [t for t in said if SECRET in t]
    assert "***" in said[1]  # the URL is still named, its password hidden


def test_errors_and_log_lines_hide_a_url_password():
    error = InputError("--db", f"postgresql://owner:{SECRET}@db.council.gov.uk/pepflow", "cannot be reached")
    assert SECRET not in str(error) and "owner:***@db.council.gov.uk" in str(error)
    record = logging.LogRecord("pepflow.run", logging.INFO, __file__, 1, "pepflow running on %s",
                               (f"postgresql://owner:{SECRET}@127.0.0.1/pepflow",), None)
    RequestFields().filter(record)
    assert SECRET not in record.getMessage() and "owner:***@127.0.0.1" in record.getMessage()
    assert without_passwords("sqlite:///pepflow.db") == "sqlite:///pepflow.db"
