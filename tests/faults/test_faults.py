"""Reminders survive real faults: a killed process, a relay down for an hour, refusals by
kind, a cut after DATA, a dispatcher that outlives its lease, two sweeps and two services
at once, a database that goes away or fills its disk.

Every test uses a real relay in its own process (``sink.py``, counting Message-IDs) and
the demo cohort on 1 Dec 2026 (183 notifications in 45 digests), and asserts the same
things: nothing lost, duplicates within the guarantee (at most the emails in flight, one
per connection), no history row doubled, and the history verified afterwards.
"""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import create_engine, event, select, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from pepflow.clock import SteppedClock
from pepflow.db import make_engine
from pepflow.db.models import Notification, Person
from pepflow.notify import recorder
from pepflow.notify.outbox import dispatch

from .harness import MORNING, ROOT, Relay, Tally, copy_sqlite, demo_database, free_port, tally, wait_for
from .scenarios import (CONFIG, CONNECTIONS, DEMO_EMAILS, DEMO_NOTIFICATIONS, busy_mailbox, kill_9, mailer,
                        outlived_lease, refused, relay_down_for_an_hour, run_until_sent, swept,
                        three_services_one_killed,
                        time_of_a_day, two_services, two_sweep_commands, two_sweeps)

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


def assert_guarantee(t: Tally, duplicates_at_most: int = 0) -> None:
    """Nothing lost, duplicates within the bound, no history row doubled, history verified."""
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
    window = time_of_a_day(fresh(), relay)
    mid_dispatch = 0
    for run in range(runs):
        t, before = kill_9(fresh(), relay, rng, window)
        assert t.sweeps == 1 and t.notifications >= DEMO_NOTIFICATIONS, (run, t)
        assert_guarantee(t, duplicates_at_most=CONNECTIONS)
        mid_dispatch += 0 < before < DEMO_EMAILS
    assert mid_dispatch >= runs // 4  # the kills did land in the middle of sending


# ---- the relay --------------------------------------------------------------------

def test_a_relay_down_for_an_hour_pauses_delivery_charges_nothing_then_sends_each_email_once(fresh, relay):
    t, seen = relay_down_for_an_hour(fresh(), relay)
    assert seen["sent_while_down"] == 0 and seen["failed_while_down"] == 0
    assert seen["statuses_while_down"] <= {"pending", "skipped"}
    assert seen["attempts_charged_while_down"] == 0  # a relay fault charges no email
    assert seen["first_alert_minute"] == 60  # VS admin is told once it has been down an hour
    assert seen["up_after"]
    assert_guarantee(t)
    assert t.delivered == DEMO_EMAILS


def test_a_421_pauses_delivery_without_charging_the_emails(fresh, relay):
    url = fresh()
    t, first = refused(url, relay, "--mail-code", "421", "--mail-times", str(CONNECTIONS))
    assert first.emails_sent == 0 and "421" in first.relay_error and first.paused_until is not None
    engine = make_engine(url)
    with Session(engine) as s:
        assert {a for (a,) in s.execute(select(Notification.attempts).where(Notification.status == "sent"))} == {1}
    engine.dispose()
    assert_guarantee(t)


def test_a_451_for_one_recipient_retries_that_email_with_backoff_and_sends_the_others(fresh, relay):
    t, first, waiting = busy_mailbox(fresh(), relay)
    assert first.emails_sent == DEMO_EMAILS - 1 and first.relay_error == "" and first.paused_until is None
    assert waiting and all(n.status == "pending" and n.attempts == 1 and "451" in n.last_error
                           and n.next_attempt_at == MORNING + dt.timedelta(seconds=60) for n in waiting)
    assert_guarantee(t)


def test_a_550_for_one_recipient_fails_that_email_at_once_and_tells_vs_admin(fresh, relay):
    url = fresh()
    t, first = refused(url, relay, first_address_gets="550")
    assert first.emails_sent == DEMO_EMAILS - 1 and first.failed_for_good >= 1
    engine = make_engine(url)
    with Session(engine) as s:
        failed = s.execute(select(Notification).where(Notification.status == "failed")).scalars().all()
        admins = set(s.execute(select(Person.ref).where(Person.role == "vs_admin")).scalars())
        told = s.execute(select(Notification).where(Notification.step == "delivery_failed")).scalars().all()
    engine.dispose()
    unknown = {n.recipient_email for n in failed}
    assert len(unknown) == 1 and all(n.attempts == 1 and "550" in n.last_error for n in failed)
    assert sorted(n.recipient_ref for n in told) == sorted(admins)  # one notice each, for the one email
    assert all(n.status == "sent" for n in told)
    (address,) = unknown
    assert all(address in n.payload["what"] and "550" in n.payload["what"] for n in told)
    assert_guarantee(t)


