"""Signing in with the council's own accounts (issue 22), against a real OpenID provider: panva's
certified ``oidc-provider`` from the npm registry, run with Node on loopback, driven through
Chromium.  Council staff sign in with the button, get the role their groups map to (read again at
every sign-in, the account made at a first sign-in where the council allows it); an account in no
mapped group is refused; signing out ends the provider's session too; a tampered state and a
replayed code are refused."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit, parse_qs

import pytest
from sqlalchemy import select

from pepflow.config.settings import OidcSettings
from pepflow.db.connection import session_scope
from pepflow.db.models import Child, Event, UserAccount
from pepflow.accounts.oidc_tokens import OidcRefused
from pepflow.web.oidc import CouncilProvider

from .support.browser import CHROMIUM, missing, check_accessibility
from .websupport import build_site, served

BROWSER_TOOLS = Path(__file__).parent / "browser"
CLIENT_ID, CLIENT_SECRET = "pepflow-tests", "a-test-client-secret-of-some-length"
ACCOUNTS = {
    "sam": {"email": "sw01@example.org", "groups": ["g-social-workers"], "employee_id": "SW01"},
    "newcomer": {"email": "new.worker@example.org", "groups": ["g-social-workers"], "employee_id": "SW02"},
    "promoted": {"email": "dt01@example.org", "groups": ["g-social-workers", "g-vs-admins"], "employee_id": "SW03"},
    "finance": {"email": "finance.officer@example.org", "groups": ["g-finance"]},
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ports():
    problem = missing() or (None if (BROWSER_TOOLS / "node_modules" / "oidc-provider").exists()
                             else "oidc-provider is missing (run: npm ci --prefix tests/browser)")
    if problem is None and not shutil.which("node"):
        problem = "Node.js is not installed"
    if problem:
        if os.environ.get("PEPFLOW_REQUIRE_BROWSER") == "1":
            pytest.fail(f"the council sign-in tests must run here: {problem}")
        pytest.skip(problem)
    return {"provider": _free_port(), "web": _free_port()}


@pytest.fixture(scope="module")
def provider(ports):
    web = f"http://127.0.0.1:{ports['web']}"
    process = subprocess.Popen(
        ["node", "oidc_provider.mjs"], cwd=BROWSER_TOOLS, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "OIDC_PORT": str(ports["provider"]), "OIDC_CLIENT_ID": CLIENT_ID,
             "OIDC_CLIENT_SECRET": CLIENT_SECRET, "OIDC_REDIRECT_URI": f"{web}/sign-in/oidc/callback",
             "OIDC_POST_LOGOUT_URI": f"{web}/sign-in?signed_out=1", "OIDC_ACCOUNTS": json.dumps(ACCOUNTS)})
    ready = threading.Event()
    lines: list[str] = []

    def read():
        for line in process.stdout:
            lines.append(line)
            if line.startswith("ready"):
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    assert ready.wait(30), "the OpenID provider did not start:\n" + "".join(lines)
    yield f"http://127.0.0.1:{ports['provider']}"
    process.kill()
    process.wait(10)


@pytest.fixture(scope="module")
def site(tmp_path_factory, ports, provider):
    council = tmp_path_factory.mktemp("council")
    (council / "pepflow.toml").write_text(f'''[settings]
authority_name = "Testshire"
base_url = "http://127.0.0.1:{ports['web']}"

[settings.oidc]
issuer = "{provider}"
client_id = "{CLIENT_ID}"
button = "Sign in with your Testshire account"
scopes = "openid email profile"
role_claim = "groups"
person_claim = "employee_id"
create_accounts = true
roles = {{ "g-vs-admins" = "vs_admin", "g-social-workers" = "social_worker" }}
''')
    os.environ["PEPFLOW_OIDC_CLIENT_SECRET"] = CLIENT_SECRET
    try:
        built = build_site(f"sqlite:///{tmp_path_factory.mktemp('oidc') / 'web.db'}", children=30, schools=5,
                           config_dir=str(council))
        assert built.app.environment.oidc_client_secret == CLIENT_SECRET
    finally:
        del os.environ["PEPFLOW_OIDC_CLIENT_SECRET"]
    # the provider's tokens carry its real time: the site's clock is set to it
    built.clock.instant = built.clock.instant.fromtimestamp(time.time(), built.clock.instant.tzinfo)
    yield built
    built.app.engine.dispose()


@pytest.fixture(scope="module")
def server(site, ports):
    with served(site.app, ports["web"]) as address:
        yield address


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-dev-shm-usage"])
        yield launched
        launched.close()


@pytest.fixture
def context(browser, server):
    made = browser.new_context(base_url=server, bypass_csp=True)
    made.set_default_timeout(15000)
    yield made
    made.close()


@pytest.fixture
def policed(browser, server):
    """A browser that keeps the pages' own content security policy (no axe-core can be added)."""
    made = browser.new_context(base_url=server)
    made.set_default_timeout(15000)
    yield made
    made.close()


