"""Fifteen tamperings (and a sixteenth, with a stolen key) with copies of the demo database,
each checked with ``pepflow audit verify`` and ``--replay``: how many are detected and named.

The demo cohort (300 children, its imports and a term of events) is built once and its
history checkpointed; each tampering (tests/tampering.py, shared with the tests) is done on a
fresh copy, with the triggers that refuse it dropped first, as an administrator of the
database could.  The anchor is the untouched copy, which must verify and replay clean.

    python bench/tamper.py [--children 300] [--db URL]... [--postgres]

On SQLite by default; ``--postgres`` adds a throwaway PostgreSQL server and ``--db
postgresql://…`` a database of your own (emptied first; the copies are made beside it).
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# bench/calendar.py would shadow the standard library's calendar module
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
sys.path.insert(0, ROOT)

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=300)
    parser.add_argument("--db", action="append", help="a database URL to run on as well (repeatable)")
    parser.add_argument("--postgres", action="store_true", help="also run on a throwaway PostgreSQL server")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="pepflow-tamper-"))
    os.environ.setdefault("PEPFLOW_HISTORY_KEY_FILE", str(folder / "history.key"))
    os.environ.setdefault("PEPFLOW_HISTORY_CHECKPOINT_FILE", str(folder / "history.checkpoints"))
    from tests.pgserver import bench_databases

    urls, server = bench_databases(str(folder), args.db, args.postgres)
    try:
        for url in urls:
            run(url, args)
    finally:
        if server:
            server.stop()


def run(template: str, args) -> None:
    from pepflow.audit.checkpoints import write as checkpoint
    from pepflow.config import load_config
    from pepflow.db import make_engine, session_scope
    from pepflow.service.demo import create_demo_cohort
    from tests.pgserver import copy_database, dialect_label, empty_engine
    from tests.tampering import TAMPERINGS, finding

    config = load_config()
    engine = empty_engine(template)
    with session_scope(engine) as s:
        create_demo_cohort(s, config, dt.date(2026, 12, 1), children=args.children, schools=40)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT count(*) FROM event").scalar()
    engine.dispose()

    def fresh(name: str):
        copy = make_engine(copy_database(template, name), create=False)
        checkpoint(copy)  # each copy is its own database, with its own checkpoint
        return copy

    untouched = fresh("untouched")
    detected, said = finding(untouched, config, TAMPERINGS[0])
    untouched.dispose()
    print(f"{dialect_label(template)} demo database: {args.children} children, {rows:,} history rows. Untouched copy: "
          f"{'NOT clean: ' + said if detected else 'verifies and replays clean'}.")
    found = 0
    for n, tampering in enumerate(TAMPERINGS, 1):
        engine = fresh(f"t{n}")
        expected = tampering.apply(engine)
        started = time.perf_counter()
        detected, said = finding(engine, config, tampering)
        took = time.perf_counter() - started
        named = detected and expected in said
        found += named
        print(f"{n:>2}. {tampering.name:<56} {'detected and named' if named else 'NOT DETECTED'} "
              f"({'replay' if tampering.by_replay else 'verify'}, {took:.2f} s)")
        print(f"      {said[:160]}")
        engine.dispose()
    print(f"{dialect_label(template)}: {found} of {len(TAMPERINGS)} tamperings detected and named.")


if __name__ == "__main__":
    main()
