"""A throwaway PostgreSQL server in a temporary folder on a free port, for the tests and the
benchmarks (``bench/*.py --postgres``): initdb, pg_ctl start with fsync off, a database per
use, stopped and removed at the end."""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def pg_bindir() -> str | None:
    found = shutil.which("pg_ctl")
    if found:
        return str(Path(os.path.realpath(found)).parent)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return str(Path(candidates[-1]).parent) if candidates else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# the tests' server: nothing it holds needs to survive a power cut
TEST_SETTINGS = {"fsync": "off"}
# the benchmarks' server, set up as the deployment guide advises for a council's server
# (docs/deployment.md), with commits as durable as SQLite's in pepflow (WAL, synchronous=NORMAL:
# a commit does not wait for the disk, the database is never corrupted)
BENCH_SETTINGS = {"shared_buffers": "1GB", "effective_cache_size": "4GB", "random_page_cost": "1.1",
                  "synchronous_commit": "off"}


class PostgresServer:
    def __init__(self, settings: dict[str, str] | None = None) -> None:
        bindir = pg_bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL is not installed (no pg_ctl found; apt-get install postgresql)")
        self.bindir = bindir
        self.dir = tempfile.mkdtemp(prefix="pepflow-pg-")
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            shutil.chown(self.dir, "postgres", "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        data = os.path.join(self.dir, "data")
        self.settings = TEST_SETTINGS if settings is None else settings
        self._run(f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.data = data
        self._start()
        self._ids = itertools.count(1)

    def _start(self) -> None:
        options = "".join(f" -c {name}={value}" for name, value in self.settings.items())
        self._run(f"{self.bindir}/pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "log"), "-w",
                  "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1{options}", "start")

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
        if template:  # a copy that goes its own way: an identity of its own
            from .support.copies import give_new_identity

            return give_new_identity(self.url(name))
        return self.url(name)

    def down_for(self, seconds: float) -> None:
        """Stop the server at once (as a crash would), and start it again ``seconds`` later."""
        self._run(f"{self.bindir}/pg_ctl", "-D", self.data, "-m", "immediate", "stop")
        time.sleep(seconds)
        self._start()

    def stop(self) -> None:
        subprocess.run([*self.as_user, f"{self.bindir}/pg_ctl", "-D", self.data, "-m", "immediate",
                        "stop"], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)



def bench_databases(folder: str, urls: list[str] | None, postgres: bool) -> tuple[list[str], "PostgresServer | None"]:
    """The databases a benchmark runs on, the SQLite anchor first: a ``--db sqlite:///…``
    given, else a file in ``folder``; then each PostgreSQL ``--db URL`` given (a database of its
    own: the benchmark empties it); then, with ``--postgres``, a new database on a throwaway
    server set up as the deployment guide advises (returned, for the caller to stop).  A
    PostgreSQL figure is printed beside the SQLite one measured in the same run.  The history key
    and checkpoints are kept in ``folder`` too, never in the folder the benchmark runs from."""
    os.environ.setdefault("PEPFLOW_HISTORY_KEY_FILE", os.path.join(folder, "history.key"))
    os.environ.setdefault("PEPFLOW_HISTORY_CHECKPOINT_FILE", os.path.join(folder, "history.checkpoints"))
    urls = urls or []
    sqlite = [u for u in urls if u.startswith("sqlite")]
    found = [sqlite[0] if sqlite else f"sqlite:///{os.path.join(folder, 'bench.db')}"]
    found += [u for u in urls if not u.startswith("sqlite")]
    server = None
    if postgres:
        server = PostgresServer(BENCH_SETTINGS)
        found.append(server.new_database())
    return found, server


def dialect_label(url: str) -> str:
    return "PostgreSQL" if url.startswith("postgres") else "SQLite"


def analyze_after_load(engine) -> None:
    """Statistics for the planner of a database a benchmark has just filled, as a live service
    would have them: VACUUM ANALYZE on PostgreSQL (autovacuum soon would), then a checkpoint;
    ANALYZE on SQLite (``pepflow run`` does after each sweep and import).  Without statistics
    a planner reads whole tables for a few rows."""
    if engine.dialect.name == "postgresql":
        from sqlalchemy.exc import ProgrammingError

        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("VACUUM ANALYZE")
            # the load's pages written out now, not by a checkpoint in the middle of what is timed
            # (a live service's bulk load is long past); a database of the user's own may not allow it
            try:
                conn.exec_driver_sql("CHECKPOINT")
            except ProgrammingError:  # not a superuser (nor pg_checkpoint's member): its own checkpoints, then
                pass
    else:
        from pepflow.db.connection import refresh_statistics

        refresh_statistics(engine)


def empty_engine(url: str):
    """An engine on ``url`` with pepflow's tables and nothing in them: a benchmark's
    PostgreSQL database of its own is emptied first (its SQLite file is new)."""
    from pepflow.db import make_engine
    from pepflow.db.connection import reset

    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        reset(engine)
    return engine


def copy_database(source_url: str, name: str) -> str:
    """A copy of the database at ``source_url``, called ``name`` (nothing may be connected
    to it): a SQLite file copied beside it, a PostgreSQL database made from it as template."""
    import psycopg
    from sqlalchemy.engine import make_url

    from pepflow.db import make_engine
    from pepflow.db.connection import checkpoint

    from .support.copies import give_new_identity

    url = make_url(source_url)
    if url.get_backend_name() == "sqlite":
        engine = make_engine(source_url, create=False)
        checkpoint(engine)
        engine.dispose()
        target = Path(url.database).with_name(f"{name}.db")
        shutil.copyfile(url.database, target)
        return give_new_identity(f"sqlite:///{target}")
    source = url.database
    with psycopg.connect(host=url.host, port=url.port, user=url.username, password=url.password,
                         dbname="postgres", autocommit=True) as c:
        c.execute(f"DROP DATABASE IF EXISTS {source}_{name}")
        c.execute(f"CREATE DATABASE {source}_{name} TEMPLATE {source}")
    return give_new_identity(url.set(database=f"{source}_{name}").render_as_string(hide_password=False))
