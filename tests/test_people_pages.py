"""People and accounts on the web (issue 38 item 3): VS admin adds and corrects people, fixes an
email address so what failed goes again, gives an account (the person sets their own password
through a one-use link), ends it, takes away a second factor and moves a caseload; all in the
history.  "Forgot your password?" answers the same whether or not the account exists."""

from __future__ import annotations

import re

from sqlalchemy import select

from pepflow.db.connection import session_scope
from pepflow.db.models import Child, Deadline, Event, Notification, Person, UserAccount
from pepflow.notify.outbox import dispatch
from pepflow.notify.mailers import FolderMailer

from .support.web import client_for, signed_in_client
from .websupport import EMAILS, PASSWORD, csrf_of


def _history(site, name: str) -> list[dict]:
    with session_scope(site.app.engine) as s:
        return [e.payload for e in s.execute(select(Event).where(Event.name == name)).scalars()]


def test_only_vs_admin_manages_people(fresh_site):
    assert signed_in_client(fresh_site, "vs_admin").get("/people").status_code == 200
    for role in ("social_worker", "vsh", "designated_teacher"):
        assert signed_in_client(fresh_site, role).get("/people").status_code == 403


def test_vs_admin_adds_a_person_and_a_bad_email_is_named_with_nothing_written(fresh_site):
    admin = signed_in_client(fresh_site, "vs_admin")
    form = admin.get("/people/new").text
    bad = admin.post("/people", data={"csrf_token": csrf_of(form), "ref": "SW900", "name": "Ada Lovelace",
                                      "email": "ada at example", "role": "social_worker"})
    assert bad.status_code == 400 and "Email address: is not an email address" in bad.text
    done = admin.post("/people", follow_redirects=False, data={
        "csrf_token": csrf_of(form), "ref": "SW900", "name": "Ada Lovelace", "email": "Ada@Example.org",
        "role": "social_worker", "manager_ref": "TM1"})
    assert done.status_code == 303 and done.headers["location"] == "/people/SW900"
    with session_scope(fresh_site.app.engine) as s:
        ada = s.get(Person, "SW900")
        assert (ada.name, ada.email, ada.manager_ref) == ("Ada Lovelace", "ada@example.org", "TM1")
    added = [p for p in _history(fresh_site, "person_added") if p["ref"] == "SW900"]
    assert added == [{"file": "the People page", "ref": "SW900", "fields": {
        "ref": "SW900", "role": "social_worker", "name": "Ada Lovelace", "email": "ada@example.org",
        "manager_ref": "TM1"}}]
    assert "Ada Lovelace" in admin.get("/people?q=lovel").text


def test_fixing_an_email_address_sends_what_failed_to_the_new_one(fresh_site, tmp_path):
    with session_scope(fresh_site.app.engine) as s:
        worker = s.execute(select(Person).where(Person.role == "social_worker").order_by(Person.ref)).scalars().first()
        s.add(Notification(key="old:1", recipient_ref=worker.ref, recipient_email=worker.email, step="remind_5",
                           status="failed", attempts=9, last_error="550 no such user", payload={"kind": "initial_pep",
                           "child_ref": "C00001", "due_on": "2026-12-10", "step": "remind_5", "days_overdue": 0}))
        ref = worker.ref
    admin = signed_in_client(fresh_site, "vs_admin")
    page = admin.get(f"/people/{ref}").text
    assert "1 email to" in page and "could not be delivered" in page
    saved = admin.post(f"/people/{ref}", data={"csrf_token": csrf_of(page), "name": worker.name,
                                               "email": "fixed@example.org", "role": "social_worker",
                                               "manager_ref": worker.manager_ref or ""})
    assert "1 email that had failed go again to fixed@example.org" in saved.text
    with session_scope(fresh_site.app.engine) as s:
        row = s.execute(select(Notification).where(Notification.key == "old:1")).scalar_one()
        assert (row.status, row.recipient_email, row.attempts) == ("pending", "fixed@example.org", 0)
    dispatch(fresh_site.app.engine, fresh_site.app.config, FolderMailer(tmp_path), fresh_site.app.clock)
    assert any("fixed@example.org" in p.read_text() for p in tmp_path.glob("*.eml"))
    assert _history(fresh_site, "person_changed")[-1]["fields"] == {"email": "fixed@example.org"}


