"""pepflow in production shape under load, on PostgreSQL beside SQLite: 2 web processes and 1 worker.

Builds 100,000 looked-after children with 1,000,000 deadlines (bench/web.py's cohort: 400
schools, 300 social workers, 400 designated teachers, with email addresses), 10,000 of the
open deadlines with a reminder due today, in a SQLite file (the anchor) and on a throwaway
PostgreSQL server set up as the deployment guide advises (or ``--db URL``, repeatable: a
database of your own, emptied first).  Then, the databases taking turns, each turn on a
fresh copy:

1. ``pepflow run --role web --workers 2`` and ``pepflow run --role worker`` (which sweeps
   the day and sends its emails to an SMTP sink meanwhile), and 50 users signed in at once
   (10 VS admin, 30 social workers, 10 designated teachers; one wrk connection each, every
   request with one of their sessions) asking for their pages for 60 s: requests/s, p50,
   p95, p99, errors (connections, timeouts, status other than 200).
2. The day's sweep and delivery with 1 and then 2 workers (``pepflow run --role worker``),
   each on a fresh copy of the database: how long until the day was swept (and by whom,
   in how many ms), until the outbox was empty; the sweeps recorded (one) and the emails
   the sink received (each once).

Prints each database's figures and PostgreSQL's ratio to SQLite (requests/s; p95).

    python bench/load.py [--children 100000] [--users 50] [--seconds 60] [--rounds 1] [--db URL]...

Needs wrk (apt-get install wrk).
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != HERE]  # bench/calendar.py shadows calendar

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import importlib.util  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from sqlalchemy import text  # noqa: E402

from pepflow.accounts.local import add_user  # noqa: E402
from pepflow.db import make_engine  # noqa: E402
from pepflow.db.connection import session_scope  # noqa: E402
from tests.faults.harness import Relay  # noqa: E402
from tests.pgserver import analyze_after_load, bench_databases, copy_database, dialect_label, empty_engine, free_port  # noqa: E402

DUE_TODAY = 10_000
PATHS = {  # what each role opens, in turn
    "vs_admin": ["/peps/overdue", "/peps/overdue?page=3", "/peps/overdue?sort=school&order=desc",
                 "/admissions", "/exclusions", "/children/{child}", "/my-work"],
    "social_worker": ["/my-work", "/peps/overdue", "/children/{child}"],
    "designated_teacher": ["/my-work", "/peps/overdue", "/children/{child}"],
}
WRK_SCRIPT = r"""
local lines, n, i = {}, 0, 0
for line in io.lines(os.getenv("LOAD_REQUESTS")) do
  local cookie, path = line:match("([^\t]+)\t(.+)")
  n = n + 1; lines[n] = {cookie, path}
