"""Every disclosure and security event is in the history, in the same transaction: a CSV
download (which list, its filters, how many rows), a record form shown, a look-up outside
one's caseload, each sign-in, failed sign-in and sign-out, and password changes."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from pepflow.db.connection import session_scope
from pepflow.db.models import Child, Event

from .support.web import client_for, signed_in_client
from .websupport import EMAILS, csrf_of, sign_in, visible_refs


def rows(site, process: str, name: str | None = None) -> list[Event]:
    with session_scope(site.app.engine) as s:
        query = select(Event).where(Event.process == process)
        if name:
            query = query.where(Event.name == name)
        return s.execute(query.order_by(Event.id)).scalars().all()


def test_a_csv_download_is_recorded_with_its_list_filters_and_row_count(fresh_site):
    client = signed_in_client(fresh_site, "social_worker")
    response = client.get("/peps/overdue?format=csv&min_days=0")
    downloaded = len(list(csv.reader(io.StringIO(response.text)))) - 1
    (row,) = rows(fresh_site, "access", "csv_downloaded")
    assert row.payload["list"] == "overdue-peps.csv" and row.payload["rows"] == downloaded
    assert row.payload["filters"] == {"min_days": "0"} and row.payload["role"] == "social_worker"
    assert row.actor_ref == f"user:{EMAILS['social_worker']}"


def test_a_record_form_shown_is_recorded_as_a_disclosure_of_the_child(fresh_site):
    from pepflow.db.models import Pep

    with session_scope(fresh_site.app.engine) as s:  # a child whose PEP meeting can be recorded now
        ref = s.execute(select(Pep.child_ref).where(Pep.is_current, Pep.state.in_(("due", "meeting_scheduled")))
                        .order_by(Pep.child_ref)).scalars().first()
    signed_in_client(fresh_site, "vs_admin").get(f"/children/{ref}/record?event=pep_meeting_held")
    (row,) = rows(fresh_site, "access", "record_form_viewed")
    assert (row.child_ref, row.payload["event"]) == (ref, "pep_meeting_held")


def test_a_look_up_outside_ones_caseload_is_a_security_event_and_still_just_not_found(fresh_site):
    with session_scope(fresh_site.app.engine) as s:
        every = set(s.execute(select(Child.ref)).scalars())
    outside = sorted(every - visible_refs(fresh_site.app, "social_worker"))[0]
    page = signed_in_client(fresh_site, "social_worker").get(f"/children/{outside}")
    assert page.status_code == 404 and "Page not found" in page.text
    (row,) = rows(fresh_site, "security", "out_of_scope")
    assert row.payload["ref"] == outside and row.payload["role"] == "social_worker" and row.child_ref is None


def test_sign_ins_failed_sign_ins_and_sign_outs_are_security_events(fresh_site, cli):
    client = client_for(fresh_site)
    assert sign_in(client, "vsh", password="not the password").status_code == 400
    assert sign_in(client, "nobody@example.org").status_code == 400
    assert sign_in(client, "vsh").status_code == 303
    token = csrf_of(client.get("/my-work").text)
    client.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
    names = [(r.name, r.payload.get("account") or r.payload.get("email")) for r in rows(fresh_site, "security")]
    assert names == [("sign_in_refused", EMAILS["vsh"]), ("sign_in_refused", "nobody@example.org"),
                     ("sign_in", EMAILS["vsh"]), ("sign_out", EMAILS["vsh"])]
    url = fresh_site.app.engine.url.render_as_string(hide_password=False)
    code, out, _ = cli("--db", url, "audit", "security")
    assert code == 0 and "4 security events" in out and "sign_in_refused" in out
