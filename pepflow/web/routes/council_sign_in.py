"""Signing in with the council's own account (OpenID Connect, authorization code flow with PKCE).

``/sign-in/oidc`` sends the browser to the council's provider with a fresh state, nonce and PKCE
verifier, kept in a signed ten-minute cookie; ``/sign-in/oidc/callback`` takes the provider's
answer: the state must be this browser's, the code is exchanged for tokens (a code used before is
refused by the provider), the ID token is checked (``sign_in_oidc.check_id_token``), and the
council's mapping gives the role (``account_from_claims``).  The account's role and person are
re-read at every sign-in.  Each refusal is a page that says what to do, and a security event."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from pepflow.accounts.local import account_for_identity
from pepflow.audit.disclosures import security_event
from pepflow.accounts.oidc_tokens import OidcRefused, account_from_claims, check_id_token, names_a_key_not_in
from pepflow.web.sessions import OIDC_COOKIE
from pepflow.web.site import DatabaseDep, Site, SiteDep
from pepflow.web.routes.account import client_of, finish_sign_in, safe_next

router = APIRouter()


def _refused(site: Site, request: Request, s, reason: str, email: str = "", status: int = 403, subject: str = ""):
    """The refusal page, and a security event naming the account where the provider's signed
    token said whose it was (its email, or its subject when it gives none)."""
    security_event(s, "sign_in_refused", site.app.today(), {
        "email": email[:254], "client": client_of(request), "reason": reason[:300], "via": "oidc",
        **({"subject": subject[:200]} if subject else {})})
    s.commit()
    response = site.render(request, "council_sign_in_refused.html.j2", status, reason=reason, email=email)
    site.delete_cookie(request, response, OIDC_COOKIE)
    return response


@router.get("/sign-in/oidc")
def council_sign_in(request: Request, site: SiteDep, s: DatabaseDep, next: str = "/"):
    provider = site.council_provider()
    if provider is None:
        return RedirectResponse("/sign-in", status_code=303)
    state, nonce, verifier = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(48)
    try:
        url = provider.authorization_url(state, nonce, verifier)
    except OidcRefused as exc:
        return _refused(site, request, s, str(exc), status=502)
    response = RedirectResponse(url, status_code=303)
    site.set_cookie(request, response, OIDC_COOKIE,
                    site.store.oidc_cookie(state, nonce, verifier, safe_next(next), site.app.clock.now()))
    return response


@router.get("/sign-in/oidc/callback")
def council_sign_in_returned(request: Request, site: SiteDep, s: DatabaseDep, code: str = "", state: str = "",
                             error: str = "", error_description: str = "", iss: str = ""):
    provider = site.council_provider()
    if provider is None:
        return RedirectResponse("/sign-in", status_code=303)
    kept = site.store.oidc_of(request.cookies.get(site.cookie(request, OIDC_COOKIE)), site.app.clock.now())
    if kept is None:
        return _refused(site, request, s, "the sign-in was not started from this browser, or took over ten minutes",
                        status=400)
    if not secrets.compare_digest(state.encode(), str(kept["state"]).encode()):
        return _refused(site, request, s, "the answer's state is not the one this browser was given", status=400)
    if iss and iss != provider.settings.issuer:  # RFC 9207: an answer from another provider (a mix-up)
        return _refused(site, request, s, f"the answer came from {iss[:100]!r}, not the council's sign-in service",
                        status=400)
    if error:
        return _refused(site, request, s, f"the council's sign-in said: {error}"
                        + (f" ({error_description[:150]})" if error_description else ""))
    claims: dict | None = None
    try:
        tokens = provider.exchange(code, kept["verifier"])
        settings = provider.settings
        keys = provider.jwks()
        if names_a_key_not_in(tokens["id_token"], keys):  # a key the provider has just begun to use
            keys = provider.jwks(refresh=True)
        claims = check_id_token(tokens["id_token"], keys, issuer=settings.issuer, client_id=settings.client_id,
                                nonce=kept["nonce"], now=site.app.clock.now())
        identity = account_from_claims(claims, settings)
        user, changes = account_for_identity(s, identity, settings.create_accounts)
    except OidcRefused as exc:
        s.rollback()
        said = claims or {}  # only what a checked token said
        email = str(said.get(provider.settings.email_claim) or said.get("email") or "")
        return _refused(site, request, s, str(exc), email=email, subject=str(said.get("sub") or ""))
    if changes:
        security_event(s, "account_updated_from_provider", site.app.today(), {
            "account": user.email, "changes": changes, "matched": identity.matched}, actor=f"user:{user.email}")
    next_path = safe_next(kept.get("next"))
    response = finish_sign_in(site, request, s, user, next_path, RedirectResponse(next_path, status_code=303),
                              via="oidc")
    site.delete_cookie(request, response, OIDC_COOKIE)
    return response
