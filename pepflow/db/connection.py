"""Engine and session helpers."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, create_engine

from pepflow.errors import InputError
from pepflow.environment import default_database_url
from pepflow.db.migrate import prepare
from pepflow.db.unit import UnitOfWork
from pepflow.db import history_guard, models  # noqa: F401  (registers the tables and the history's triggers)




# Connections each process keeps: as many as the web pages' threads (``web/app.py`` sets its thread pool
# to this), so no page waits for a connection, or opens and closes one beyond the pool, while a thread is
# free; a few over for a download's rows held open between its pieces, and the service's own work.  Under
# ten clients, connections opened and closed beyond SQLAlchemy's default 5 took a third of the Overdue PEPs
# page's time (issue 42, bench/web_load.py).  On PostgreSQL: (POOL_SIZE + POOL_OVERFLOW) a process.
POOL_SIZE = 12
POOL_OVERFLOW = 4
CACHE_KIB = 65536  # each SQLite connection's page cache: 64 MiB
STREAMING_CACHE_KIB = 4096  # ... while it streams a long list (``small_cache``)


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
    cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def make_engine(url: str | None = None, create: bool = True, upgrade: bool = False) -> Engine:
    """An engine for ``url``.  With ``create`` (the default), the database is made ready for
    this version: tables created in an empty one, a database from before migrations
    stamped; one at an older revision is refused unless ``upgrade`` (``db/migrate.py``)."""
    url = url or default_database_url()
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if not (url.startswith("sqlite") or url.startswith("postgresql")):
        raise InputError("database URL", url, "use sqlite:///FILE or postgresql://USER@HOST/DB")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
    if create:
        prepare(engine, upgrade=upgrade)
    return engine


@contextmanager
def small_cache(session) -> Iterator[None]:
    """A SQLite connection that reads a whole long list (a CSV download) with a small page
    cache meanwhile: every page it reads stays in its cache, and ten downloads at once grew
    the server by 64 MiB each (bench/web_load.py).  Nothing on PostgreSQL."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql(f"PRAGMA cache_size=-{STREAMING_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size=-{CACHE_KIB}")


def reset(engine: Engine) -> None:
    """Drop every table and its version, and create them afresh (the demo's --reset)."""
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    prepare(engine)


def checkpoint(engine: Engine) -> tuple[int, int]:
    """Copy what the write-ahead log holds into the SQLite database without waiting for
    readers or writers; returns (pages in the log, pages copied).  Nothing on PostgreSQL."""
    if engine.dialect.name != "sqlite":
        return 0, 0
    with engine.connect() as conn:
        _busy, in_log, copied = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
    return in_log, copied


def refresh_statistics(engine: Engine) -> None:
    """Give SQLite's query planner fresh statistics of every table (ANALYZE).

    Without them it guesses, and for a social worker's My work picked the (status, …) index
    over the (owner_ref, status, …) one: 700 ms instead of 24 ms at 100,000 children, and
    7 requests/s instead of 45 under bench/load.py's 50 users.  A full ANALYZE of 1,000,000
    deadlines takes about a second (a sampled one, ``analysis_limit``, kept the bad plan), so
    it runs after each sweep (``upkeep.after_sweep``) and after each import.  PostgreSQL's
    autovacuum keeps its own statistics."""
    if engine.dialect.name != "sqlite":
        return
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


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
