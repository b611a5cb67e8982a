"""The faults, each as one run on a fresh copy of the demo database: the tests assert on
what each returns, and ``bench/faults.py`` tabulates many runs of them.

Each returns the run's ``Tally`` (what the relay received against what the database
says) and what else the run showed.
"""

from __future__ import annotations

import datetime as dt
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from pepflow.clock import SteppedClock
from pepflow.config import load_config
from pepflow.db import make_engine
from pepflow.db.models import Notification
from pepflow.notify.mailers import SMTPMailer
from pepflow.notify.outbox import DispatchResult, dispatch, relay_status
from pepflow.notify.sweep import SweepResult, sweep

from .harness import (DEMO_DAY, MORNING, Relay, Tally, driver, finish, free_port, python_env, tally, wait_for,
                      wait_ready)

CONFIG = load_config()
LEASE = dt.timedelta(seconds=CONFIG.notifications.delivery.lease_seconds)
CONNECTIONS = 4
DEMO_EMAILS = 45  # the demo cohort's digests on DEMO_DAY
DEMO_NOTIFICATIONS = 183  # sharing a PEP is due only once QA approves it; the "record incomplete" items ten working days after the import


def mailer(port: int, connections: int = CONNECTIONS) -> SMTPMailer:
    return SMTPMailer("127.0.0.1", port, security="none", connections=connections, timeout=5)


def swept(url: str) -> None:
    """The day's sweep, done (the outbox holds the day's notifications)."""
    engine = make_engine(url)
    result = sweep(engine, CONFIG, DEMO_DAY, clock=SteppedClock(MORNING))
    engine.dispose()
    assert result.written == DEMO_NOTIFICATIONS, result


def run_until_sent(url: str, port: int, start: dt.datetime, every: dt.timedelta = dt.timedelta(minutes=1),
                   limit: int = 200) -> SteppedClock:
    """Dispatch each ``every`` of simulated time until nothing is waiting; returns the clock."""
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


def time_of_a_day(url: str, relay: Relay) -> float:
    """Seconds a process takes to sweep the day and send it, once started: where kills land."""
    process = driver(url, relay.port, MORNING, connections=CONNECTIONS)
    wait_ready(process)
    started = time.monotonic()
    finish(process)
    return time.monotonic() - started


def kill_9(url: str, relay: Relay, rng: random.Random, window: float) -> tuple[Tally, int]:
    """A real ``kill -9`` of a process sweeping and dispatching, at a random point of its
    work (``window``: ``time_of_a_day``); then, after the lease, a later process finishes
    the day.  Returns the tally and how many emails had arrived before the kill."""
    mark = relay.mark()
    process = driver(url, relay.port, MORNING, connections=CONNECTIONS)
    wait_ready(process)
    time.sleep(rng.uniform(0.0, window))
    process.send_signal(signal.SIGKILL)
    process.communicate()
    before = sum(relay.received(mark).values())
    engine = make_engine(url)
    sweep(engine, CONFIG, DEMO_DAY, clock=SteppedClock(MORNING + LEASE))  # if the killed one had not swept
    engine.dispose()
    run_until_sent(url, relay.port, MORNING + LEASE + dt.timedelta(seconds=1))
    return tally(url, relay.received(mark)), before


def relay_down_for_an_hour(url: str, relay: Relay) -> tuple[Tally, dict[str, Any]]:
    """Nobody listens on the relay's port for 61 simulated minutes, one dispatch a minute;
    then the relay starts and delivery resumes."""
    swept(url)
    engine = make_engine(url)
    clock = SteppedClock(MORNING)
    alerts, sent, failed = [], 0, 0
    for _ in range(61):
        result = dispatch(engine, CONFIG, mailer(relay.port), clock)
        sent, failed = sent + result.emails_sent, failed + result.failed_for_good
        alerts.append(relay_status(engine, CONFIG, clock.now()).alert)
        clock.advance(dt.timedelta(minutes=1))
    with Session(engine) as s:
        during = s.execute(select(Notification.status, Notification.attempts)).all()
    relay.start()
    status = relay_status(engine, CONFIG, clock.now())
    after = run_until_sent(url, relay.port, max(clock.now(), status.next_try_at or clock.now()))
    up = not relay_status(engine, CONFIG, after.now()).down
    engine.dispose()
    return tally(url, relay.received()), {
        "sent_while_down": sent, "failed_while_down": failed, "first_alert_minute": alerts.index(True)
        if True in alerts else None, "statuses_while_down": {s for s, _ in during},
        "attempts_charged_while_down": sum(a for _, a in during), "up_after": up}


