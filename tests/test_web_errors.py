"""Errors on the web pages: a value in the address pepflow cannot read is the GOV.UK error page
naming it (never a 500 or FastAPI's JSON echo), and every response, error pages included,
carries the security headers; HSTS behind HTTPS."""

from __future__ import annotations

from fastapi.testclient import TestClient

from pepflow.web.app import create_app

from .support.web import signed_in_client

HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Cache-Control")


def test_a_page_number_that_is_not_a_number_is_the_error_page_naming_it(fresh_site):
    response = signed_in_client(fresh_site, "vs_admin").get("/peps/overdue?page=abc")
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/html")
    assert "page = &#39;abc&#39;: must be a whole number" in response.text or "page = 'abc': must be a whole number" in response.text
    assert all(h in response.headers for h in HEADERS)


def test_an_absurd_number_of_days_is_a_form_error_not_a_server_error(fresh_site):
    response = signed_in_client(fresh_site, "vs_admin").get("/peps/overdue?min_days=99999999999")
    assert response.status_code == 400 and "Enter a whole number of days" in response.text


def test_a_server_error_page_carries_the_security_headers(fresh_site, monkeypatch):
    from pepflow.web import views

    client = signed_in_client(fresh_site, "vs_admin")
    monkeypatch.setattr(views, "my_work", lambda *a, **k: 1 / 0)
    plain = TestClient(create_app(fresh_site.app), raise_server_exceptions=False, cookies=client.cookies)
    response = plain.get("/my-work")
    assert response.status_code == 500 and "Sorry, there is a problem" in response.text
    assert all(h in response.headers for h in HEADERS) and "ZeroDivisionError" not in response.text


def test_hsts_is_sent_only_behind_https(fresh_site):
    client = TestClient(create_app(fresh_site.app))
    assert "Strict-Transport-Security" not in client.get("/sign-in").headers
    behind_tls = client.get("/sign-in", headers={"X-Forwarded-Proto": "https"})
    assert behind_tls.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_the_success_banner_is_a_one_time_message_from_the_server_never_from_the_address(fresh_site):
    from .support.web import child_in_state
    from .websupport import csrf_of

    ref = child_in_state(fresh_site, ("in_qa", "submitted"))
    client = signed_in_client(fresh_site, "vs_admin")
    forged = client.get(f"/children/{ref}?recorded=Your+account+is+suspended:+call+0800+000+000")
    assert "Success" not in forged.text and "suspended" not in forged.text
    token = csrf_of(client.get(f"/children/{ref}/record?event=pep_returned").text)
    done = client.post(f"/children/{ref}/record", data={"csrf_token": token, "event": "pep_returned",
                                                        "on": "2026-11-23", "reason": "targets not SMART"},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/children/{ref}"  # nothing in the address
    assert "Recorded: PEP returned for changes" in client.get(done.headers["location"]).text
    assert "Success" not in client.get(f"/children/{ref}").text  # shown once
    other = signed_in_client(fresh_site, "vsh").get(f"/children/{ref}")
    assert "Success" not in other.text  # someone else's recording is not theirs to be told of
