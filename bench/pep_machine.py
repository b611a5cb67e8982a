"""Cost of recording PEP events, and of the shared machine against a Machine per child.

Records 3 events (meeting held, submitted, approved) on each of N children on SQLite
through the real service (state change, deadlines and audit row, one transaction per
event), and prints the per-event cost and total.  In the same run it times the bare
transition on a shared machine (``MACHINE.events[name].trigger(row)``) against building
one ``transitions.Machine`` per child.

On SQLite and PostgreSQL in one run (``--postgres``: a throwaway server; or ``--db URL``), the
databases take turns: the children are recorded in rounds, each round on each database in
turn, and the medians of the rounds and their ratio are printed.

Beside SQLite's events recorded one transaction each, the floor: raw ``sqlite3`` writing exactly
the same rows, in the same transactions, on its own copy of the database (pepflow's settings:
WAL, synchronous=NORMAL, foreign keys and the history's guard triggers), and an HMAC of each
history row's text as the signed history has.  The rows are those pepflow wrote recording the
same events on a third copy, untimed, through SQLite's statement trace: every INSERT, UPDATE and
DELETE with its values; the reads and the decisions (which state, which deadlines, the policy)
are pepflow's own work, so the ratio is pepflow's cost over the rows it must write.

    python bench/pep_machine.py [--children 100000] [--rounds 5] [--db URL]... [--postgres]
"""

from __future__ import annotations

import os
import sys

# bench/ holds calendar.py: keep it from shadowing the standard library's calendar.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse
import datetime as dt
import hashlib
import hmac
import shutil
import sqlite3
import statistics
import tempfile
import time

from sqlalchemy import event

from pepflow.service.application import settle_after_start_up
from pepflow.db.unit import UnitOfWork
from transitions import Machine

from pepflow.engine.recording import EventRequest, record_event, record_events
from pepflow.config import load_config
from pepflow.db.models import Child, Deadline, Pep, Person, School
from pepflow.states.pep import MACHINE, PepState
from tests.pgserver import analyze_after_load, bench_databases, dialect_label, empty_engine

TODAY = dt.date(2026, 3, 20)
ENTERED = dt.date(2026, 1, 5)


def build_cohort(engine, n: int) -> None:
    """Children with a current initial PEP in 'due' and its deadline, inserted in bulk."""
    with engine.begin() as conn:
        conn.execute(Person.__table__.insert(), [
            {"ref": "SW1", "role": "social_worker", "name": "SW", "email": "sw@example.org"},
            {"ref": "DT1", "role": "designated_teacher", "name": "DT", "email": "dt@example.org"}])
        conn.execute(School.__table__.insert(), [{"urn": "100001", "name": "School", "type": "maintained",
                                                  "la": "", "ofsted": "good", "calendar": "default",
                                                  "dt_ref": "DT1"}])
        conn.execute(Child.__table__.insert(), [
            {"ref": f"C{i:06d}", "first_name": "A", "last_name": "B", "dob": dt.date(2014, 5, 1),
             "upn": "", "sen_status": "none", "legal_status": "care_order", "entered_care": ENTERED,
             "school_urn": "100001", "social_worker_ref": "SW1", "in_area": True,
             "placement_type": "", "looked_after": True} for i in range(n)])
        conn.execute(Pep.__table__.insert(), [
            {"id": i + 1, "child_ref": f"C{i:06d}", "cycle": "initial", "state": "due", "is_current": True,
             "opened_on": ENTERED, "state_changed_on": ENTERED, "times_returned": 0,
             "returned_reason": "", "imported": False} for i in range(n)])
        conn.execute(Deadline.__table__.insert(), [
            {"child_ref": f"C{i:06d}", "process": "pep", "process_id": i + 1, "kind": "initial_pep",
             "rule_key": "initial_pep", "rule_version": "2010-04-01", "opened_on": ENTERED,
             "due_on": dt.date(2026, 1, 19), "number": 10, "unit": "working", "counting": "after",
             "calendar": "default", "source": "", "owner_role": "social_worker", "owner_ref": "SW1",
             "status": "open", "close_reason": "", "note": "", "late_unit": ""} for i in range(n)])


