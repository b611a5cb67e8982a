"""The web pages, through HTTP: who may see what, sign-in, sessions, forms and their errors.

Each role's demo account is walked against every route on SQLite and on PostgreSQL; any
child outside the account's caseload showing up anywhere fails the test.
"""

from __future__ import annotations

import csv
import io

import datetime as dt
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from pepflow.db.connection import session_scope
from pepflow.db.models import Deadline, Event, Notification, Pep, UserAccount, WebSession
from pepflow.web.app import create_app
from pepflow.accounts.access import ROLES

from .pgserver import free_port
from .support.web import client_for, signed_in_client, child_in_state, snapshot
from .websupport import EMAILS, PASSWORD, TODAY, build_site, child_refs_in, csrf_of, sign_in, visible_refs


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'web.db'}"
    else:
        url = request.getfixturevalue("postgres_server").new_database()
    built = build_site(url)
    yield built
    built.app.engine.dispose()








# ---- roles × routes ---------------------------------------------------------------

LIST_ROUTES = ["/my-work", "/my-work?within=all", "/peps/overdue", "/peps/overdue?format=csv",
               "/peps/overdue?sort=school&order=desc", "/admissions?show=all", "/admissions?show=all&format=csv",
               "/exclusions?show=all", "/exclusions?show=all&format=csv", "/children", "/children?looked_after=all",
               "/children?q=a&looked_after=all"]
REPORT_ROUTES = ["/compliance", "/compliance?format=csv"]
OUTBOX_ROUTES = ["/outbox", "/outbox?status=all"]


def _all_child_refs(site) -> set[str]:
    return visible_refs(site.app, "vs_admin")


@pytest.mark.parametrize("role", [r for r, info in ROLES.items() if info.casework])
def test_every_role_against_every_route_sees_only_its_caseload(site, role):
    client = signed_in_client(site, role)
    mine = visible_refs(site.app, role)
    everyone = _all_child_refs(site)
    assert mine, f"the demo gives {role} no children: the scope test would prove nothing"
    info = ROLES[role]
    for route in LIST_ROUTES:
        response = client.get(route)
        assert response.status_code == 200, (role, route)
        shown = child_refs_in(response.text) if "format=csv" not in route else {
            line.split(",")[0] for line in response.text.splitlines()[1:]}
        assert shown <= mine, f"{role} sees {sorted(shown - mine)[:5]} on {route}"
    for route in REPORT_ROUTES:
        assert client.get(route).status_code == (200 if info.sees_reports else 403), (role, route)
    for route in OUTBOX_ROUTES:
        assert client.get(route).status_code == (200 if info.sees_outbox else 403), (role, route)
    assert client.get("/decisions").status_code == (200 if role in ("vsh", "vs_admin", "vs_officer") else 403)
    assert client.get("/settings/sign-in").status_code == (200 if info.sets_sign_in_rules else 403), role
    inside, outside = sorted(mine)[0], sorted(everyone - mine)
    assert client.get(f"/children/{inside}").status_code == 200
    if outside:
        page = client.get(f"/children/{outside[0]}")
        assert page.status_code == 404 and outside[0] not in page.text.split("<main")[1]
        assert client.get(f"/children/{outside[0]}/record?event=pep_meeting_held").status_code == 404
    assert client.get("/children/NO-SUCH-CHILD").status_code == 404
    case = client.get(f"/children/{inside}").text
    offered = set(re.findall(r"record\?event=([a-z_]+)", case))
    if info.records_events:
        assert offered, role
    else:
        assert not offered
    if not info.sees_everyone:
        assert "pep_approved" not in offered and "pep_returned" not in offered
    retry = client.post("/outbox/retry", data={"csrf_token": csrf_of(client.get("/my-work").text)},
                        follow_redirects=False)
    assert retry.status_code == (303 if info.retries_emails else 403), role


def test_a_role_without_casework_sees_no_child_on_any_list_or_case(site):
    """The finance officer pays what the Virtual School approved: payments, never a child's case."""
    client = signed_in_client(site, "finance")
    for route in LIST_ROUTES:
        response = client.get(route)
        assert response.status_code == 200 and not child_refs_in(response.text), route
    some = sorted(_all_child_refs(site))[0]
    assert client.get(f"/children/{some}").status_code == 404
    assert client.get(f"/children/{some}/pp-plus").status_code == 404
    for route in (*REPORT_ROUTES, *OUTBOX_ROUTES, "/decisions", "/pp-plus"):
        assert client.get(route).status_code == 403, route
    assert client.get("/pp-plus/payments").status_code == 200