def _security(site, name: str) -> list[Event]:
    with session_scope(site.app.engine) as s:
        return list(s.execute(select(Event).where(Event.process == "security", Event.name == name)
                              .order_by(Event.id)).scalars())


def _sign_in_at_the_council(page, login: str, check_pages: bool = False) -> None:
    page.goto("/sign-in")
    if check_pages:
        check_accessibility(page)
    page.get_by_role("button", name="Sign in with your Testshire account").click()
    page.wait_for_url("**/interaction/**")  # the provider's own sign-in page
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password: the test provider's own pages")
    page.click("button[type=submit]")


def _name_of(site, email: str) -> str:
    """The name the header shows for an account: its person's (issue 38)."""
    from pepflow.db.models import Person

    with session_scope(site.app.engine) as s:
        account = s.execute(select(UserAccount).where(UserAccount.email == email)).scalar_one()
        return s.get(Person, account.person_ref).name


def test_council_staff_sign_in_with_their_council_account_and_get_their_mapped_role(site, context):
    page = context.new_page()
    _sign_in_at_the_council(page, "sam", check_pages=True)
    page.wait_for_url("**/my-work")
    assert f"{_name_of(site, 'sw01@example.org')} (Social worker)" in page.inner_text("header")
    check_accessibility(page)
    last = _security(site, "sign_in")[-1].payload
    assert (last["account"], last["role"], last["via"]) == ("sw01@example.org", "social_worker", "oidc")


def test_a_first_sign_in_makes_the_account_with_the_mapped_role_and_person(site, context):
    page = context.new_page()
    _sign_in_at_the_council(page, "newcomer")
    page.wait_for_url("**/my-work")
    with session_scope(site.app.engine) as s:
        made = s.execute(select(UserAccount).where(UserAccount.email == "new.worker@example.org")).scalar_one()
        assert (made.role, made.person_ref, made.password_hash) == ("social_worker", "SW02", "")
    assert _security(site, "account_updated_from_provider")[-1].payload["changes"] == ["account made as social worker"]


def test_the_role_is_read_again_at_each_sign_in_the_first_mapping_winning(site, context):
    page = context.new_page()
    _sign_in_at_the_council(page, "promoted")  # was the demo's designated teacher; now in both groups
    page.wait_for_url("**/my-work")
    assert f"{_name_of(site, 'dt01@example.org')} (Virtual School admin)" in page.inner_text("header")
    changes = _security(site, "account_updated_from_provider")[-1].payload
    assert changes["matched"] == "g-vs-admins" and "role designated_teacher to vs_admin" in changes["changes"]


def test_an_account_in_no_mapped_group_is_refused_with_a_page_that_says_what_to_do(site, context):
    page = context.new_page()
    _sign_in_at_the_council(page, "finance")
    page.wait_for_selector("h1:has-text('You cannot sign in to pepflow with this account')")
    assert "no pepflow role is mapped to this account's 'groups' (g-finance)" in page.inner_text("main")
    check_accessibility(page)
    refused = _security(site, "sign_in_refused")[-1].payload
    assert refused["via"] == "oidc" and "g-finance" in refused["reason"]
    assert refused["email"] == "finance.officer@example.org" and refused["subject"] == "finance"  # whose account
    assert page.goto("/my-work").url.split("?")[0].endswith("/sign-in")


def test_signing_out_ends_the_council_session_too_under_the_pages_own_policy(site, policed):
    page = policed.new_page()
    blocked: list[str] = []
    page.on("console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text
            else None)
    _sign_in_at_the_council(page, "sam")
    page.wait_for_url("**/my-work")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/session/end**")  # the provider asks before ending its own session
    page.click("button[autofocus], button[type=submit]")
    page.wait_for_url("**/sign-in?signed_out=1")
    assert _security(site, "sign_out")[-1].payload["provider_sign_out"] is True
    page.get_by_role("button", name="Sign in with your Testshire account").click()
    page.wait_for_url("**/interaction/**")  # asked to sign in again: the provider's session ended
    assert not blocked, blocked


