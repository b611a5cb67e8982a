"""The compliance report over a year of history for 100,000 children, beside its floor.

Builds (with bulk inserts) 100,000 children, 12 deadlines each over the 2025-26 school
year with a mix of outcomes, 8 history rows each (two of them approvals, with their PEPs), termly attendance and a few thousand
suspensions and admissions; then times ``reports.compliance`` for the year and, in
alternating rounds, its floor: the one GROUP BY the report cannot do without (the year's
deadlines counted by status and kind).  Prints the medians and the median ratio.  The children's
summaries the report counts the roll from (``engine/child_summaries.py``) are written after the
bulk load, as revision 0023 writes them for a council's existing children.

    python bench/report.py [--children 100000] [--rounds 5] [--db URL]... [--postgres]

On SQLite by default (a ``--db sqlite:///FILE`` that exists is reused as it is);
``--postgres`` adds a throwaway PostgreSQL server, ``--db postgresql://…`` a database of
your own (emptied first).
"""

from __future__ import annotations

import os
import sys

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from sqlalchemy import func, select  # noqa: E402
from sqlmodel import Session  # noqa: E402

from pepflow.config import load_config  # noqa: E402
from pepflow.db.models import (Admission, AttendanceRecord, Child, Deadline, Event, Pep,  # noqa: E402
                               School, Suspension, Exclusion)
from pepflow.db.unit import UnitOfWork  # noqa: E402
from pepflow.engine import child_summaries  # noqa: E402
from pepflow.reports.compliance_figures import compliance  # noqa: E402
from tests.pgserver import analyze_after_load, bench_databases, dialect_label, empty_engine  # noqa: E402

START, END = dt.date(2025, 9, 1), dt.date(2026, 8, 31)
KINDS = ("initial_pep", "pep_review", "pep_completion", "pep_distribution", "pep_qa", "care_review_next")


