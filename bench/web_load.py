"""The web pages under load: ``pepflow web --workers N`` on loopback with 100,000 children,
driven by wrk (Debian's ``wrk`` package) with signed-in clients, beside a bare FastAPI page
of the same size served the same way (uvicorn, the same number of workers, a ``def``
handler) in the same run, each target in turn at each number of clients.

For 1, 10 and 50 concurrent clients (each connection signed in with a session of its own,
round robin) it prints requests/s and p50/p95/p99 for Overdue PEPs, a case page and the
Overdue PEPs CSV, and the bare page; then the CSV at 10 concurrent downloads with the
server's memory growth (the workers' resident memory sampled every 0.1 s); then a static
file's latency while 8 clients send wrong passwords without a pause, once with the
council's throttling and once with throttling set out of reach, so every one is an argon2
check.

    python bench/web_load.py [--children 100000] [--seconds 20] [--workers 2] [--db URL]
                             [--postgres] [--rounds 1]

On a new SQLite file by default (a ``--db sqlite:///FILE`` that exists is reused as it is);
``--postgres`` runs it on a throwaway PostgreSQL server instead, ``--db postgresql://…`` on a
database of your own (emptied first).

Targets (issue 18, this 2-core machine): Overdue PEPs at least 0.1 of the bare page's
requests/s at 10 clients with p95 <= 150 ms; the CSV <= 3 s with memory growth <= 100 MB
at 10 concurrent downloads; the static file's p95 <= 50 ms while 8 bad sign-ins run.
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.dirname(os.path.abspath(__file__))
# bench/calendar.py would shadow the standard library's calendar module
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != HERE]
sys.path.insert(0, ROOT)

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import httpx  # noqa: E402

from tests.pgserver import analyze_after_load, bench_databases, dialect_label, empty_engine, free_port  # noqa: E402

TODAY = "2026-11-23"
WRK_SCRIPT = r"""
local cookies, n, i, path, method, body, ctype = {}, 0, 0, os.getenv("WRK_PATH"), os.getenv("WRK_METHOD") or "GET", os.getenv("WRK_BODY"), nil
for line in io.lines(os.getenv("WRK_COOKIES")) do n = n + 1; cookies[n] = line end
if body then ctype = "application/x-www-form-urlencoded" end
request = function()
  i = i + 1
  local headers = {Cookie = cookies[(i % n) + 1]}
  if ctype then headers["Content-Type"] = ctype end
  return wrk.format(method, path, headers, body and string.gsub(body, "{i}", tostring(i)))
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %.3f %d %d %.1f %.1f %.1f\n", summary.requests, summary.duration / 1e6,
    e.connect + e.read + e.write + e.timeout, e.status, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""
BARE_APP = '''
from pathlib import Path
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

PAGE = (Path(__file__).parent / "page.html").read_bytes()
app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)


@app.get("/page")
def page():
    return HTMLResponse(PAGE)
'''


def load_cohort_builder():
    spec = importlib.util.spec_from_file_location("bench_web", os.path.join(HERE, "web.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wait_for(url: str, server: "Server", seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            if server.process.poll() is not None:
                raise SystemExit(f"the server stopped: {server.log_tail()}")
            if time.monotonic() > deadline:
                raise SystemExit(f"{url} did not answer")
            time.sleep(0.2)


def descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        p = queue.pop()
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                kids = [int(k) for k in (task / "children").read_text().split()]
                found += kids
                queue += kids
        except FileNotFoundError:
            continue
    return found


def resident_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total / 1024


class Server:
    """A server process group: ``pepflow web`` or the bare page."""

    def __init__(self, argv: list[str], env: dict[str, str], url: str, cwd: str | None = None):
        # its log to a file, never to a pipe nobody reads while it runs: with 64 KB of warnings in a full pipe
        # (a download's reader gone) the server's next log line waits, and its event loop with it
        self.log = tempfile.TemporaryFile()
        self.process = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=self.log,
                                        start_new_session=True)
        self.url = url

    def log_tail(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-2000:]

    def workers(self) -> list[int]:
        return [self.process.pid, *descendants(self.process.pid)]

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def sign_in_sessions(base: str, email: str, password: str, count: int) -> list[str]:
    cookies = []
    for _ in range(count):
        with httpx.Client(base_url=base) as client:
            page = client.get("/sign-in")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
            done = client.post("/sign-in", data={"email": email, "password": password, "csrf_token": token})
            assert done.status_code == 303, done.text[:500]
            cookies.append(f"pepflow_session={client.cookies['pepflow_session']}")
    return cookies


def wrk(url: str, path: str, clients: int, seconds: int, cookies_file: str, script: str,
        method: str = "GET", body: str | None = None) -> dict[str, float]:
    env = {**os.environ, "WRK_PATH": path, "WRK_COOKIES": cookies_file, "WRK_METHOD": method}
    if body:
        env["WRK_BODY"] = body
    threads = max(1, min(clients, 2))
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(clients), "-d", f"{seconds}s", "--timeout", "30s",
                          "-s", script, url], env=env, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT"))
    requests, duration, errors, bad_status, p50, p95, p99 = line.split()[1:]
    return {"requests": int(requests), "rps": int(requests) / float(duration), "errors": int(errors),
            "bad_status": int(bad_status), "p50": float(p50), "p95": float(p95), "p99": float(p99)}


