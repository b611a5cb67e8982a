"""The second step of a local account's sign-in: a code from an authenticator app (or a
recovery code), or setting the app up when the account's role must use one; and VS admin's
page choosing who must.  The password step (``account.sign_in``) leaves a signed, ten-minute
"halfway" cookie; nothing here starts a session without it.  Every outcome is a security
event; wrong codes are throttled like passwords, per account."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from pepflow.audit.disclosures import security_event
from pepflow.accounts.access import ROLES
from pepflow.accounts.totp import (EVERYONE, CodeRefused, recovery_codes_left, required_setting, set_required, set_up,
                              set_up_details, verify)
from pepflow.calendars import format_moment
from pepflow.accounts.throttle import Policy, attempt_succeeded, begin_attempt
from pepflow.web.sessions import HALFWAY_COOKIE, SIGN_IN_COOKIE
from pepflow.web.site import CheckedFormDep, DatabaseDep, FormDep, Site, SiteDep, VisitorDep, leave_notice, require, take_notice
from pepflow.web.routes.account import client_of, finish_sign_in, safe_next

router = APIRouter()


def _halfway(site: Site, request: Request, s):
    return site.store.halfway_of(s, request.cookies.get(site.cookie(request, HALFWAY_COOKIE)), site.app.clock.now())


def _page(site: Site, request: Request, template: str, status: int = 200, **context):
    token = site.store.sign_in_form_token()
    response = site.render(request, template, status, csrf=token, **context)
    site.set_cookie(request, response, SIGN_IN_COOKIE, token)
    return response


def _start_again(next_path: str) -> RedirectResponse:
    return RedirectResponse(f"/sign-in?next={quote(next_path, safe='')}", status_code=303)


def _set_up_context(site: Site, user, secret: str) -> dict:
    return set_up_details(secret, user.email, site.app.config.settings.authority_name)


@router.get("/sign-in/code")
def code_form(request: Request, site: SiteDep, s: DatabaseDep, next: str = "/"):
    halfway = _halfway(site, request, s)
    if halfway is None or halfway[1]:
        return _start_again(safe_next(next))
    return _page(site, request, "second_factor_code.html.j2", next_path=safe_next(next), errors=[])


@router.post("/sign-in/code")
def code_given(request: Request, site: SiteDep, s: DatabaseDep, form: FormDep):
    next_path = safe_next(form.get("next"))
    halfway = _halfway(site, request, s)
    if halfway is None or halfway[1]:
        return _start_again(next_path)
    if not site.store.sign_in_form_ok(request.cookies.get(site.cookie(request, SIGN_IN_COOKIE)),
                                      form.get("csrf_token")):
        return _page(site, request, "second_factor_code.html.j2", 400, next_path=next_path,
                     errors=[("code", "The page had expired. Enter the code again.")])
    user, now = halfway[0], site.app.clock.now()
    key = [(f"second_factor:{user.id}", Policy.of(site.app.config.settings))]
    wait_until = begin_attempt(s, key, now)
    s.commit()
    if wait_until is not None:
        security_event(s, "second_factor_refused", site.app.today(), {
            "account": user.email, "client": client_of(request), "reason": "too many attempts: throttled"})
        s.commit()
        return _page(site, request, "second_factor_code.html.j2", 429, next_path=next_path, errors=[(
            "code", f"There have been too many wrong codes for this account. Wait until {format_moment(wait_until)}, "
                    "then try again.")])
    try:
        how = verify(s, user, form.get("code", ""), now)
    except CodeRefused as exc:
        s.rollback()
        security_event(s, "second_factor_refused", site.app.today(), {
            "account": user.email, "client": client_of(request), "reason": str(exc)[:200]})
        s.commit()
        return _page(site, request, "second_factor_code.html.j2", 400, next_path=next_path, errors=[("code", str(exc))])
    attempt_succeeded(s, [k for k, _ in key])
    if how == "recovery code":
        security_event(s, "recovery_code_used", site.app.today(), {
            "account": user.email, "client": client_of(request), "recovery_codes_left": recovery_codes_left(s, user)},
            actor=f"user:{user.email}")
    return finish_sign_in(site, request, s, user, next_path, RedirectResponse(next_path, status_code=303),
                          second_factor=how)


@router.get("/sign-in/set-up")
def set_up_form(request: Request, site: SiteDep, s: DatabaseDep, next: str = "/"):
    halfway = _halfway(site, request, s)
    if halfway is None or not halfway[1]:
        return _start_again(safe_next(next))
    user, secret = halfway
    return _page(site, request, "second_factor_set_up.html.j2", next_path=safe_next(next), errors=[],
                 **_set_up_context(site, user, secret))


@router.post("/sign-in/set-up")
def set_up_given(request: Request, site: SiteDep, s: DatabaseDep, form: FormDep):
    next_path = safe_next(form.get("next"))
    halfway = _halfway(site, request, s)
    if halfway is None or not halfway[1]:
        return _start_again(next_path)
    user, secret = halfway
    if not site.store.sign_in_form_ok(request.cookies.get(site.cookie(request, SIGN_IN_COOKIE)),
                                      form.get("csrf_token")):
        return _page(site, request, "second_factor_set_up.html.j2", 400, next_path=next_path,
                     errors=[("code", "The page had expired. Enter the code again.")],
                     **_set_up_context(site, user, secret))
    try:
        codes = set_up(s, user, secret, form.get("code", ""), site.app.clock.now())
    except CodeRefused as exc:
        s.rollback()
        return _page(site, request, "second_factor_set_up.html.j2", 400, next_path=next_path,
                     errors=[("code", str(exc))], **_set_up_context(site, user, secret))
    security_event(s, "second_factor_set_up", site.app.today(), {
        "account": user.email, "client": client_of(request), "recovery_codes": len(codes)},
        actor=f"user:{user.email}")
    page = site.render(request, "recovery_codes.html.j2", 200, codes=codes, next_path=next_path)
    return finish_sign_in(site, request, s, user, next_path, page, second_factor="authenticator app (set up now)")


@router.get("/settings/sign-in")
def sign_in_rules(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep):
    require(visitor, "sets_sign_in_rules")
    chosen = required_setting(s)
    return site.render(request, "sign_in_rules.html.j2", 200, visitor, roles=list(ROLES.values()),
                       everyone=chosen == EVERYONE, chosen=set() if chosen == EVERYONE else set(chosen),
                       notice=take_notice(s, visitor))


@router.post("/settings/sign-in")
def sign_in_rules_set(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, form: CheckedFormDep):
    require(visitor, "sets_sign_in_rules")
    everyone = form.get("everyone") == "yes"
    roles = [r for r in ROLES if form.get(f"role_{r}") == "yes"]
    set_required(s, EVERYONE if everyone else roles)
    security_event(s, "second_factor_rule_set", site.app.today(), {
        "account": visitor.user.email, "required_for": EVERYONE if everyone else sorted(roles)}, actor=visitor.actor)
    if everyone:
        saved = "everyone must use a second factor."
    elif roles:
        saved = "a second factor is required for " + ", ".join(ROLES[r].label.lower() for r in roles) + "."
    else:
        saved = "no role must use a second factor."
    leave_notice(s, visitor, "Saved: " + saved + " It applies from each person's next sign-in.")
    s.commit()
    return RedirectResponse("/settings/sign-in", status_code=303)
