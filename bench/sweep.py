"""The sweep and the dispatcher at scale, on SQLite and on PostgreSQL in the same run.

Builds 100,000 children with 1,000,000 deadlines in each database, with 10,000 reminders
due on each of the sweep days, then times whole sweeps (query, policy, outbox rows,
deadline updates, audit) one day at a time, the databases taking turns (SQLite's day 1,
PostgreSQL's day 1, SQLite's day 2, …), and prints the median of each and the median
ratio; then the dispatcher sending the last day's digests (one per social worker, 2,000
of them) to a local aiosmtpd server (its own process) over 4 connections.

Beside SQLite's sweeps, each day, the floor: raw ``sqlite3`` on its own copy of the same
database, with pepflow's settings (WAL, synchronous=NORMAL), doing the same SQL work in one
transaction: claim the day's ``sweep_run`` row, read the due steps joined to their deadlines
and children, insert exactly the outbox rows pepflow wrote (``ON CONFLICT DO NOTHING``),
take the handled steps out of the schedule and put in the same next ones, and the day's
counts.  It decides nothing (the policy, the recipients and the payloads are pepflow's own
work), so the ratio is pepflow's cost over the rows it must write.  pepflow sweeps a day
first, then the floor writes the rows pepflow wrote.

    python bench/sweep.py [--children 100000] [--per-child 10] [--due 10000] [--days 3]
                          [--db URL]... [--postgres]

Without ``--db`` or ``--postgres`` it runs on SQLite only; ``--postgres`` starts a throwaway
PostgreSQL server (initdb, fsync off); ``--db postgresql://…`` names a database of your own,
which it empties first.
"""

from __future__ import annotations

import os
import sys

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from sqlalchemy import func, select  # noqa: E402
from sqlmodel import Session  # noqa: E402

from pepflow.service.application import settle_after_start_up  # noqa: E402
from pepflow.clock import SteppedClock  # noqa: E402
from pepflow.config import load_config  # noqa: E402
from pepflow.db.connection import checkpoint  # noqa: E402
from pepflow.db.models import Child, Deadline, DeadlineStep, Notification, Person, School  # noqa: E402
from pepflow.notify.mailers import SMTPMailer  # noqa: E402
from pepflow.notify.outbox import dispatch  # noqa: E402
from pepflow.notify.sweep import sweep  # noqa: E402
from tests.pgserver import analyze_after_load, bench_databases, dialect_label, empty_engine  # noqa: E402

AS_OF = dt.date(2026, 3, 4)  # a Wednesday in term


def sweep_days(config, days: int) -> list[dt.date]:
    cal = config.calendar()
    return [cal.add(AS_OF, k, "working") if k else AS_OF for k in range(days)]