def settle(base: str) -> None:
    """Wait until the server has finished what wrk left it (downloads it was still writing)."""
    quick = 0
    deadline = time.monotonic() + 120
    with httpx.Client(base_url=base, timeout=60) as client:
        while quick < 3 and time.monotonic() < deadline:
            t = time.perf_counter()
            client.get("/static/pepflow.css")
            quick = quick + 1 if time.perf_counter() - t < 0.02 else 0
            time.sleep(0.2)


def clear_throttle(url: str) -> None:
    """Forget the sign-in attempts the guessing left (thousands of ``account:guess…`` rows and a
    throttled loopback address): a reused ``--db`` file starts the next run as this one did."""
    from sqlalchemy import delete

    from pepflow.db import make_engine
    from pepflow.db.models import SignInThrottle

    engine = make_engine(url, create=False)  # the schema is pepflow's to check when it starts
    with engine.begin() as conn:
        conn.execute(delete(SignInThrottle))
    engine.dispose()


def show(label: str, r: dict[str, float], bare: dict[str, float] | None = None) -> None:
    ratio = f"{r['rps'] / bare['rps']:>7.3f}" if bare else f"{'':>7}"
    print(f"  {label:<34} {r['rps']:>9.1f} {r['p50']:>8.1f} {r['p95']:>8.1f} {r['p99']:>8.1f} {ratio} "
          f"{r['errors']:>6} {r['bad_status']:>6}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--rounds", type=int, default=1, help="repeat the throughput table, for medians")
    parser.add_argument("--db", help="the database URL to run on; a sqlite:/// file that exists is reused as it is")
    parser.add_argument("--postgres", action="store_true", help="run on a throwaway PostgreSQL server")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    tmp = tempfile.mkdtemp(prefix="pepflow-load-")
    urls, pg_server = bench_databases(tmp, [args.db] if args.db else None, args.postgres)
    try:
        run(urls[-1], tmp, args)
    finally:
        if pg_server:
            pg_server.stop()
        if not args.db:
            shutil.rmtree(tmp, ignore_errors=True)


