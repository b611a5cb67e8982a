"""A child's record and the purge (issue 43), each beside its floor in the same run:

* the export of a child with ten years of records (30 PEPs with their sections, 3,800 attendance marks,
  300 deadlines, 1,500 history rows, 20 documents) against the floor: the same rows read by plain SQL,
  written as JSON and the documents as files into a zip;
* the nightly purge of 1,000 children at ``--children`` (default 100,000; each child with a few
  history rows), against the floor: the same rows changed by plain SQL (the children's details
  overwritten, their PEP sections and documents deleted, their history rows' payloads replaced, with
  the commitment column set, in one transaction), on copies of the same database, interleaved.

    python bench/records.py [--children 100000] [--repeat 3]
"""

from __future__ import annotations

import os
import sys

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import zipfile  # noqa: E402

from sqlalchemy import insert, text  # noqa: E402

from pepflow.audit import audit, write_audit  # noqa: E402
from pepflow.db.connection import session_scope  # noqa: E402
from pepflow.db.models import AttendanceImport, AttendanceMark, PepAttachment, PepSection  # noqa: E402
from pepflow.reports.record_export import export_zip  # noqa: E402
from pepflow.service.application import App  # noqa: E402
from pepflow.service.purge import purge  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from web import TODAY, bench_app, build  # noqa: E402  (bench/web.py's cohort)

NOW = dt.datetime(2026, 11, 23, 9, tzinfo=dt.timezone.utc)
RETENTION = ('effective_from = 2026-01-01\n[[rules]]\nrecord = "case"\nwhen = "always"\nfrom = "birth"\n'
             'years = 75\naction = "anonymise"\nsource = "bench"\n')


def ten_years(app: App, ref: str) -> None:
    """One child's ten years: PEPs with sections and documents, marks, deadlines, history rows."""
    with app.engine.begin() as conn:
        peps = [{"child_ref": ref, "cycle": "termly", "state": "distributed", "is_current": False,
                 "opened_on": dt.date(2016, 9, 1) + dt.timedelta(days=120 * i), "state_changed_on": dt.date(2016, 9, 1),
                 "times_returned": 0, "returned_reason": "", "imported": False} for i in range(30)]
        conn.execute(text("UPDATE pep SET is_current = false WHERE child_ref = :r"), {"r": ref})
        for p in peps:
            conn.execute(text("INSERT INTO pep (child_ref, cycle, state, is_current, opened_on, state_changed_on, "
                              "times_returned, returned_reason, imported) VALUES (:child_ref, :cycle, :state, "
                              ":is_current, :opened_on, :state_changed_on, :times_returned, :returned_reason, "
                              ":imported)"), p)
        ids = [r[0] for r in conn.execute(text("SELECT id FROM pep WHERE child_ref = :r"), {"r": ref})]
        conn.execute(insert(PepSection), [{"pep_id": i, "section": s, "values": {"views": "x" * 400}, "status": "completed",
                                           "version": 1, "saved_by": "user:dt@example.org", "saved_at": NOW,
                                           "qa_grade": "green", "qa_comment": "", "returned_count": 0}
                                          for i in ids for s in ("childs_voice", "targets", "attendance", "carers_views")])
        conn.execute(insert(PepAttachment), [{"pep_id": ids[i], "section": "attendance", "filename": f"report{i}.pdf",
                                              "content_type": "application/pdf", "size": 20000, "sha256": "0" * 64,
                                              "data": b"%PDF-1.4\n" + bytes(20000), "uploaded_by": "user:dt@example.org",
                                              "uploaded_at": NOW} for i in range(20)])
        batch = conn.execute(insert(AttendanceImport).values(kind="marks", filename="bench", imported_on=TODAY,
                                                            imported_by="", rows=0, added=0, unchanged=0, changed=0,
                                                            set_aside=0)).inserted_primary_key[0]
        days = [dt.date(2016, 9, 5) + dt.timedelta(days=i) for i in range(3700)]
        days = [d for d in days if d.weekday() < 5][:1900]
        conn.execute(insert(AttendanceMark), [{"child_ref": ref, "day": d, "session": s, "school_urn": "200000",
                                               "code": "/", "category": "attending", "import_id": batch,
                                               "changed_from": ""} for d in days for s in ("AM", "PM")])
    with session_scope(app.engine) as s:
        for i in range(1500):
            audit(s, ref, "access", "case_viewed", TODAY, {"account": "vsa@example.org", "n": i},
                  actor="user:vsa@example.org")
        write_audit(s)