def test_a_corrected_address_is_also_the_one_their_account_signs_in_with(fresh_site):
    admin = signed_in_client(fresh_site, "vs_admin")
    with session_scope(fresh_site.app.engine) as s:
        account = s.execute(select(UserAccount).where(UserAccount.email == EMAILS["social_worker"])).scalar_one()
        person = s.get(Person, account.person_ref)
        ref, name, manager = person.ref, person.name, person.manager_ref or ""
    page = admin.get(f"/people/{ref}").text
    admin.post(f"/people/{ref}", data={"csrf_token": csrf_of(page), "name": name, "email": "New.Address@example.org",
                                       "role": "social_worker", "manager_ref": manager})
    worker = client_for(fresh_site)
    sign_in_page = worker.get("/sign-in").text
    signed = worker.post("/sign-in", follow_redirects=False, data={
        "csrf_token": csrf_of(sign_in_page), "email": "new.address@example.org", "password": PASSWORD})
    assert signed.status_code == 303
    assert _history(fresh_site, "account_email_changed")[-1]["now"] == "new.address@example.org"


def test_a_caseload_moves_from_one_social_worker_to_another_in_one_step_with_a_reason(fresh_site):
    with session_scope(fresh_site.app.engine) as s:
        workers = s.execute(select(Person.ref).where(Person.role == "social_worker").order_by(Person.ref)
                            ).scalars().all()
        giver, taker = next((w for w in workers if s.execute(select(Child.ref).where(
            Child.social_worker_ref == w, Child.looked_after)).first()), workers[-1]), None
        taker = next(w for w in workers if w != giver)
        children = s.execute(select(Child.ref).where(Child.social_worker_ref == giver, Child.looked_after)
                             ).scalars().all()
    admin = signed_in_client(fresh_site, "vs_admin")
    page = admin.get(f"/people/{giver}").text
    refused = admin.post(f"/people/{giver}/caseload", data={"csrf_token": csrf_of(page), "to_ref": taker})
    assert refused.status_code == 400 and "Why it moves: is needed" in refused.text
    moved = admin.post(f"/people/{giver}/caseload", data={"csrf_token": csrf_of(page), "to_ref": taker,
                                                          "reason": "Leaving the team in January"})
    assert f"{len(children)} child" in moved.text
    with session_scope(fresh_site.app.engine) as s:
        assert s.execute(select(Child.ref).where(Child.social_worker_ref == giver, Child.looked_after)).first() is None
        assert s.execute(select(Deadline.id).where(Deadline.owner_ref == giver, Deadline.status == "open",
                                                   Deadline.owner_role == "social_worker")).first() is None
        changed = s.execute(select(Event.child_ref).where(Event.name == "social_worker_changed")).scalars().all()
        assert sorted(changed) == sorted(children)  # each child's own history says so
    assert _history(fresh_site, "caseload_moved")[0]["reason"] == "Leaving the team in January"


def _link_in(folder) -> str:
    for path in sorted(folder.glob("*.eml")):
        found = re.search(r"http://\S+/password/[A-Za-z0-9_\-]+", path.read_text())
        if found:
            return found.group(0)
    raise AssertionError("no password link was emailed")


