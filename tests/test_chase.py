"""Chasing a deadline now, and noting a contact (issue 38 item 4): "Send a reminder now" on an open deadline puts a
reminder to its owner in the outbox at once, through the same dispatch as every email, once a day
at most, and in the child's history."""

from __future__ import annotations

import email
import email.policy

from sqlalchemy import select

from pepflow.clock import SteppedClock
from pepflow.db.connection import session_scope
from pepflow.db.models import ContactNote, Deadline, Event, Notification, Person
from pepflow.notify.mailers import FolderMailer
from pepflow.notify.outbox import dispatch
from pepflow.statuses import DeadlineStatus

from .support.web import signed_in_client
from .websupport import csrf_of, visible_refs


def _an_owned_open_deadline(site):
    with session_scope(site.app.engine) as s:
        d, person = s.execute(select(Deadline, Person).join(Person, Person.ref == Deadline.owner_ref)
                              .where(Deadline.status == DeadlineStatus.OPEN, Person.email != "")
                              .order_by(Deadline.child_ref, Deadline.id)).first()
        return d.id, d.child_ref, person.name, person.email


def _chase(client, ref, deadline_id):
    token = csrf_of(client.get(f"/children/{ref}").text)
    return client.post(f"/children/{ref}/deadlines/{deadline_id}/chase", data={"csrf_token": token},
                       follow_redirects=True)


def test_a_reminder_sent_now_goes_to_the_owner_through_the_outbox_once_a_day(fresh_site, tmp_path):
    deadline_id, ref, name, address = _an_owned_open_deadline(fresh_site)
    client = signed_in_client(fresh_site, "vs_admin")
    page = _chase(client, ref, deadline_id)
    assert page.status_code == 200 and f"goes to {name} with the next emails" in page.text
    again = _chase(client, ref, deadline_id)
    assert "Not sent:" in again.text and "today already: one reminder a day" in again.text
    with session_scope(fresh_site.app.engine) as s:
        rows = s.execute(select(Notification).where(Notification.step == "chase")).scalars().all()
        history = s.execute(select(Event).where(Event.name == "reminder_chased")).scalars().all()
    assert [(r.deadline_id, r.recipient_email) for r in rows] == [(deadline_id, address)]
    assert [(h.child_ref, h.payload["deadline_id"]) for h in history] == [(ref, deadline_id)]
    assert "Reminder sent now" in client.get(f"/children/{ref}").text  # in the case's history
    result = dispatch(fresh_site.app.engine, fresh_site.app.config, FolderMailer(tmp_path),
                      SteppedClock(fresh_site.clock.now()))
    assert result.notifications_sent >= 1
    sent = [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in tmp_path.glob("*.eml")]
    mine = [m for m in sent if m["To"] == address]
    assert mine and "A reminder sent now" in mine[0].get_body(("plain",)).get_content()


def test_only_a_role_that_records_events_may_chase_and_only_a_deadline_of_that_child(fresh_site):
    deadline_id, ref, _, _ = _an_owned_open_deadline(fresh_site)
    reader = signed_in_client(fresh_site, "read_only")
    token = csrf_of(reader.get(f"/children/{ref}").text)
    assert "Send a reminder now" not in reader.get(f"/children/{ref}").text
    assert reader.post(f"/children/{ref}/deadlines/{deadline_id}/chase", data={"csrf_token": token},
                       follow_redirects=False).status_code == 403
    admin = signed_in_client(fresh_site, "vs_admin")
    with session_scope(fresh_site.app.engine) as s:
        other = s.execute(select(Deadline.child_ref).where(Deadline.child_ref != ref)).scalars().first()
    token = csrf_of(admin.get(f"/children/{other}").text)
    assert admin.post(f"/children/{other}/deadlines/{deadline_id}/chase", data={"csrf_token": token},
                      follow_redirects=False).status_code == 404
    with session_scope(fresh_site.app.engine) as s:
        assert s.execute(select(Notification).where(Notification.step == "chase")).first() is None


def test_a_contact_noted_on_the_case_page_is_in_the_history_and_a_bad_date_notes_nothing(fresh_site):
    _, ref, _, _ = _an_owned_open_deadline(fresh_site)
    client = signed_in_client(fresh_site, "social_worker" if ref in visible_refs(fresh_site.app, "social_worker")
                              else "vs_officer")
    token = csrf_of(client.get(f"/children/{ref}").text)
    page = client.post(f"/children/{ref}/contacts", follow_redirects=True, data={
        "csrf_token": token, "contacted_on": "20 Nov 2026", "with_whom": "Sam Carer (foster carer)", "how": "phone",
        "said": "Agreed the PEP meeting for Tuesday"})
    assert "Contact noted: it is in the history." in page.text
    assert "Contact noted" in page.text and "Sam Carer (foster carer)" in page.text
    bad = client.post(f"/children/{ref}/contacts", follow_redirects=True, data={
        "csrf_token": token, "contacted_on": "31/02/2026", "with_whom": "Sam", "how": "phone", "said": "x"})
    assert "Not noted: date of the contact &#39;31/02/2026&#39; is not a date" in bad.text
    assert "govuk-notification-banner--success" not in bad.text.split("Not noted")[0][-400:]
    with session_scope(fresh_site.app.engine) as s:
        notes = s.execute(select(ContactNote)).scalars().all()
        rows = s.execute(select(Event).where(Event.name == "contact_noted")).scalars().all()
    assert [(n.child_ref, n.how, n.with_whom) for n in notes] == [(ref, "phone", "Sam Carer (foster carer)")]
    assert [r.child_ref for r in rows] == [ref]


CHASE = """
import sys, time, datetime as dt
from pepflow.config import load_config
from pepflow.db import make_engine
from pepflow.db.connection import session_scope
from pepflow.db.models import Child
from pepflow.errors import InputError
from pepflow.notify.chase import chase_now
url, ref, deadline, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
engine, config = make_engine(url), load_config()
while time.time() < start:
    time.sleep(0.001)
try:
    with session_scope(engine) as s:
        chase_now(s, config, s.get(Child, ref), deadline, dt.date(2026, 11, 23),
                  dt.datetime(2026, 11, 23, 10, tzinfo=dt.timezone.utc), "user:x", "VS admin")
    print("chased")
except InputError as exc:
    print("refused" if "today already" in exc.problem else exc.problem)
"""


def test_two_chases_at_the_same_moment_send_one_reminder_and_say_so_to_the_other(fresh_site):
    import subprocess
    import sys
    import time

    from .conftest import ROOT

    deadline_id, ref, _, _ = _an_owned_open_deadline(fresh_site)
    start = time.time() + 2.0
    runs = [subprocess.Popen([sys.executable, "-c", CHASE, fresh_site.app.url, ref, str(deadline_id), str(start)],
                             cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    said = [run.communicate(timeout=60) for run in runs]
    assert sorted(out.strip() for out, _ in said) == ["chased", "refused"], said
    with session_scope(fresh_site.app.engine) as s:
        assert len(s.execute(select(Notification.id).where(Notification.step == "chase")).all()) == 1