def run(url: str, tmp: str, args) -> None:
    cohort = load_cohort_builder()
    if not (url.startswith("sqlite") and os.path.exists(url.removeprefix("sqlite:///"))):
        t = time.perf_counter()
        engine = empty_engine(url)
        cohort.build(engine, args.children)
        analyze_after_load(engine)
        engine.dispose()
        print(f"{dialect_label(url)}: built {args.children:,} children, {args.children * 10:,} deadlines in "
              f"{time.perf_counter() - t:.1f} s")
    clear_throttle(url)  # a reused file's leftovers from a run that was stopped
    env = {**os.environ, "PEPFLOW_TODAY": TODAY, "PYTHONPATH": ROOT}
    script = f"{tmp}/load.lua"
    Path(script).write_text(WRK_SCRIPT)
    python = sys.executable

    def start_pepflow(config_dir: str | None = None) -> Server:
        port = free_port()
        extra = {"PEPFLOW_CONFIG": config_dir} if config_dir else {}
        server = Server([python, "-m", "pepflow.cli", "--db", url, "web", "--port", str(port), "--workers",
                         str(args.workers)], {**env, **extra}, f"http://127.0.0.1:{port}")
        wait_for(f"{server.url}/sign-in", server)
        return server

    pepflow = start_pepflow()
    try:
        page = httpx.Client(base_url=pepflow.url)
        cookies = sign_in_sessions(pepflow.url, "admin@example.org", cohort.PASSWORD, 50)
        cookies_file = f"{tmp}/cookies.txt"
        Path(cookies_file).write_text("\n".join(cookies) + "\n")
        overdue_html = page.get("/peps/overdue", headers={"Cookie": cookies[0]}).content
        case = re.search(r'href="(/children/C\d+)"', overdue_html.decode()).group(1)
        Path(tmp, "page.html").write_bytes(overdue_html)
        Path(tmp, "bare_page.py").write_text(BARE_APP)
        bare_port = free_port()
        bare = Server([python, "-m", "uvicorn", "bare_page:app", "--port", str(bare_port), "--workers",
                       str(args.workers), "--log-level", "warning", "--no-access-log"], env,
                      f"http://127.0.0.1:{bare_port}", cwd=tmp)
        wait_for(f"{bare.url}/page", bare)
        csv_size = len(page.get("/peps/overdue?format=csv", headers={"Cookie": cookies[0]}).content)
        print(f"pepflow web --workers {args.workers} on {dialect_label(url)}, loopback, {args.children:,} children; wrk {args.seconds} s "
              f"per line; Overdue PEPs page {len(overdue_html):,} bytes (the bare page the same), CSV "
              f"{csv_size / 1e6:.1f} MB")
        print(f"  {'':<34} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'÷ bare':>7} {'errors':>6} "
              f"{'non-2xx':>6}")
        ratios: dict[int, list[float]] = {}
        for round_ in range(args.rounds):
            if args.rounds > 1:
                print(f" round {round_ + 1}")
            for clients in (1, 10, 50):
                print(f" {clients} client{'s' if clients > 1 else ''}")
                base = wrk(bare.url, "/page", clients, args.seconds, cookies_file, script)
                show("bare FastAPI page, same size", base)
                overdue = wrk(pepflow.url, "/peps/overdue", clients, args.seconds, cookies_file, script)
                show("Overdue PEPs, first page", overdue, base)
                ratios.setdefault(clients, []).append(overdue["rps"] / base["rps"])
                show("a case page", wrk(pepflow.url, case, clients, args.seconds, cookies_file, script), base)
                show("Overdue PEPs CSV (whole list)", wrk(pepflow.url, "/peps/overdue?format=csv", clients,
                                                          args.seconds, cookies_file, script))
                settle(pepflow.url)
        if args.rounds > 1:
            print("  median ratio Overdue PEPs ÷ bare: " + ", ".join(
                f"{c} clients {statistics.median(r):.3f}" for c, r in ratios.items()))

        # the CSV at 10 concurrent downloads, with the workers' memory
        workers = pepflow.workers()
        before = resident_mb(workers)
        peak = [before]
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak[0] = max(peak[0], resident_mb(workers))
                time.sleep(0.1)

        sampler = threading.Thread(target=sample)
        sampler.start()
        result = wrk(pepflow.url, "/peps/overdue?format=csv", 10, args.seconds, cookies_file, script)
        stop.set()
        sampler.join()
        settle(pepflow.url)
        print(f" CSV, 10 concurrent downloads of {csv_size / 1e6:.1f} MB: p50 {result['p50'] / 1000:.2f} s, p95 "
              f"{result['p95'] / 1000:.2f} s, {result['requests']} downloads; server memory {before:.0f} MB before, "
              f"peak {peak[0]:.0f} MB (growth {peak[0] - before:.0f} MB; target <= 100 MB, <= 3 s)")
        bare.stop()

        # a static file while 8 clients send wrong passwords (each for another email address)
        def static_while_guessing(server: Server, label: str) -> None:
            with httpx.Client(base_url=server.url) as client:
                form = client.get("/sign-in")
                token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
                signin_cookie = f"pepflow_signin={client.cookies['pepflow_signin']}"
            guess_cookies = f"{tmp}/guess.txt"
            Path(guess_cookies).write_text(signin_cookie + "\n")
            quiet = wrk(server.url, "/static/pepflow.css", 4, max(5, args.seconds // 2), cookies_file, script)
            guesses: dict[str, dict[str, float]] = {}
            guesser = threading.Thread(target=lambda: guesses.setdefault("r", wrk(
                server.url, "/sign-in", 8, args.seconds + 4, guess_cookies, script, method="POST",
                body=f"email=guess{{i}}%40example.org&password=not+the+password&csrf_token={token}")))
            guesser.start()
            time.sleep(2)
            loaded = wrk(server.url, "/static/pepflow.css", 4, args.seconds, cookies_file, script)
            guesser.join()
            g = guesses["r"]
            print(f" static file, {label}: p95 {quiet['p95']:.1f} ms alone, {loaded['p95']:.1f} ms (p99 "
                  f"{loaded['p99']:.1f}) while 8 clients sent {g['requests']:,} wrong passwords "
                  f"({g['rps']:.0f}/s; target p95 <= 50 ms)")

        static_while_guessing(pepflow, "with the council's throttling")
        pepflow.stop()
        lax = Path(tmp, "lax-config")
        shutil.copytree(Path(ROOT, "config"), lax)
        settings = Path(lax, "pepflow.toml")
        text = settings.read_text()
        text = re.sub(r"^sign_in_free_failures_per_address = \d+", "sign_in_free_failures_per_address = 10000", text,
                      flags=re.M)
        settings.write_text(text)
        pepflow = start_pepflow(str(lax))
        static_while_guessing(pepflow, "every guess an argon2 check")
    finally:
        pepflow.stop()
        clear_throttle(url)
        try:
            bare.stop()
        except NameError:
            pass


if __name__ == "__main__":
    main()
