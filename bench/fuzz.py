"""Fuzzing at scale: 10,000 malformed imports and events against a database holding a valid
cohort, counted by outcome (tests/fuzz/cases.py says what each means).  Every case is bad
by construction; the floor is 0 wrong accepts, 0 partial writes and 0 unclear refusals.

    python bench/fuzz.py [--cases 10000] [--seed 1] [--show 5] [--db URL] [--postgres]
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# bench/calendar.py would shadow the standard library's calendar module
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
sys.path.insert(0, ROOT)

import argparse  # noqa: E402
import collections  # noqa: E402
import random  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from tests.fuzz.cases import OUTCOMES, Cohort, csv_case, event_case, judge  # noqa: E402
from tests.fuzz.run import in_process  # noqa: E402
from tests.pgserver import bench_databases, dialect_label  # noqa: E402


class Seeded:
    """``Choices`` from a seeded random generator (the tests draw them with hypothesis)."""

    def __init__(self, seed: int):
        self.random = random.Random(seed)

    def pick(self, options):
        return self.random.choice(list(options))

    def number(self, low, high):
        return self.random.randint(low, high)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show", type=int, default=5, help="examples to print of each outcome but a clear refusal")
    parser.add_argument("--db", help="a database URL to run on (a PostgreSQL one is emptied first); default SQLite")
    parser.add_argument("--postgres", action="store_true", help="run on a throwaway PostgreSQL server")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="pepflow-fuzz-"))
    os.environ.setdefault("PEPFLOW_HISTORY_KEY_FILE", str(folder / "history.key"))
    os.environ.setdefault("PEPFLOW_HISTORY_CHECKPOINT_FILE", str(folder / "history.checkpoints"))
    urls, server = bench_databases(str(folder), [args.db] if args.db else None, args.postgres)
    try:
        run(folder, urls[-1], args)
    finally:
        if server:
            server.stop()


def run(folder: Path, url: str, args) -> None:
    cohort = Cohort(folder, in_process, url)
    choices = Seeded(args.seed)
    counts: collections.Counter[str] = collections.Counter()
    by_kind: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    examples: dict[str, list[str]] = collections.defaultdict(list)
    started = time.perf_counter()
    for n in range(args.cases):
        case = csv_case(choices) if n % 2 == 0 else event_case(choices)
        outcome, message = judge(case, cohort)
        counts[outcome] += 1
        by_kind[case.what][outcome] += 1
        if outcome != "clear refusal" and len(examples[outcome]) < args.show:
            examples[outcome].append(f"{case.what}: {message[:300]!r}")
    took = time.perf_counter() - started
    print(f"{dialect_label(url)}: {args.cases} malformed inputs ({args.cases // 2 + args.cases % 2} imports, {args.cases // 2} events), "
          f"seed {args.seed}, {took:.0f} s:")
    for outcome in OUTCOMES:
        floor = "" if outcome == "clear refusal" else "   (floor 0)"
        print(f"  {outcome:<16} {counts[outcome]:>6}{floor}")
    print("By kind of damage (clear refusals / all):")
    for what in sorted(by_kind):
        total = sum(by_kind[what].values())
        print(f"  {what:<42} {by_kind[what]['clear refusal']:>5} / {total}")
    for outcome, shown in examples.items():
        print(f"Examples of {outcome}:")
        for line in shown:
            print(f"  {line}")


if __name__ == "__main__":
    main()