def test_a_signed_out_visitor_is_sent_to_sign_in_from_every_page(site):
    client = client_for(site)
    for route in ["/", *LIST_ROUTES, *REPORT_ROUTES, *OUTBOX_ROUTES, "/children/C00001",
                  "/children/C00001/record?event=pep_meeting_held"]:
        response = client.get(route, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/sign-in?next="), route
    for route in ["/children/C00001/record", "/outbox/retry", "/sign-out"]:
        response = client.post(route, data={}, follow_redirects=False)
        assert response.status_code == 303 and "/sign-in" in response.headers["location"], route


def test_the_link_in_a_reminder_email_opens_the_case_after_sign_in(site):
    ref = sorted(visible_refs(site.app, "social_worker"))[0]
    client = client_for(site)
    first = client.get(f"/children/{ref}", follow_redirects=False)
    assert first.headers["location"] == f"/sign-in?next=%2Fchildren%2F{ref}"
    response = sign_in(client, "social_worker", next_path=f"/children/{ref}")
    assert response.headers["location"] == f"/children/{ref}"
    assert client.get(response.headers["location"]).status_code == 200


def test_sign_in_never_redirects_to_another_site(site):
    client = client_for(site)
    response = sign_in(client, "vs_admin", next_path="//evil.example/")
    assert response.headers["location"] == "/"


# ---- sign-in, sessions and CSRF -------------------------------------------------------

def test_session_cookie_is_httponly_and_samesite_and_secure_over_https(site):
    client = client_for(site)
    response = sign_in(client, "vs_admin")
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    secure_client = client_for(site, base_url="https://testserver")
    cookie = sign_in(secure_client, "vs_admin").headers["set-cookie"]
    assert "Secure" in cookie


def test_a_wrong_password_is_refused_without_saying_whether_the_account_exists(site):
    client = client_for(site)
    wrong = sign_in(client, "vs_admin", password="not the password")
    unknown = sign_in(client, "nobody@example.org", password="not the password")
    assert wrong.status_code == unknown.status_code == 400
    message = "The email address or password is not right."
    assert message in wrong.text and message in unknown.text
    assert 'class="govuk-error-summary"' in wrong.text and 'href="#email"' in wrong.text


def test_empty_sign_in_fields_are_named_in_the_error_summary(site):
    client = client_for(site)
    page = client.get("/sign-in")
    response = client.post("/sign-in", data={"email": "", "password": "", "csrf_token": csrf_of(page.text)})
    assert response.status_code == 400
    assert '<a href="#email">Enter your email address</a>' in response.text
    assert '<a href="#password">Enter your password</a>' in response.text
    assert "<title>Error: Sign in" in response.text


def test_sign_in_without_its_form_token_is_refused(site):
    client = client_for(site)
    response = client.post("/sign-in", data={"email": EMAILS["vs_admin"], "password": PASSWORD,
                                             "csrf_token": "forged"}, follow_redirects=False)
    assert response.status_code == 400 and "pepflow_session" not in response.headers.get("set-cookie", "")


def test_a_session_expires_after_inactivity(fresh_site):
    client = signed_in_client(fresh_site, "vs_admin")
    idle = fresh_site.app.config.settings.session_idle_minutes
    fresh_site.clock.advance(minutes=idle - 1)
    assert client.get("/my-work", follow_redirects=False).status_code == 200  # use keeps it alive
    fresh_site.clock.advance(minutes=idle - 1)
    assert client.get("/my-work", follow_redirects=False).status_code == 200
    fresh_site.clock.advance(minutes=idle + 1)
    response = client.get("/my-work", follow_redirects=False)
    assert response.status_code == 303 and "ended=1" in response.headers["location"]
    assert "You have been signed out: the service was not used for 30 minutes" in client.get(response.headers["location"]).text


def test_sign_out_ends_the_session_for_a_copied_cookie_too(fresh_site):
    client = signed_in_client(fresh_site, "vs_admin")
    stolen = client.cookies.get("pepflow_session")
    token = csrf_of(client.get("/my-work").text)
    response = client.post("/sign-out", data={"csrf_token": token}, follow_redirects=False)
    assert response.status_code == 303 and "signed_out=1" in response.headers["location"]
    other = client_for(fresh_site)
    other.cookies.set("pepflow_session", stolen)
    assert other.get("/my-work", follow_redirects=False).status_code == 303
    with session_scope(fresh_site.app.engine) as s:
        assert s.execute(select(WebSession)).first() is None


def test_a_tampered_cookie_is_not_a_session(fresh_site):
    client = signed_in_client(fresh_site, "vs_admin")
    cookie = client.cookies.get("pepflow_session")
    forged = client_for(fresh_site)
    forged.cookies.set("pepflow_session", cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB"))
    assert forged.get("/my-work", follow_redirects=False).status_code == 303


# ---- the case page and its forms ------------------------------------------------------



def test_viewing_a_case_is_recorded_in_the_audit_history(fresh_site):
    client = signed_in_client(fresh_site, "vsh")
    client.get("/children/C00002")
    with session_scope(fresh_site.app.engine) as s:
        views = s.execute(select(Event).where(Event.name == "case_viewed")).scalars().all()
    assert [(v.child_ref, v.actor_ref, v.payload["role"]) for v in views] == [
        ("C00002", f"user:{EMAILS['vsh']}", "vsh")]
    # and the case's own timeline does not fill up with views
    assert "case viewed" not in client.get("/children/C00002").text


def test_history_lists_case_views_only_when_asked(fresh_site, cli):
    signed_in_client(fresh_site, "vsh").get("/children/C00003")
    db = fresh_site.app.url
    code, out, _ = cli("--db", db, "history", "C00003")
    assert code == 0 and "Case viewed" not in out
    code, out, _ = cli("--db", db, "history", "C00003", "--views")
    assert code == 0 and re.search(rf"Case viewed \(recorded .* by {re.escape(EMAILS['vsh'])}\)", out)
    assert "Role: Virtual School Head" in out


def test_recording_pep_approved_through_the_form(fresh_site):
    ref = child_in_state(fresh_site, ("in_qa", "submitted"))
    client = signed_in_client(fresh_site, "vs_admin")
    case = client.get(f"/children/{ref}").text
    assert f"/children/{ref}/record?event=pep_approved" in case
    form = client.get(f"/children/{ref}/record?event=pep_approved")
    assert form.status_code == 200 and 'name="rating"' in form.text
    response = client.post(f"/children/{ref}/record", data={
        "csrf_token": csrf_of(form.text), "event": "pep_approved", "on": "2026-11-23", "rating": "green"},
        follow_redirects=False)
    assert response.status_code == 303, response.text
    assert "Recorded: PEP approved" in client.get(response.headers["location"]).text
    with session_scope(fresh_site.app.engine) as s:
        pep = s.execute(select(Pep).where(Pep.child_ref == ref, Pep.is_current)).scalar_one()
        event = s.execute(select(Event).where(Event.child_ref == ref, Event.name == "pep_approved")).scalar_one()
    assert pep.state == "approved" and pep.quality_rating == "green"
    assert event.actor_ref == f"user:{EMAILS['vs_admin']}"




def test_a_red_pep_cannot_be_approved_and_the_form_says_why_and_nothing_changes(fresh_site):
    ref = child_in_state(fresh_site, ("in_qa", "submitted"))
    client = signed_in_client(fresh_site, "vs_admin")
    form = client.get(f"/children/{ref}/record?event=pep_approved")
    assert 'value="green"' in form.text and 'value="red"' not in form.text  # never offered
    before = snapshot(fresh_site, ref)
    response = client.post(f"/children/{ref}/record", data={
        "csrf_token": csrf_of(form.text), "event": "pep_approved", "on": "2026-11-23", "rating": "red"})
    assert response.status_code == 400
    assert 'class="govuk-error-summary"' in response.text and 'href="#rating"' in response.text
    assert "a red PEP cannot be approved: return it for changes" in response.text
    assert "Traceback" not in response.text and snapshot(fresh_site, ref) == before


def test_form_errors_name_the_field_and_keep_what_was_typed(fresh_site):
    ref = child_in_state(fresh_site, ("in_qa", "submitted"))
    client = signed_in_client(fresh_site, "vs_admin")
    token = csrf_of(client.get(f"/children/{ref}/record?event=pep_returned").text)
    before = snapshot(fresh_site, ref)
    missing = client.post(f"/children/{ref}/record", data={"csrf_token": token, "event": "pep_returned", "on": ""})
    assert missing.status_code == 400
    assert '<a href="#on">Enter the date it happened</a>' in missing.text
    assert 'href="#reason"' in missing.text
    future = client.post(f"/children/{ref}/record", data={"csrf_token": token, "event": "pep_returned",
                                                          "on": "2026-12-25", "reason": "targets not SMART"})
    assert future.status_code == 400 and "is in the future" in future.text and 'href="#on"' in future.text
    assert 'value="targets not SMART"' in future.text
    bad_date = client.post(f"/children/{ref}/record", data={"csrf_token": token, "event": "pep_returned",
                                                            "on": "31/02/2026", "reason": "x"})
    assert bad_date.status_code == 400 and "31/02/2026" in bad_date.text and "31 February 2026 is not a date" in bad_date.text
    assert snapshot(fresh_site, ref) == before


def test_an_event_the_current_state_does_not_allow_is_not_offered_and_refused_if_posted(fresh_site):
    ref = child_in_state(fresh_site, ("meeting_scheduled",))
    client = signed_in_client(fresh_site, "vs_admin")
    case = client.get(f"/children/{ref}").text
    assert "event=pep_approved" not in case and "event=pep_meeting_held" in case
    old_link = client.get(f"/children/{ref}/record?event=pep_approved")
    assert old_link.status_code == 409 and "cannot be recorded" in old_link.text
    assert "event=pep_meeting_held" in old_link.text  # what can be recorded instead
    token = csrf_of(case)
    before = snapshot(fresh_site, ref)
    response = client.post(f"/children/{ref}/record", data={
        "csrf_token": token, "event": "pep_approved", "on": "2026-11-23", "rating": "green"})
    assert response.status_code == 409
    assert snapshot(fresh_site, ref) == before
    assert client.get(f"/children/{ref}/record?event=no_such_event").status_code == 404


def test_a_form_sent_after_someone_else_changed_the_case_says_what_changed_and_offers_what_is_allowed(fresh_site):
    ref = child_in_state(fresh_site, ("in_qa", "submitted"))
    admin, head = signed_in_client(fresh_site, "vs_admin"), signed_in_client(fresh_site, "vsh")
    form = admin.get(f"/children/{ref}/record?event=pep_returned").text
    fresh_site.clock.advance(minutes=3)
    other = head.get(f"/children/{ref}/record?event=pep_returned").text
    assert head.post(f"/children/{ref}/record", data={
        "csrf_token": csrf_of(other), "event": "pep_returned", "on": "2026-11-23", "seen": _seen(other),
        "reason": "no targets"}, follow_redirects=False).status_code == 303
    before = snapshot(fresh_site, ref)
    stale = admin.post(f"/children/{ref}/record", data={
        "csrf_token": csrf_of(form), "event": "pep_returned", "on": "2026-11-23", "seen": _seen(form),
        "reason": "targets not SMART"})
    assert stale.status_code == 409 and snapshot(fresh_site, ref) == before
    text = stale.text
    assert "The case changed after you opened the form" in text and "Nothing you entered was recorded" in text
    import re

    # recorded_at is the moment it was written (the history's own clock), shown in London time
    assert re.search(r"PEP returned for changes \(happened 23 Nov 2026\) was recorded \d+ \w{3} \d{4} at \d\d:\d\d by "
                     + re.escape(EMAILS["vsh"]), text)
    assert "What you can record now" in text and "event=pep_returned" not in text


def _seen(form_html: str) -> str:
    import re

    return re.search(r'name="seen" value="(\d*)"', form_html).group(1)


def test_a_post_without_the_form_token_changes_nothing(fresh_site):
    ref = child_in_state(fresh_site, ("in_qa", "submitted"))
    client = signed_in_client(fresh_site, "vs_admin")
    before = snapshot(fresh_site, ref)
    for token in ("", "forged"):
        response = client.post(f"/children/{ref}/record", data={
            "csrf_token": token, "event": "pep_approved", "on": "2026-11-23", "rating": "green"})
        assert response.status_code == 403
    assert snapshot(fresh_site, ref) == before


def test_a_designated_teacher_cannot_approve_a_pep_even_by_posting(fresh_site):
    ref = sorted(visible_refs(fresh_site.app, "designated_teacher"))[0]
    client = signed_in_client(fresh_site, "designated_teacher")
    token = csrf_of(client.get(f"/children/{ref}").text)
    before = snapshot(fresh_site, ref)
    response = client.post(f"/children/{ref}/record", data={
        "csrf_token": token, "event": "pep_approved", "on": "2026-11-23", "rating": "green"})
    assert response.status_code == 403
    assert snapshot(fresh_site, ref) == before


# ---- lists ------------------------------------------------------------------------------

def test_overdue_peps_filters_sort_count_and_download(site):
    client = signed_in_client(site, "vs_admin")
    everything = client.get("/peps/overdue?format=csv").text.splitlines()
    header, rows = everything[0].split(","), [r.split(",") for r in everything[1:]]
    assert header[:4] == ["Child", "Child name", "Year group", "School URN"] and rows
    page = client.get("/peps/overdue").text
    assert f"<strong>{len(rows)}</strong> overdue PEP deadline" in page
    urn = rows[0][3]
    by_school = client.get(f"/peps/overdue?school={urn}&format=csv").text.splitlines()[1:]
    assert by_school and all(line.split(",")[3] == urn for line in by_school)
    assert len(by_school) == sum(1 for r in rows if r[3] == urn)
    old = client.get("/peps/overdue?min_days=30&format=csv").text.splitlines()[1:]
    assert all(int(line.split(",")[-1]) >= 30 for line in old)
    assert len(old) == sum(1 for r in rows if int(r[-1]) >= 30)
    ks3 = client.get("/peps/overdue?key_stage=KS3&format=csv").text.splitlines()[1:]
    assert all(line.split(",")[2] in ("Year 7", "Year 8", "Year 9") for line in ks3)
    due = [r[9] for r in rows]
    assert due == sorted(due)
    descending = [line.split(",")[9] for line in
                  client.get("/peps/overdue?sort=due&order=desc&format=csv").text.splitlines()[1:]]
    assert descending == sorted(due, reverse=True)
    bad = client.get("/peps/overdue?min_days=lots")
    assert bad.status_code == 400 and 'href="#min_days"' in bad.text and "lots" in bad.text


def test_short_lists_sort_by_any_column_both_ways(site):
    client = signed_in_client(site, "vs_admin")
    def column_of(url: str, column: str) -> list[str]:
        return [row[column] for row in csv.DictReader(io.StringIO(client.get(url).text))]

    for path, column in (("/admissions?show=all&sort=state", "State"), ("/my-work?within=all&sort=what", "What")):
        up = column_of(path + "&format=csv", column)
        down = column_of(path + "&order=desc&format=csv", column)
        assert up and up == sorted(up) and down == sorted(up, reverse=True), path
        assert 'aria-sort="ascending"' in client.get(path).text


def test_in_memory_sorting_puts_missing_values_last_and_ignores_unknown_columns():
    from pepflow.web.site import sorted_items

    items = [{"child_ref": "C3", "days": None}, {"child_ref": "C1", "days": 5}, {"child_ref": "C2", "days": 2}]
    assert [i["child_ref"] for i in sorted_items(items, "days", "asc", ("days",), "child_ref")] == ["C2", "C1", "C3"]
    assert [i["child_ref"] for i in sorted_items(items, "days", "desc", ("days",), "child_ref")] == ["C1", "C2", "C3"]
    assert [i["child_ref"] for i in sorted_items(items, "evil", "asc", ("days",), "child_ref")] == ["C1", "C2", "C3"]


def test_my_work_lists_the_persons_own_deadlines_soonest_first(site):
    client = signed_in_client(site, "social_worker")
    rows = client.get("/my-work?within=all&format=csv").text.splitlines()[1:]
    assert rows
    due = [r.split(",")[4] for r in rows]
    assert due == sorted(due)
    with session_scope(site.app.engine) as s:
        owners = set(s.execute(select(Deadline.owner_ref).where(
            Deadline.child_ref.in_([r.split(",")[0] for r in rows]), Deadline.status == "open",
            Deadline.kind.in_([r.split(",")[2] for r in rows]))).scalars())
    assert "SW01" in owners


def test_compliance_page_shows_the_report_with_charts_and_rejects_bad_dates(site):
    client = signed_in_client(site, "vsh")
    page = client.get("/compliance?start=2026-09-01&end=2026-11-23")
    assert page.status_code == 200 and "<svg" in page.text and "Deadlines due in the period" in page.text
    bad = client.get("/compliance?start=2026-13-01")
    assert bad.status_code == 400 and 'href="#start"' in bad.text and "2026-13-01" in bad.text
    backwards = client.get("/compliance?start=2026-11-01&end=2026-10-01")
    assert backwards.status_code == 400 and 'href="#end"' in backwards.text


def test_vs_admin_retries_a_failed_email_and_the_retry_is_audited(fresh_site):
    with session_scope(fresh_site.app.engine) as s:
        s.add(Notification(key="test-failed", child_ref="C00001", recipient_email="sw@example.org",
                           step="reminder_1", status="failed", attempts=5, last_error="connection refused"))
    client = signed_in_client(fresh_site, "vs_admin")
    page = client.get("/outbox?status=failed").text
    assert "connection refused" in page and "Retry" in page
    response = client.post("/outbox/retry", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert response.status_code == 303
    assert "1 email put back" in client.get(response.headers["location"]).text
    with session_scope(fresh_site.app.engine) as s:
        assert s.execute(select(Notification.status).where(Notification.key == "test-failed")).scalar_one() == "pending"
        assert s.execute(select(Event.actor_ref).where(Event.name == "email_retry_requested")).scalar_one() == \
            f"user:{EMAILS['vs_admin']}"


def test_the_emails_page_opens_on_what_failed_or_waits_and_counts_emails_and_items(fresh_site):
    sent_at = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.timezone.utc)
    with session_scope(fresh_site.app.engine) as s:
        s.execute(delete(Notification))  # the demo's exclusion notices: this test counts its own rows
        for n in range(6):  # one email to each of two people carried three items each
            s.add(Notification(key=f"sent-{n}", child_ref=f"C0000{n + 1}", recipient_email=f"p{n % 2}@example.org",
                               step="remind_5", status="sent", message_id=f"<m{n % 2}@x>", sent_at=sent_at,
                               payload={"kind": "pep_review", "due_on": "2026-12-18"}))
        for n in range(60):
            s.add(Notification(key=f"wait-{n}", child_ref="C00001", recipient_email=f"w{n % 3}@example.org",
                               step="escalate_2", status="pending", payload={"kind": "pep_qa", "due_on": "2026-11-20"}))
        s.add(Notification(key="failed", child_ref="C00002", recipient_email="sw@example.org", step="remind_1",
                           status="failed", attempts=3, last_error="550 no such user",
                           payload={"kind": "initial_pep", "due_on": "2026-11-30"}))
    client = signed_in_client(fresh_site, "vs_admin")
    page = client.get("/outbox").text
    counts = {row[0]: row[1:] for row in re.findall(
        r'<td class="govuk-table__cell">([^<]+)</td>\s*<td[^>]*>([^<]+)</td>\s*<td[^>]*>([^<]+)</td></tr>', page)}
    assert counts["Sent"] == ("2", "6") and counts["Waiting to be sent"] == ("3", "60")
    assert counts["Failed"] == ("1", "1")
    assert "Failed and waiting: 61 items" in page
    rows = re.findall(r'<tr class="govuk-table__row">\s*<td class="govuk-table__cell"><a class="govuk-link" '
                      r'href="/children/(C\d+)"', page)
    assert len(rows) == 50 and rows[0] == "C00002"  # the failed one first, then the waiting ones
    assert "Initial PEP, due 30 Nov 2026" in page and "550 no such user" in page
    assert "Page 1 of 2" in page and 'href="?status=waiting&amp;page=2"' in page
    second = client.get("/outbox?status=waiting&page=2").text
    assert "Page 2 of 2" in second and len(re.findall(r'href="/children/C\d+"', second)) == 11
    sent = client.get("/outbox?status=sent").text
    assert "Termly PEP review, due 18 Dec 2026" in sent and "23 Nov 2026 at 09:30" in sent and "Reminder" in sent


def test_vs_admin_sees_a_relay_down_for_an_hour_and_failed_emails_on_my_work_and_the_emails_page(fresh_site):
    from pepflow.clock import SteppedClock
    from pepflow.notify.mailers import SMTPMailer
    from pepflow.notify.outbox import dispatch
    from pepflow.notify.sweep import sweep

    app, clock = fresh_site.app, fresh_site.clock
    with session_scope(app.engine) as s:
        s.add(Notification(key="test-failed", child_ref="C00001", recipient_email="sw@example.org",
                           step="remind_1", status="failed", attempts=1,
                           last_error="the mail relay said 550 5.1.1 No such user here"))
    sweep(app.engine, app.config, app.today(), clock=SteppedClock(clock.now()))
    refused = SMTPMailer("127.0.0.1", free_port(), security="none", timeout=1)  # nobody listens there
    dispatch(app.engine, app.config, refused, SteppedClock(clock.now()))
    client = signed_in_client(fresh_site, "vs_admin")
    emails = client.get("/outbox?status=failed").text
    assert "The mail relay has not accepted email for 0 min (the mail relay refused the connection)" in emails
    assert "No email is lost" in emails and "550 5.1.1 No such user here" in emails
    work = client.get("/my-work").text
    assert "1 item for 1 person could not be delivered by email" in work and "has not accepted email" not in work  # not an hour yet
    clock.advance(minutes=61)  # (the session has timed out meanwhile: sign in again)
    assert "has not accepted email for 1 h 1 min" in signed_in_client(fresh_site, "vs_admin").get("/my-work").text
    social_worker = signed_in_client(fresh_site, "social_worker")
    assert "Email delivery" not in social_worker.get("/my-work").text


def test_an_unexpected_error_shows_an_apology_not_a_stack_trace(fresh_site, monkeypatch):
    from pepflow.web import overdue

    def broken(*args, **kwargs):
        raise RuntimeError("database exploded at line 42")

    monkeypatch.setattr(overdue, "overdue_peps", broken)
    client = TestClient(create_app(fresh_site.app), raise_server_exceptions=False)
    sign_in(client, "vs_admin")
    response = client.get("/peps/overdue")
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in response.text
    assert "exploded" not in response.text and "Traceback" not in response.text


def test_pages_send_security_headers_and_load_nothing_from_another_site(site):
    client = signed_in_client(site, "vs_admin")
    response = client.get("/peps/overdue")
    policy = response.headers["content-security-policy"]
    # script only from pepflow itself (the pickers' autocomplete), never inline or from elsewhere
    assert "script-src 'self';" in policy and "unsafe-inline'; object" not in policy
    assert "<script" not in response.text  # a list page runs no script at all
    assert response.headers["cache-control"] == "no-store"
    assert not re.search(r'(src|href)="(https?:)?//', response.text)
    css = client.get("/static/govuk/govuk-frontend.min.css")
    assert css.status_code == 200 and "GDS Transport" not in css.text and "arial" in css.text


# ---- accounts from the command line --------------------------------------------------

def test_user_add_and_set_password_from_the_command_line(cli, tmp_path, monkeypatch):
    import io

    db = f"sqlite:///{tmp_path / 'u.db'}"
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough password\n"))
    code, out, err = cli("--db", db, "user", "add", "--email", "Head@Council.gov.uk", "--role", "vsh")
    assert code == 0 and "Added head@council.gov.uk (Virtual School Head)" in out
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, out, err = cli("--db", db, "user", "add", "--email", "x@council.gov.uk", "--role", "vsh")
    assert code == 1 and "password" in err and "12 characters" in err
    code, out, err = cli("--db", db, "user", "add", "--email", "y@council.gov.uk", "--role", "wizard")
    assert code == 1 and "--role = 'wizard'" in err
    code, out, err = cli("--db", db, "user", "add", "--email", "sw@council.gov.uk", "--role", "social_worker")
    assert code == 1 and "--person" in err
    monkeypatch.setattr("sys.stdin", io.StringIO("another long password\n"))
    code, out, err = cli("--db", db, "user", "set-password", "--email", "head@council.gov.uk")
    assert code == 0 and "signed out everywhere and may sign in at once" in out
    code, out, err = cli("--db", db, "user", "list")
    assert "head@council.gov.uk" in out and "Virtual School Head" in out and "second factor" in out
    from pepflow.db import make_engine
    with session_scope(make_engine(db)) as s:
        users = s.execute(select(UserAccount)).scalars().all()
    assert [u.email for u in users] == ["head@council.gov.uk"]
    assert users[0].password_hash.startswith("$argon2")


def test_a_bad_port_is_refused_before_anything_starts(cli, tmp_path):
    db = f"sqlite:///{tmp_path / 'p.db'}"
    for command in ("run", "web"):
        code, out, err = cli("--db", db, command, "--port", "70000")
        assert code == 1 and "--port = 70000" in err and "1 to 65535" in err, command


def test_a_deadline_clock_counts_in_its_own_unit_and_says_when_it_is_over(fresh_site):
    from pepflow.db.models import Child as ChildRow
    from pepflow.web.views import clock_text, deadline_clock

    assert clock_text(12, 20, "school") == "12 of 20 school days used"
    assert clock_text(23, 20, "school") == "3 school days over (20 allowed)"
    app = fresh_site.app
    with session_scope(app.engine) as s:
        child = s.get(ChildRow, "C00001")
        # Friday 13 to Friday 27 November 2026: 10 working days; on Monday 23rd, 6 of them used
        d = Deadline(child_ref="C00001", process="pep", kind="k", rule_key="k", rule_version="x",
                     opened_on=dt.date(2026, 11, 13), due_on=dt.date(2026, 11, 27), number=10, unit="working",
                     owner_role="social_worker")
        assert deadline_clock(s, app.config, child, d, dt.date(2026, 11, 23)) == "6 of 10 working days used"
        d.unit, d.due_on = "terms", dt.date(2026, 12, 18)
        assert deadline_clock(s, app.config, child, d, dt.date(2026, 11, 23)) == "10 of 35 calendar days used"
        d.opened_on, d.due_on = dt.date(2026, 11, 20), dt.date(2026, 7, 22)  # brought in already late
        assert deadline_clock(s, app.config, child, d, dt.date(2026, 11, 23)) == "124 calendar days over"


def test_no_page_handler_runs_database_work_on_the_event_loop():
    """Database work and password checks run in the thread pool: a handler on the event loop
    (``async def``) would hold up every other request, static files included, while it ran.  The
    one exception answers from a kept list on the loop and sends everything else to the thread
    pool (issue 42: routes/peps.py)."""
    import inspect

    from pepflow.web.routes import ROUTERS

    routes = [r for router in ROUTERS for r in router.routes]
    assert len(routes) >= 12
    on_the_loop = [r for r in routes if inspect.iscoroutinefunction(r.endpoint)]
    assert [r.path for r in on_the_loop] == ["/peps/overdue"]
    source = inspect.getsource(inspect.getmodule(on_the_loop[0].endpoint))
    assert source.count("await anyio.to_thread.run_sync(") == 2  # the list worked out; the download counted


def test_the_overdue_list_is_kept_while_case_pages_are_viewed_and_worked_out_after_a_change(fresh_site, monkeypatch):
    """Views and downloads write history rows that are not changes: the kept list outlives them
    (web/freshness.py); an event recorded is a change, and the next page counts it."""
    from pepflow.engine.recording import record_event
    from pepflow.web import overdue

    worked_out = []
    real = overdue.overdue_peps
    monkeypatch.setattr(overdue, "overdue_peps", lambda *a, **k: worked_out.append(1) or real(*a, **k))
    client = signed_in_client(fresh_site, "vs_admin")
    first = client.get("/peps/overdue").text
    ref = re.search(r'href="/children/([^"/?]+)"', first).group(1)
    assert client.get(f"/children/{ref}").status_code == 200
    assert client.get("/peps/overdue?format=csv").status_code == 200
    assert client.get("/peps/overdue").text.count(ref) == first.count(ref)
    assert len(worked_out) == 1
    with session_scope(fresh_site.app.engine) as s:
        record_event(s, fresh_site.app.config, ref, "left_care", TODAY.isoformat(), TODAY)
    assert f"/children/{ref}\"" not in client.get("/peps/overdue").text
    assert len(worked_out) == 2


def test_overdue_pages_in_due_order_are_the_lists_own_order_both_ways(site):
    """Pages are merged from each kind's soonest deadlines (web/overdue.py, _soonest_due_statement): the
    same rows in the same order as the whole list sorted."""
    client = signed_in_client(site, "vs_admin")
    for order in ("asc", "desc"):
        whole = [line.split(",")[0] for line in
                 client.get(f"/peps/overdue?sort=due&order={order}&format=csv").text.splitlines()[1:]]
        shown = []
        for page in range(1, min(3, -(-len(whole) // 50)) + 1):
            html = client.get(f"/peps/overdue?sort=due&order={order}&page={page}").text
            shown += re.findall(r'<a class="govuk-link" href="/children/([^"/?]+)"', html)
        assert shown == whole[:len(shown)] and len(shown) == min(len(whole), 150)


def test_the_overdue_count_follows_a_recorded_event_at_once(fresh_site):
    """Counts are kept until the next history row (web/freshness.py): an event that closes
    overdue deadlines is counted on the very next page."""
    from pepflow.engine.recording import record_event
    from pepflow.reports.listings import PEP_KINDS

    def count() -> int:
        page = client.get("/peps/overdue").text
        return int(re.search(r"<strong>(\d+)</strong> overdue PEP deadline", page).group(1))

    client = signed_in_client(fresh_site, "vs_admin")
    before = count()
    assert count() == before  # kept
    with session_scope(fresh_site.app.engine) as s:
        ref = s.execute(select(Deadline.child_ref).where(Deadline.status == "open", Deadline.kind.in_(PEP_KINDS),
                                                         Deadline.due_on < TODAY)).scalars().first()
        theirs = len(s.execute(select(Deadline.id).where(Deadline.child_ref == ref, Deadline.status == "open",
                                                         Deadline.kind.in_(PEP_KINDS), Deadline.due_on < TODAY)).all())
        record_event(s, fresh_site.app.config, ref, "left_care", TODAY.isoformat(), TODAY)
    assert count() == before - theirs


def test_a_csv_download_records_how_many_rows_it_sent(site):
    client = signed_in_client(site, "vs_officer")
    for query in ("", "&min_days=20", "&key_stage=KS2"):
        lines = client.get(f"/peps/overdue?format=csv{query}").text.splitlines()
        with session_scope(site.app.engine) as s:
            last = s.execute(select(Event).where(Event.name == "csv_downloaded").order_by(Event.id.desc())).scalars().first()
        assert last.payload["rows"] == len(lines) - 1 and last.payload["list"] == "overdue-peps.csv"