def floor_export(db_file: str, ref: str) -> bytes:
    conn = sqlite3.connect(db_file)
    conn.row_factory = sqlite3.Row
    out = io.BytesIO()
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        record, files = {}, {}
        for name in tables:
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')]
            if "child_ref" in columns:
                rows = [dict(r) for r in conn.execute(f'SELECT * FROM "{name}" WHERE child_ref = ?', (ref,))]
                record[name] = rows
        peps = [r["id"] for r in record.get("pep", [])]
        marks = ",".join("?" * len(peps))
        for name in ("pep_section", "pep_attachment", "pep_pdf"):
            record[name] = [dict(r) for r in conn.execute(f'SELECT * FROM "{name}" WHERE pep_id IN ({marks})', peps)]
        for name, rows in record.items():
            for row in rows:
                for k, v in list(row.items()):
                    if isinstance(v, bytes):
                        files[f"documents/{name}-{row.get('id')}"] = v
                        row[k] = f"documents/{name}-{row.get('id')}"
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("record.json", json.dumps(record, default=str))
            for path, data in files.items():
                archive.writestr(path, data)
    finally:
        conn.close()
    return out.getvalue()


def export_part(tmp: str, repeat: int) -> None:
    app = bench_app(tmp, "export")
    build(app.engine, 1000)
    ten_years(app, "C000000")
    db_file = os.path.join(tmp, "export.db")
    ours, floor = [], []
    for _ in range(repeat + 1):
        t = time.perf_counter()
        with session_scope(app.engine) as s:
            data, counts = export_zip(s, "C000000", NOW)
        ours.append(time.perf_counter() - t)
        t = time.perf_counter()
        floor_export(db_file, "C000000")
        floor.append(time.perf_counter() - t)
    ours, floor = ours[1:], floor[1:]
    print(f"export of a child with ten years of records ({sum(counts.values()):,} rows, {len(data):,} bytes), "
          f"median of {repeat} (interleaved):")
    print(f"  floor (plain SQL, JSON, zip)   {statistics.median(floor):7.2f} s")
    print(f"  pepflow (records export)       {statistics.median(ours):7.2f} s   "
          f"{statistics.median(ours) / statistics.median(floor):5.1f}x")
    app.engine.dispose()


def purge_part(tmp: str, children: int, repeat: int) -> None:
    council = os.path.join(tmp, "council")
    os.makedirs(council, exist_ok=True)
    with open(os.path.join(council, "retention.toml"), "w") as f:
        f.write(RETENTION)
    os.environ["PEPFLOW_CONFIG"] = council
    base = bench_app(tmp, "purge")
    build(base.engine, children)
    with base.engine.begin() as conn:  # 1,000 children of 75 or more: their case records are due
        conn.execute(text("UPDATE child SET dob = '1950-01-01', first_name = 'Old', last_name = 'Person', "
                          "upn = 'A' || substr(ref, 2) WHERE ref < 'C001000'"))
    t = time.perf_counter()
    with session_scope(base.engine) as s:
        for i in range(children):
            audit(s, f"C{i:06d}", "pep", "imported", TODAY, {"child": {"first_name": "A", "last_name": "B"}})
            if i % 20000 == 19999:
                write_audit(s)
        write_audit(s)
    print(f"\n{children:,} children, {children:,} history rows ({time.perf_counter() - t:.0f} s to write them)")
    base.engine.dispose()
    source = os.path.join(tmp, "purge.db")
    ours, floor = [], []
    for k in range(repeat):
        mine, theirs = os.path.join(tmp, f"ours{k}.db"), os.path.join(tmp, f"floor{k}.db")
        shutil.copy(source, mine)
        shutil.copy(source, theirs)
        for suffix in (".history-key",):
            if os.path.exists(source + suffix):
                shutil.copy(source + suffix, mine + suffix)
        app = App(database_url=f"sqlite:///{mine}", today_override=TODAY.isoformat())
        t = time.perf_counter()
        with session_scope(app.engine) as s:
            done = purge(s, app.config, TODAY, "bench")
        ours.append(time.perf_counter() - t)
        app.engine.dispose()
        assert done.counts.get(("case", "anonymise")) == 1000, done.counts
        t = time.perf_counter()
        conn = sqlite3.connect(theirs)
        with conn:
            refs = [r[0] for r in conn.execute("SELECT ref FROM child WHERE dob <= '1951-11-23'")]
            q = ",".join("?" * len(refs))
            conn.execute(f"UPDATE child SET first_name = '', last_name = '', upn = '', dob = '1949-09-01' "
                         f"WHERE ref IN ({q})", refs)
            conn.execute(f"DELETE FROM pep_section WHERE pep_id IN (SELECT id FROM pep WHERE child_ref IN ({q}))", refs)
            conn.execute(f"DELETE FROM pep_attachment WHERE pep_id IN (SELECT id FROM pep WHERE child_ref IN ({q}))",
                         refs)
            conn.execute(f"UPDATE event SET payload = '{{\"purged\": true}}', payload_commitment = hash "
                         f"WHERE child_ref IN ({q}) AND payload_commitment IS NULL", refs)
        conn.close()
        floor.append(time.perf_counter() - t)
    print(f"the nightly purge of 1,000 children at {children:,}, median of {repeat} (copies of one database):")
    print(f"  floor (plain SQL, one transaction)   {statistics.median(floor):7.2f} s")
    print(f"  pepflow (records purge)              {statistics.median(ours):7.2f} s   "
          f"{statistics.median(ours) / statistics.median(floor):5.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        export_part(tmp, args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        purge_part(tmp, args.children, args.repeat)


if __name__ == "__main__":
    main()
