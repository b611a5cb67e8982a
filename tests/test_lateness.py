"""One rule says how overdue a deadline is, and every channel says the same: the CLI's text
and JSON, the web lists and their CSV, the email, and the deadline export."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import select

from pepflow.db.connection import session_scope
from pepflow.db.models import Child, Deadline, Notification
from pepflow.engine.deadlines import how_overdue
from pepflow.notify.render import describe_items
from pepflow.notify.sweep import sweep

from .websupport import TODAY, build_site, sign_in
from .support.web import client_for
def _an_overdue_deadline_emailed_today(site):
    """A working-day PEP deadline the sweep tells someone about today, and how late it is."""
    sweep(site.app.engine, site.app.config, TODAY)
    with session_scope(site.app.engine) as s:
        for n in s.execute(select(Notification).where(Notification.deadline_id.is_not(None))).scalars():
            d = s.get(Deadline, n.deadline_id)
            if d.unit == "working" and d.due_on < TODAY and d.kind.startswith("pep"):
                child = s.get(Child, d.child_ref)
                return d, n.payload, how_overdue(site.app.config, child, d, TODAY)
    raise AssertionError("the demo cohort has no working-day PEP deadline emailed as overdue today")


def test_every_channel_says_how_overdue_a_deadline_is_by_the_same_rule(tmp_path, cli):
    site = build_site(f"sqlite:///{tmp_path / 'late.db'}", children=60, schools=8)
    deadline, payload, late = _an_overdue_deadline_emailed_today(site)
    calendar_days = (TODAY - deadline.due_on).days
    assert late.unit == "working" and 0 < late.count < calendar_days  # the channels once disagreed here

    assert (payload["days_overdue"], payload["overdue_unit"]) == (late.count, late.unit)
    [item] = describe_items(site.app.config, [payload])
    assert item["overdue_text"] == late.text

    url, today = site.app.url, TODAY.isoformat()
    code, out, _ = cli("--db", url, "--today", today, "deadlines", "--child", deadline.child_ref, "--json")
    [row] = [r for r in json.loads(out)["deadlines"] if r["id"] == deadline.id]
    assert code == 0 and (row["days_overdue"], row["overdue_unit"]) == (late.count, late.unit)
    code, out, _ = cli("--db", url, "--today", today, "deadlines", "--child", deadline.child_ref)
    assert f"OVERDUE by {late.text}" in out
    code, out, _ = cli("--db", url, "--today", today, "pep", "list", "--overdue", "--json")
    [row] = [r for r in json.loads(out)["items"] if r["child_ref"] == deadline.child_ref and r["due"] == deadline.kind]
    assert (row["days_overdue"], row["overdue_unit"]) == (late.count, late.unit)

    client = client_for(site)
    assert sign_in(client, "vs_admin").status_code == 303
    rows = list(csv.DictReader(io.StringIO(client.get("/peps/overdue?format=csv").text)))
    [row] = [r for r in rows if r["Child"] == deadline.child_ref and r["What is due"] == deadline.kind]
    assert (int(row["Overdue by"]), row["Overdue unit"]) == (late.count, late.unit)
    assert late.text in client.get(f"/peps/overdue?school={row['School URN']}").text

    out_file = tmp_path / "deadlines.csv"
    code, _, _ = cli("--db", url, "--today", today, "export", "deadlines", "--from", deadline.due_on.isoformat(),
                     "--to", deadline.due_on.isoformat(), "--csv", str(out_file))
    exported = [r for r in csv.DictReader(out_file.open()) if r["Child"] == deadline.child_ref
                and r["Deadline"] == deadline.kind]
    assert code == 0 and (exported[0]["Outcome"], int(exported[0]["Late by"]), exported[0]["Late unit"]) == (
        "breached", late.count, late.unit)
    site.app.engine.dispose()


def test_overdue_by_at_least_counts_in_each_deadlines_own_unit(tmp_path):
    site = build_site(f"sqlite:///{tmp_path / 'late.db'}", children=60, schools=8)
    client = client_for(site)
    assert sign_in(client, "vs_admin").status_code == 303
    every = list(csv.DictReader(io.StringIO(client.get("/peps/overdue?format=csv").text)))
    at_least = list(csv.DictReader(io.StringIO(client.get("/peps/overdue?min_days=5&format=csv").text)))
    assert at_least == [r for r in every if int(r["Overdue by"]) >= 5]
    page = client.get("/peps/overdue?min_days=5").text
    assert f"<strong>{len(at_least)}</strong> overdue PEP deadline" in page
    site.app.engine.dispose()