EVENTS = [("pep_meeting_held", "2026-01-14", {}), ("pep_submitted", "2026-01-20", {}),
          ("pep_approved", "2026-01-27", {"rating": "green"})]


def time_events_one_by_one(engine, config, first: int, n: int) -> float:
    """One transaction per event, as the CLI and the web pages record them."""
    start = time.perf_counter()
    for i in range(first, first + n):
        for name, on, params in EVENTS:
            with UnitOfWork(engine, expire_on_commit=False) as session:
                record_event(session, config, f"C{i:06d}", name, on, TODAY, params=params)
                session.commit()
    return time.perf_counter() - start


def time_events_batched(engine, config, first: int, n: int, batch: int = 500) -> float:
    """``record_events``: batches of children, each batch one transaction."""
    start = time.perf_counter()
    for lo in range(first, first + n, batch):
        refs = [f"C{i:06d}" for i in range(lo, min(lo + batch, first + n))]
        for name, on, params in EVENTS:
            with UnitOfWork(engine, expire_on_commit=False) as session:
                record_events(session, config, [EventRequest(r, name, on, None, params) for r in refs],
                              TODAY)
                session.commit()
    return time.perf_counter() - start


class Trace:
    """The writes pepflow sends to SQLite, with their values, as SQLite's statement trace shows them."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, sql: str) -> None:
        head = sql.lstrip()[:8].upper()
        if head.startswith(("INSERT", "UPDATE", "DELETE", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            self.statements.append(sql)

    def take(self) -> list[str]:
        taken, self.statements = self.statements, []
        return taken


def traced(url: str, trace: Trace):
    """An engine on ``url`` whose every connection reports its statements to ``trace``."""
    from pepflow.db import make_engine

    engine = make_engine(url)
    event.listen(engine, "connect", lambda dbapi, _record: dbapi.set_trace_callback(trace))
    engine.dispose()  # the connections opened before the listener go
    return engine


def floor_writes(path: str, statements: list[str], key: bytes) -> float:
    """The floor: the statements as they are, in their transactions, with an HMAC of each history row."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    t0 = time.perf_counter()
    for sql in statements:
        if sql.startswith("INSERT INTO event"):
            hmac.new(key, sql.encode(), hashlib.sha256).hexdigest()
        db.execute(sql)
    took = time.perf_counter() - t0
    db.close()
    return took


class Row:
    def __init__(self) -> None:
        self.state = "due"


def time_bare(n: int) -> tuple[float, float, float]:
    """Per event on a shared machine; per child with a Machine built for it and 1 or 3 events."""
    rows = [Row() for _ in range(n)]
    start = time.perf_counter()
    for row in rows:
        for name in ("pep_meeting_held", "pep_submitted", "pep_approved"):
            MACHINE.machine.events[name].trigger(row)
    shared = (time.perf_counter() - start) / (3 * n)

    def machine_per_child(events: tuple[str, ...]) -> float:
        start = time.perf_counter()
        for _ in range(n):
            row = Row()
            Machine(model=row, states=[s.value for s in PepState], transitions=MACHINE.table,
                    initial="due", auto_transitions=False)
            for name in events:
                getattr(row, name)()
        return (time.perf_counter() - start) / n

    one = machine_per_child(("pep_meeting_held",))
    three = machine_per_child(("pep_meeting_held", "pep_submitted", "pep_approved"))
    return shared, one, three


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", action="append", help="a database URL to run on as well (repeatable)")
    parser.add_argument("--postgres", action="store_true", help="also run on a throwaway PostgreSQL server")
    args = parser.parse_args()
    urls, server = bench_databases(tempfile.mkdtemp(prefix="pepflow-bench-"), args.db, args.postgres)
    try:
        run(urls, args.children, args.rounds)
    finally:
        if server:
            server.stop()


