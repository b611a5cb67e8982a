"""``pepflow audit verify --replay`` over the history of 100,000 children.

Builds the cohort through the real code, so the history holds what a council's would:
children imported 5,000 a file (each a ``child_added`` row, then its PEP and care-review clocks
started), then four PEP events and a care review on each, 500 children a transaction (keyed
rows with the deadlines and states each change left).  Then times, interleaved over three
rounds:

* the anchor: reading every history row and every deadline once (what any check must read);
* ``verify``: the keyed chain against the checkpoints;
* ``replay``: deadlines, process states and children rebuilt from the history and compared.

    python bench/replay.py [--children 100000] [--db URL]
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
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from sqlalchemy import func, select, text  # noqa: E402


ENTERED, IMPORTED, TODAY = "2026-01-05", dt.date(2026, 1, 6), dt.date(2026, 7, 1)
EVENTS = [("pep_meeting_held", "2026-01-14", {}), ("pep_submitted", "2026-01-20", {}),
          ("pep_approved", "2026-01-27", {"rating": "green"}), ("pep_distributed", "2026-01-29", {}),
          ("care_review_held", "2026-02-02", {})]


def build(engine, config, n: int, per_file: int = 5_000, per_batch: int = 500) -> None:
    from pepflow.engine.recording import EventRequest, record_events
    from pepflow.db import session_scope
    from pepflow.intake.csv_import import import_records
    from pepflow.service.use_cases import bring_in_children

    people = [{"ref": f"SW{k}", "role": "social_worker", "name": f"Worker {k}", "email": f"sw{k}@example.org"}
              for k in range(200)] + [{"ref": f"DT{k}", "role": "designated_teacher", "name": f"Teacher {k}",
                                       "email": f"dt{k}@example.org"} for k in range(400)] + [
              {"ref": "IRO1", "role": "iro", "name": "Reviewer", "email": "iro@example.org"}]
    schools = [{"urn": f"{100000 + k}", "name": f"School {k}", "type": "maintained", "la": "Example",
                "dt_ref": f"DT{k}"} for k in range(400)]
    with session_scope(engine) as s:
        import_records(s, config, "people", [(i + 2, r) for i, r in enumerate(people)], IMPORTED, "people.csv")
        import_records(s, config, "schools", [(i + 2, r) for i, r in enumerate(schools)], IMPORTED, "schools.csv")
    refs = [f"C{i:06d}" for i in range(n)]
    for lo in range(0, n, per_file):
        chunk = refs[lo:lo + per_file]
        rows = [(k + 2, {"ref": ref, "first_name": "A", "last_name": "B", "dob": f"{2008 + i % 10}-0{1 + i % 9}-15",
                         "legal_status": "care_order", "entered_care": ENTERED, "school_urn": f"{100000 + i % 400}",
                         "social_worker_ref": f"SW{i % 200}", "iro_ref": "IRO1"})
                for k, (i, ref) in enumerate(zip(range(lo, lo + len(chunk)), chunk))]
        with session_scope(engine) as s:
            import_records(s, config, "children", rows, IMPORTED, "children.csv")
            bring_in_children(s, config, chunk, IMPORTED)
    for lo in range(0, n, per_batch):
        batch = refs[lo:lo + per_batch]
        for name, on, params in EVENTS:
            with session_scope(engine) as s:
                record_events(s, config, [EventRequest(r, name, on, None, params) for r in batch], TODAY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--db", help="a database URL to build in (default: a new SQLite file)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="build on a throwaway PostgreSQL server")
    args = parser.parse_args()
    pg_server = None
    if args.postgres and not args.db:
        from tests.pgserver import BENCH_SETTINGS, PostgresServer

        pg_server = PostgresServer(BENCH_SETTINGS)
        args.db = pg_server.new_database()
    try:
        run(args)
    finally:
        if pg_server:
            pg_server.stop()


def run(args) -> None:
    folder = Path(tempfile.mkdtemp(prefix="pepflow-replay-"))
    os.environ.setdefault("PEPFLOW_HISTORY_KEY_FILE", str(folder / "history.key"))
    os.environ.setdefault("PEPFLOW_HISTORY_CHECKPOINT_FILE", str(folder / "history.checkpoints"))

    from pepflow.audit.checkpoints import write as checkpoint
    from pepflow.audit.replay import replay
    from pepflow.audit.verify import verify
    from pepflow.config import load_config
    from pepflow.db import make_engine
    from pepflow.db.connection import reset
    from pepflow.db.models import Child, Deadline, Event

    config = load_config()
    engine = make_engine(args.db or f"sqlite:///{folder / 'replay.db'}")
    if args.db:
        reset(engine)
    started = time.perf_counter()
    build(engine, config, args.children)
    built = time.perf_counter() - started
    checkpoint(engine)
    with engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(Event)).scalar_one()
        deadlines = conn.execute(select(func.count()).select_from(Deadline)).scalar_one()
        children = conn.execute(select(func.count()).select_from(Child)).scalar_one()
    print(f"{engine.dialect.name}: {children:,} children, {rows:,} history rows, {deadlines:,} deadlines "
          f"(built in {built:.0f} s)")

    def anchor() -> None:
        with engine.connect() as conn:
            for _ in conn.execute(text("SELECT id, key_id, prev_hash, hash, payload FROM event ORDER BY id")):
                pass
            for _ in conn.execute(text("SELECT * FROM deadline ORDER BY id")):
                pass

    times: dict[str, list[float]] = {"anchor": [], "verify": [], "replay": []}
    for _ in range(args.rounds):
        for name, run in (("anchor", anchor), ("verify", lambda: verify(engine)), ("replay", lambda: replay(engine, config))):
            t = time.perf_counter()
            result = run()
            times[name].append(time.perf_counter() - t)
            if name != "anchor":
                assert result.ok, getattr(result, "problems", None) or result.differences[:5]
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"median of {args.rounds} rounds, interleaved:")
    print(f"  anchor: read every history row and deadline   {med['anchor']:7.1f} s")
    print(f"  audit verify (keyed chain, checkpoints)       {med['verify']:7.1f} s   {med['verify'] / med['anchor']:.1f}x the anchor, "
          f"{rows / med['verify']:,.0f} rows/s")
    print(f"  audit verify --replay (the replay itself)     {med['replay']:7.1f} s   {med['replay'] / med['anchor']:.1f}x the anchor")
    print(f"  both, as `pepflow audit verify --replay` runs them: {med['verify'] + med['replay']:.1f} s "
          f"for {children:,} children")


if __name__ == "__main__":
    main()
