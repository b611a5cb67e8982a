"""How long a command takes to start: ``pepflow --help``, ``pepflow deadlines --child REF``
and, as anchors, the ``--help`` of a minimal typer app with two commands and a bare import
of the ORM (the floor of any command that reads the database), run interleaved in one
session (the machine is shared: medians and ratios).

    python bench/startup.py [--runs 15] [--db URL] [--postgres]

``deadlines --child`` reads a new SQLite file by default; ``--db URL`` names a database of
your own (a PostgreSQL one is emptied first), ``--postgres`` a throwaway PostgreSQL server.

Targets (issue 15): ``pepflow --help`` at most 1.5x the minimal app; ``deadlines --child``
at most 0.45 s on a quiet machine.
"""

from __future__ import annotations

import os
import sys

# bench/calendar.py would shadow the standard library's calendar module
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile
import time
from pathlib import Path

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

MINIMAL_APP = '''
import typer
app = typer.Typer(add_completion=False)
@app.command()
def one(name: str = "x") -> None:
    """First."""
@app.command()
def two(count: int = 1) -> None:
    """Second."""
app()
'''


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed: {done.stderr.strip()[:300]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--db", help="the database URL deadlines --child reads (a PostgreSQL one is emptied first)")
    parser.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL server instead of SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        sys.path.insert(0, ROOT)
        from tests.pgserver import bench_databases, dialect_label, empty_engine

        urls, server = bench_databases(folder, [args.db] if args.db else None, args.postgres)
        try:
            empty_engine(urls[-1]).dispose()
            print(f"deadlines --child on {dialect_label(urls[-1])}")
            times = run(folder, urls[-1], args)
        finally:
            if server:
                server.stop()
    anchor = statistics.median(times["minimal typer app --help"])
    print(f"{args.runs} interleaved runs each, median seconds (min-max), and the ratio to the minimal app:")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"  {name:<34} {median:6.3f} s  ({min(values):.3f}-{max(values):.3f})  {median / anchor:4.2f}x")


def run(folder: str, db: str, args) -> dict[str, list[float]]:
    python = sys.executable
    env = {**os.environ, "PEPFLOW_DATABASE_URL": db, "PEPFLOW_TODAY": "2026-12-01"}
    subprocess.run([python, "-m", "pepflow.cli", "--db", db, "demo", "--children", "30", "--schools", "5"], env=env,
                   check=True, stdout=subprocess.DEVNULL)
    minimal = Path(folder) / "minimal.py"
    minimal.write_text(MINIMAL_APP, encoding="utf-8")
    commands = {
        "minimal typer app --help": [python, str(minimal), "--help"],
        "pepflow --help": [python, "-m", "pepflow.cli", "--help"],
        "pepflow deadlines --child C00001": [python, "-m", "pepflow.cli", "deadlines", "--child", "C00001"],
        # the floor of any command that reads the database: importing the ORM alone
        "python -c 'import sqlmodel'": [python, "-c", "import sqlmodel, sqlalchemy.orm"],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for name, argv in commands.items():  # warm the file cache and the bytecode
        timed(argv, env)
    for _ in range(args.runs):
        for name, argv in commands.items():  # interleaved: load on the machine hits all alike
            times[name].append(timed(argv, env))
    return times


if __name__ == "__main__":
    main()
