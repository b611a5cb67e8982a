"""Reminders survive real faults: a killed process, a relay down for an hour, refusals by
kind, a cut after DATA, a dispatcher that outlives its lease, two sweeps and two services
at once, a database that goes away or fills its disk.

Every test uses a real relay in its own process (``sink.py``, counting Message-IDs) and
the demo cohort on 1 Dec 2026 (382 notifications in 64 digests), and asserts the same
things: nothing lost, duplicates within the guarantee (at most the emails in flight, one
per connection), no history row doubled, and the history verified afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
import random
import signal
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import create_engine, event, select, text
from sqlmodel import Session

from pepflow.clock import SteppedClock
from pepflow.config import load_config
from pepflow.db import make_engine
from pepflow.db.models import Notification, Person
from pepflow.notify import outbox
from pepflow.notify.mailers import SMTPMailer
from pepflow.notify.outbox import dispatch, relay_status
from pepflow.sweep import sweep

from .harness import (DEMO_DAY, MORNING, ROOT, Relay, copy_sqlite, demo_database, driver, free_port,
                      tally, wait_for, wait_ready)

CONFIG = load_config()
LEASE = dt.timedelta(seconds=CONFIG.notifications.delivery.lease_seconds)
CONNECTIONS = 4
KILL_RUNS = {"sqlite": 30, "postgresql": 6}


@pytest.fixture(scope="module")
def templates(tmp_path_factory, request):
    """The demo cohort, made once per database kind, copied by each run."""
    folder = tmp_path_factory.mktemp("fault-templates")
    made = {}

    def template(kind: str) -> str:
        if kind not in made:
            if kind == "sqlite":
                demo_database(f"sqlite:///{folder / 'demo.db'}")
                made[kind] = str(folder / "demo.db")
            else:
                url = request.getfixturevalue("postgres_server").new_database()
                demo_database(url)
                made[kind] = url.rsplit("/", 1)[1]
        return made[kind]
    return template


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh(request, templates, tmp_path):
    """A function that returns a new copy of the demo database on this kind of database."""
    kind = request.param
    template = templates(kind)
    counter = iter(range(1, 10_000))

    def copy() -> str:
        if kind == "sqlite":
            return copy_sqlite(template, tmp_path, f"run{next(counter)}")
        return request.getfixturevalue("postgres_server").new_database(template=template)
    copy.kind = kind  # type: ignore[attr-defined]
    return copy


@pytest.fixture
def relay(tmp_path):
    started = Relay(tmp_path)
    yield started
    started.stop()


def mailer(port: int, connections: int = CONNECTIONS) -> SMTPMailer:
    return SMTPMailer("127.0.0.1", port, security="none", connections=connections, timeout=5)


def swept(url: str) -> None:
    engine = make_engine(url)
    result = sweep(engine, CONFIG, DEMO_DAY, clock=SteppedClock(MORNING))
    assert result.written == 382
    engine.dispose()


def run_until_sent(url: str, port: int, start: dt.datetime, every: dt.timedelta = dt.timedelta(minutes=1),
                   limit: int = 200) -> SteppedClock:
    """Dispatch each ``every`` of simulated time until nothing is waiting."""
    engine = make_engine(url)
    clock = SteppedClock(start)
    try:
        for _ in range(limit):
            dispatch(engine, CONFIG, mailer(port), clock)
            with Session(engine) as s:
                waiting = s.execute(select(Notification.id).where(
                    Notification.status.in_(("pending", "sending")))).first()
            if waiting is None:
                return clock
            clock.advance(every)
        raise AssertionError("emails still waiting")
    finally:
        engine.dispose()


def assert_guarantee(t, duplicates_at_most: int = 0, failed_ok: bool = False) -> None:
    assert t.lost == 0, t
    assert t.duplicated <= duplicates_at_most, t
    assert t.doubled_history == 0, t
    assert t.history_ok, t


# ---- kill -9 ----------------------------------------------------------------------

def test_kill_9_at_random_points_loses_nothing_and_resends_at_most_one_email_per_connection(fresh, relay):
    """A real ``kill -9`` at a seeded random point of a sweep and a dispatch; then a later
    process (after the lease) finishes the day.  The relay counts every Message-ID."""
    relay.start("--delay", "0.005")
    rng = random.Random(16)
    runs = KILL_RUNS[fresh.kind]
    mid_dispatch = 0
    for run in range(runs):
        url = fresh()
        mark = relay.mark()
        process = driver(url, relay.port, MORNING, connections=CONNECTIONS)
        wait_ready(process)
        time.sleep(rng.uniform(0.0, 1.6))  # the sweep and dispatch take about 1.5 s here
        process.send_signal(signal.SIGKILL)
        process.communicate()
        before = sum(relay.received(mark).values())
        swept_again = sweep(make_engine(url), CONFIG, DEMO_DAY, clock=SteppedClock(MORNING + LEASE))
        run_until_sent(url, relay.port, MORNING + LEASE + dt.timedelta(seconds=1))
        t = tally(url, relay.received(mark))
        assert t.sweeps == 1 and t.notifications >= 382, (run, t, swept_again)
        assert_guarantee(t, duplicates_at_most=CONNECTIONS)
        mid_dispatch += 0 < before < 64
    assert mid_dispatch >= runs // 4  # the kills did land in the middle of sending


# ---- the relay --------------------------------------------------------------------

def test_a_relay_down_for_an_hour_pauses_delivery_charges_nothing_then_sends_each_email_once(fresh, relay):
    url = fresh()
    swept(url)
    engine = make_engine(url)
    clock = SteppedClock(MORNING)
    alerts = []
    for minute in range(61):  # the relay refuses connections: nobody is listening on its port
        result = dispatch(engine, CONFIG, mailer(relay.port), clock)
        assert result.emails_sent == 0 and result.failed_for_good == 0
        alerts.append(relay_status(engine, CONFIG, clock.now()).alert)
        clock.advance(dt.timedelta(minutes=1))
    with Session(engine) as s:
        statuses = s.execute(select(Notification.status, Notification.attempts)).all()
    assert {status for status, _ in statuses} <= {"pending", "skipped"}
    assert all(attempts == 0 for _, attempts in statuses)  # a relay fault charges no email
    assert alerts.index(True) == 60  # VS admin is told once it has been down an hour
    relay.start()
    status = relay_status(engine, CONFIG, clock.now())
    run_until_sent(url, relay.port, max(clock.now(), status.next_try_at))
    assert relay_status(engine, CONFIG, clock.now() + dt.timedelta(hours=1)).down is False
    engine.dispose()
    assert_guarantee(tally(url, relay.received()))
    assert len(relay.received()) == 64


def test_a_421_pauses_delivery_without_charging_the_emails(fresh, relay):
    url = fresh()
    swept(url)
    relay.start("--mail-code", "421", "--mail-times", str(CONNECTIONS))
    engine = make_engine(url)
    first = dispatch(engine, CONFIG, mailer(relay.port), SteppedClock(MORNING))
    assert first.emails_sent == 0 and "421" in first.relay_error and first.paused_until is not None
    run_until_sent(url, relay.port, first.paused_until)
    with Session(engine) as s:
        assert {a for (a,) in s.execute(select(Notification.attempts).where(Notification.status == "sent"))} == {1}
    engine.dispose()
    assert_guarantee(tally(url, relay.received()))


def _an_address(url: str) -> str:
    engine = make_engine(url)
    with Session(engine) as s:
        address = s.execute(select(Notification.recipient_email).where(Notification.status == "pending")
                            .order_by(Notification.id)).scalars().first()
    engine.dispose()
    return address


def test_a_451_for_one_recipient_retries_that_email_with_backoff_and_sends_the_others(fresh, relay):
    url = fresh()
    swept(url)
    refused = _an_address(url)
    relay.start("--refuse", f"{refused}=451")
    engine = make_engine(url)
    first = dispatch(engine, CONFIG, mailer(relay.port), SteppedClock(MORNING))
    assert first.emails_sent == 63 and first.relay_error == "" and first.paused_until is None
    with Session(engine) as s:
        waiting = s.execute(select(Notification).where(Notification.recipient_email == refused,
                                                       Notification.status != "skipped")).scalars().all()
    assert waiting and all(n.status == "pending" and n.attempts == 1 and "451" in n.last_error
                           and n.next_attempt_at == MORNING + dt.timedelta(seconds=60) for n in waiting)
    relay.stop()
    relay.start()  # the mailbox is free again
    run_until_sent(url, relay.port, MORNING + dt.timedelta(seconds=60))
    engine.dispose()
    assert_guarantee(tally(url, relay.received()))


def test_a_550_for_one_recipient_fails_that_email_at_once_and_tells_vs_admin(fresh, relay):
    url = fresh()
    swept(url)
    refused = _an_address(url)
    relay.start("--refuse", f"{refused}=550")
    engine = make_engine(url)
    first = dispatch(engine, CONFIG, mailer(relay.port), SteppedClock(MORNING))
    assert first.emails_sent == 63 and first.failed_for_good >= 1
    with Session(engine) as s:
        failed = s.execute(select(Notification).where(Notification.status == "failed")).scalars().all()
        admins = set(s.execute(select(Person.ref).where(Person.role == "vs_admin")).scalars())
    assert failed and all(n.recipient_email == refused and n.attempts == 1 and "550" in n.last_error
                          for n in failed)
    run_until_sent(url, relay.port, MORNING + dt.timedelta(minutes=1))
    with Session(engine) as s:
        told = s.execute(select(Notification).where(Notification.step == "delivery_failed")).scalars().all()
    assert {n.recipient_ref for n in told} == admins and all(n.status == "sent" for n in told)
    assert all(refused in n.payload["what"] and "550" in n.payload["what"] for n in told)
    engine.dispose()
    assert_guarantee(tally(url, relay.received(), failed_ok=True))


def test_a_connection_cut_after_data_resends_only_the_email_in_flight(fresh, relay):
    url = fresh()
    swept(url)
    relay.start("--cut-after-data", "1")
    run_until_sent(url, relay.port, MORNING)
    t = tally(url, relay.received())
    assert t.duplicated == 1  # inherent to SMTP: that email may or may not have arrived
    assert_guarantee(t, duplicates_at_most=1)


# ---- leases -----------------------------------------------------------------------

def test_a_dispatcher_that_outlives_its_lease_stops_and_writes_nothing_for_rows_it_lost(fresh, relay):
    url = fresh()
    swept(url)
    relay.start("--delay", "0.05")
    slow_engine = make_engine(url)
    results = {}
    slow = threading.Thread(target=lambda: results.update(slow=dispatch(
        slow_engine, CONFIG, mailer(relay.port), SteppedClock(MORNING))))
    slow.start()
    wait_for(lambda: len(relay.received()) >= 10)
    # another service, whose clock says the slow one's lease ran out
    later = run_until_sent(url, relay.port, MORNING + LEASE + dt.timedelta(seconds=1))
    slow.join(60)
    assert results["slow"].lease_lost
    assert results["slow"].emails_sent < 64
    slow_engine.dispose()
    assert later.now() > MORNING
    assert_guarantee(tally(url, relay.received()), duplicates_at_most=CONNECTIONS)


# ---- one sweep a day --------------------------------------------------------------

def test_two_sweeps_at_once_sweep_the_day_once_and_double_no_history_row(fresh):
    for run in range(20):
        url = fresh()
        engines = [make_engine(url), make_engine(url)]
        start = threading.Barrier(2)
        results = [None, None]

        def one(i: int) -> None:
            start.wait()
            results[i] = sweep(engines[i], CONFIG, DEMO_DAY, clock=SteppedClock(MORNING))

        threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
        [t.start() for t in threads]
        [t.join(120) for t in threads]
        assert sorted(r.already is None for r in results) == [False, True], run
        assert sorted(r.written for r in results) == [0, 382], run
        t = tally(url, Counter())  # nothing is sent here
        assert t.sweeps == 1 and t.doubled_history == 0 and t.history_ok and t.notifications == 382, (run, t)
        [e.dispose() for e in engines]


def test_two_services_on_one_database_sweep_once_and_send_each_email_once(fresh, relay, tmp_path):
    url = fresh()
    relay.start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEPFLOW_")}
    env.update(PEPFLOW_DATABASE_URL=url, PEPFLOW_TODAY=DEMO_DAY.isoformat(), PEPFLOW_SMTP_HOST="127.0.0.1",
               PEPFLOW_SMTP_PORT=str(relay.port), PEPFLOW_SMTP_SECURITY="none")
    services = [subprocess.Popen([sys.executable, "-m", "pepflow.cli", "run"], cwd=tmp_path, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    try:
        wait_for(lambda: len(relay.received()) >= 64, timeout=120)
        time.sleep(1.0)  # anything doubled would have arrived by now
    finally:
        for service in services:
            service.send_signal(signal.SIGTERM)
        logs = [service.communicate(timeout=60)[0] for service in services]
    assert all(service.returncode == 0 for service in services), logs
    t = tally(url, relay.received())
    assert t.sweeps == 1 and len(relay.received()) == 64, (t, logs)
    assert_guarantee(t)
    assert sum("already done" in log for log in logs) == 1, logs  # the other found the day swept


# ---- the database -----------------------------------------------------------------

def test_postgresql_down_for_10_seconds_mid_dispatch_resends_nothing(templates, postgres_server, relay,
                                                                     monkeypatch):
    url = postgres_server.new_database(template=templates("postgresql"))
    swept(url)
    relay.start("--delay", "0.05")
    engine = make_engine(url)
    results = {}
    sending = threading.Thread(target=lambda: results.update(r=dispatch(
        engine, CONFIG, mailer(relay.port), SteppedClock(MORNING))))
    sending.start()
    wait_for(lambda: len(relay.received()) >= 5)
    postgres_server.down_for(10)
    sending.join(120)
    assert results["r"].emails_sent == 64, results
    engine.dispose()
    assert_guarantee(tally(url, relay.received()))


def _small_disk(tmp_path):
    """A 64 MiB tmpfs, or None where this process may not mount one."""
    disk = tmp_path / "disk"
    disk.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(disk)], capture_output=True)
    return disk if made.returncode == 0 else None


def test_a_full_disk_mid_dispatch_waits_for_space_and_resends_nothing(templates, tmp_path, relay, monkeypatch):
    """On a small tmpfs: the disk fills while emails are being sent; the dispatcher keeps
    what it sent and records it once space is freed.  Where no tmpfs can be mounted, SQLite
    is made to find its disk full (``max_page_count``): the same error, the same path."""
    monkeypatch.setattr(outbox, "DB_RETRY_FOR", 30.0)
    disk = _small_disk(tmp_path)
    folder = disk or tmp_path
    url = copy_sqlite(templates("sqlite"), folder, "full")
    swept(url)
    relay.start("--delay", "0.05")
    engine = make_engine(url)
    limit = {"pages": None}

    @event.listens_for(engine, "checkout")
    def _pages(dbapi_connection, record, proxy):  # the fallback's full disk
        if limit["pages"] is not None:
            dbapi_connection.execute(f"PRAGMA max_page_count={limit['pages']}")

    results = {}
    sending = threading.Thread(target=lambda: results.update(r=dispatch(
        engine, CONFIG, mailer(relay.port), SteppedClock(MORNING))))
    sending.start()
    wait_for(lambda: len(relay.received()) >= 5)
    filler = folder / "filler"
    if disk is not None:
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * (1 << 20))
                    f.flush()
            except OSError:
                pass
    else:
        with engine.connect() as conn:
            limit["pages"] = conn.execute(text("PRAGMA page_count")).scalar()
    time.sleep(2.0)
    assert sending.is_alive()  # waiting for space, holding what it sent
    if disk is not None:
        filler.unlink()
    limit["pages"] = 1 << 30
    sending.join(120)
    engine.dispose()
    if disk is not None:
        subprocess.run(["umount", "-l", str(disk)])
    assert results["r"].emails_sent == 64, results
    assert_guarantee(tally(url, relay.received()))


def test_database_errors_say_what_is_wrong_and_never_to_start_afresh(tmp_path):
    """Read-only, locked, unreachable, full: each its own advice (pepflow/db/problems.py)."""
    import sqlite3

    from sqlalchemy.exc import OperationalError

    from pepflow.db.problems import explain

    db = tmp_path / "p.db"
    make_engine(f"sqlite:///{db}").dispose()
    read_only = make_engine(f"sqlite:///file:{db}?mode=ro&uri=true", create=False)
    with pytest.raises(OperationalError) as caught, read_only.begin() as conn:
        conn.execute(text("DELETE FROM person"))
    messages = [explain(caught.value)]
    assert "cannot be written" in messages[-1]
    holder = sqlite3.connect(db)
    holder.execute("BEGIN EXCLUSIVE")
    impatient = create_engine(f"sqlite:///{db}", connect_args={"timeout": 0})  # no waiting for the lock
    with pytest.raises(OperationalError) as caught, impatient.begin() as conn:
        conn.execute(text("DELETE FROM person"))
    holder.rollback()
    messages.append(explain(caught.value))
    assert "kept busy by another process" in messages[-1]
    unreachable = make_engine(f"postgresql://nobody@127.0.0.1:{free_port()}/pepflow", create=False)
    with pytest.raises(OperationalError) as caught, unreachable.connect():
        pass
    messages.append(explain(caught.value))
    assert "could not be reached" in messages[-1]
    full = make_engine(f"sqlite:///{db}", create=False)
    with pytest.raises(OperationalError) as caught, full.begin() as conn:
        conn.exec_driver_sql("PRAGMA max_page_count=1")  # no more pages than it has: the disk is "full"
        conn.execute(text("INSERT INTO person (ref, role, name, email) VALUES ('X', 'vsh', :name, '')"),
                     {"name": "x" * 100_000})
    messages.append(explain(caught.value))
    assert "disk holding the database is full" in messages[-1]
    assert all("fresh" not in m and "Nothing was changed" in m for m in messages)


def test_the_command_line_says_the_disk_is_full_with_what_to_do(tmp_path, templates):
    url = copy_sqlite(templates("sqlite"), tmp_path, "cli")
    engine = make_engine(url)
    with engine.connect() as conn:
        pages = conn.execute(text("PRAGMA page_count")).scalar()
    engine.dispose()
    # a sweep that needs more pages than the database may have: SQLite's own "disk is full"
    script = (f"import sqlite3, sqlite3.dbapi2, sys; from pepflow.cli import run\n"
              f"orig = sqlite3.dbapi2.connect\n"
              f"def limited(*a, **k):\n"
              f"    c = orig(*a, **k); c.execute('PRAGMA max_page_count={pages}'); return c\n"
              f"sqlite3.connect = sqlite3.dbapi2.connect = limited\n"
              f"sys.argv = ['pepflow', '--db', {url!r}, 'sweep', '--as-of', '2026-12-01']\nrun()\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2, done
    assert "The disk holding the database is full" in done.stderr and "Nothing was changed" in done.stderr
    assert "Traceback" not in done.stderr and "fresh" not in done.stderr