def refused(url: str, relay: Relay, *options: str, first_address_gets: str = "") -> tuple[Tally, DispatchResult]:
    """The relay refuses as ``options`` say (``--mail-code 421 …``), or refuses the first
    waiting email's address with ``first_address_gets`` (550, 451); one dispatch, then one
    each minute until nothing waits (the relay as it was)."""
    swept(url)
    if first_address_gets:
        options += ("--refuse", f"{first_address(url)}={first_address_gets}")
    relay.start(*options)
    engine = make_engine(url)
    first = dispatch(engine, CONFIG, mailer(relay.port), SteppedClock(MORNING))
    engine.dispose()
    run_until_sent(url, relay.port, first.paused_until or MORNING + dt.timedelta(minutes=1))
    return tally(url, relay.received(), failed_ok=True), first


def busy_mailbox(url: str, relay: Relay) -> tuple[Tally, DispatchResult, list[Any]]:
    """The relay answers 451 for the first waiting email's address; after the first
    dispatch the mailbox is free again.  Returns the rows of that email after the first."""
    swept(url)
    busy = first_address(url)
    relay.start("--refuse", f"{busy}=451")
    engine = make_engine(url)
    first = dispatch(engine, CONFIG, mailer(relay.port), SteppedClock(MORNING))
    with Session(engine) as s:
        waiting = s.execute(select(Notification).where(Notification.recipient_email == busy,
                                                       Notification.status != "skipped")).scalars().all()
    engine.dispose()
    relay.stop()
    relay.start()
    run_until_sent(url, relay.port, MORNING + dt.timedelta(seconds=60))
    return tally(url, relay.received()), first, waiting


def first_address(url: str) -> str:
    """The address of the first email waiting (to be refused by the relay)."""
    engine = make_engine(url)
    with Session(engine) as s:
        address = s.execute(select(Notification.recipient_email).where(Notification.status == "pending")
                            .order_by(Notification.id)).scalars().first()
    engine.dispose()
    return address


def outlived_lease(url: str, relay: Relay) -> tuple[Tally, DispatchResult]:
    """A slow relay; a dispatcher still sending when its lease runs out (by another
    service's clock), which takes over the rest."""
    swept(url)
    relay.start("--delay", "0.05")
    slow_engine = make_engine(url)
    results: dict[str, DispatchResult] = {}
    slow = threading.Thread(target=lambda: results.update(slow=dispatch(
        slow_engine, CONFIG, mailer(relay.port), SteppedClock(MORNING))))
    slow.start()
    wait_for(lambda: len(relay.received()) >= 10)
    run_until_sent(url, relay.port, MORNING + LEASE + dt.timedelta(seconds=1))
    slow.join(60)
    slow_engine.dispose()
    return tally(url, relay.received()), results["slow"]


def two_sweeps(url: str) -> tuple[Tally, list[SweepResult]]:
    """Two sweeps of the same day started at the same moment, each with its own engine."""
    engines = [make_engine(url), make_engine(url)]
    start = threading.Barrier(2)
    results: list[Any] = [None, None]

    def one(i: int) -> None:
        start.wait()
        results[i] = sweep(engines[i], CONFIG, DEMO_DAY, clock=SteppedClock(MORNING))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
    [t.start() for t in threads]
    [t.join(120) for t in threads]
    [e.dispose() for e in engines]
    return tally(url, Counter()), results


def two_sweep_commands(url: str, folder: Path) -> tuple[Tally, list[str]]:
    """Two ``pepflow sweep`` processes for the same day, started at the same moment."""
    env = python_env()
    commands = [subprocess.Popen([sys.executable, "-m", "pepflow.cli", "--db", url, "--today", DEMO_DAY.isoformat(),
                                  "sweep"], cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 text=True) for _ in range(2)]
    outputs = [command.communicate(timeout=120)[0] for command in commands]
    assert all(command.returncode == 0 for command in commands), outputs
    return tally(url, Counter()), outputs


