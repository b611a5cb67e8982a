"""A second factor for local accounts (issue 22): VS admin chooses who must use one; such an
account sets up an authenticator app at its next sign-in by scanning a QR code and is given
recovery codes; afterwards every sign-in asks for a code, refusing a wrong or reused one; each
recovery code works once; VS admin (or IT) can reset a lost second factor.  Each step is a
security event."""

from __future__ import annotations

import datetime as dt
import html
import re

import pyotp
import pytest
from sqlalchemy import select

from pepflow.db import session_scope
from pepflow.db.models import Event, UserAccount
from pepflow.accounts.totp import CodeRefused, check_new_set_up

from .support.web import client_for, signed_in_client
from .websupport import EMAILS, csrf_of, sign_in



def _security(site, name: str) -> list[Event]:
    with session_scope(site.app.engine) as s:
        return list(s.execute(select(Event).where(Event.process == "security", Event.name == name)
                              .order_by(Event.id)).scalars())


def _require(site, **choice: str) -> None:
    admin = signed_in_client(site, "vs_admin")
    form = {"csrf_token": csrf_of(admin.get("/settings/sign-in").text), **choice}
    response = admin.post("/settings/sign-in", data=form, follow_redirects=True)
    assert response.status_code == 200 and "Saved:" in response.text


def _set_up(site, role: str = "designated_teacher"):
    """Sign in as ``role`` (which must use a second factor) and set up the app; returns the
    client, the secret and the recovery codes."""
    client = client_for(site)
    response = sign_in(client, role, next_path="/peps/overdue")
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in/set-up")
    page = client.get(response.headers["location"])
    assert page.status_code == 200 and '<div class="pepflow-qr"' in page.text and "<svg" in page.text
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")
    code = pyotp.TOTP(secret).at(site.clock.now())
    done = client.post("/sign-in/set-up", data={"csrf_token": csrf_of(page.text), "code": code,
                                                "next": "/peps/overdue"}, follow_redirects=False)
    assert done.status_code == 200, done.text
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", done.text)
    return client, secret, codes


def _code_step(client, site, code: str, next_path: str = "/"):
    page = client.get(f"/sign-in/code?next={next_path}")
    assert page.status_code == 200
    return client.post("/sign-in/code", data={"csrf_token": csrf_of(page.text), "code": code, "next": next_path},
                       follow_redirects=False)


def _sign_in_to_code_step(site, role: str = "designated_teacher"):
    client = client_for(site)
    response = sign_in(client, role)
    assert response.status_code == 303 and response.headers["location"].startswith("/sign-in/code")
    return client


def test_a_role_that_must_use_a_second_factor_sets_it_up_at_its_next_sign_in(fresh_site):
    _require(fresh_site, role_designated_teacher="yes")
    client, secret, codes = _set_up(fresh_site)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/peps/overdue").status_code == 200  # signed in by the set-up
    [made] = _security(fresh_site, "second_factor_set_up")
    assert made.payload["account"] == EMAILS["designated_teacher"] and made.payload["recovery_codes"] == 10
    assert _security(fresh_site, "sign_in")[-1].payload["second_factor"] == "authenticator app (set up now)"
    assert _security(fresh_site, "second_factor_rule_set")[-1].payload["required_for"] == ["designated_teacher"]
    # other roles are not asked
    assert sign_in(client_for(fresh_site), "social_worker").headers["location"] == "/"


def test_no_session_starts_before_the_second_factor(fresh_site):
    _require(fresh_site, everyone="yes")
    client = client_for(fresh_site)
    sign_in(client, "iro")
    assert client.get("/my-work", follow_redirects=False).status_code == 303  # to sign in, not the page
    wrong = client.post("/sign-in/set-up", data={"csrf_token": csrf_of(client.get("/sign-in/set-up").text),
                                                 "code": "000000", "next": "/"}, follow_redirects=False)
    assert wrong.status_code == 400 and "not the one your app shows" in html.unescape(wrong.text)
    assert client.get("/my-work", follow_redirects=False).status_code == 303


