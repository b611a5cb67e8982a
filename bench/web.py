"""Server time of the Overdue PEPs page for 100,000 children, on SQLite.

Builds (with bulk inserts) 100,000 looked-after children at 400 schools with 300 social
workers, one current PEP each and 10 deadlines each (1,000,000 rows, about 5% of them
open PEP deadlines past due), then signs in as VS admin and times whole requests through
the ASGI app (routing, session check, queries, template): the first page, filters, a sort,
a deep page, and a designated teacher's scoped view.

    python bench/web.py [--children 100000] [--repeat 15] [--db URL]... [--postgres]

On SQLite by default (a ``--db sqlite:///FILE`` that exists is reused as it is);
``--postgres`` adds a throwaway PostgreSQL server and ``--db postgresql://…`` a database of
your own (emptied first): each request is then timed on each database in turn, and the
ratio to SQLite printed beside it.
"""

from __future__ import annotations

import os
import sys

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

warnings.filterwarnings("ignore", message="Using `httpx`")

from fastapi.testclient import TestClient  # noqa: E402

from pepflow.service.application import App  # noqa: E402
from pepflow.db.connection import session_scope  # noqa: E402
from pepflow.db.models import Child, Deadline, Pep, Person, School  # noqa: E402
from pepflow.accounts.local import add_user  # noqa: E402
from pepflow.web.app import create_app  # noqa: E402
from tests.pgserver import analyze_after_load, bench_databases, dialect_label, empty_engine  # noqa: E402

TODAY = dt.date(2026, 11, 23)
STATES = ("due", "meeting_scheduled", "meeting_held", "submitted", "in_qa", "returned", "approved", "distributed")
KINDS = ("initial_pep", "pep_review", "pep_completion", "pep_distribution", "pep_qa", "care_review_next",
         "pep_resubmission", "admission_placement", "ptt_review", "pep_before_care_review")
PASSWORD = "benchmark password"


def build(engine, n: int) -> None:
    rng = random.Random(9)
    with engine.begin() as conn:
        people = [{"ref": f"SW{i:03d}", "role": "social_worker", "name": f"Worker {i}", "email": "",
                   "manager_ref": f"TM{i % 20:02d}"} for i in range(300)]
        people += [{"ref": f"DT{i:03d}", "role": "designated_teacher", "name": f"Teacher {i}", "email": "",
                    "manager_ref": None} for i in range(400)]
        conn.execute(Person.__table__.insert(), people)
        conn.execute(School.__table__.insert(), [
            {"urn": f"{200000 + i}", "name": f"School {i:03d}", "type": "maintained", "la": "Example",
             "ofsted": "good", "calendar": "default", "dt_ref": f"DT{i:03d}"} for i in range(400)])
        for start in range(0, n, 20000):
            part = range(start, min(n, start + 20000))
            conn.execute(Child.__table__.insert(), [
                {"ref": f"C{i:06d}", "first_name": "A", "last_name": "B", "dob": dt.date(2008 + i % 14, 1 + i % 12, 1),
                 "upn": "", "sen_status": "none", "legal_status": "care_order", "entered_care": dt.date(2023, 1, 5),
                 "school_urn": f"{200000 + i % 400}", "social_worker_ref": f"SW{i % 300:03d}", "in_area": True,
                 "placement_type": "foster_la", "looked_after": True} for i in part])
            conn.execute(Pep.__table__.insert(), [
                {"child_ref": f"C{i:06d}", "cycle": "termly", "state": rng.choice(STATES), "is_current": True,
                 "opened_on": dt.date(2026, 9, 1), "state_changed_on": dt.date(2026, 10, 1), "times_returned": 0,
                 "returned_reason": "", "imported": False} for i in part])
            rows = []
            for i in part:
                for k in range(10):
                    due = TODAY + dt.timedelta(days=rng.randint(-120, 120))
                    is_open = rng.random() < 0.1 or (k < 2 and rng.random() < 0.3)
                    rows.append({"child_ref": f"C{i:06d}", "process": "pep", "kind": KINDS[k], "rule_key": KINDS[k],
                                 "rule_version": "2010-04-01", "opened_on": due - dt.timedelta(days=20), "due_on": due,
                                 "number": 10, "unit": "working", "counting": "after", "calendar": "default",
                                 "source": "", "owner_role": "social_worker", "owner_ref": f"SW{i % 300:03d}",
                                 "status": "open" if is_open else "met",
                                 "closed_on": None if is_open else due, "close_reason": "", "note": "",
                                 "late_unit": ""})
            conn.execute(Deadline.__table__.insert(), rows)
    with session_scope(engine) as s:
        add_user(s, "admin@example.org", "vs_admin", PASSWORD)
        add_user(s, "dt@example.org", "designated_teacher", PASSWORD, person_ref="DT007")


