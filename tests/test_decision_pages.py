"""Every decision has a page for the role that makes it (issue 20 item 3): a proposed school
that needs the VSH's decision (requires improvement) and the nominated officer's approval (a
move in Key Stage 4) is decided on /children/<ref>/decision, each part by its own role."""

from __future__ import annotations


import datetime as dt
import re

from sqlalchemy import select

from pepflow.db.connection import session_scope
from pepflow.db.models import Deadline, Event
from pepflow.engine.recording import record_event

from .support.web import proposed_ri_school_in_year_10, signed_in_client
from .websupport import TODAY, csrf_of


def _open_approvals(site, ref) -> list[str]:
    with session_scope(site.app.engine) as s:
        return list(s.execute(select(Deadline.note).where(
            Deadline.child_ref == ref, Deadline.kind == "placement_approval", Deadline.status == "open")).scalars())


def test_each_role_decides_its_own_part_of_a_proposal_on_a_page(fresh_site):
    ref, urn = proposed_ri_school_in_year_10(fresh_site)
    assert len(_open_approvals(fresh_site, ref)) == 2  # the VSH's decision and the KS4 approval

    admin = signed_in_client(fresh_site, "vs_admin")
    listed = admin.get("/decisions").text
    assert ref in listed and "Virtual School Head's decision" in listed and "--set" not in listed
    form = admin.get(f"/children/{ref}/decision").text
    with session_scope(fresh_site.app.engine) as s:  # the page shows the child: its view is audited
        assert s.execute(select(Event.child_ref).where(Event.name == "record_form_viewed", Event.child_ref == ref)
                         ).scalars().all() == [ref]
    assert 'name="ks4_reason"' in form and 'name="nominated_officer"' in form
    assert '<option value="VSH1">' in form  # the nominated officer chosen from a list, by name
    assert 'name="vsh_decision"' not in form and 'name="verdict"' not in form  # not VS admin's to record
    empty = admin.post(f"/children/{ref}/decision", data={"csrf_token": csrf_of(form)})
    assert empty.status_code == 400 and "Enter why a move in Key Stage 4 is necessary" in empty.text
    assert "Choose the nominated officer who approved" in empty.text
    done = admin.post(f"/children/{ref}/decision", follow_redirects=False, data={
        "csrf_token": csrf_of(form), "ks4_reason": "the placement is 60 miles away", "nominated_officer": "VSH1",
        "vsh_decision": "slipped in by VS admin"})
    assert done.status_code == 303
    assert "Another decision is still needed" in admin.get(done.headers["location"]).text
    still = _open_approvals(fresh_site, ref)
    assert len(still) == 1 and "require improvement" in still[0]

    head = signed_in_client(fresh_site, "vsh")
    form = head.get(f"/children/{ref}/decision").text
    assert 'name="vsh_decision"' in form and 'name="ks4_reason"' not in form  # the KS4 part is settled
    # the finding keeps its capitals: "… of 10 Jan 2024). The VSH's decision", not "… 10 jan 2024). the vsh's"
    assert re.search(r"of 10 Jan 2024\)\. The VSH", form.replace("&#39;", "'"))
    no_choice = head.post(f"/children/{ref}/decision", data={"csrf_token": csrf_of(form), "vsh_decision": "x"})
    assert no_choice.status_code == 400 and "Choose whether you agree to the school" in no_choice.text
    done = head.post(f"/children/{ref}/decision", follow_redirects=False, data={
        "csrf_token": csrf_of(form), "verdict": "agree", "vsh_decision": "Its unit suits him; evidence on file"})
    assert done.status_code == 303 and _open_approvals(fresh_site, ref) == []
    assert ref not in head.get("/decisions").text
    assert head.get(f"/children/{ref}/decision").status_code == 403  # nothing left to decide


def test_the_virtual_school_head_may_not_agree_and_another_school_is_then_proposed(fresh_site):
    ref, urn = proposed_ri_school_in_year_10(fresh_site)
    head = signed_in_client(fresh_site, "vsh")
    form = head.get(f"/children/{ref}/decision").text
    done = head.post(f"/children/{ref}/decision", follow_redirects=False, data={
        "csrf_token": csrf_of(form), "verdict": "not_agree", "vsh_decision": "Ofsted's concerns are about SEND, "
        "which is what Jamie needs"})
    assert done.status_code == 303
    assert "you do not agree" in head.get(done.headers["location"]).text
    assert _open_approvals(fresh_site, ref) == []  # nothing is left waiting on a decision for that school
    assert ref not in head.get("/decisions").text
    with session_scope(fresh_site.app.engine) as s:
        from pepflow.db.models import Admission

        admission = s.execute(select(Admission).where(Admission.child_ref == ref, Admission.is_open)).scalar_one()
        assert (admission.state, admission.school_urn) == ("need_identified", None)
        # the words are kept as typed, capitals and all, in the history
        said = s.execute(select(Event.payload).where(Event.child_ref == ref, Event.name == "school_not_agreed")
                         ).scalar_one()
        assert "SEND, which is what Jamie needs" in str(said)


def test_a_social_worker_has_no_decision_pages(fresh_site):
    ref, _ = proposed_ri_school_in_year_10(fresh_site)
    worker = signed_in_client(fresh_site, "social_worker")
    assert worker.get("/decisions").status_code == 403
    assert worker.get(f"/children/{ref}/decision").status_code in (403, 404)
    token = csrf_of(worker.get("/my-work").text)
    response = worker.post(f"/children/{ref}/decision", data={"csrf_token": token, "vsh_decision": "yes"})
    assert response.status_code in (403, 404) and len(_open_approvals(fresh_site, ref)) == 2


def test_a_decision_the_admission_can_no_longer_take_is_not_listed(fresh_site):
    """Once the school is applied to, proposing it again (and so deciding on it) is refused:
    the Decisions page no longer lists it, rather than offering a form that would be refused."""
    ref, _ = proposed_ri_school_in_year_10(fresh_site)
    head = signed_in_client(fresh_site, "vsh")
    assert ref in head.get("/decisions").text
    with session_scope(fresh_site.app.engine) as s:
        record_event(s, fresh_site.app.config, ref, "application_made", TODAY - dt.timedelta(days=1), TODAY,
                     role="vs_officer")
    assert ref not in head.get("/decisions").text