def service_env(url: str, relay: Relay, **more: str) -> dict[str, str]:
    """The environment of a ``pepflow run`` service on ``url`` on the demo day, sending to ``relay``."""
    return {**python_env(), "PEPFLOW_DATABASE_URL": url, "PEPFLOW_TODAY": DEMO_DAY.isoformat(),
            "PEPFLOW_SMTP_HOST": "127.0.0.1", "PEPFLOW_SMTP_PORT": str(relay.port), "PEPFLOW_SMTP_SECURITY": "none",
            **more}


def two_services(url: str, relay: Relay, folder: Path) -> tuple[Tally, list[str]]:
    """Two ``pepflow run`` processes on one database, from start-up (the catch-up sweep)
    until every notification is sent; then both are stopped.  Both dispatch, each claiming rows
    of its own, so on PostgreSQL two claims at the same moment may split one person's digest in
    two emails: never one reminder twice."""
    relay.start()
    env = service_env(url, relay)
    services = [subprocess.Popen([sys.executable, "-m", "pepflow.cli", "run"], cwd=folder, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    engine = make_engine(url)

    def all_sent() -> bool:
        with Session(engine) as s:
            return s.execute(select(func.count()).select_from(Notification).where(
                Notification.status.in_(("pending", "sending")))).scalar_one() == 0 and \
                len(relay.received()) >= DEMO_EMAILS
    try:
        wait_for(all_sent, timeout=120, every=0.5)
        time.sleep(1.0)  # anything doubled would have arrived by now
    finally:
        for service in services:
            service.send_signal(signal.SIGTERM)
        logs = [service.communicate(timeout=60)[0] for service in services]
        engine.dispose()
    assert all(service.returncode == 0 for service in services), logs
    return tally(url, relay.received()), logs


def three_services_one_killed(url: str, relay: Relay, folder: Path) -> tuple[Tally, dict[str, Any]]:
    """A web service and two workers (``pepflow run --role …``) on one database; the first worker is
    killed with ``kill -9`` while it is sending (the only worker then, so the kill lands in its
    dispatch), and the second, started at that moment, finishes the day: what the first held is
    sent again once its lease has run out.  The council's config here makes the lease the shortest
    allowed (60 s) and dispatches every second."""
    council = folder / "council"
    council.mkdir(exist_ok=True)
    (council / "notifications.toml").write_text("[delivery]\nlease_seconds = 60\ndispatch_every_seconds = 1\n")
    relay.start("--delay", "0.2")
    env = service_env(url, relay, PEPFLOW_CONFIG=str(council), PEPFLOW_LOG_FORMAT="json")

    def service(*args: str) -> subprocess.Popen[str]:
        return subprocess.Popen([sys.executable, "-m", "pepflow.cli", "run", *args], cwd=folder, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    web = service("--role", "web", "--port", str(free_port()))
    first = service("--role", "worker")
    second = None
    try:
        wait_for(lambda: len(relay.received()) >= 8, timeout=120)
        second = service("--role", "worker")
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
        before = sum(relay.received().values())
        engine = make_engine(url)
        with Session(engine) as s:
            held = s.execute(select(func.count()).select_from(Notification)
                             .where(Notification.status == "sending")).scalar_one()
        engine.dispose()
        wait_for(lambda: len(relay.received()) >= DEMO_EMAILS, timeout=240)
        time.sleep(1.0)  # anything doubled would have arrived by now
    finally:
        for process in (web, second):
            if process is not None:
                process.send_signal(signal.SIGTERM)
        logs = [p.communicate(timeout=60)[0] for p in (web, second) if p is not None]
    # uvicorn shuts down cleanly on SIGTERM, then ends by that signal (as systemd expects)
    assert web.returncode in (0, -signal.SIGTERM) and second is not None and second.returncode == 0, logs
    return tally(url, relay.received()), {"before_kill": before, "held_by_the_killed": held, "logs": logs}