def bench_app(tmp: str, name: str) -> App:
    """A fresh SQLite database in ``tmp`` for a bench, its history key and checkpoints beside it."""
    os.environ.setdefault("PEPFLOW_HISTORY_KEY_FILE", os.path.join(tmp, "history.key"))
    os.environ.setdefault("PEPFLOW_HISTORY_CHECKPOINT_FILE", os.path.join(tmp, "history.checkpoints"))
    return App(database_url=f"sqlite:///{tmp}/{name}.db", today_override=TODAY.isoformat())


def request_ms(client: TestClient, path: str, data: dict | None = None) -> float:
    """One whole request's time in milliseconds (a POST when ``data`` is given); it must succeed."""
    t = time.perf_counter()
    response = client.post(path, data=data, follow_redirects=False) if data is not None else client.get(path)
    took = (time.perf_counter() - t) * 1000
    assert response.status_code in (200, 303), (path, response.status_code, response.text[:300])
    return took


def against_the_floor(work: list, repeat: int) -> None:
    """Time each (label, run) of ``work`` ``repeat`` times, interleaved (each round runs every one
    once, after one warming run each), and print each median and maximum beside the first, the floor."""
    for _, run in work:
        run()  # warm
    times: dict[str, list[float]] = {label: [] for label, _ in work}
    for _ in range(repeat):
        for label, run in work:
            times[label].append(run())
    floor = statistics.median(times[work[0][0]])
    print(f"{'request':<52}{'median':>10}{'max':>10}  vs the floor")
    for label, _ in work:
        median = statistics.median(times[label])
        print(f"  {label:<50}{median:>8.1f}ms{max(times[label]):>8.1f}ms  {median / floor:>6.1f}x")


def sign_in(client: TestClient, email: str) -> None:
    page = client.get("/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303, response.text


def timed(client: TestClient, path: str, repeat: int) -> tuple[float, float, int]:
    client.get(path)  # warm the page cache
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    count = re.search(r"<strong>(\d+)</strong> overdue PEP deadline", response.text)
    return statistics.median(times), max(times), int(count.group(1)) if count else -1


PAGES = (("first page, soonest due first", "/peps/overdue", "admin"),
         ("filter: one school", "/peps/overdue?school=200123", "admin"),
         ("filter: one social worker", "/peps/overdue?sw=SW042", "admin"),
         ("filter: KS3, overdue 30+ days, state in_qa", "/peps/overdue?key_stage=KS3&min_days=30&state=in_qa",
          "admin"),
         ("sort: school, descending", "/peps/overdue?sort=school&order=desc", "admin"),
         ("page 100", "/peps/overdue?page=100", "admin"),
         ("designated teacher (one school), first page", "/peps/overdue", "dt"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--db", action="append",
                        help="a database URL (repeatable); a sqlite:/// file that exists is reused as it is")
    parser.add_argument("--postgres", action="store_true", help="also run on a throwaway PostgreSQL server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pepflow-web-") as tmp:
        urls, server = bench_databases(tmp, args.db, args.postgres)
        try:
            run(urls, args)
        finally:
            if server:
                server.stop()


def run(urls: list[str], args) -> None:
    clients = {}
    for url in urls:
        reuse = url.startswith("sqlite") and os.path.exists(url.removeprefix("sqlite:///"))
        empty_engine(url).dispose()
        app = App(database_url=url, today_override=TODAY.isoformat())
        if not reuse:
            t = time.perf_counter()
            build(app.engine, args.children)
            analyze_after_load(app.engine)
            print(f"{dialect_label(url)}: built {args.children:,} children, {args.children * 10:,} deadlines in "
                  f"{time.perf_counter() - t:.1f} s", flush=True)
        admin, teacher = TestClient(create_app(app)), TestClient(create_app(app))
        sign_in(admin, "admin@example.org")
        sign_in(teacher, "dt@example.org")
        clients[url] = {"admin": admin, "dt": teacher}
    heads = "".join(f" {dialect_label(u) + ' median':>18} {'max':>8}" for u in urls)
    print(f"{'Overdue PEPs request':<50}{heads} {'rows':>7}" + ("  ratio" if len(urls) > 1 else ""))
    for label, path, who in PAGES:
        cells, medians, rows = "", [], -1
        for url in urls:
            median, worst, rows = timed(clients[url][who], path, args.repeat)
            medians.append(median)
            cells += f" {median:>16.1f}ms {worst:>6.1f}ms"
        ratio = "  " + ", ".join(f"{m / medians[0]:.2f}x" for m in medians[1:]) if len(urls) > 1 else ""
        print(f"  {label:<48}{cells} {rows:>7,}{ratio}")
    for url in urls:
        t = time.perf_counter()
        csv_rows = clients[url]["admin"].get("/peps/overdue?format=csv").text.count("\n") - 1
        print(f"  {dialect_label(url)} CSV download of the whole list: {(time.perf_counter() - t) * 1000:,.0f} ms, "
              f"{csv_rows:,} rows")


if __name__ == "__main__":
    main()
