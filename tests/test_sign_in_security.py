"""Sign-in under attack, sessions and passwords (issue 18): a guesser is slowed without
locking the owner out and without learning which accounts exist; sessions end after a fixed
lifetime and can be ended from "Your sessions"; a password can be changed with the current
one and is checked against common and breached passwords and the person's own email and name."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from pepflow.db import session_scope
from pepflow.db.models import Event, UserAccount, WebSession
from pepflow.errors import InputError
from pepflow.accounts.passwords import check_new_password
from pepflow.accounts.throttle import Policy, wait_after

from .support.web import client_for, signed_in_client
from .websupport import EMAILS, PASSWORD, csrf_of, sign_in

POLICY = Policy(free_failures=5, first_wait_seconds=2, longest_wait_minutes=15, forget_after_hours=24)


def _security(site, name: str) -> list[Event]:
    with session_scope(site.app.engine) as s:
        return list(s.execute(select(Event).where(Event.process == "security", Event.name == name)
                              .order_by(Event.id)).scalars())


# ---- the waits ------------------------------------------------------------------------

def test_the_first_failures_are_free_then_each_wait_doubles_up_to_the_longest():
    assert [wait_after(n, POLICY).total_seconds() for n in range(4, 10)] == [0, 2, 4, 8, 16, 32]
    assert wait_after(20, POLICY) == dt.timedelta(minutes=15)
    assert wait_after(10**9, POLICY) == dt.timedelta(minutes=15)  # no huge power is worked out


def test_a_guesser_must_wait_after_five_wrong_passwords_and_the_waits_grow(fresh_site):
    guesser = client_for(fresh_site)
    for _ in range(5):
        assert sign_in(guesser, "vs_officer", password="wrong password!").status_code == 400
    throttled = sign_in(guesser, "vs_officer", password="wrong password!")
    assert throttled.status_code == 429
    assert "too many sign-in attempts with this email address or from your network" in throttled.text
    assert "2 seconds from now" in throttled.text
    # the right password during the wait is refused too, unchecked, so guessing on gains nothing
    assert sign_in(guesser, "vs_officer").status_code == 429
    fresh_site.clock.advance(seconds=2)
    assert sign_in(guesser, "vs_officer", password="wrong password!").status_code == 400
    assert "4 seconds from now" in sign_in(guesser, "vs_officer").text
    fresh_site.clock.advance(seconds=4)
    assert sign_in(guesser, "vs_officer").status_code == 303  # after the wait the owner's password works
    reasons = [e.payload["reason"] for e in _security(fresh_site, "sign_in_refused")]
    assert reasons.count("too many attempts: throttled") == 3


def test_the_owner_on_a_browser_that_signed_in_before_is_not_held_up_by_someone_elses_guesses(fresh_site):
    owner = signed_in_client(fresh_site, "vs_officer")  # gets the device cookie
    owner.post("/sign-out", data={"csrf_token": csrf_of(owner.get("/my-work").text)})
    guesser = client_for(fresh_site, client=("203.0.113.9", 4000))
    for _ in range(12):
        sign_in(guesser, "vs_officer", password="wrong password!")
        fresh_site.clock.advance(seconds=1)
    assert sign_in(guesser, "vs_officer").status_code == 429  # the guesser is slowed ...
    assert sign_in(owner, "vs_officer").status_code == 303  # ... the owner is not locked out
    assert _security(fresh_site, "sign_in")[-1].payload["trusted_browser"] is True


def test_a_throttled_sign_in_says_the_same_whether_or_not_the_account_exists(fresh_site):
    texts = []
    for email in (EMAILS["vs_officer"], "nobody.here@example.org"):
        client = client_for(fresh_site, client=(f"198.51.100.{len(texts) + 1}", 4000))
        for _ in range(5):
            sign_in(client, email, password="wrong password!")
        response = sign_in(client, email, password="wrong password!")
        assert response.status_code == 429
        texts.append(re.search(r'<p id="email-error"[^>]*>(.*?)</p>', response.text, re.S).group(1))
    assert texts[0] == texts[1]


def test_one_network_address_trying_many_accounts_is_slowed_too(fresh_site):
    client = client_for(fresh_site, client=("192.0.2.77", 4000))
    free = fresh_site.app.config.settings.sign_in_free_failures_per_address
    for n in range(free):
        assert sign_in(client, f"person{n}@example.org", password="wrong password!").status_code == 400
    assert sign_in(client, "someone.else@example.org", password="wrong password!").status_code == 429
    elsewhere = client_for(fresh_site, client=("192.0.2.78", 4000))
    assert sign_in(elsewhere, "vs_admin").status_code == 303  # other addresses are not affected


def test_successful_sign_ins_from_one_office_address_do_not_count_against_it(fresh_site):
    free = fresh_site.app.config.settings.sign_in_free_failures_per_address
    for _ in range(free + 5):
        assert sign_in(client_for(fresh_site), "vs_admin").status_code == 303


def test_the_sign_in_form_must_have_come_from_this_server(fresh_site):
    client = client_for(fresh_site)
    client.cookies.set("pepflow_signin", "made-up")
    response = client.post("/sign-in", data={"email": EMAILS["vs_admin"], "password": PASSWORD,
                                             "csrf_token": "made-up"}, follow_redirects=False)
    assert response.status_code == 400 and "had expired" in response.text


# ---- cookies over HTTPS ---------------------------------------------------------------

def test_over_https_the_cookies_carry_the_host_prefix_and_the_session_works(fresh_site):
    client = client_for(fresh_site, base_url="https://testserver")
    response = sign_in(client, "vs_admin")
    assert response.status_code == 303
    cookies = response.headers.get_list("set-cookie")
    session = next(c for c in cookies if c.startswith("__Host-pepflow_session="))
    assert "Secure" in session and "Path=/" in session and "Domain" not in session and "HttpOnly" in session
    assert any(c.startswith("__Host-pepflow_device=") for c in cookies)
    assert client.get("/my-work", follow_redirects=False).status_code == 200
    # over HTTPS a cookie without the prefix (one a subdomain or plain-HTTP page could set) is not read
    tossed = client_for(fresh_site, base_url="https://testserver")
    tossed.cookies.set("pepflow_session", client.cookies.get("__Host-pepflow_session"))
    assert tossed.get("/my-work", follow_redirects=False).status_code == 303


# ---- session lifetime and "Your sessions" ------------------------------------------------

def test_a_session_in_constant_use_ends_twelve_hours_after_signing_in(fresh_site):
    client = signed_in_client(fresh_site, "vs_admin")
    for _ in range(11 * 3 + 2):  # every 20 minutes for 11 h 40 min: never idle
        fresh_site.clock.advance(minutes=20)
        assert client.get("/my-work", follow_redirects=False).status_code == 200
    fresh_site.clock.advance(minutes=21)  # 12 h 1 min after signing in
    response = client.get("/my-work", follow_redirects=False)
    assert response.status_code == 303 and "ended=1" in response.headers["location"]
    assert "12 hours have passed since you signed in" in client.get(response.headers["location"]).text


def test_your_sessions_lists_your_browsers_and_ends_the_others(fresh_site):
    laptop = client_for(fresh_site, headers={"User-Agent": "Mozilla/5.0 (Windows NT 10.0) Chrome/131.0 Safari/537"})
    assert sign_in(laptop, "vsh").status_code == 303
    phone = client_for(fresh_site, client=("10.1.2.3", 5000),
                       headers={"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0) Safari/604.1"})
    assert sign_in(phone, "vsh").status_code == 303
    someone_else = signed_in_client(fresh_site, "vs_admin")
    page = laptop.get("/account/sessions").text
    assert "Chrome on Windows" in page and "This browser" in page and "Safari on iPhone" in page
    assert "10.1.2.3" in page and EMAILS["vs_admin"] not in page
    ids = re.findall(r'name="session" value="([0-9a-f]{20})"', page)
    assert len(ids) == 1  # only the other session has a button; this one signs out from the header
    done = laptop.post("/account/sessions/end", data={"csrf_token": csrf_of(page), "session": ids[0]})
    assert "1 other session has been signed out" in done.text
    assert phone.get("/my-work", follow_redirects=False).status_code == 303
    assert laptop.get("/my-work", follow_redirects=False).status_code == 200
    assert someone_else.get("/my-work", follow_redirects=False).status_code == 200
    # a session id from someone else's list ends nothing
    theirs = re.findall(r'name="session" value="([0-9a-f]{20})"', someone_else.get("/account/sessions").text)
    assert theirs == []
    ended = _security(fresh_site, "sessions_ended")
    assert [(e.payload["account"], e.payload["ended"]) for e in ended] == [(EMAILS["vsh"], 1)]


def test_ending_all_other_sessions_keeps_this_one(fresh_site):
    first, second, third = (signed_in_client(fresh_site, "vs_officer") for _ in range(3))
    page = first.get("/account/sessions").text
    done = first.post("/account/sessions/end", data={"csrf_token": csrf_of(page), "session": "others"})
    assert "2 other sessions have been signed out" in done.text
    assert [c.get("/my-work", follow_redirects=False).status_code for c in (first, second, third)] == [200, 303, 303]


# ---- changing one's own password ---------------------------------------------------------

def _change(client, current: str, new: str, again: str | None = None):
    page = client.get("/account/password").text
    return client.post("/account/password", data={"csrf_token": csrf_of(page), "current_password": current,
                                                  "new_password": new, "confirm_password": again or new})


def test_a_password_is_changed_with_the_current_one_and_other_sessions_end(fresh_site):
    client, elsewhere = signed_in_client(fresh_site, "iro"), signed_in_client(fresh_site, "iro")
    wrong = _change(client, "not my password at all", "violet harbour lantern")
    assert wrong.status_code == 400 and "Current password is not your current password" in wrong.text
    mismatch = _change(client, PASSWORD, "violet harbour lantern", "violet harbour lanterns")
    assert mismatch.status_code == 400 and "The two new passwords are not the same" in mismatch.text
    done = _change(client, PASSWORD, "violet harbour lantern")
    assert done.status_code == 200 and "Your password has been changed" in done.text
    assert "Your 1 other session was signed out" in done.text
    assert elsewhere.get("/my-work", follow_redirects=False).status_code == 303
    assert client.get("/my-work", follow_redirects=False).status_code == 200
    assert sign_in(client_for(fresh_site), "iro").status_code == 400  # the old password no longer works
    assert sign_in(client_for(fresh_site), "iro", password="violet harbour lantern").status_code == 303
    assert [e.payload["account"] for e in _security(fresh_site, "password_changed")] == [EMAILS["iro"]]
    assert len(_security(fresh_site, "password_change_refused")) == 1
    with session_scope(fresh_site.app.engine) as s:
        assert "violet" not in str([e.payload for e in s.execute(select(Event)).scalars()])


@pytest.mark.parametrize("weak, why", [
    ("aaaaaaaaaaaa", "Repeats like"),
    ("password1234", "very common password"),
    ("short", "at least 12 characters"),
])
def test_weak_new_passwords_are_refused_with_the_reason(fresh_site, weak, why):
    client = signed_in_client(fresh_site, "vs_admin")
    response = _change(client, PASSWORD, weak)
    assert response.status_code == 400 and why in response.text
    assert sign_in(client_for(fresh_site), "vs_admin").status_code == 303  # nothing changed


def test_a_password_with_the_persons_own_email_or_name_is_refused():
    with pytest.raises(InputError, match="must not contain your email address or your name"):
        check_new_password("jane.smith-2026-spring", "jane.smith@council.gov.uk")
    with pytest.raises(InputError, match="must not contain your email address or your name"):
        check_new_password("Okonkwo garden gate 7", "head@council.gov.uk", "Adaeze Okonkwo")
    check_new_password("violet harbour lantern", "jane.smith@council.gov.uk", "Jane Smith")


def test_a_breached_or_common_password_is_refused_from_the_command_line_too(cli, tmp_path, monkeypatch):
    import io

    db = f"sqlite:///{tmp_path / 'p.db'}"
    monkeypatch.setattr("sys.stdin", io.StringIO("qwertyuiop123\n"))
    code, out, err = cli("--db", db, "user", "add", "--email", "head@council.gov.uk", "--role", "vsh")
    assert code == 1 and "password" in err and "too easy to guess" in err
    with session_scope(__import__("pepflow.db", fromlist=["make_engine"]).make_engine(db)) as s:
        assert s.execute(select(UserAccount)).first() is None


def test_a_password_set_from_the_command_line_clears_the_waits_of_its_account(fresh_site, cli, monkeypatch):
    import io

    guesser = client_for(fresh_site)
    for _ in range(6):
        sign_in(guesser, "read_only", password="wrong password!")
    assert sign_in(guesser, "read_only").status_code == 429
    monkeypatch.setattr("sys.stdin", io.StringIO("amber meadow kettle\n"))
    code, out, err = cli("--db", fresh_site.app.url, "user", "set-password", "--email", EMAILS["read_only"])
    assert code == 0, err
    fresh_site.clock.advance(seconds=1)
    assert sign_in(guesser, "read_only", password="amber meadow kettle").status_code == 303
    with session_scope(fresh_site.app.engine) as s:
        assert s.execute(select(WebSession)).scalars().first() is not None


def test_guesses_sent_at_the_same_moment_are_each_counted_and_none_fails(fresh_site):
    """Eight first attempts at once for one new address: each row is made once (INSERT … ON
    CONFLICT DO NOTHING, then read locked), no request fails, and each attempt counts."""
    import threading

    from pepflow.db.models import SignInThrottle
    from pepflow.accounts.throttle import account_key

    email = "new.person@example.org"
    clients = [client_for(fresh_site, client=(f"203.0.113.{n}", 4000)) for n in range(8)]
    forms = [csrf_of(c.get("/sign-in").text) for c in clients]
    start, statuses = threading.Barrier(8), []

    def guess(client, token):
        start.wait()
        statuses.append(client.post("/sign-in", data={"email": email, "password": "wrong password!",
                                                      "csrf_token": token}, follow_redirects=False).status_code)

    threads = [threading.Thread(target=guess, args=pair) for pair in zip(clients, forms)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(statuses)) <= [400, 429] and len(statuses) == 8
    with session_scope(fresh_site.app.engine) as s:
        row = s.get(SignInThrottle, account_key(email))
        assert row.failures == statuses.count(400)
