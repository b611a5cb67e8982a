"""Attendance from the register (issue 41), each figure beside its floor in the same run, interleaved:

* importing a day's marks for 10,000 children (20,000 rows): pepflow's whole import (every row
  checked: the child, the school, the code, the school's calendar, the roll; idempotent; the import's
  history row; then each child's half-term band and the alerts) against the floor: the same file read
  with the csv module, the same checks against dictionaries read once, and the rows inserted with one
  executemany in one transaction (``INSERT … ON CONFLICT DO NOTHING``), nothing else;
* one child's figures for a school year with ``--marks`` marks held (default 4,000,000: 10,000
  children, a school year each): ``states.attendance_marks.figures`` against the bare GROUP BY of the
  same rows through sqlite3;
* the cohort's figures for a half term (the compliance report's ``_register_attendance``) against
  the bare GROUP BY by child and category.

* with ``--postgres``, the same two on a throwaway PostgreSQL server (marks made by the server,
  ``--pg-marks``, default 50,000,000: a large council over years), against the bare GROUP BY through
  the same connection.

    python bench/attendance.py [--children 10000] [--repeat 5] [--marks 4000000] [--postgres [--pg-marks N]]
"""

from __future__ import annotations

import os
import sys

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import csv  # noqa: E402
import datetime as dt  # noqa: E402
import random  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from sqlalchemy import insert, text  # noqa: E402

from pepflow.db.connection import session_scope  # noqa: E402
from pepflow.db.models import AttendanceImport, AttendanceMark  # noqa: E402
from pepflow.service.attendance_import import import_register  # noqa: E402
from pepflow.states.attendance_marks import figures  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from web import TODAY, bench_app, build  # noqa: E402  (bench/web.py's cohort)

CODES = ["/"] * 90 + ["I"] * 4 + ["N"] * 2 + ["O", "M", "B", "L"]


def school_days(app, start: dt.date, end: dt.date) -> list[dt.date]:
    cal = app.config.calendar()
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)
            if cal.is_school_day(start + dt.timedelta(days=i))]


def day_file(folder: str, children: int, day: dt.date, rng: random.Random) -> str:
    path = os.path.join(folder, f"marks-{day.isoformat()}.csv")
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["child_ref", "school_urn", "date", "session", "code"])
        for i in range(children):
            for session in ("AM", "PM"):
                code = rng.choice(CODES)
                writer.writerow([f"C{i:06d}", f"{200000 + i % 400}", day.isoformat(), session,
                                 "\\" if code == "/" and session == "PM" else code])
    return path


def pepflow_import(app, path: str) -> float:
    t = time.perf_counter()
    with session_scope(app.engine) as s:
        done, _ = import_register(s, app.config, path, TODAY, "bench")
    took = time.perf_counter() - t
    assert done.added == done.rows and not done.set_aside, done.lines()[:3]
    return took


def floor_import(db_file: str, path: str, refs: dict[str, str], days: set[dt.date], categories: dict[str, str],
                 import_id: int) -> float:
    """The same checks (child, school, date, school day, session, code, roll), the same rows, one transaction."""
    t = time.perf_counter()
    rows = []
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for ref, urn, day_text, session, code in reader:
            day = dt.date.fromisoformat(day_text)
            if refs.get(ref) != urn or day not in days or day > TODAY or session not in ("AM", "PM") \
                    or code not in categories:
                raise AssertionError("a bad row in the bench's file")
            rows.append((ref, day_text, session, urn, code, categories[code], import_id, ""))
    conn = sqlite3.connect(db_file)
    try:
        with conn:
            conn.executemany("INSERT INTO attendance_mark (child_ref, day, session, school_urn, code, category, "
                             "import_id, changed_from) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", rows)
    finally:
        conn.close()
    return time.perf_counter() - t