def test_a_tampered_state_and_a_replayed_code_are_refused(site, browser, server, context):
    seen: dict = {}
    page = context.new_page()
    page.on("request", lambda request: seen.setdefault("url", request.url)
            if "/sign-in/oidc/callback" in request.url else None)
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in with your Testshire account").click()
    page.wait_for_url("**/interaction/**")
    seen["cookies"] = [c for c in context.cookies() if c["name"].endswith("pepflow_oidc")]
    assert seen["cookies"], "the sign-in keeps its state in a cookie while at the provider"
    page.fill("input[name=login]", "sam")
    page.fill("input[name=password]", "any password")
    page.click("button[type=submit]")
    page.wait_for_url("**/my-work")

    query = parse_qs(urlsplit(seen["url"]).query)
    tampered = f"{server}/sign-in/oidc/callback?" + urlencode({"code": query["code"][0], "state": "x" + query["state"][0]})
    other_issuer = f"{server}/sign-in/oidc/callback?" + urlencode(
        {"code": query["code"][0], "state": query["state"][0], "iss": "https://evil.example"})
    for url, why in ((tampered, "the answer's state is not the one this browser was given"),
                     (other_issuer, "not the council's sign-in service"),
                     (seen["url"], "the sign-in service refused the code: invalid_grant")):
        attacker = browser.new_context(base_url=server)
        attacker.add_cookies(seen["cookies"])
        tab = attacker.new_page()
        tab.goto(url)
        assert why in tab.inner_text("main"), tab.inner_text("main")
        assert "/my-work" not in tab.url
        attacker.close()
    reasons = [e.payload["reason"] for e in _security(site, "sign_in_refused")]
    assert any("state" in r for r in reasons) and any("invalid_grant" in r for r in reasons)


def test_a_discovery_document_for_another_issuer_is_refused(provider):
    """The same server reached by another name: its document names its own issuer, not ours."""
    other_name = provider.replace("127.0.0.1", "localhost")
    council = CouncilProvider(OidcSettings(issuer=other_name, client_id=CLIENT_ID), CLIENT_SECRET, "http://x/cb")
    with pytest.raises(OidcRefused, match="says its issuer is"):
        council.metadata()


@pytest.mark.parametrize("login, role", [("sam", "social_worker"), ("promoted", "vs_admin")])
def test_the_role_table_holds_for_accounts_that_came_through_the_council(site, context, login, role):
    from pepflow.accounts.access import ROLES

    from .websupport import visible_refs

    page = context.new_page()
    _sign_in_at_the_council(page, login)
    page.wait_for_url("**/my-work")
    info = ROLES[role]

    def status(path: str) -> int:
        return context.request.get(path, max_redirects=0).status

    assert status("/compliance") == (200 if info.sees_reports else 403)
    assert status("/outbox") == (200 if info.sees_outbox else 403)
    assert status("/settings/sign-in") == (200 if info.sets_sign_in_rules else 403)
    assert status("/decisions") == (200 if role in ("vsh", "vs_admin", "vs_officer") else 403)
    with session_scope(site.app.engine) as s:
        everyone = {c.ref for c in s.execute(select(Child)).scalars()}
    mine = visible_refs(site.app, role)  # sam is SW01, the demo social worker
    assert all(status(f"/children/{ref}") == 200 for ref in sorted(mine)[:3])
    assert all(status(f"/children/{ref}") == 404 for ref in sorted(everyone - mine)[:3])


def test_an_expired_id_token_is_refused(site, context):
    """pepflow's clock an hour past the provider's: the provider's fresh ID token has expired by it."""
    site.clock.advance(hours=1)
    try:
        page = context.new_page()
        page.goto("/sign-in")
        page.get_by_role("button", name="Sign in with your Testshire account").click()
        page.wait_for_url("**/interaction/**")
        page.fill("input[name=login]", "sam")
        page.fill("input[name=password]", "any password")
        page.click("button[type=submit]")
        page.wait_for_selector("h1:has-text('You cannot sign in to pepflow with this account')")
        assert "the ID token was refused" in page.inner_text("main") and "expired" in page.inner_text("main")
    finally:
        site.clock.advance(hours=-1)


def test_an_id_token_not_signed_with_the_keys_pepflow_trusts_is_refused(site, context, monkeypatch):
    """As if the token came signed by someone else: pepflow is given another key set, and still
    refuses after reading the provider's keys again (the rotation path gets the same keys)."""
    from joserfc.jwk import KeySet, RSAKey

    stranger = KeySet([RSAKey.generate_key(2048)]).as_dict(private=False)
    monkeypatch.setattr(CouncilProvider, "jwks", lambda self, refresh=False: stranger)
    page = context.new_page()
    _sign_in_at_the_council(page, "sam")
    page.wait_for_selector("h1:has-text('You cannot sign in to pepflow with this account')")
    assert "the ID token's signature is not the provider's" in page.inner_text("main")