def test_a_connection_cut_after_data_resends_only_the_email_in_flight(fresh, relay):
    t, _ = refused(fresh(), relay, "--cut-after-data", "1")
    assert t.duplicated == 1  # inherent to SMTP: that email may or may not have arrived
    assert_guarantee(t, duplicates_at_most=1)


# ---- leases -----------------------------------------------------------------------

def test_a_dispatcher_that_outlives_its_lease_stops_and_writes_nothing_for_rows_it_lost(fresh, relay):
    t, slow = outlived_lease(fresh(), relay)
    assert slow.lease_lost and slow.emails_sent < DEMO_EMAILS
    assert_guarantee(t, duplicates_at_most=CONNECTIONS)


# ---- one sweep a day --------------------------------------------------------------

def test_two_sweeps_at_once_sweep_the_day_once_and_double_no_history_row(fresh):
    for run in range(20):
        t, results = two_sweeps(fresh())
        assert sorted(r.already is None for r in results) == [False, True], run
        assert sorted(r.written for r in results) == [0, DEMO_NOTIFICATIONS], run
        assert t.sweeps == 1 and t.doubled_history == 0 and t.history_ok, (run, t)
        assert t.notifications == DEMO_NOTIFICATIONS, (run, t)


def test_two_sweep_commands_at_once_sweep_the_day_once(fresh, tmp_path):
    for run in range(2):
        t, outputs = two_sweep_commands(fresh(), tmp_path)
        assert sum("was already swept" in out for out in outputs) == 1, outputs
        assert sum(f"{DEMO_NOTIFICATIONS} notification(s) written," in out for out in outputs) == 1, outputs
        assert t.sweeps == 1 and t.doubled_history == 0 and t.history_ok and t.notifications == DEMO_NOTIFICATIONS


def test_two_services_on_one_database_sweep_once_and_send_each_email_once(fresh, relay, tmp_path):
    t, logs = two_services(fresh(), relay, tmp_path)
    assert t.sweeps == 1 and t.lost == 0 and t.duplicated == 0 and t.delivered >= DEMO_EMAILS, (t, logs)
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
    assert results["r"].emails_sent == DEMO_EMAILS, results
    engine.dispose()
    assert_guarantee(tally(url, relay.received()))


def _small_disk(tmp_path):
    """A 64 MiB tmpfs, or None where this process may not mount one."""
    disk = tmp_path / "disk"
    disk.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(disk)], capture_output=True)
    return disk if made.returncode == 0 else None


def _engine_whose_disk_can_fill(url: str):
    """An engine, and the page limit (``limit["pages"]``) that makes SQLite find its disk full
    from the next connection on (``max_page_count``: the same error, the same path)."""
    engine = make_engine(url)
    limit = {"pages": None}

    @event.listens_for(engine, "checkout")
    def _pages(dbapi_connection, record, proxy):
        if limit["pages"] is not None:
            dbapi_connection.execute(f"PRAGMA max_page_count={limit['pages']}")
    return engine, limit


def _sending_until_five_arrived(engine, relay, results: dict):
    """A dispatch in a thread, once five emails have reached the relay (its result in ``results``)."""
    sending = threading.Thread(target=lambda: results.update(r=dispatch(
        engine, CONFIG, mailer(relay.port), SteppedClock(MORNING))))
    sending.start()
    wait_for(lambda: len(relay.received()) >= 5)
    return results, sending


def test_a_full_disk_mid_dispatch_waits_for_space_and_resends_nothing(templates, tmp_path, relay, monkeypatch):
    """On a small tmpfs: the disk fills while emails are being sent; the dispatcher keeps
    what it sent and records it once space is freed.  Where no tmpfs can be mounted, SQLite
    is made to find its disk full (``max_page_count``): the same error, the same path."""
    monkeypatch.setattr(recorder, "DB_RETRY_FOR", 30.0)
    disk = _small_disk(tmp_path)
    folder = disk or tmp_path
    url = copy_sqlite(templates("sqlite"), folder, "full")
    swept(url)
    relay.start("--delay", "0.05")
    engine, limit = _engine_whose_disk_can_fill(url)
    results, sending = _sending_until_five_arrived(engine, relay, {})
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
    assert results["r"].emails_sent == DEMO_EMAILS, results
    assert_guarantee(tally(url, relay.received()))