def run(urls: list[str], children: int, rounds: int) -> None:
    config = load_config()
    engines = {}
    for url in urls:
        engine = engines[url] = empty_engine(url)
        t0 = time.perf_counter()
        build_cohort(engine, children)
        analyze_after_load(engine)
        print(f"{dialect_label(url)}: cohort of {children:,} built in {time.perf_counter() - t0:.1f} s")
    anchor = urls[0]
    path = anchor.removeprefix("sqlite:///")
    with engines[anchor].connect() as c:
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(path, path + ".floor")  # the floor's copy, written by hand
    shutil.copyfile(path, path + ".traced")  # pepflow again, untimed, traced: the rows the floor writes
    trace = Trace()
    traced_engine = traced(f"sqlite:///{path}.traced", trace)
    floor: list[float] = []
    key = b"k" * 32
    settle_after_start_up()  # as pepflow run does
    single_n = min(children // 10, 2_000)
    single: dict[str, list[float]] = {url: [] for url in urls}  # µs an event, each round
    batched: dict[str, list[float]] = {url: [] for url in urls}
    single_step = max(1, single_n // rounds)
    batch_step = max(1, (children - single_n) // rounds)
    for r in range(rounds):
        first, n = r * single_step, single_step
        time_events_one_by_one(traced_engine, config, first, n)
        writes = trace.take()
        for url in urls:
            first, n = r * single_step, single_step
            if url == anchor and r % 2:  # the floor and pepflow take turns at going first
                floor.append(floor_writes(path + ".floor", writes, key) / (3 * n) * 1e6)
            single[url].append(time_events_one_by_one(engines[url], config, first, n) / (3 * n) * 1e6)
            if url == anchor and not r % 2:
                floor.append(floor_writes(path + ".floor", writes, key) / (3 * n) * 1e6)
            first, n = single_n + r * batch_step, batch_step
            batched[url].append(time_events_batched(engines[url], config, first, n) / (3 * n) * 1e6)
        time_events_batched(traced_engine, config, single_n + r * batch_step, batch_step)
        floor_writes(path + ".floor", trace.take(), key)  # kept in step, untimed
    events = 3 * rounds * batch_step
    print(f"children: {children:,}; events: {events:,} batched and {3 * rounds * single_step:,} one at a time "
          f"on each database, in {rounds} rounds taking turns")
    for name, figures, how in (("batched (record_events, 500 a transaction)", batched, "batched"),
                               ("one transaction each (record_event)", single, "single")):
        print(f"whole event, {name}: " + "; ".join(
            f"{dialect_label(u)} {statistics.median(figures[u]):,.0f} µs/event "
            f"({1e6 / statistics.median(figures[u]):,.0f} events/s)" for u in urls))
        for url in urls[1:]:
            ratios = [a / b for a, b in zip(figures[url], figures[urls[0]])]
            print(f"  {dialect_label(url)} / SQLite, median of the rounds' ratios: {statistics.median(ratios):.2f}x "
                  f"(each round: {', '.join(f'{x:.2f}' for x in ratios)})")
    mine, bare = statistics.median(single[anchor]), statistics.median(floor)
    print(f"  floor, raw sqlite3 writing the same rows in the same transactions: {bare:,.0f} µs/event; "
          f"SQLite one transaction each = {mine / bare:.2f}x the floor "
          f"(median of the rounds' ratios {statistics.median([a / b for a, b in zip(single[anchor], floor)]):.2f}x; "
          f"target <= 2x)")
    shared, one, three = time_bare(min(children, 20_000))
    print(f"bare transition, shared machine on the row:    {shared * 1e6:,.1f} µs an event")
    print(f"a Machine per child, built and fired once:     {one * 1e6:,.1f} µs a child "
          f"({one / shared:.0f}x one shared-machine event)")
    print(f"a Machine per child, built and fired 3 times:  {three * 1e6:,.1f} µs a child "
          f"({three / (3 * shared):.0f}x three shared-machine events)")


if __name__ == "__main__":
    main()