end
setup = function(thread) thread:set("offset", math.random(n)) end
request = function()
  i = i + 1
  local line = lines[((i + offset) % n) + 1]
  return wrk.format("GET", line[2], {Cookie = line[1]})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %.3f %d %d %d %.1f %.1f %.1f\n", summary.requests, summary.duration / 1e6,
    e.connect + e.read + e.write, e.timeout, e.status, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def web_load():
    """bench/web_load.py, for its cohort loader and sign-in."""
    spec = importlib.util.spec_from_file_location("bench_web_load", os.path.join(HERE, "web_load.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cohort_builder():
    return web_load().load_cohort_builder()


def build(url: str, children: int, users: int, today: dt.date) -> list[tuple[str, str, str]]:
    """The cohort, the day's reminders and the users; returns (email, role, a child of theirs)."""
    web = cohort_builder()
    engine = empty_engine(url)
    web.build(engine, children)
    with engine.begin() as conn:
        conn.execute(text("UPDATE person SET email = lower(ref) || '@example.org'"))
        conn.execute(text("INSERT INTO person (ref, role, name, email) VALUES ('VSA1', 'vs_admin', 'Admin', "
                          "'vsa1@example.org'), ('VSH1', 'vsh', 'Head', 'vsh@example.org')"))
        # every open deadline in the sweep's schedule: DUE_TODAY of them due in a week, their
        # five-working-day reminder due today; the others' next step a month or two away
        open_ids = conn.execute(text("SELECT id FROM deadline WHERE status = 'open' ORDER BY id")).scalars().all()
        due, later = open_ids[:DUE_TODAY], open_ids[DUE_TODAY:]
        conn.execute(text("INSERT INTO deadline_step (next_step_on, deadline_id, last_step) VALUES (:on, :id, '')"),
                     [{"on": today, "id": i} for i in due]
                     + [{"on": today + dt.timedelta(days=30 + i % 60), "id": i} for i in later])
        conn.execute(text("UPDATE deadline SET due_on = :due WHERE id = :id"),
                     [{"due": today + dt.timedelta(days=7), "id": i} for i in due])
    people = []
    with session_scope(engine) as s:
        for n in range(users):
            if n < users // 5:
                email, role, person, school, child = f"admin{n}@example.org", "vs_admin", None, None, n
            elif n < users - users // 5:
                k = n - users // 5
                email, role, person, school, child = f"sw{k}@example.org", "social_worker", f"SW{k:03d}", None, k
            else:
                k = n
                email, role, person, school, child = f"dt{k}@example.org", "designated_teacher", f"DT{k:03d}", None, k
            add_user(s, email, role, web.PASSWORD, person_ref=person, school_urn=school)
            people.append((email, role, f"C{child:06d}"))
    analyze_after_load(engine)
    engine.dispose()
    return people


def service(url: str, env: dict[str, str], *args: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pepflow.cli", "--db", url, "run", *args], env=env, cwd=ROOT,
                            stdout=open(log, "ab"), stderr=subprocess.STDOUT, start_new_session=True)


def stop(processes: list[subprocess.Popen]) -> None:
    for p in processes:
        if p.poll() is None:
            p.terminate()
    for p in processes:
        try:
            p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()


def wait_until(check, seconds: float, what: str) -> float:
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > seconds:
            raise SystemExit(f"gave up waiting for {what}")
        time.sleep(0.2)
    return time.monotonic() - start


def outbox_state(engine) -> tuple[int, int, list[tuple]]:
    """(emails waiting, outbox rows, the sweeps recorded)."""
    with engine.connect() as conn:
        waiting = conn.execute(text("SELECT count(*) FROM notification "
                                    "WHERE status IN ('pending', 'sending')")).scalar()
        total = conn.execute(text("SELECT count(*) FROM notification")).scalar()
        sweeps = conn.execute(text("SELECT swept_on, swept_by, deadlines_due, written, duration_ms FROM sweep_run"))
        return waiting, total, [tuple(r) for r in sweeps]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="turns under load for each database, for medians")
    parser.add_argument("--db", action="append",
                        help="a database URL to run on (repeatable; a PostgreSQL one is emptied first, "
                             "copies are made beside it)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    folder = Path(tempfile.mkdtemp(prefix="pepflow-load-"))
    given_postgres = any(u.startswith("postgres") for u in args.db or [])
    urls, server = bench_databases(str(folder), args.db, postgres=not given_postgres)
    try:
        run(urls, folder, args)
    finally:
        if server:
            server.stop()


def run(urls: list[str], folder: Path, args) -> None:
    web = cohort_builder()
    today = web.TODAY
    people = []
    for url in urls:
        t0 = time.perf_counter()
        people = build(url, args.children, args.users, today)
        print(f"built {args.children:,} children, {args.children * 10:,} deadlines ({DUE_TODAY:,} reminders due "
              f"{today}) and {len(people)} users on {dialect_label(url)} in {time.perf_counter() - t0:.0f} s",
              flush=True)
    council = folder / "council"
    council.mkdir()
    # deliver at once rather than on the minute, so the time to an empty outbox is the work's
    (council / "notifications.toml").write_text("[delivery]\ndispatch_every_seconds = 1\n")
    relay = Relay(folder).start()
    env = {**os.environ, "PYTHONPATH": ROOT, "PEPFLOW_TODAY": today.isoformat(), "PEPFLOW_CONFIG": str(council),
           "PEPFLOW_SMTP_HOST": "127.0.0.1", "PEPFLOW_SMTP_PORT": str(relay.port), "PEPFLOW_SMTP_SECURITY": "none",
           "PEPFLOW_SECRET_KEY": "5" * 64, "PEPFLOW_LOG_FORMAT": "json"}
    results: dict[str, list[tuple[float, float]]] = {url: [] for url in urls}
    try:
        for turn in range(args.rounds):
            for url in urls:
                copy = copy_database(url, f"load{turn}")
                results[url].append(load(copy, env, folder, people, web.PASSWORD, relay, args))
        anchor = results[urls[0]]
        for url in urls[1:]:
            ratios = [(b[0] / a[0], b[1] / a[1]) for a, b in zip(anchor, results[url])]
            print(f"{dialect_label(url)} / SQLite under the same load, median of {len(ratios)}: requests/s "
                  f"{statistics.median(r[0] for r in ratios):.2f}x, p95 {statistics.median(r[1] for r in ratios):.2f}x")
        for url in urls:
            for name, workers in (("one", 1), ("two", 2)):
                sweep_and_send(copy_database(url, name), env, folder, workers, relay)
    finally:
        relay.stop()


def load(url: str, env: dict[str, str], folder: Path, people, password: str, relay: Relay,
         args) -> tuple[float, float]:
    """One turn of the users' load on ``url``; returns (requests/s, p95 ms)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = folder / "load-services.log"
    services = [service(url, env, "--role", "web", "--workers", str(args.web_workers), "--port", str(port), log=log)]
    try:
        import httpx

        sign_in_sessions = web_load().sign_in_sessions
        wait_until(lambda: _answers(httpx, f"{base}/healthz"), 120, "the web service")
        requests = []
        for email, role, child in people:
            cookie = sign_in_sessions(base, email, password, 1)[0]
            requests += [f"{cookie}\t{path.format(child=child)}" for path in PATHS[role]]
        lines = folder / "requests.txt"
        lines.write_text("\n".join(requests) + "\n")
        script = folder / "load.lua"
        script.write_text(WRK_SCRIPT)
        for line in requests:  # every request answers 200 before the clock starts
            cookie, path = line.split("\t")
            status = httpx.get(base + path, headers={"Cookie": cookie}, timeout=60).status_code
            assert status == 200, (path, status)
        mark = relay.mark()
        services.append(service(url, env, "--role", "worker", log=log))  # sweeps and sends during the load
        out = subprocess.run(["wrk", "-t", "2", "-c", str(len(people)), "-d", f"{args.seconds}s", "--timeout", "30s",
                              "-s", str(script), base], env={**os.environ, "LOAD_REQUESTS": str(lines)},
                             capture_output=True, text=True, check=True).stdout
        result = next(x for x in out.splitlines() if x.startswith("RESULT")).split()[1:]
        count, duration, broken, timeouts, bad_status = int(result[0]), float(result[1]), *map(int, result[2:5])
        p50, p95, p99 = map(float, result[5:])
        engine = make_engine(url, create=False)
        waiting, total, sweeps = outbox_state(engine)
        engine.dispose()
        print(f"{dialect_label(url)}: {len(people)} signed-in users for {args.seconds} s against pepflow run "
              f"--role web --workers {args.web_workers} and one worker, on loopback:")
        print(f"  {count / duration:,.1f} requests/s ({count:,} requests); p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
              f"p99 {p99:.0f} ms; errors: {broken} connection, {timeouts} timeouts, {bad_status} not 200")
        emails = sum(relay.received(since=mark).values())
        print(f"  meanwhile the worker: {_sweeps(sweeps)}; {total - waiting:,} of {total:,} outbox rows sent "
              f"as {emails:,} emails", flush=True)
        return count / duration, p95
    finally:
        stop(services)


def _answers(httpx, url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _sweeps(sweeps: list[tuple]) -> str:
    if not sweeps:
        return "no sweep yet"
    return "; ".join(f"swept {on} ({by}): {due:,} deadlines due, {written:,} rows, {ms:,} ms"
                     for on, by, due, written, ms in sweeps)


def sweep_and_send(url: str, env: dict[str, str], folder: Path, workers: int, relay: Relay) -> None:
    log = folder / f"workers-{workers}.log"
    mark = relay.mark()
    engine = make_engine(url, create=False)
    started = time.monotonic()
    services = [service(url, env, "--role", "worker", log=log) for _ in range(workers)]
    try:
        swept = wait_until(lambda: bool(outbox_state(engine)[2]), 300, "the sweep")
        empty = wait_until(lambda: (lambda waiting, total, _: waiting == 0 and total > 0)(*outbox_state(engine)),
                           600, "an empty outbox")
        time.sleep(2)  # anything doubled would have arrived by now
    finally:
        stop(services)
    waiting, total, sweeps = outbox_state(engine)
    engine.dispose()
    received = relay.received(since=mark)
    doubled = sum(n - 1 for n in received.values() if n > 1)
    print(f"{dialect_label(url)}: the day with {workers} worker{'s' if workers > 1 else ''} (each started at once): swept "
          f"{swept:.1f} s after start ({_sweeps(sweeps)}); outbox empty {swept + empty:.1f} s after start "
          f"({time.monotonic() - started - 2:.1f} s with stopping); sweeps recorded: {len(sweeps)}; "
          f"{sum(received.values()):,} emails received, {len(received):,} distinct, {doubled} doubled")


if __name__ == "__main__":
    main()
