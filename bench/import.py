"""Imports at a council's scale: the GIAS establishment file (50,000 rows, Windows-1252) into a
database holding none, then again unchanged; a children file of 10,000, then a re-import with
2% of children at a new school (each recorded as a school_changed event); an SSDA903 return of
10,000 children (CSV tables: about three episodes, two reviews and a social worker episode
each), then the next return with 2% of children moved placement (each a care_placement_changed
event).  Each beside reading and parsing the same files alone (the floor), in the same run.

    python bench/import.py [--schools 50000] [--children 10000] [--db URL]... [--postgres]

On SQLite by default (a new file for each of the three imports); ``--postgres`` adds a
throwaway PostgreSQL server and ``--db postgresql://…`` a database of your own (emptied
before each of the three): each import then runs on each database in turn.
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# bench/calendar.py would shadow the standard library's calendar module
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]
sys.path.insert(0, ROOT)

import argparse  # noqa: E402
import csv  # noqa: E402
import io  # noqa: E402
import random  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from pepflow.service.application import App  # noqa: E402
from pepflow.intake.gias import TYPES, read_gias  # noqa: E402
from pepflow.intake.csv_reading import read_csv  # noqa: E402
from pepflow.service.use_cases import import_file, import_gias, import_ssda903  # noqa: E402
from pepflow.intake.ssda903.apply import assess  # noqa: E402
from pepflow.intake.ssda903.read import read_return  # noqa: E402
from tests.pgserver import analyze_after_load, bench_databases, dialect_label, empty_engine  # noqa: E402
from tests.ssda903_return import Ep, Kid, write_csv  # noqa: E402

TODAY = "2026-11-23"  # the SSDA903 returns are extracted on 20 Nov 2026
GIAS_HEADER = ["URN", "LA (code)", "LA (name)", "EstablishmentName", "TypeOfEstablishment (name)",
               "EstablishmentStatus (name)", "PhaseOfEducation (name)", "StatutoryLowAge", "StatutoryHighAge",
               "CloseDate"]


def gias_file(path: Path, n: int) -> None:
    rng = random.Random(5)
    types = sorted(TYPES)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(GIAS_HEADER)
    for i in range(n):
        closed = rng.random() < 0.15
        w.writerow([100000 + i, 881, "Essex", f"St Élan’s School {i}", rng.choice(types),
                    "Closed" if closed else "Open", rng.choice(["Primary", "Secondary", "All-through"]),
                    rng.choice([4, 11]), rng.choice([11, 16, 18]), "31-08-2020" if closed else ""])
    path.write_bytes(out.getvalue().encode("cp1252"))


def children_files(folder: Path, n: int, schools: int) -> tuple[Path, Path, Path, Path]:
    people, school_file = folder / "people.csv", folder / "schools.csv"
    people.write_text("ref,role,name,email,manager_ref\n" + "".join(
        f"SW{i},social_worker,Worker {i},sw{i}@example.org,\n" for i in range(200)) +
        "".join(f"IRO{i},iro,Iro {i},iro{i}@example.org,\n" for i in range(50)))
    school_file.write_text("urn,name,type,la\n" + "".join(f"{200000 + i},School {i},maintained,Example\n"
                                                          for i in range(schools)))
    rng = random.Random(7)
    header = "ref,first_name,last_name,dob,legal_status,entered_care,school_urn,social_worker_ref,iro_ref,last_pep_meeting,last_care_review\n"
    rows = [[f"C{i:06d}", "A", "B", f"{2008 + i % 14}-0{1 + i % 9}-01", "care_order", "2024-01-05",
             str(200000 + i % schools), f"SW{i % 200}", f"IRO{i % 50}", "2026-10-01", "2026-09-01"] for i in range(n)]
    first = folder / "children.csv"
    first.write_text(header + "".join(",".join(r) + "\n" for r in rows))
    for r in rng.sample(rows, n // 50):  # 2% at a new school
        r[6] = str(200000 + (int(r[6]) - 200000 + 1) % schools)
    second = folder / "children-2.csv"
    second.write_text(header + "".join(",".join(r) + "\n" for r in rows))
    return people, school_file, first, second


def ssda903_returns(folder: Path, n: int) -> tuple[Path, Path]:
    """This year's return, and the next with 2% of the children in a new placement since."""
    import datetime as dt

    rng = random.Random(11)
    kids = []
    for i in range(n):
        start = dt.date(2020, 1, 6) + dt.timedelta(days=rng.randrange(2000))
        episodes, on = [], start
        count = rng.choice([1, 2, 3, 3, 4, 5])
        for k in range(count):
            episodes.append(Ep(on, None, "S" if k == 0 else "P", rng.choice(["C1", "C2", "V2", "E1"]),
                               rng.choice(["U1", "U4", "U6", "K2", "R1", "P1"]), rng.choice(["PR1", "PR4", "PR5"])))
            nxt = on + dt.timedelta(days=rng.randrange(30, 200))
            if k == count - 1 or nxt >= dt.date(2026, 10, 1):
                break  # the last episode is open
            episodes[-1].dec, episodes[-1].rec, on = nxt, "X1", nxt
        reviews = [(start + dt.timedelta(days=20 + 182 * r), "PN1") for r in range(2)
                   if start + dt.timedelta(days=20 + 182 * r) < dt.date(2026, 10, 1)]
        kids.append(Kid(f"K{i:06d}", dt.date(2005 + i % 14, 1 + i % 9, 1), "UN4", episodes, reviews,
                        [(f"SW{i % 200}", start, None, "")]))
    write_csv(folder / "ssda903-1", kids)
    for kid in rng.sample(kids, n // 50):  # 2% moved placement since
        last = kid.episodes[-1]
        last.dec, last.rec = dt.date(2026, 11, 2), "X1"
        kid.episodes.append(Ep(dt.date(2026, 11, 2), None, "P", last.ls, "K2" if last.place != "K2" else "U4",
                               "PR4", reason_place_change="CARPL"))
    write_csv(folder / "ssda903-2", kids)
    return folder / "ssda903-1", folder / "ssda903-2"


def timed(label: str, work, floor=None) -> None:
    t = time.perf_counter()
    result = work()
    took = time.perf_counter() - t
    extra = ""
    if floor is not None:
        t = time.perf_counter()
        floor()
        base = time.perf_counter() - t
        extra = f"   (reading the file alone: {base:.2f} s; {took / base:.1f}x)"
    summary = result.summary().splitlines()[0] if hasattr(result, "summary") else ""
    print(f"  {label:<66} {took:>7.2f} s   {summary}{extra}", flush=True)


def fresh(url: str, folder: Path, name: str) -> App:
    """An app on an empty database: a new SQLite file called ``name``, or ``url`` emptied."""
    if url.startswith("sqlite"):
        url = f"sqlite:///{folder / name}.db"
    else:
        empty_engine(url).dispose()
    return App(database_url=url, today_override=TODAY)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schools", type=int, default=50_000)
    parser.add_argument("--children", type=int, default=10_000)
    parser.add_argument("--db", action="append", help="a database URL to run on as well (repeatable)")
    parser.add_argument("--postgres", action="store_true", help="also run on a throwaway PostgreSQL server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pepflow-import-") as tmp:
        folder = Path(tmp)
        urls, server = bench_databases(tmp, args.db, args.postgres)
        try:
            run(urls, folder, args)
        finally:
            if server:
                server.stop()


def run(urls: list[str], folder: Path, args) -> None:
    gias = folder / "edubasealldata.csv"
    gias_file(gias, args.schools)
    print(f"GIAS establishment file, {args.schools:,} rows ({gias.stat().st_size / 1e6:.1f} MB, Windows-1252); "
          "target <= 20 s")
    for url in urls:
        app = fresh(url, folder, "gias")
        timed(f"{dialect_label(url)}: first import (every school added)", lambda: import_gias(app, gias),
              lambda: read_gias(gias))
        timed(f"{dialect_label(url)}: the same file again (nothing changes)", lambda: import_gias(app, gias),
              lambda: read_gias(gias))
    people, schools, first, second = children_files(folder, args.children, 400)
    print(f"children file, {args.children:,} rows (pepflow's own columns)")
    for url in urls:
        app = fresh(url, folder, "children")
        import_file(app, "people", people)
        import_file(app, "schools", schools)
        timed(f"{dialect_label(url)}: first import (PEP and care-review clocks started)",
              lambda: import_file(app, "children", first), lambda: read_csv(first, "children"))
        analyze_after_load(app.engine)
        timed(f"{dialect_label(url)}: re-import, {args.children // 50:,} at a new school (school_changed each)",
              lambda: import_file(app, "children", second), lambda: read_csv(second, "children"))
    this_year, next_return = ssda903_returns(folder, args.children)
    extract = __import__("datetime").date(2026, 11, 20)
    print(f"SSDA903 return, {args.children:,} children (CSV tables); targets <= 30 s, re-import <= 10 s")
    for url in urls:
        app = fresh(url, folder, "ssda903")
        import_file(app, "people", people)
        label = dialect_label(url)
        timed(f"{label}: first import (every child added, clocks started)",
              lambda: import_ssda903(app, [this_year], extract),
              lambda: assess(read_return([this_year]), extract))
        analyze_after_load(app.engine)
        timed(f"{label}: next return, {args.children // 50:,} moved placement (an event each)",
              lambda: import_ssda903(app, [next_return], extract),
              lambda: assess(read_return([next_return]), extract))
        timed(f"{label}: the same return again (nothing changes)", lambda: import_ssda903(app, [next_return], extract),
              lambda: assess(read_return([next_return]), extract))


if __name__ == "__main__":
    main()
