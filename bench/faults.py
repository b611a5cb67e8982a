"""The delivery guarantee under faults, as a table: each fault run many times on a fresh
copy of the demo database (201 notifications in 44 digests on 1 Dec 2026), with a real
relay in its own process counting Message-IDs (tests/faults/scenarios.py: the same runs
the tests assert on).

    python bench/faults.py [--kills 100] [--sweeps 20] [--postgres] [--db URL]

Columns: runs; emails expected (each run's digests); delivered (distinct Message-IDs the
relay accepted); lost (notifications neither delivered nor failed for VS admin);
duplicated (extra copies accepted, bound: one per connection per kill); doubled history
rows; and runs whose history failed to verify.
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
sys.path.insert(0, ROOT)

import argparse  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from tests.faults import scenarios  # noqa: E402
from tests.faults.harness import Relay, copy_sqlite, demo_database  # noqa: E402


class Row:
    def __init__(self, fault: str, database: str):
        self.fault, self.database = fault, database
        self.runs = self.expected = self.delivered = self.lost = self.duplicated = self.doubled = self.bad = 0
        self.note = ""

    def add(self, tally, expected: int = scenarios.DEMO_EMAILS) -> None:
        self.runs += 1
        self.expected += expected
        self.delivered += tally.delivered
        self.lost += tally.lost if expected else 0  # a run that sends nothing loses nothing
        self.duplicated += tally.duplicated
        self.doubled += tally.doubled_history
        self.bad += 0 if tally.history_ok else 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--sweeps", type=int, default=20, help="runs of two sweeps at once")
    parser.add_argument("--postgres", action="store_true", help="also on a PostgreSQL server started here")
    parser.add_argument("--db", help="also on this PostgreSQL database of your own (emptied first; each run's "
                                     "copy is made beside it)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="pepflow-faults-"))
    # one history key and checkpoint file for every copy, outside the repository (as the tests)
    os.environ.setdefault("PEPFLOW_HISTORY_KEY_FILE", str(folder / "history.key"))
    os.environ.setdefault("PEPFLOW_HISTORY_CHECKPOINT_FILE", str(folder / "history.checkpoints"))
    kinds = ["sqlite"] + (["postgresql"] if args.postgres or args.db else [])
    server = None
    rows: list[Row] = []
    relays: list[Relay] = []
    started = time.perf_counter()
    try:
        template_db = folder / "demo.db"
        demo_database(f"sqlite:///{template_db}")
        if args.postgres or args.db:
            from tests.pgserver import PostgresServer, copy_database, empty_engine

            if not args.db:
                server = PostgresServer()
            template_url = args.db or server.new_database()
            empty_engine(template_url).dispose()
            demo_database(template_url)
        counter = iter(range(1, 1_000_000))

        def fresh(kind: str) -> str:
            if kind == "sqlite":
                return copy_sqlite(template_db, folder, f"run{next(counter)}")
            return copy_database(template_url, f"run{next(counter)}")

        def relay() -> Relay:
            made = Relay(folder)
            relays.append(made)
            return made

        for kind in kinds:
            row = Row("kill -9 at a random point of sweep + dispatch", kind)
            r = relay().start("--delay", "0.005")
            rng = random.Random(16)
            window = scenarios.time_of_a_day(fresh(kind), r)
            landed = most = 0
            for _ in range(args.kills if kind == "sqlite" else max(1, args.kills // 5)):
                tally, before = scenarios.kill_9(fresh(kind), r, rng, window)
                row.add(tally)
                landed += 0 < before < scenarios.DEMO_EMAILS
                most = max(most, tally.duplicated)
                if tally.duplicated > scenarios.CONNECTIONS:
                    row.note = f"over the bound of {scenarios.CONNECTIONS}!"
            r.stop()
            row.note = row.note or (f"{landed} kills landed while sending (a day takes {window:.2f} s); at most "
                                    f"{most} duplicates in one run (bound {scenarios.CONNECTIONS})")
            rows.append(row)

            row = Row("relay refusing connections for 60 simulated minutes", kind)
            r = relay()
            tally, seen = scenarios.relay_down_for_an_hour(fresh(kind), r)
            r.stop()
            row.add(tally)
            row.note = (f"{seen['attempts_charged_while_down']} attempts charged; VS admin told at minute "
                        f"{seen['first_alert_minute']}")
            rows.append(row)

            row = Row("451 for one recipient, then the mailbox free", kind)
            r = relay()
            tally, first, waiting = scenarios.busy_mailbox(fresh(kind), r)
            r.stop()
            row.add(tally)
            row.note = (f"first dispatch: {first.emails_sent} sent, {first.failed_for_now} to retry "
                        f"(attempts {sorted({n.attempts for n in waiting})})")
            rows.append(row)

            for fault, options, code in (("421 from the relay to every MAIL FROM, 4 times",
                                          ("--mail-code", "421", "--mail-times", "4"), ""),
                                         ("550 for one recipient", (), "550"),
                                         ("connection cut after DATA, before the 250",
                                          ("--cut-after-data", "1"), "")):
                row = Row(fault, kind)
                r = relay()
                tally, first = scenarios.refused(fresh(kind), r, *options, first_address_gets=code)
                r.stop()
                row.add(tally)
                row.note = (f"first dispatch: {first.emails_sent} sent, {first.failed_for_now} to retry, "
                            f"{first.failed_for_good} failed" + (", paused" if first.paused_until else ""))
                rows.append(row)

            row = Row("a dispatcher outliving its lease", kind)
            r = relay()
            tally, slow = scenarios.outlived_lease(fresh(kind), r)
            r.stop()
            row.add(tally)
            row.note = f"the slow one stopped: {slow.lease_lost}, after {slow.emails_sent} emails"
            rows.append(row)

            row = Row("two sweeps of the day at the same moment (threads)", kind)
            once = 0
            for _ in range(args.sweeps):
                tally, results = scenarios.two_sweeps(fresh(kind))
                row.add(tally, expected=0)
                once += sum(res.already is None for res in results) == 1 and tally.sweeps == 1
            row.note = f"swept once in {once} of {args.sweeps}"
            rows.append(row)

            row = Row("two `pepflow sweep` processes at the same moment", kind)
            once = 0
            for _ in range(args.sweeps):
                tally, outputs = scenarios.two_sweep_commands(fresh(kind), folder)
                row.add(tally, expected=0)
                once += sum("was already swept" in out for out in outputs) == 1 and tally.sweeps == 1
            row.note = f"swept once in {once} of {args.sweeps}"
            rows.append(row)

            row = Row("two `pepflow run` services on one database", kind)
            r = relay()
            tally, logs = scenarios.two_services(fresh(kind), r, folder)
            r.stop()
            row.add(tally)
            row.note = f"{tally.sweeps} sweep; {sum('already done' in log for log in logs)} found it done"
            rows.append(row)
    finally:
        for made in relays:
            made.stop()
        if server is not None:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)

    header = ("fault", "db", "runs", "expected", "delivered", "lost", "duplicated", "doubled history",
              "unverified")
    table = [header] + [(r.fault, r.database, r.runs, r.expected, r.delivered, r.lost, r.duplicated, r.doubled,
                         r.bad) for r in rows]
    widths = [max(len(str(line[i])) for line in table) for i in range(len(header))]
    for line in table:
        print("  ".join(str(v).ljust(w) if i < 2 else str(v).rjust(w) for i, (v, w) in enumerate(zip(line, widths))))
    print()
    for r in rows:
        print(f"{r.fault} ({r.database}): {r.note}")
    print(f"\n{time.perf_counter() - started:.0f} s in all")


if __name__ == "__main__":
    main()