def test_every_later_sign_in_asks_for_a_code_and_refuses_a_wrong_or_reused_one(fresh_site):
    _require(fresh_site, role_designated_teacher="yes")
    _, secret, _ = _set_up(fresh_site)
    totp = pyotp.TOTP(secret)
    client = _sign_in_to_code_step(fresh_site)
    wrong = _code_step(client, fresh_site, "123456" if totp.at(fresh_site.clock.now()) != "123456" else "654321")
    assert wrong.status_code == 400 and "not right" in wrong.text
    reused = _code_step(client, fresh_site, totp.at(fresh_site.clock.now()))  # the set-up's own code
    assert reused.status_code == 400 and "used already" in html.unescape(reused.text)
    fresh_site.clock.advance(seconds=30)
    ok = _code_step(client, fresh_site, totp.at(fresh_site.clock.now()), "/exclusions")
    assert ok.status_code == 303 and ok.headers["location"] == "/exclusions"
    assert client.get("/exclusions").status_code == 200
    reasons = [e.payload["reason"] for e in _security(fresh_site, "second_factor_refused")]
    assert len(reasons) == 2 and "used already" in reasons[1]
    assert _security(fresh_site, "sign_in")[-1].payload["second_factor"] == "authenticator app"


def test_each_recovery_code_works_once(fresh_site):
    _require(fresh_site, role_designated_teacher="yes")
    _, _, codes = _set_up(fresh_site)
    first = _code_step(_sign_in_to_code_step(fresh_site), fresh_site, codes[0].upper())
    assert first.status_code == 303
    again = _code_step(_sign_in_to_code_step(fresh_site), fresh_site, codes[0])
    assert again.status_code == 400 and "used already" in html.unescape(again.text)
    assert _code_step(_sign_in_to_code_step(fresh_site), fresh_site, codes[1]).status_code == 303
    assert [e.payload["recovery_codes_left"] for e in _security(fresh_site, "recovery_code_used")] == [9, 8]


def test_wrong_codes_are_throttled_per_account(fresh_site):
    _require(fresh_site, role_designated_teacher="yes")
    _, secret, _ = _set_up(fresh_site)
    client = _sign_in_to_code_step(fresh_site)
    right = pyotp.TOTP(secret)
    statuses = []
    for n in range(7):
        guess = f"{n:06d}"
        if guess == right.at(fresh_site.clock.now()):
            continue
        statuses.append(_code_step(client, fresh_site, guess).status_code)
    assert statuses[:5] == [400] * 5 and 429 in statuses[5:]


def test_the_halfway_step_lasts_ten_minutes_and_ends_with_a_new_password(fresh_site):
    _require(fresh_site, role_designated_teacher="yes")
    _, secret, _ = _set_up(fresh_site)
    client = _sign_in_to_code_step(fresh_site)
    fresh_site.clock.advance(minutes=11)
    late = _code_step_without_page(client, pyotp.TOTP(secret).at(fresh_site.clock.now()))
    assert late.status_code == 303 and late.headers["location"].startswith("/sign-in?")
    client = _sign_in_to_code_step(fresh_site)
    from pepflow.accounts.local import set_password
    with session_scope(fresh_site.app.engine) as s:
        set_password(s, EMAILS["designated_teacher"], "a quite different passphrase 42")
    fresh_site.clock.advance(seconds=30)
    after = _code_step_without_page(client, pyotp.TOTP(secret).at(fresh_site.clock.now()))
    assert after.status_code == 303 and after.headers["location"].startswith("/sign-in?")


def _code_step_without_page(client, code: str):
    page = client.get("/sign-in")  # a sign-in form token of this server's, as the code page gives
    return client.post("/sign-in/code", data={"csrf_token": csrf_of(page.text), "code": code, "next": "/"},
                       follow_redirects=False)


def test_a_second_factor_is_reset_from_the_command_line_and_set_up_again(fresh_site, cli):
    _require(fresh_site, role_designated_teacher="yes")
    _set_up(fresh_site)
    code, out, err = cli("--db", str(fresh_site.app.engine.url), "user", "reset-2fa", "--email",
                         EMAILS["designated_teacher"])
    assert code == 0, err
    assert "will set up an authenticator app again at their next sign-in" in out
    with session_scope(fresh_site.app.engine) as s:
        user = s.execute(select(UserAccount).where(UserAccount.email == EMAILS["designated_teacher"])).scalar_one()
        assert user.totp_secret == "" and user.totp_set_up_at is None
    assert sign_in(client_for(fresh_site), "designated_teacher").headers["location"].startswith("/sign-in/set-up")
    assert _security(fresh_site, "second_factor_reset")[-1].payload["account"] == EMAILS["designated_teacher"]


