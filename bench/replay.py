"""``pepflow audit verify --replay`` over the history of 100,000 children.

Builds the demo cohort (imports, then a term of PEP, admission and care events through the
real code, so the history holds what a council's would: keyed rows with the deadlines and
states each change left), then times, interleaved over three rounds:

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--db", help="a database URL to build in (default: a new SQLite file)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="pepflow-replay-"))
    os.environ.setdefault("PEPFLOW_HISTORY_KEY_FILE", str(folder / "history.key"))
    os.environ.setdefault("PEPFLOW_HISTORY_CHECKPOINT_FILE", str(folder / "history.checkpoints"))

    from pepflow.audit.checkpoints import write as checkpoint
    from pepflow.audit.replay import replay
    from pepflow.audit.verify import verify
    from pepflow.config import load_config
    from pepflow.db import make_engine, session_scope
    from pepflow.db.engine import reset
    from pepflow.db.models import Child, Deadline, Event
    from pepflow.demo import create_demo_cohort

    config = load_config()
    engine = make_engine(args.db or f"sqlite:///{folder / 'replay.db'}")
    if args.db:
        reset(engine)
    started = time.perf_counter()
    with session_scope(engine) as s:
        create_demo_cohort(s, config, dt.date(2026, 12, 1), children=args.children,
                           schools=max(40, args.children // 250))
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