def build(engine, config, children: int, per_child: int, due: int, workers: int, days: list[dt.date]) -> None:
    """The same cohort in every database (the same seed): on each sweep day ``due`` children's
    first deadline has its 5-day reminder due; every other deadline's next step is months away."""
    rng = random.Random(7)
    cal = config.calendar()
    with engine.begin() as conn:
        conn.execute(Person.__table__.insert(), [
            {"ref": f"SW{i:04d}", "role": "social_worker", "name": f"SW {i}", "email": f"sw{i}@example.org",
             "manager_ref": "TM1"} for i in range(workers)] + [
            {"ref": "TM1", "role": "team_manager", "name": "TM", "email": "tm@example.org", "manager_ref": None},
            {"ref": "VSH1", "role": "vsh", "name": "VSH", "email": "vsh@example.org", "manager_ref": None},
            {"ref": "VSA1", "role": "vs_admin", "name": "Admin", "email": "vsa@example.org", "manager_ref": None}])
        conn.execute(School.__table__.insert(), [{"urn": "100001", "name": "School", "type": "maintained", "la": "",
                                                  "ofsted": "good", "calendar": "default"}])
        conn.execute(Child.__table__.insert(), [
            {"ref": f"C{i:06d}", "first_name": "A", "last_name": "B", "dob": dt.date(2014, 5, 1), "upn": "",
             "sen_status": "none", "legal_status": "care_order", "entered_care": dt.date(2024, 1, 5),
             "school_urn": "100001", "social_worker_ref": f"SW{i % workers:04d}", "in_area": True,
             "placement_type": "", "looked_after": True} for i in range(children)])
        picked = rng.sample(range(children), due * len(days))
        due_day = {child: days[n // due] for n, child in enumerate(picked)}
        batch, steps, next_id = [], [], 1
        for i in range(children):
            for k in range(per_child):
                day = due_day.get(i) if k == 0 else None
                later = days[-1] + dt.timedelta(days=rng.randint(1, 200))
                batch.append({
                    "id": next_id, "child_ref": f"C{i:06d}", "process": "pep",
                    "kind": "initial_pep" if k == 0 else "pep_review",
                    "rule_key": "initial_pep", "rule_version": "2010-04-01", "opened_on": dt.date(2026, 2, 1),
                    "due_on": cal.add(day, 5, "working") if day else later, "number": 10, "unit": "working",
                    "counting": "after", "calendar": "default", "source": "", "owner_role": "social_worker",
                    "owner_ref": None, "status": "open", "close_reason": "", "note": "", "late_unit": ""})
                steps.append({"next_step_on": day or later, "deadline_id": next_id, "last_step": ""})
                next_id += 1
            if len(batch) >= 100_000:
                conn.execute(Deadline.__table__.insert(), batch)
                conn.execute(DeadlineStep.__table__.insert(), steps)
                batch, steps = [], []
        if batch:
            conn.execute(Deadline.__table__.insert(), batch)
            conn.execute(DeadlineStep.__table__.insert(), steps)


OUTBOX = ("key", "deadline_id", "child_ref", "recipient_ref", "recipient_email", "step", "status", "attempts",
          "created_at", "message_id", "last_error", "claim_token", "payload", "payload_version")


def what_pepflow_wrote(path: str, after_id: int, day: dt.date) -> tuple[list[tuple], list[tuple]]:
    """The outbox rows pepflow's sweep of ``day`` wrote, and the schedule it left for the deadlines
    that were due: what the floor writes."""
    with sqlite3.connect(path) as db:
        rows = db.execute(f"SELECT {', '.join(OUTBOX)} FROM notification WHERE id > ? ORDER BY id",
                          (after_id,)).fetchall()
        due = [i for (i,) in db.execute("SELECT DISTINCT deadline_id FROM notification WHERE id > ?", (after_id,))]
        following = []
        for start in range(0, len(due), 900):
            chunk = due[start:start + 900]
            following += db.execute(f"SELECT next_step_on, deadline_id, last_step FROM deadline_step WHERE deadline_id "
                                    f"IN ({', '.join('?' * len(chunk))}) AND next_step_on > ?",
                                    (*chunk, day.isoformat())).fetchall()
    return rows, following


def floor_sweep(path: str, day: dt.date, rows: list[tuple], following: list[tuple]) -> float:
    """The floor (see the module's docstring): seconds for one day's sweep in raw SQL."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    t0 = time.perf_counter()
    db.execute("BEGIN")
    taken = db.execute("INSERT INTO sweep_run (swept_on, swept_at, swept_by, deadlines_due, written, skipped, duration_ms) "
                       "VALUES (?, ?, 'floor', 0, 0, 0, 0) ON CONFLICT DO NOTHING RETURNING swept_on",
                       (day.isoformat(), dt.datetime.now(dt.timezone.utc).isoformat())).fetchall()
    assert taken, "the floor's day was swept before"
    due = db.execute(
        "SELECT s.next_step_on, s.last_step, d.id, d.status, d.kind, d.due_on, d.unit, d.calendar, d.child_ref, "
        "d.owner_role, d.note, c.social_worker_ref, c.iro_ref, c.carer_ref, c.school_urn, c.first_name, c.last_name "
        "FROM deadline_step s JOIN deadline d ON d.id = s.deadline_id JOIN child c ON c.ref = d.child_ref "
        "WHERE s.next_step_on <= ?", (day.isoformat(),)).fetchall()
    db.executemany(f"INSERT INTO notification ({', '.join(OUTBOX)}) VALUES ({', '.join('?' * len(OUTBOX))}) "
                   "ON CONFLICT (key) DO NOTHING", rows)
    db.executemany("DELETE FROM deadline_step WHERE next_step_on = ? AND deadline_id = ?",
                   [(r[0], r[2]) for r in due])
    db.executemany("INSERT INTO deadline_step (next_step_on, deadline_id, last_step) VALUES (?, ?, ?) "
                   "ON CONFLICT DO NOTHING", following)
    db.execute("UPDATE sweep_run SET deadlines_due = ?, written = ? WHERE swept_on = ?",
               (len(due), len(rows), day.isoformat()))
    db.execute("COMMIT")
    took = time.perf_counter() - t0
    db.close()
    return took


def start_relay() -> tuple[subprocess.Popen, int]:
    """aiosmtpd's Sink on a free port, in its own process as a real mail relay would be (not on
    this one's interpreter lock); returns the process and the port once it answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                               "-c", "aiosmtpd.handlers.Sink"])
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    return server, port


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--per-child", type=int, default=10)
    parser.add_argument("--due", type=int, default=10_000, help="reminders due on each sweep day")
    parser.add_argument("--days", type=int, default=3, help="sweep days (rounds)")
    parser.add_argument("--workers", type=int, default=2_000, help="social workers (one digest each)")
    parser.add_argument("--db", action="append", help="a database URL to run on as well (repeatable)")
    parser.add_argument("--postgres", action="store_true", help="also run on a throwaway PostgreSQL server")
    args = parser.parse_args()
    config = load_config()
    urls, server = bench_databases(tempfile.mkdtemp(prefix="pepflow-sweep-"), args.db, args.postgres)
    try:
        run(config, urls, args)
    finally:
        if server:
            server.stop()


def run(config, urls: list[str], args) -> None:
    days = sweep_days(config, args.days)
    engines = {}
    for url in urls:
        engine = engines[url] = empty_engine(url)
        t0 = time.perf_counter()
        build(engine, config, args.children, args.per_child, args.due, args.workers, days)
        with Session(engine) as s:
            total = s.execute(select(func.count()).select_from(Deadline)).scalar_one()
        print(f"{dialect_label(url)}: built {args.children:,} children and {total:,} deadlines "
              f"in {time.perf_counter() - t0:.1f} s")
        analyze_after_load(engine)
    settle_after_start_up()  # as pepflow run does

    anchor = urls[0]
    anchor_path = anchor.removeprefix("sqlite:///")
    floor_path = anchor_path + ".floor"
    checkpoint(engines[anchor])
    shutil.copyfile(anchor_path, floor_path)  # the same database for the floor, copied before any sweep
    took: dict[str, list[float]] = {url: [] for url in urls}
    floors: list[float] = []
    for day in days:
        for url in urls:
            if url == anchor:
                with Session(engines[url]) as s:
                    before = s.execute(select(func.coalesce(func.max(Notification.id), 0))).scalar_one()
            t0 = time.perf_counter()
            result = sweep(engines[url], config, day)
            took[url].append(time.perf_counter() - t0)
            print(f"  {dialect_label(url)} sweep {day}: {result.deadlines_due:,} deadlines with a step due, "
                  f"{result.written:,} notification rows written, in {took[url][-1] * 1000:,.0f} ms")
            if url == anchor:
                print_checkpoint(engines[url], "sweep")
                rows, following = what_pepflow_wrote(anchor_path, before, day)
                floors.append(floor_sweep(floor_path, day, rows, following))
                print(f"  floor (raw sqlite3, the same {len(rows):,} rows and schedule) sweep {day}: "
                      f"{floors[-1] * 1000:,.0f} ms")
    print(f"sweep, median of {len(days)} days: " + "; ".join(
        f"{dialect_label(u)} {statistics.median(took[u]) * 1000:,.0f} ms" for u in urls)
        + f"; floor {statistics.median(floors) * 1000:,.0f} ms")
    print(f"  SQLite / floor, median of the days' ratios: "
          f"{statistics.median([a / b for a, b in zip(took[anchor], floors)]):.2f}x")
    for url in urls[1:]:
        ratios = [a / b for a, b in zip(took[url], took[anchor])]
        print(f"  {dialect_label(url)} / SQLite, median of the days' ratios: {statistics.median(ratios):.2f}x "
              f"(each day: {', '.join(f'{r:.2f}' for r in ratios)})")
    for url in urls:
        t0 = time.perf_counter()
        again = sweep(engines[url], config, days[-1])
        print(f"{dialect_label(url)} second sweep of {days[-1]}: {'already swept, ' if again.already else ''}"
              f"{again.written} rows written, in {(time.perf_counter() - t0) * 1000:,.0f} ms")

    server, port = start_relay()
    try:
        for url in urls:
            engine = engines[url]
            mailer = SMTPMailer("127.0.0.1", port, security="none", connections=4)
            now = dt.datetime.combine(days[-1], dt.time(8), tzinfo=dt.timezone.utc)
            t0 = time.perf_counter()
            sent = dispatch(engine, config, mailer, SteppedClock(now), limit=100_000)
            spent = time.perf_counter() - t0
            with Session(engine) as s:
                left = s.execute(select(func.count()).select_from(Notification)
                                 .where(Notification.status != "sent")).scalar_one()
            print(f"{dialect_label(url)} dispatch: {sent.emails_sent:,} emails ({sent.notifications_sent:,} "
                  f"notifications) to aiosmtpd in {spent:.2f} s = {sent.emails_sent / spent:,.0f} emails/s; "
                  f"not sent: {left}")
            if url.startswith("sqlite"):
                print_checkpoint(engine, "dispatch")
    finally:
        server.terminate()
        server.wait()


def print_checkpoint(engine, after: str) -> None:
    """What ``pepflow run`` does every minute, off the sweep's and the dispatcher's paths."""
    t0 = time.perf_counter()
    in_log, copied = checkpoint(engine)
    print(f"  then the service's checkpoint of the write-ahead log: {copied:,} pages copied in "
          f"{(time.perf_counter() - t0) * 1000:,.0f} ms (not in the {after} time above)")


if __name__ == "__main__":
    main()