def test_forgot_password_sends_a_one_use_link_and_says_the_same_for_an_unknown_address(fresh_site, tmp_path):
    visitor = client_for(fresh_site)
    form = visitor.get("/forgot-password").text
    unknown = visitor.post("/forgot-password", data={"csrf_token": csrf_of(form), "email": "nobody@example.org"})
    form = visitor.get("/forgot-password").text
    known = visitor.post("/forgot-password", data={"csrf_token": csrf_of(form), "email": EMAILS["social_worker"]})
    strip = lambda page: re.sub(r'name="csrf_token" value="[^"]*"', "", page)  # noqa: E731
    assert unknown.status_code == known.status_code == 200 and strip(unknown.text) == strip(known.text)
    dispatch(fresh_site.app.engine, fresh_site.app.config, FolderMailer(tmp_path), fresh_site.app.clock)
    link = _link_in(tmp_path)
    path = link.split("//", 1)[1].split("/", 1)[1]
    page = visitor.get("/" + path)
    assert page.status_code == 200 and "Set a new password" in page.text
    short = visitor.post("/" + path, data={"csrf_token": csrf_of(page.text), "password": "short",
                                           "confirm_password": "short"})
    assert short.status_code == 400 and "Your new password must be at least 12 characters" in short.text
    done = visitor.post("/" + path, data={"csrf_token": csrf_of(short.text), "password": "a brand new long phrase",
                                          "confirm_password": "a brand new long phrase"})
    assert done.status_code == 200 and "Your password is set" in done.text
    again = visitor.get("/" + path)
    assert again.status_code == 410 and "This link no longer works" in again.text  # one use
    signed = client_for(fresh_site)
    sign_in_page = signed.get("/sign-in").text
    ok = signed.post("/sign-in", follow_redirects=False, data={
        "csrf_token": csrf_of(sign_in_page), "email": EMAILS["social_worker"], "password": "a brand new long phrase"})
    assert ok.status_code == 303
    with session_scope(fresh_site.app.engine) as s:  # the history has it, never the token
        rows = s.execute(select(Event.payload).where(Event.name.in_(("password_link_sent", "password_set")))
                         ).scalars().all()
    token = link.rsplit("/", 1)[1]
    assert rows and token not in str(rows)


def test_forgot_password_is_throttled_like_signing_in(fresh_site):
    visitor = client_for(fresh_site)
    answers = []
    for _ in range(8):
        form = visitor.get("/forgot-password").text
        answers.append(visitor.post("/forgot-password", data={"csrf_token": csrf_of(form),
                                                              "email": EMAILS["vs_admin"]}).status_code)
    assert answers[0] == 200 and 429 in answers
    with session_scope(fresh_site.app.engine) as s:
        sent = s.execute(select(Notification).where(Notification.step == "account_link")).scalars().all()
    assert 1 <= len(sent) <= fresh_site.app.config.settings.sign_in_free_failures


def test_vs_admin_gives_an_account_and_ends_it(fresh_site, tmp_path):
    admin = signed_in_client(fresh_site, "vs_admin")
    with session_scope(fresh_site.app.engine) as s:
        carerless = s.execute(select(Person).where(Person.role == "designated_teacher", Person.email != "")
                              .order_by(Person.ref.desc())).scalars().first()
        assert s.execute(select(UserAccount).where(UserAccount.person_ref == carerless.ref)).first() is None
        ref, email = carerless.ref, carerless.email
    page = admin.get(f"/people/{ref}").text
    added = admin.post(f"/people/{ref}/account", data={"csrf_token": csrf_of(page)})
    assert f"a link to set their password goes to {email}" in added.text
    dispatch(fresh_site.app.engine, fresh_site.app.config, FolderMailer(tmp_path), fresh_site.app.clock)
    assert "/password/" in _link_in(tmp_path)
    with session_scope(fresh_site.app.engine) as s:
        account = s.execute(select(UserAccount).where(UserAccount.person_ref == ref)).scalar_one()
        assert account.active and account.password_hash == ""  # nobody but them ever knows the password
        account_id = account.id
    ended = admin.post(f"/accounts/{account_id}/end", data={"csrf_token": csrf_of(added.text)})
    assert "account is ended" in ended.text
    with session_scope(fresh_site.app.engine) as s:
        assert not s.get(UserAccount, account_id).active
    assert [p["account"] for p in _history(fresh_site, "account_ended")] == [email]
    assert PASSWORD  # the demo accounts are untouched