def test_only_vs_admin_chooses_who_must_use_a_second_factor(fresh_site):
    head = signed_in_client(fresh_site, "vsh")
    assert head.get("/settings/sign-in").status_code == 403
    refused = head.post("/settings/sign-in", data={"csrf_token": csrf_of(head.get("/my-work").text), "everyone": "yes"})
    assert refused.status_code == 403
    assert sign_in(client_for(fresh_site), "vsh").headers["location"] == "/"


@pytest.mark.parametrize("offset, accepted", [(-60, False), (-30, True), (0, True), (30, True), (60, False)])
def test_a_code_is_accepted_for_its_own_half_minute_and_the_one_either_side(offset, accepted):
    secret = pyotp.random_base32()
    now = dt.datetime(2026, 11, 23, 12, 0, 10, tzinfo=dt.timezone.utc)
    code = pyotp.TOTP(secret).at(now + dt.timedelta(seconds=offset))
    if accepted:
        assert check_new_set_up(secret, code, now)
    else:
        with pytest.raises(CodeRefused):
            check_new_set_up(secret, code, now)


def test_anyone_may_set_up_a_second_factor_from_their_account_and_is_then_asked_for_codes(fresh_site):
    client = signed_in_client(fresh_site, "social_worker")  # a role not required to use one
    page = client.get("/account/second-factor")
    assert page.status_code == 200 and "You can choose to sign in with a code" in page.text
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")
    signed = re.search(r'name="secret" value="([^"]+)"', page.text).group(1)
    forged = client.post("/account/second-factor", data={"csrf_token": csrf_of(page.text), "code": "123456",
                                                         "secret": "JBSWY3DPEHPK3PXP"}, follow_redirects=False)
    assert forged.status_code == 303  # a secret this server did not sign is not taken
    done = client.post("/account/second-factor", data={"csrf_token": csrf_of(page.text), "secret": signed,
                                                       "code": pyotp.TOTP(secret).at(fresh_site.clock.now())})
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", done.text)
    assert done.status_code == 200 and len(codes) == 10
    assert _security(fresh_site, "second_factor_set_up")[-1].payload["from"] == "your account"
    assert sign_in(client_for(fresh_site), "social_worker").headers["location"].startswith("/sign-in/code")

    again = client.get("/account/second-factor")
    assert "You have 10 recovery codes left" in again.text
    renewed = client.post("/account/second-factor/recovery-codes", data={"csrf_token": csrf_of(again.text)})
    fresh = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", renewed.text)
    assert len(fresh) == 10 and "the codes you had before no longer work" in renewed.text
    old = _code_step(_sign_in_to_code_step(fresh_site, "social_worker"), fresh_site, codes[0])
    assert old.status_code == 400
    assert _code_step(_sign_in_to_code_step(fresh_site, "social_worker"), fresh_site, fresh[0]).status_code == 303


def test_moving_to_a_new_phone_needs_a_code_from_the_current_one(fresh_site):
    _require(fresh_site, role_designated_teacher="yes")
    client, old_secret, _ = _set_up(fresh_site)
    page = client.get("/account/second-factor")
    new_secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page.text).group(1).replace(" ", "")
    form = {"csrf_token": csrf_of(page.text), "secret": re.search(r'name="secret" value="([^"]+)"', page.text).group(1),
            "code": pyotp.TOTP(new_secret).at(fresh_site.clock.now())}
    without = client.post("/account/second-factor", data=form)
    assert without.status_code == 400 and "Enter the 6-digit code" in html.unescape(without.text)
    fresh_site.clock.advance(seconds=30)
    form["code"] = pyotp.TOTP(new_secret).at(fresh_site.clock.now())
    moved = client.post("/account/second-factor",
                        data={**form, "current_code": pyotp.TOTP(old_secret).at(fresh_site.clock.now())})
    assert moved.status_code == 200 and "Second factor set up" in moved.text
    with session_scope(fresh_site.app.engine) as s:
        user = s.execute(select(UserAccount).where(UserAccount.email == EMAILS["designated_teacher"])).scalar_one()
        assert user.totp_secret == new_secret
    assert "moving to a new phone" in _security(fresh_site, "second_factor_refused")[-1].payload["reason"]
