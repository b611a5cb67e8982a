"""The database refuses to rewrite history: triggers on SQLite and PostgreSQL, and on
PostgreSQL an application role with no UPDATE, DELETE or TRUNCATE on the history."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from pepflow.db import make_engine
from pepflow.db.history_guard import HISTORY_REFUSED

from pepflow.db import session_scope
from pepflow.intake.csv_import import import_records

from pepflow.intake.csv_reading import read_csv

from .support.cases import DATA, add_child
from .conftest import d


def test_the_triggers_refuse_update_and_delete_of_history(world, config):
    add_child(world, config, d("2025-12-18"))
    for statement in ("UPDATE event SET name = 'forged'", "DELETE FROM event",
                      *(["TRUNCATE event"] if world.dialect.name == "postgresql" else [])):
        with pytest.raises(DBAPIError, match=HISTORY_REFUSED):
            with world.begin() as conn:
                conn.execute(text(statement))


def test_the_application_role_cannot_change_history_but_can_add_to_it(postgres_server, config, cli):
    url = postgres_server.new_database()
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP ROLE IF EXISTS pepflow_app"))
        conn.execute(text("CREATE ROLE pepflow_app LOGIN"))
    code, out, err = cli("--db", url, "db", "grant", "pepflow_app")
    assert code == 0 and "no UPDATE, DELETE or TRUNCATE" in out, err
    app_url = url.replace("postgres@", "pepflow_app@")
    app_engine = make_engine(app_url)
    with session_scope(app_engine) as s:  # the application records as usual
        for kind in ("people", "schools"):
            import_records(s, config, kind, read_csv(DATA / f"{kind}.csv", kind), d("2025-12-01"))
    add_child(app_engine, config, d("2025-12-18"))
    with engine.begin() as conn:  # the triggers are an owner's to drop; the grants still hold
        conn.execute(text("DROP TRIGGER event_no_change ON event"))
    for statement in ("UPDATE event SET name = 'forged'", "DELETE FROM event", "TRUNCATE event"):
        with pytest.raises(DBAPIError) as refused:
            with app_engine.begin() as conn:
                conn.execute(text(statement))
        assert isinstance(refused.value.orig, psycopg.errors.InsufficientPrivilege)
    with app_engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM event")).scalar() > 0
    app_engine.dispose()
    engine.dispose()


def test_grant_is_refused_on_sqlite(cli, tmp_path):
    code, _, err = cli("--db", f"sqlite:///{tmp_path / 'x.db'}", "db", "grant", "pepflow_app")
    assert code == 1 and "PostgreSQL's" in err
