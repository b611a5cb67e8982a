"""Concurrent writers of the history: throughput with appends taking turns (the lock taken
before the last row's hash is read), beside the same writers without it (as before issue 36:
on SQLite they fork the chain) and beside a floor, in the same run, interleaved.

Each round starts ``--writers`` processes on one fresh database; each appends ``--rows``
history rows, one transaction each, that read before they write (as a failed sign-in does).
Three kinds of round take turns:

* ``locked``: pepflow as it is (``db.writes.lock_audit_chain``);
* ``unlocked``: pepflow with that lock made a no-op on SQLite, as before; forks are counted;
* ``floor``: raw sqlite3 / psycopg doing the same guarantee by hand: BEGIN IMMEDIATE (SQLite) or
  an advisory lock (PostgreSQL), read the last hash, HMAC-SHA256 the row, insert it, commit.

    python bench/history_writers.py [--writers 4] [--rows 200] [--rounds 5] [--postgres]

It prints rows a second (median of the rounds) for each kind, the ratio of each to the floor,
and the rows whose link the chain shares with another (a fork) after the unlocked rounds.
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
sys.path.insert(0, ROOT)

import argparse  # noqa: E402
import hmac  # noqa: E402
import multiprocessing  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402


def pepflow_writer(url: str, rows: int, tag: str, locked: bool, start: float) -> None:
    import pepflow.audit  # noqa: F401  (imported before the clock runs, whichever kind of round)
    import pepflow.db.connection  # noqa: F401

    if not locked:
        from pepflow.db import writes

        original = writes.lock_audit_chain
        writes.lock_audit_chain = lambda session: original(session) if writes.is_postgres(session) else None
        import pepflow.audit as audit_module

        audit_module.lock_audit_chain = writes.lock_audit_chain
    from tests.support.history_writers import append_rows

    while time.time() < start:
        time.sleep(0.001)
    append_rows(url, rows, tag)


def floor_writer(url: str, rows: int, tag: str, start: float) -> None:
    """The same rows by hand: the lock, the last hash, an HMAC, an insert, a commit."""
    key = b"k" * 32
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url[len("sqlite:///"):], timeout=30, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        lock, param = "BEGIN IMMEDIATE", "?"
    else:
        import psycopg

        conn = psycopg.connect(url.replace("postgresql+psycopg", "postgresql"), autocommit=True)
        lock, param = "BEGIN; SELECT pg_advisory_xact_lock(7)", "%s"
    while time.time() < start:
        time.sleep(0.001)
    for n in range(rows):
        for statement in lock.split("; "):
            conn.execute(statement)
        conn.execute("SELECT COUNT(*) FROM user_account").fetchone()
        last = conn.execute("SELECT hash FROM event ORDER BY id DESC LIMIT 1").fetchone()
        previous = last[0] if last else "0" * 64
        payload = f'{{"email":"{tag}-{n}@example.org"}}'
        digest = hmac.digest(key, (previous + payload).encode(), "sha256").hex()
        conn.execute("INSERT INTO event (child_ref, process, name, effective_on, recorded_at, payload, "
                     "payload_version, key_id, prev_hash, hash) VALUES "
                     f"(NULL, 'security', 'sign_in_failed', {param}, {param}, {param}, 1, 'k', {param}, {param})",
                     ("2026-12-07", "2026-12-07 12:00:00", payload, previous, digest))
        conn.execute("COMMIT")
    conn.close()


def round_of(kind: str, url: str, writers: int, rows: int) -> tuple[float, int]:
    """Rows a second for one round, and the forks it left."""
    from sqlalchemy import text

    from pepflow.db import make_engine

    engine = make_engine(url)
    engine.dispose()
    context = multiprocessing.get_context("spawn")
    start = time.time() + 6.0  # every process started and imported before the clock runs
    processes = [context.Process(target=floor_writer if kind == "floor" else pepflow_writer,
                                 args=(url, rows, f"w{n}", start) if kind == "floor"
                                 else (url, rows, f"w{n}", kind == "locked", start))
                 for n in range(writers)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    took = time.time() - start
    engine = make_engine(url)
    with engine.connect() as conn:
        forks = conn.execute(text("SELECT COUNT(*) FROM (SELECT prev_hash FROM event GROUP BY prev_hash "
                                  "HAVING COUNT(*) > 1) f")).scalar_one()
    engine.dispose()
    return writers * rows / took, forks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", action="store_true", help="also run on a throwaway PostgreSQL server")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="pepflow-writers-"))
    os.environ.setdefault("PEPFLOW_HISTORY_KEY_FILE", str(folder / "history.key"))
    os.environ.setdefault("PEPFLOW_HISTORY_CHECKPOINT_FILE", str(folder / "history.checkpoints"))
    server = None
    databases: list[tuple[str, object]] = [("SQLite", lambda n: f"sqlite:///{folder / f'w{n}.db'}")]
    if args.postgres:
        from tests.pgserver import PostgresServer

        server = PostgresServer()
        databases.append(("PostgreSQL", lambda n: server.new_database()))
    try:
        counter = iter(range(1_000_000))
        for label, new_url in databases:
            rates: dict[str, list[float]] = {"locked": [], "unlocked": [], "floor": []}
            forks = {"locked": 0, "unlocked": 0, "floor": 0}
            for _ in range(args.rounds):
                for kind in rates:
                    rate, forked = round_of(kind, new_url(next(counter)), args.writers, args.rows)
                    rates[kind].append(rate)
                    forks[kind] += forked
            floor = statistics.median(rates["floor"])
            print(f"{label}: {args.writers} writer processes x {args.rows} rows, {args.rounds} rounds interleaved")
            for kind, label_kind in (("locked", "pepflow, appends take turns (now)"),
                                     ("unlocked", "pepflow, no lock on SQLite (before)"),
                                     ("floor", "floor: raw driver, lock + hash + insert")):
                median = statistics.median(rates[kind])
                print(f"  {label_kind:<42} {median:8.0f} rows/s  ({median / floor:.2f} of the floor)  "
                      f"forks: {forks[kind]}")
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