def build(engine, n: int) -> None:
    rng = random.Random(3)
    with engine.begin() as conn:
        conn.execute(School.__table__.insert(), [{"urn": f"{100000 + i}", "name": f"S{i}", "type": "maintained",
                                                  "la": "Example", "ofsted": rng.choice(["good", "outstanding",
                                                  "requires_improvement"]), "calendar": "default"} for i in range(200)])
        conn.execute(Child.__table__.insert(), [
            {"ref": f"C{i:06d}", "first_name": "A", "last_name": "B",
             "dob": dt.date(2008 + i % 14, 1 + i % 12, 1), "upn": "", "sen_status": rng.choice(["none", "ehcp", "sen_support"]),
             "legal_status": "care_order", "entered_care": dt.date(2023, 1, 5), "school_urn": f"{100000 + i % 200}",
             "in_area": i % 7 != 0, "placement_type": "foster_la", "looked_after": True} for i in range(n)])
        batch = []
        for i in range(n):
            for k in range(12):
                due = START + dt.timedelta(days=rng.randint(0, 360))
                r = rng.random()
                status, closed, late = ("met", due - dt.timedelta(days=2), None) if r < 0.7 else \
                    ("met_late", due + dt.timedelta(days=4), 3) if r < 0.9 else \
                    ("cancelled", due - dt.timedelta(days=1), None) if r < 0.93 else ("open", None, None)
                batch.append({"child_ref": f"C{i:06d}", "process": "pep", "kind": KINDS[k % len(KINDS)],
                              "rule_key": KINDS[k % len(KINDS)], "rule_version": "2010-04-01",
                              "opened_on": due - dt.timedelta(days=14), "due_on": due, "number": 10,
                              "unit": "working", "counting": "after", "calendar": "default", "source": "",
                              "owner_role": "social_worker", "status": status, "closed_on": closed,
                              "days_late": late, "late_unit": "working" if late else "", "close_reason": "",
                              "note": ""})
            if len(batch) >= 120_000:
                conn.execute(Deadline.__table__.insert(), batch)
                batch = []
        if batch:
            conn.execute(Deadline.__table__.insert(), batch)
        now = dt.datetime(2026, 9, 1, tzinfo=dt.timezone.utc)
        events, peps = [], []
        for i in range(n):
            for k in range(8):
                day = START + dt.timedelta(days=rng.randint(0, 330))
                name = ("pep_meeting_held", "pep_submitted", "pep_approved", "care_review_held")[k % 4]
                rating = rng.choice(("green", "green", "amber", "red")) if name == "pep_approved" else None
                events.append({"child_ref": f"C{i:06d}", "process": "pep", "name": name, "effective_on": day,
                               "recorded_at": now, "payload": {"rating": rating} if rating else {},
                               "payload_version": 1, "prev_hash": "", "hash": ""})
                if rating:  # the PEP the approval closed, carrying the same day and rating
                    peps.append({"child_ref": f"C{i:06d}", "cycle": "termly", "state": "approved",
                                 "is_current": k == 6, "opened_on": day - dt.timedelta(days=30),
                                 "state_changed_on": day, "approved_on": day, "quality_rating": rating,
                                 "times_returned": 0, "returned_reason": "", "imported": False})
            if len(events) >= 100_000:
                conn.execute(Event.__table__.insert(), events)
                conn.execute(Pep.__table__.insert(), peps)
                events, peps = [], []
        if events:
            conn.execute(Event.__table__.insert(), events)
            conn.execute(Pep.__table__.insert(), peps)
        conn.execute(AttendanceRecord.__table__.insert(), [
            {"child_ref": f"C{i:06d}", "half_term": "spring 2 2025-26", "percent": 85 + rng.random() * 15,
             "band": rng.choice(["good", "below_good", "persistent_absence"]), "recorded_on": dt.date(2026, 3, 27)}
            for i in range(n)])
        conn.execute(Exclusion.__table__.insert(), [
            {"id": j + 1, "child_ref": f"C{j:06d}", "school_year": "2025-26", "state": "suspended", "is_open": True,
             "opened_on": dt.date(2025, 10, 1), "state_changed_on": dt.date(2025, 10, 1),
             "no_pre_exclusion_meeting": False, "governors_decision": "", "irp_decision": ""} for j in range(n // 20)])
        conn.execute(Suspension.__table__.insert(), [
            {"exclusion_id": j + 1, "child_ref": f"C{j:06d}", "first_day": dt.date(2025, 10, 1) + dt.timedelta(days=j % 200),
             "days": 1 + j % 5, "term": "autumn 2025-26", "recorded_on": dt.date(2025, 10, 2)} for j in range(n // 20)])
        conn.execute(Admission.__table__.insert(), [
            {"child_ref": f"C{j:06d}", "reason": "care_placement_moved", "state": "on_roll", "is_open": False,
             "identified_on": dt.date(2025, 11, 3), "state_changed_on": dt.date(2025, 11, 20), "route": "",
             "consultation_answer": "", "started_on": dt.date(2025, 11, 20), "in_area": j % 3 != 0}
            for j in range(n // 50)])


def floor(session: Session) -> int:
    """The year's deadlines counted by status and kind: the report's own GROUP BY."""
    D = Deadline.__table__.c
    rows = session.execute(select(D.status, D.kind, func.count()).where(D.due_on >= START, D.due_on <= END)
                           .group_by(D.status, D.kind)).all()
    return sum(n for _, _, n in rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", action="append",
                        help="a database URL (repeatable); a sqlite:/// file that exists is reused as it is")
    parser.add_argument("--postgres", action="store_true", help="also run on a throwaway PostgreSQL server")
    args = parser.parse_args()
    config = load_config()
    urls, server = bench_databases(tempfile.mkdtemp(prefix="pepflow-report-"), args.db, args.postgres)
    try:
        run(config, urls, args)
    finally:
        if server:
            server.stop()


def run(config, urls: list[str], args) -> None:
    engines = {}
    for url in urls:
        reuse = url.startswith("sqlite") and os.path.exists(url.removeprefix("sqlite:///"))
        engine = engines[url] = empty_engine(url)
        if not reuse:
            t0 = time.perf_counter()
            build(engine, args.children)
            print(f"{dialect_label(url)}: built {args.children:,} children, {args.children * 12:,} deadlines, "
                  f"{args.children * 8:,} history rows in {time.perf_counter() - t0:.1f} s", flush=True)
            # the bulk load bypassed pepflow's writes, which keep each child's summary: written as
            # revision 0023 writes them for a council's existing children
            t0 = time.perf_counter()
            with UnitOfWork(engine) as s:
                child_summaries.rebuild(s)
                s.commit()
            print(f"  the children's summaries written in {time.perf_counter() - t0:.1f} s", flush=True)
            analyze_after_load(engine)
    took = {url: {"report": [], "floor": []} for url in urls}
    for turn in range(args.rounds):
        for url in urls:
            with Session(engines[url]) as session:
                t0 = time.perf_counter()
                judged = floor(session)
                took[url]["floor"].append(time.perf_counter() - t0)
            with Session(engines[url]) as session:
                t0 = time.perf_counter()
                report = compliance(session, config, START, END, END)
                took[url]["report"].append(time.perf_counter() - t0)
            print(f"  round {turn + 1} {dialect_label(url)}: report {took[url]['report'][-1]:.2f} s, "
                  f"floor {took[url]['floor'][-1]:.2f} s; {report['roll']['children_on_roll']:,} children on roll, "
                  f"{sum(sum(t['outcomes'].values()) for t in report['timescales'].values()):,} deadlines judged "
                  f"(floor counted {judged:,})", flush=True)
    for url in urls:
        ratios = [r / f for r, f in zip(took[url]["report"], took[url]["floor"])]
        print(f"{dialect_label(url)} compliance report 2025-26, median of {args.rounds}: "
              f"{statistics.median(took[url]['report']):.2f} s; its GROUP BY floor "
              f"{statistics.median(took[url]['floor']):.2f} s; report / floor {statistics.median(ratios):.2f}x")


if __name__ == "__main__":
    main()
