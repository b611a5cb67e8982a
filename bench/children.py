"""Server time of finding a child at 100,000 children, beside a bare page in the same run.

Builds bench/web.py's cohort (100,000 looked-after children at 400 schools, 300 social workers,
1,000,000 deadlines), gives the children names (200 first names and 500 surnames) and UPNs,
then times whole requests through the ASGI app, interleaved, each the median of ``--repeat``:

* the floor: a bare signed-in page (the change-password form: routing, session, template, no list);
* the children page: a search by part of a surname, by first and last name, by UPN, by date of
  birth, by reference in lower case; filters by school and year group; a social worker's
  "My children"; and the compliance page (the whole year's figures), both as it is seen again
  with nothing changed (the figures and charts kept) and right after a change (a case viewed
  writes a history row: the figures are counted again; the charts, the same figures, are kept).

    python bench/children.py [--children 100000] [--repeat 9]
"""

from __future__ import annotations

import os
import sys

sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse  # noqa: E402
import random  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

warnings.filterwarnings("ignore", message="Using `httpx`")

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import bindparam, update  # noqa: E402

from pepflow.accounts.local import add_user  # noqa: E402
from pepflow.db.connection import session_scope  # noqa: E402
from pepflow.db.models import Child, Deadline  # noqa: E402
from pepflow.web.app import create_app  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from web import PASSWORD, TODAY, against_the_floor, bench_app, build, request_ms, sign_in  # noqa: E402  (bench/web.py's cohort)

SYLLABLES = ("an", "bel", "cor", "dan", "el", "fer", "gra", "hol", "is", "jor", "kel", "lan", "mor", "nor", "ol",
             "par", "quin", "ros", "sal", "tor", "ur", "val", "wil", "yan", "zel")


def name_children(engine, n: int) -> None:
    rng = random.Random(11)
    firsts = sorted({(rng.choice(SYLLABLES) + rng.choice(SYLLABLES)).title() for _ in range(400)})[:200]
    lasts = sorted({(rng.choice(SYLLABLES) + rng.choice(SYLLABLES) + rng.choice(SYLLABLES)).title()
                    for _ in range(2000)})[:500]
    rows = [{"r": f"C{i:06d}", "f": rng.choice(firsts), "l": rng.choice(lasts),
             "u": f"A{800000000000 + i:012d}"[:13]} for i in range(n)]
    C = Child.__table__
    with engine.begin() as conn:
        conn.execute(update(C).where(C.c.ref == bindparam("r")).values(
            first_name=bindparam("f"), last_name=bindparam("l"), upn=bindparam("u")), rows)


def closed_by_today(engine) -> None:
    """No deadline is closed after today in a real database (an event is recorded once it has
    happened); bench/web.py's cohort closes four in ten after TODAY, which made the report
    count 421,000 rows "closed after the report's date" that no council's database holds."""
    D = Deadline.__table__
    with engine.begin() as conn:
        conn.execute(update(D).where(D.c.closed_on > TODAY).values(closed_on=TODAY))
        conn.exec_driver_sql("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pepflow-children-") as tmp:
        app = bench_app(tmp, "children")
        t = time.perf_counter()
        build(app.engine, args.children)
        name_children(app.engine, args.children)
        closed_by_today(app.engine)
        with session_scope(app.engine) as s:
            add_user(s, "sw@example.org", "social_worker", PASSWORD, person_ref="SW042")
            child = s.get(Child, f"C{args.children // 2:06d}")
        print(f"SQLite: {args.children:,} children, {args.children * 10:,} deadlines, built in "
              f"{time.perf_counter() - t:.1f} s", flush=True)
        admin, worker = TestClient(create_app(app)), TestClient(create_app(app))
        sign_in(admin, "admin@example.org")
        sign_in(worker, "sw@example.org")
        pages = [("floor: a bare signed-in page (change password)", admin, "/account/password"),
                 ("children: first page, no search", admin, "/children"),
                 ("search: part of a surname", admin, f"/children?q={child.last_name[:4].lower()}"),
                 ("search: first and last name", admin, f"/children?q={child.first_name}+{child.last_name}"),
                 ("search: UPN", admin, f"/children?q={child.upn.lower()}"),
                 ("search: date of birth", admin, f"/children?q={child.dob:%d/%m/%Y}"),
                 ("search: reference in lower case", admin, f"/children?q={child.ref.lower()}"),
                 ("filter: one school and a year group", admin, "/children?school=200123&year=9"),
                 ("a social worker's My children", worker, "/children"),
                 ("compliance page, nothing changed since the last view", admin, "/compliance"),
                 ("compliance page after a change (figures counted again)", admin, "/compliance?after=change")]
        def run(client, path):
            def once() -> float:
                if path.endswith("after=change"):  # a case viewed first: a history row, so a recount
                    assert admin.get(f"/children/{child.ref}").status_code == 200
                return request_ms(client, path)
            return once

        against_the_floor([(label, run(client, path)) for label, client, path in pages], args.repeat)
        app.engine.dispose()


if __name__ == "__main__":
    main()
