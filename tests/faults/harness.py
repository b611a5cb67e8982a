"""What the fault tests and ``bench/faults.py`` share: a relay in its own process, a
cohort to copy, a process of pepflow to kill, and the count of what arrived.

Every check asks the same questions of a run: was every notification delivered (lost),
did any email arrive more than once (duplicated, within the guarantee's bound), is any
history row doubled, and does ``pepflow audit verify`` still pass.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from pepflow.audit import verify
from pepflow.db import make_engine, session_scope
from pepflow.db.models import Event, Notification, SweepRun

ROOT = Path(__file__).resolve().parents[2]
DEMO_DAY = dt.date(2026, 12, 1)  # a Tuesday in term: the demo cohort has 183 notifications in 45 digests
MORNING = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.timezone.utc)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def python_env() -> dict[str, str]:
    """This environment without any PEPFLOW_ setting but the test session's history key and
    checkpoints (tests/conftest.py), and with the repository importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEPFLOW_") or k.startswith("PEPFLOW_HISTORY_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


class Relay:
    """``tests/faults/sink.py`` as a process: ``start`` it (again, on the same port, after a
    simulated outage), read what it accepted with ``received``."""

    def __init__(self, folder: Path, port: int | None = None):
        self.port = port or free_port()
        self.log = folder / f"relay-{self.port}.log"
        self.log.touch()
        self.process: subprocess.Popen[str] | None = None

    def start(self, *options: str) -> "Relay":
        self.process = subprocess.Popen([sys.executable, "-m", "tests.faults.sink", "--port", str(self.port),
                                         "--log", str(self.log), *options], cwd=ROOT, env=python_env(),
                                        stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None and self.process.stdout.readline().strip() == "ready"
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    def mark(self) -> int:
        """Where the log ends now: ``received(since=mark)`` counts one run's messages."""
        return self.log.stat().st_size

    def received(self, since: int = 0) -> Counter[str]:
        with open(self.log, "rb") as f:
            f.seek(since)
            lines = f.read().decode().splitlines()
        return Counter(line.split("\t")[0] for line in lines if line)


def demo_database(url: str) -> None:
    """Fill an empty database with the demo cohort as of ``DEMO_DAY`` (nothing swept yet)."""
    from pepflow.config import load_config
    from pepflow.service.demo import create_demo_cohort

    from sqlalchemy import delete

    from pepflow.db.models import Notification

    engine = make_engine(url)
    with session_scope(engine) as s:
        create_demo_cohort(s, load_config(), DEMO_DAY)
        # the demo's exclusion notices are left out: each scenario counts the day's sweep alone
        s.execute(delete(Notification).where(Notification.step == "notice"))
    engine.dispose()


def copy_sqlite(template: Path, folder: Path, name: str) -> str:
    """A copy of the template that goes its own way: an identity of its own, so one copy's
    checkpoints are not read as another's."""
    from tests.support.copies import give_new_identity

    target = folder / f"{name}.db"
    shutil.copyfile(template, target)
    key = Path(f"{template}.history-key")  # the template's own key, where it has one beside it
    if key.exists():
        copied = Path(f"{target}.history-key")
        copied.write_bytes(key.read_bytes())
        copied.chmod(0o600)
    return give_new_identity(f"sqlite:///{target}")


def driver(url: str, port: int, now: dt.datetime, sweep: bool = True, connections: int = 4,
           extra: tuple[str, ...] = ()) -> subprocess.Popen[str]:
    """``tests/faults/driver.py`` (a sweep, then a dispatch to ``port``) as a process of its own."""
    return subprocess.Popen([sys.executable, "-m", "tests.faults.driver", "--db", url, "--port", str(port),
                             "--now", now.isoformat(), "--connections", str(connections),
                             *(["--sweep"] if sweep else []), *extra],
                            cwd=ROOT, env=python_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_ready(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if line != "ready":
        raise AssertionError(f"driver did not start: {line!r} {process.stderr.read() if process.stderr else ''}")


def finish(process: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = process.communicate(timeout=300)
    if process.returncode != 0:
        raise AssertionError(f"driver failed ({process.returncode}): {err[-2000:]}")
    return json.loads(out.strip().splitlines()[-1])


@dataclass
class Tally:
    """One run, as ``bench/faults.py`` prints it and the tests assert it."""

    notifications: int  # rows that are emails to send (not skipped)
    delivered: int  # distinct Message-IDs the relay accepted
    lost: int  # notifications not delivered (not sent, or sent without reaching the relay)
    duplicated: int  # extra copies the relay accepted
    doubled_history: int  # history rows written twice for one notification or one skipped step
    sweeps: int  # sweep_run rows for the day
    history_ok: bool
    history_problems: str = ""  # what ``pepflow audit verify`` named, when it failed


def tally(url: str, received: Counter[str], failed_ok: bool = False) -> Tally:
    """Count a run from the database and the relay's log.  A notification is lost if it is
    neither sent (and seen by the relay) nor, when ``failed_ok``, failed for VS admin."""
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            rows = s.execute(select(Notification.id, Notification.status, Notification.message_id)
                             .where(Notification.status != "skipped")).all()
            # each email's history row names the outbox rows it carried: one sent twice is doubled
            sent_ids = [n for p in s.execute(select(Event.payload).where(Event.name == "email_sent")).scalars()
                        for n in p["notifications"]]
            skipped = s.execute(select(Event.payload).where(Event.name == "notification_skipped")).scalars().all()
            sweeps = s.execute(select(func.count()).select_from(SweepRun)
                               .where(SweepRun.swept_on == DEMO_DAY)).scalar_one()
        lost = sum(1 for r in rows if not (r.status == "sent" and r.message_id in received)
                   and not (failed_ok and r.status == "failed"))
        doubled = sum(c - 1 for c in Counter(sent_ids).values()) + sum(
            c - 1 for c in Counter((p["deadline_id"], p["step"]) for p in skipped).values())
        verified = verify(engine)
        return Tally(len(rows), len(received), lost, sum(c - 1 for c in received.values()), doubled, sweeps,
                     verified.ok, " | ".join(verified.problems))
    finally:
        engine.dispose()


def wait_for(condition, timeout: float = 60.0, every: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(every)
