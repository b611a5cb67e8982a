"""Engine and session helpers."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, create_engine

from ..errors import InputError
from ..settings import default_database_url
from .unit import UnitOfWork




def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Copy the write-ahead log into the database every 10,000 pages (40 MB) rather than
    # SQLite's 1,000: a checkpoint ends in an fsync, and at 1,000 pages the sweep and the
    # dispatcher each paid one or two (a third of a dispatch of 2,000 emails: bench/sweep.py).
    # ``pepflow run`` checkpoints every minute off the request and send paths (``checkpoint``),
    # and SQLite checkpoints when the last connection closes.
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.execute("PRAGMA busy_timeout=30000")
    # a council's database is tens to hundreds of MB: keep its hot pages in memory
    cursor.execute("PRAGMA cache_size=-65536")  # 64 MiB
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def make_engine(url: str | None = None, create: bool = True) -> Engine:
    """An engine for ``url``; tables are created on first use."""
    from . import models  # noqa: F401  (registers the tables)

    url = url or default_database_url()
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if not (url.startswith("sqlite") or url.startswith("postgresql")):
        raise InputError("database URL", url, "use sqlite:///FILE or postgresql://USER@HOST/DB")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    if create:
        create_schema(engine)
    return engine


# indexes an earlier version made that a later one replaced (ix_deadline_sweep goes with
# the columns it indexed: _move_sweep_dates_to_their_table)
OBSOLETE_INDEXES = ("ix_deadline_status_due",)


def create_schema(engine: Engine) -> None:
    """Create the tables that are missing, and bring the indexes of existing ones up to date
    (``create_all`` only makes indexes with their table), so a council's database gets the
    indexes a new version relies on when it is next opened."""
    SQLModel.metadata.create_all(engine)
    _move_sweep_dates_to_their_table(engine)
    existing = inspect(engine)
    for table in SQLModel.metadata.sorted_tables:
        have = {ix["name"] for ix in existing.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in have:
                index.create(engine)
        for name in OBSOLETE_INDEXES:
            if name in have:
                with engine.begin() as conn:
                    conn.exec_driver_sql(f"DROP INDEX {name}")


def checkpoint(engine: Engine) -> tuple[int, int]:
    """Copy what the write-ahead log holds into the SQLite database without waiting for
    readers or writers; returns (pages in the log, pages copied).  Nothing on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return 0, 0
    with engine.connect() as conn:
        _busy, in_log, copied = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
    return in_log, copied


@contextmanager
def session_scope(engine: Engine) -> Iterator[UnitOfWork]:
    """One transaction: committed if the block succeeds, rolled back if it raises."""
    with UnitOfWork(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _move_sweep_dates_to_their_table(engine: Engine) -> None:
    """Earlier versions kept the sweep's next date and last step on each deadline row:
    move them to ``deadline_step`` and drop the two columns."""
    columns = {c["name"] for c in inspect(engine).get_columns("deadline")}
    if "last_step" not in columns:
        return
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO deadline_step (next_step_on, deadline_id, last_step) "
                             "SELECT next_step_on, id, last_step FROM deadline "
                             "WHERE status = 'open' AND next_step_on IS NOT NULL")
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_deadline_sweep")
        conn.exec_driver_sql("ALTER TABLE deadline DROP COLUMN next_step_on")
        conn.exec_driver_sql("ALTER TABLE deadline DROP COLUMN last_step")
