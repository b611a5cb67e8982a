"""The sweep and the dispatcher at scale.

Builds 100,000 children with 1,000,000 deadlines in SQLite, about 10,000 of them with a
reminder due on the chosen date, then times one whole sweep (query, policy, outbox rows,
deadline updates, audit) and the dispatcher sending the resulting digests (one per social
worker, 2,000 of them) to a local aiosmtpd server (its own process) over 4 connections.

    python bench/sweep.py [--children 100000] [--per-child 10] [--due 10000]
"""

from __future__ import annotations

import os
import sys

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import random  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from sqlalchemy import func, select  # noqa: E402
from sqlmodel import Session  # noqa: E402

from pepflow.app import settle_after_start_up  # noqa: E402
from pepflow.clock import SteppedClock  # noqa: E402
from pepflow.config import load_config  # noqa: E402
from pepflow.db import make_engine  # noqa: E402
from pepflow.db.engine import checkpoint  # noqa: E402
from pepflow.db.models import Child, Deadline, DeadlineStep, Notification, Person, School  # noqa: E402
from pepflow.notify.mailers import SMTPMailer  # noqa: E402
from pepflow.notify.outbox import dispatch  # noqa: E402
from pepflow.sweep import sweep  # noqa: E402

AS_OF = dt.date(2026, 3, 4)  # a Wednesday in term


def build(engine, config, children: int, per_child: int, due: int, workers: int) -> None:
    rng = random.Random(7)
    cal = config.calendar()
    due_on = cal.add(AS_OF, 5, "working")  # the 5-day reminder is due on AS_OF
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
        due_children = set(rng.sample(range(children), due))
        batch, steps, next_id = [], [], 1
        for i in range(children):
            for k in range(per_child):
                now_due = k == 0 and i in due_children
                later = AS_OF + dt.timedelta(days=rng.randint(1, 200))
                batch.append({
                    "id": next_id, "child_ref": f"C{i:06d}", "process": "pep",
                    "kind": "initial_pep" if k == 0 else "pep_review",
                    "rule_key": "initial_pep", "rule_version": "2010-04-01", "opened_on": dt.date(2026, 2, 1),
                    "due_on": due_on if now_due else later, "number": 10, "unit": "working", "counting": "after",
                    "calendar": "default", "source": "", "owner_role": "social_worker", "owner_ref": None,
                    "status": "open", "close_reason": "", "note": "", "late_unit": ""})
                steps.append({"next_step_on": AS_OF if now_due else later, "deadline_id": next_id, "last_step": ""})
                next_id += 1
            if len(batch) >= 100_000:
                conn.execute(Deadline.__table__.insert(), batch)
                conn.execute(DeadlineStep.__table__.insert(), steps)
                batch, steps = [], []
        if batch:
            conn.execute(Deadline.__table__.insert(), batch)
            conn.execute(DeadlineStep.__table__.insert(), steps)


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
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2_000, help="social workers (one digest each)")
    args = parser.parse_args()
    config = load_config()
    engine = make_engine(f"sqlite:///{os.path.join(tempfile.mkdtemp(prefix='pepflow-sweep-'), 'bench.db')}")
    t0 = time.perf_counter()
    build(engine, config, args.children, args.per_child, args.due, args.workers)
    with Session(engine) as s:
        total = s.execute(select(func.count()).select_from(Deadline)).scalar_one()
    print(f"built {args.children:,} children and {total:,} deadlines in {time.perf_counter() - t0:.1f} s")
    settle_after_start_up()  # as pepflow run does

    t0 = time.perf_counter()
    result = sweep(engine, config, AS_OF)
    took = time.perf_counter() - t0
    print(f"sweep {AS_OF}: {result.deadlines_due:,} deadlines with a step due, "
          f"{result.written:,} notification rows written, in {took * 1000:,.0f} ms")
    print_checkpoint(engine, "sweep")
    t0 = time.perf_counter()
    again = sweep(engine, config, AS_OF)
    print(f"second sweep the same day: {'already swept, ' if again.already else ''}{again.written} rows written, "
          f"in {(time.perf_counter() - t0) * 1000:,.0f} ms")

    server, port = start_relay()
    try:
        mailer = SMTPMailer("127.0.0.1", port, security="none", connections=4)
        now = dt.datetime.combine(AS_OF, dt.time(8), tzinfo=dt.timezone.utc)
        t0 = time.perf_counter()
        sent = dispatch(engine, config, mailer, SteppedClock(now), limit=100_000)
        took = time.perf_counter() - t0
    finally:
        server.terminate()
        server.wait()
    with Session(engine) as s:
        left = s.execute(select(func.count()).select_from(Notification)
                         .where(Notification.status != "sent")).scalar_one()
    print(f"dispatch: {sent.emails_sent:,} emails ({sent.notifications_sent:,} notifications) to aiosmtpd "
          f"in {took:.2f} s = {sent.emails_sent / took:,.0f} emails/s; "
          f"not sent: {left}")
    print_checkpoint(engine, "dispatch")


def print_checkpoint(engine, after: str) -> None:
    """What ``pepflow run`` does every minute, off the sweep's and the dispatcher's paths."""
    t0 = time.perf_counter()
    in_log, copied = checkpoint(engine)
    print(f"  then the service's checkpoint of the write-ahead log: {copied:,} pages copied in "
          f"{(time.perf_counter() - t0) * 1000:,.0f} ms (not in the {after} time above)")


if __name__ == "__main__":
    main()
