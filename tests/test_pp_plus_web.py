"""Pupil Premium Plus on the pages (issue 40 item 5): who may use which page, bad input answered
on the form with nothing written, and the finance officer's account that sees payments and no child."""

from __future__ import annotations

from sqlalchemy import func, select

from pepflow.db.connection import session_scope
from pepflow.db.models import Event, PpPlusLine
from pepflow.engine.recording import record_event

from .support.web import pupil_with_targets, signed_in_client
from .websupport import EMAILS, TODAY, csrf_of


def a_pupil_with_targets(site) -> str:
    return pupil_with_targets(site, "Read every day", "Join a club")


def lines(site) -> int:
    with session_scope(site.app.engine) as s:
        return s.execute(select(func.count()).select_from(PpPlusLine)).scalar_one()


def test_a_designated_teacher_asks_for_a_line_in_the_pep_and_a_bad_one_is_named_on_the_form(fresh_site):
    ref = a_pupil_with_targets(fresh_site)
    client = signed_in_client(fresh_site, "designated_teacher")
    page = client.get(f"/children/{ref}/pp-plus")
    assert page.status_code == 200 and "1. Read every day" in page.text
    # the shipped 2026-27 model is tiers: £400, £800 or £1,500 for the term
    refused = client.post(f"/children/{ref}/pp-plus", data={"csrf_token": csrf_of(page.text), "target": "1",
                                                          "category": "tuition", "what": "tuition", "cost": "500"})
    assert refused.status_code == 400 and "£500 is not one of this year&#39;s amounts" in refused.text
    assert lines(fresh_site) == 0
    done = client.post(f"/children/{ref}/pp-plus", data={"csrf_token": csrf_of(page.text), "target": "2",
                                                       "category": "mentoring", "what": "a mentor", "cost": "400"},
                       follow_redirects=True)
    assert done.status_code == 200 and "£400 asked for" in done.text and "Waiting for a decision" in done.text
    with session_scope(fresh_site.app.engine) as s:
        actor = s.execute(select(Event.actor_ref).where(Event.name == "pp_plus_requested")).scalar_one()
    assert actor == f"user:{EMAILS['designated_teacher']}"


def test_only_the_virtual_school_sees_the_lines_waiting_and_decides_them(fresh_site):
    ref = a_pupil_with_targets(fresh_site)
    with session_scope(fresh_site.app.engine) as s:
        record_event(s, fresh_site.app.config, ref, "pp_plus_requested", TODAY, TODAY, role="designated_teacher",
                     params={"target": "1", "category": "tuition", "what": "tuition", "cost": "1500"})
    teacher = signed_in_client(fresh_site, "designated_teacher")
    assert teacher.get("/pp-plus").status_code == 403
    officer = signed_in_client(fresh_site, "vs_officer")
    waiting = officer.get("/pp-plus")
    assert "For the Virtual School Head" in waiting.text
    line = officer.get("/pp-plus/lines/1")
    assert "Ask the school a question" in line.text and "Approve £1,500" not in line.text  # over the officer's £800
    head = signed_in_client(fresh_site, "vsh")
    page = head.get("/pp-plus/lines/1")
    done = head.post("/pp-plus/lines/1", data={"csrf_token": csrf_of(page.text), "decision": "part", "amount": "800"})
    assert done.status_code == 400 and "Reason" in done.text  # part of it needs a reason
    done = head.post("/pp-plus/lines/1", data={"csrf_token": csrf_of(page.text), "decision": "part", "amount": "800",
                                               "words": "tuition until February half term"}, follow_redirects=True)
    assert "£800 approved" in done.text and "Nothing is waiting for a decision" in done.text


def test_a_finance_officer_sees_the_payments_and_the_ledger_and_no_childs_case(fresh_site):
    ref = a_pupil_with_targets(fresh_site)
    client = signed_in_client(fresh_site, "finance")
    assert client.get("/", follow_redirects=False).headers["location"] == "/pp-plus/payments"
    assert client.get("/pp-plus/payments").status_code == 200
    assert client.get("/pp-plus/ledger?year=2026-27").status_code == 200
    assert client.get(f"/children/{ref}").status_code == 404
    assert client.get("/pp-plus").status_code == 403
    assert "Unknown year" not in client.get("/pp-plus/ledger?year=2040-41").text
    assert client.get("/pp-plus/ledger?year=2040-41").status_code == 400