def test_a_disk_full_for_longer_than_the_dispatch_waits_resends_no_more_than_the_emails_in_flight(
        templates, tmp_path, relay, monkeypatch):
    """The disk stays full past ``DB_RETRY_FOR``: the dispatch stops, and the next one on the still
    full disk gives up at once; once space is freed, later dispatches finish the day having sent
    again at most the emails that were in flight, one per connection (issue 36)."""
    monkeypatch.setattr(recorder, "DB_RETRY_FOR", 2.0)
    url = copy_sqlite(templates("sqlite"), tmp_path, "full-long")
    swept(url)
    relay.start("--delay", "0.05")
    engine, limit = _engine_whose_disk_can_fill(url)
    results, sending = _sending_until_five_arrived(engine, relay, {})
    with engine.connect() as conn:
        limit["pages"] = conn.execute(text("PRAGMA page_count")).scalar()
    engine.dispose()  # every connection from now on finds the disk full
    sending.join(120)
    assert not sending.is_alive()
    started = time.monotonic()
    try:  # on the still full disk: it may send and stop as the first did, or fail to claim at all
        dispatch(engine, CONFIG, mailer(relay.port), SteppedClock(MORNING + dt.timedelta(minutes=1)))
    except OperationalError as exc:
        assert "full" in str(exc)
    assert time.monotonic() - started < 30, "a dispatch on a full disk must give up soon"
    limit["pages"] = None
    engine.dispose()
    run_until_sent(url, relay.port, MORNING + dt.timedelta(minutes=2))
    assert_guarantee(tally(url, relay.received()), duplicates_at_most=CONNECTIONS)


@pytest.mark.parametrize("offers_smtputf8", [False, True], ids=["plain relay", "SMTPUTF8 relay"])
def test_an_address_with_letters_outside_ascii_is_sent_with_smtputf8_or_failed_at_once(templates, tmp_path, relay,
                                                                                      offers_smtputf8):
    """Issue 35: such an address failed at every dispatch with UnicodeEncodeError for 72 hours."""
    url = copy_sqlite(templates("sqlite"), tmp_path, "utf8")
    swept(url)
    relay.start(*(["--smtputf8"] if offers_smtputf8 else []))
    engine = make_engine(url)
    with engine.begin() as conn:
        first = conn.execute(text("SELECT recipient_email FROM notification WHERE status = 'pending' ORDER BY id")).scalar()
        conn.execute(text("UPDATE notification SET recipient_email = 'zoë.brontë@example.org' "
                          "WHERE recipient_email = :e"), {"e": first})
    result = dispatch(engine, CONFIG, mailer(relay.port), SteppedClock(MORNING))
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, attempts, last_error FROM notification "
                                 "WHERE recipient_email = 'zoë.brontë@example.org'")).all()
    engine.dispose()
    assert rows and not result.relay_error
    if offers_smtputf8:
        assert {r.status for r in rows} == {"sent"}
        assert any("zoë.brontë@example.org" in line for line in relay.log.read_text(encoding="utf-8").splitlines())
    else:
        assert {(r.status, r.attempts) for r in rows} == {("failed", 1)}
        assert all("does not offer SMTPUTF8" in r.last_error for r in rows)
    assert result.emails_sent == DEMO_EMAILS - (0 if offers_smtputf8 else 1)


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


def test_three_services_on_postgresql_one_killed_while_sending_lose_nothing(templates, postgres_server, relay,
                                                                           tmp_path):
    """A web service and two workers on one PostgreSQL database, a worker killed with kill -9 in
    the middle of its dispatch: nothing lost, at most the emails in flight sent again, the day
    swept once, the history verified."""
    url = postgres_server.new_database(template=templates("postgresql"))
    t, seen = three_services_one_killed(url, relay, tmp_path)
    assert 8 <= seen["before_kill"] < DEMO_EMAILS and seen["held_by_the_killed"] > 0, seen
    assert t.sweeps == 1 and t.notifications >= DEMO_NOTIFICATIONS, t
    assert_guarantee(t, duplicates_at_most=CONNECTIONS)