def fill_marks(app, children: int, marks: int) -> tuple[dt.date, dt.date]:
    """About ``marks`` marks: each child's school days from September, oldest first."""
    per_child = max(2, marks // children)
    days = school_days(app, dt.date(2025, 9, 3), dt.date(2026, 7, 22))[: per_child // 2]
    rng = random.Random(5)
    with session_scope(app.engine) as s:
        batch = AttendanceImport(kind="marks", filename="bench", imported_on=TODAY, rows=0)
        s.add(batch)
        s.flush()
        batch_id = batch.id
    categories = {c.strip(): app.config.attendance_codes.category_of(c) for c in set(CODES) | {"\\"}}
    with app.engine.begin() as conn:
        for start in range(0, children, 500):
            rows = []
            for i in range(start, min(children, start + 500)):
                for day in days:
                    for session in ("AM", "PM"):
                        code = rng.choice(CODES)
                        code = "\\" if code == "/" and session == "PM" else code
                        rows.append({"child_ref": f"C{i:06d}", "day": day, "session": session,
                                     "school_urn": f"{200000 + i % 400}", "code": code, "category": categories[code],
                                     "import_id": batch_id, "changed_from": ""})
            conn.execute(insert(AttendanceMark), rows)
        conn.execute(text("ANALYZE"))
    return days[0], days[-1]


def postgres_part(args) -> None:
    """One child's figures and a half term's cohort figures with ``--pg-marks`` marks on PostgreSQL."""
    from tests.pgserver import analyze_after_load, bench_databases, empty_engine

    with tempfile.TemporaryDirectory() as tmp:
        urls, server = bench_databases(tmp, None, True)
        try:
            url = urls[1]
            empty_engine(url).dispose()
            from pepflow.service.application import App

            app = App(database_url=url, today_override=TODAY.isoformat())
            children = max(args.children, args.pg_marks // 380 + 1)  # a school year is about 380 sessions
            build(app.engine, children)
            t = time.perf_counter()
            # weekdays outside August back from the end of the 2025-26 year (the calendar holds only recent
            # years; the figures' queries read the days as they are)
            days = [dt.date(2026, 7, 22) - dt.timedelta(days=i) for i in range(0, 365 * 30)]
            days = sorted(d for d in days if d.weekday() < 5 and d.month != 8)
            per_child = args.pg_marks // children
            with app.engine.begin() as conn:
                conn.execute(text("INSERT INTO attendance_import (kind, filename, imported_on, imported_by, rows, added, "
                                  "unchanged, changed, set_aside) VALUES ('marks', 'bench', :d, '', 0, 0, 0, 0, 0)"),
                             {"d": TODAY})
                conn.execute(text("CREATE TEMP TABLE bench_day (n int, day date)"))
                conn.execute(text("INSERT INTO bench_day VALUES (:n, :day)"),
                             [{"n": n, "day": day} for n, day in enumerate(days[-(per_child // 2):])])
                conn.execute(text(
                    "INSERT INTO attendance_mark (child_ref, day, session, school_urn, code, category, import_id, "
                    "changed_from) SELECT c.ref, d.day, s.session, c.school_urn, "
                    "CASE WHEN h < 90 THEN (CASE WHEN s.session = 'AM' THEN '/' ELSE '\\' END) WHEN h < 94 THEN 'I' "
                    "WHEN h < 96 THEN 'N' ELSE 'O' END, "
                    "CASE WHEN h < 90 THEN 'attending' WHEN h < 94 THEN 'authorised_absence' "
                    "ELSE 'unauthorised_absence' END, 1, '' "
                    "FROM child c CROSS JOIN bench_day d CROSS JOIN (VALUES ('AM'), ('PM')) AS s(session) "
                    "CROSS JOIN LATERAL (SELECT abs(hashtext(c.ref || d.n || s.session)) % 100 AS h) AS r"))
            analyze_after_load(app.engine)
            with app.engine.connect() as conn:
                held = conn.execute(text("SELECT count(*) FROM attendance_mark")).scalar()
                first, last = conn.execute(text("SELECT min(day), max(day) FROM attendance_mark")).one()
            print(f"\nPostgreSQL: {held:,} marks held for {children:,} children ({time.perf_counter() - t:.0f} s to "
                  f"make them), {first} to {last}")
            year = (dt.date(2025, 9, 1), dt.date(2026, 7, 22))
            sample = [f"C{random.Random(k).randrange(children):06d}" for k in range(200)]
            ours, floor = [], []
            with app.engine.connect() as raw:
                for ref in sample:
                    t = time.perf_counter()
                    raw.exec_driver_sql("SELECT category, count(*) FROM attendance_mark WHERE child_ref = %(r)s AND "
                                        "day >= %(a)s AND day <= %(b)s GROUP BY category",
                                        {"r": ref, "a": year[0], "b": year[1]}).fetchall()
                    floor.append((time.perf_counter() - t) * 1000)
                    t = time.perf_counter()
                    with session_scope(app.engine) as s:
                        figures(s, ref, *year)
                    ours.append((time.perf_counter() - t) * 1000)
                print(f"one child's figures for a school year, median of {len(sample)} children (interleaved):")
                print(f"  floor (the bare GROUP BY)           {statistics.median(floor):7.2f} ms")
                print(f"  pepflow (figures, in a session)     {statistics.median(ours):7.2f} ms   "
                      f"{statistics.median(ours) / statistics.median(floor):5.1f}x; goal under 10 ms")
                from pepflow.reports.compliance_figures import _register_attendance

                half = (dt.date(2026, 2, 23), dt.date(2026, 3, 27))
                ours, floor = [], []
                for _ in range(3):
                    t = time.perf_counter()
                    raw.exec_driver_sql("SELECT child_ref, category, count(*) FROM attendance_mark WHERE day >= %(a)s "
                                        "AND day <= %(b)s GROUP BY child_ref, category",
                                        {"a": half[0], "b": half[1]}).fetchall()
                    floor.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    with session_scope(app.engine) as s:
                        _register_attendance(s, app.config, *half)
                    ours.append(time.perf_counter() - t)
            print(f"the cohort's figures for a half term ({children:,} children), median of 3:")
            print(f"  floor (the bare GROUP BY)           {statistics.median(floor):7.2f} s")
            print(f"  pepflow (the report's figures)      {statistics.median(ours):7.2f} s   "
                  f"{statistics.median(ours) / statistics.median(floor):5.1f}x; goal under 2 s")
            app.engine.dispose()
        finally:
            if server:
                server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--marks", type=int, default=4_000_000)
    parser.add_argument("--postgres", action="store_true", help="also the figures on a throwaway PostgreSQL server")
    parser.add_argument("--pg-marks", type=int, default=50_000_000)
    args = parser.parse_args()
    if args.postgres:
        postgres_part(args)
    with tempfile.TemporaryDirectory() as tmp:
        app = bench_app(tmp, "attendance")
        build(app.engine, args.children)
        db_file = os.path.join(tmp, "attendance.db")
        refs = {f"C{i:06d}": f"{200000 + i % 400}" for i in range(args.children)}
        nov = school_days(app, dt.date(2026, 11, 2), dt.date(2026, 11, 20))
        needed = 2 * args.repeat + 2
        assert len(nov) >= needed, "not enough school days in November for the runs"
        rng = random.Random(3)
        files = [day_file(tmp, args.children, day, rng) for day in nov[:needed]]
        categories = {code: meaning.category for code, meaning in app.config.attendance_codes.codes.items()}
        with session_scope(app.engine) as s:
            batch = AttendanceImport(kind="marks", filename="floor", imported_on=TODAY, rows=0)
            s.add(batch)
            s.flush()
            floor_id = batch.id
        ours, floor = [], []
        pepflow_import(app, files[0])  # warm: the first import reads the calendars and the roll
        floor_import(db_file, files[1], refs, set(nov), categories, floor_id)
        for k in range(args.repeat):
            ours.append(pepflow_import(app, files[2 + 2 * k]))
            floor.append(floor_import(db_file, files[3 + 2 * k], refs, set(nov), categories, floor_id))
        rows = 2 * args.children
        print(f"import a day's marks, {args.children:,} children ({rows:,} rows), median of {args.repeat} "
              f"(interleaved):")
        print(f"  floor (csv + checks + one executemany)   {statistics.median(floor):7.2f} s")
        print(f"  pepflow (import, bands, alerts, history) {statistics.median(ours):7.2f} s   "
              f"{statistics.median(ours) / statistics.median(floor):5.1f}x the floor; goal under 10 s")

    with tempfile.TemporaryDirectory() as tmp:
        app = bench_app(tmp, "marks")
        build(app.engine, args.children)
        t = time.perf_counter()
        first, last = fill_marks(app, args.children, args.marks)
        with app.engine.connect() as conn:
            held = conn.execute(text("SELECT count(*) FROM attendance_mark")).scalar()
        print(f"\n{held:,} marks held ({time.perf_counter() - t:.0f} s to write them), {first} to {last}")
        db_file = os.path.join(tmp, "marks.db")
        raw = sqlite3.connect(db_file)
        sample = [f"C{random.Random(k).randrange(args.children):06d}" for k in range(200)]
        ours, floor = [], []
        for ref in sample:
            t = time.perf_counter()
            raw.execute("SELECT category, count(*) FROM attendance_mark WHERE child_ref = ? AND day >= ? AND day <= ? "
                        "GROUP BY category", (ref, first.isoformat(), last.isoformat())).fetchall()
            floor.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            with session_scope(app.engine) as s:
                figures(s, ref, first, last)
            ours.append((time.perf_counter() - t) * 1000)
        print(f"one child's figures for the year, median of {len(sample)} children (interleaved):")
        print(f"  floor (the bare GROUP BY, sqlite3)  {statistics.median(floor):7.2f} ms")
        print(f"  pepflow (figures, in a session)     {statistics.median(ours):7.2f} ms   "
              f"{statistics.median(ours) / statistics.median(floor):5.1f}x; goal under 10 ms")
        from pepflow.reports.compliance_figures import _register_attendance

        half = (first + dt.timedelta(days=35), min(last, first + dt.timedelta(days=77)))  # about a half term
        ours, floor = [], []
        for _ in range(3):
            t = time.perf_counter()
            raw.execute("SELECT child_ref, category, count(*) FROM attendance_mark WHERE day >= ? AND day <= ? "
                        "GROUP BY child_ref, category", (half[0].isoformat(), half[1].isoformat())).fetchall()
            floor.append(time.perf_counter() - t)
            t = time.perf_counter()
            with session_scope(app.engine) as s:
                _register_attendance(s, app.config, *half)
            ours.append(time.perf_counter() - t)
        raw.close()
        print(f"the cohort's figures for a half term ({args.children:,} children), median of 3:")
        print(f"  floor (the bare GROUP BY, sqlite3)  {statistics.median(floor):7.2f} s")
        print(f"  pepflow (the report's figures)      {statistics.median(ours):7.2f} s   "
              f"{statistics.median(ours) / statistics.median(floor):5.1f}x")


if __name__ == "__main__":
    main()
