"""Server time of a child's PEP pages at 100,000 children, and of making its PDF, beside a bare
page in the same run.

Builds bench/web.py's cohort (100,000 looked-after children, 1,000,000 deadlines), gives one
designated teacher's pupil a PEP being written with every section filled (fill_pep's plain
values, a table of four targets), then times whole requests through the ASGI app, interleaved,
each the median of ``--repeat``:

* the floor: a bare signed-in page (the change-password form: routing, session, template, no list);
* the PEP's task list, a section's form (the targets table), a section saved (its form sent);
* the approved PEP's PDF, made afresh each time (the kept copy removed before each request).

    python bench/pep_page.py [--children 100000] [--repeat 9]
"""

from __future__ import annotations

import os
import sys

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import re  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

warnings.filterwarnings("ignore", message="Using `httpx`")

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import delete, select, update  # noqa: E402

from pepflow.db.connection import session_scope  # noqa: E402
from pepflow.db.models import Child, Pep, PepPdf  # noqa: E402
from pepflow.service.application import App  # noqa: E402
from pepflow.states.pep_document import document, save_section  # noqa: E402
from pepflow.web.app import create_app  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from web import TODAY, against_the_floor, bench_app, build, request_ms, sign_in  # noqa: E402  (bench/web.py's cohort)

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone.utc)


def sample(field) -> str:
    return {"text": "as agreed", "long_text": "as agreed at the meeting, with the child and their carer " * 4,
            "choice": field.options[0] if field.options else "", "date": "26/3/2027",
            "number": str(int(field.minimum or 0)), "yes_no": "yes"}.get(field.type, "")


def write_the_pep(app: App, ref: str) -> None:
    """A PEP whose meeting was held, every section filled by its owner (tables: four rows)."""
    with session_scope(app.engine) as s:
        s.execute(update(Pep).where(Pep.child_ref == ref, Pep.is_current).values(
            state="meeting_held", meeting_held_on=TODAY - dt.timedelta(days=2)))
    with session_scope(app.engine) as s:
        child = s.get(Child, ref)
        pep = s.execute(select(Pep).where(Pep.child_ref == ref, Pep.is_current)).scalar_one()
        for view in document(s, app.config, child, pep, TODAY):
            values = {f.key: ([{c.key: sample(c) for c in f.columns}] * min(4, f.max_rows) if f.type == "table"
                              else sample(f)) for f in view.spec.fields if not f.prefill}
            save_section(s, app.config, child, pep, view.spec.key, values, view.spec.owner, "user:bench", 0, NOW, TODAY)


def approve(app: App, ref: str) -> None:
    with session_scope(app.engine) as s:
        s.execute(update(Pep).where(Pep.child_ref == ref, Pep.is_current).values(
            state="approved", approved_on=TODAY, quality_rating="green"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pepflow-pep-") as tmp:
        app = bench_app(tmp, "pep")
        t = time.perf_counter()
        build(app.engine, args.children)
        ref, approved_ref = "C000007", "C000407"  # pupils of DT007's school (every 400th child)
        write_the_pep(app, ref)
        write_the_pep(app, approved_ref)
        approve(app, approved_ref)
        print(f"SQLite: {args.children:,} children, {args.children * 10:,} deadlines, built in "
              f"{time.perf_counter() - t:.1f} s", flush=True)
        client = TestClient(create_app(app))
        sign_in(client, "dt@example.org")
        form = client.get(f"/children/{ref}/pep/childs_voice").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)

        def save() -> float:
            version = re.search(r'name="version" value="(\d+)"', client.get(f"/children/{ref}/pep/childs_voice").text)
            return request_ms(client, f"/children/{ref}/pep/childs_voice", {
                "csrf_token": token, "version": version.group(1), "views": f"said at {time.time()}", "attended": "yes"})

        def pdf() -> float:
            with session_scope(app.engine) as s:
                s.execute(delete(PepPdf))
            return request_ms(client, f"/children/{approved_ref}/pep/pdf")

        work = [("floor: a bare signed-in page (change password)", lambda: request_ms(client, "/account/password")),
                ("the PEP's task list", lambda: request_ms(client, f"/children/{ref}/pep")),
                ("a section's form (the targets table)", lambda: request_ms(client, f"/children/{ref}/pep/targets")),
                ("a section saved (the child's voice)", save),
                ("the approved PEP's PDF, made afresh", pdf)]
        against_the_floor(work, args.repeat)
        app.engine.dispose()


if __name__ == "__main__":
    main()
