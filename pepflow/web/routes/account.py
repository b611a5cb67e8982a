"""Signing in and out, and the home page.

A sign-in is throttled (``pepflow.accounts.throttle``) before its password is checked: the attempt is
counted in a transaction of its own, then argon2 runs in the thread pool with no
transaction open, then the outcome is recorded.  Every message is the same whether or not
the email address has an account.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from pepflow.accounts.local import SignInRefused, account_for, authenticate
from pepflow.calendars import format_moment
from pepflow.audit.disclosures import security_event
from pepflow.accounts.totp import has_second_factor, must_use, new_secret
from pepflow.accounts.oidc_tokens import OidcRefused
from pepflow.accounts.throttle import Policy, account_key, attempt_succeeded, begin_attempt, client_key, device_key
from pepflow.web.sessions import COOKIE, DEVICE_COOKIE, DEVICE_LIFETIME, HALFWAY_COOKIE, SIGN_IN_COOKIE
from pepflow.web.site import CheckedFormDep, DatabaseDep, FormDep, Site, SiteDep, VisitorDep

router = APIRouter()


def safe_next(value: str | None) -> str:
    return value if value and value.startswith("/") and not value.startswith("//") else "/"


def client_of(request: Request) -> str:
    return request.client.host if request.client else ""


def sign_in_page(site: Site, request: Request, next_path: str, errors: list[tuple[str, str]] | None = None,
                 email: str = "", status: int = 200, notice: str = "") -> HTMLResponse:
    token = site.store.sign_in_form_token()
    oidc = site.app.config.settings.oidc
    response = site.render(request, "sign_in.html.j2", status, csrf=token, next_path=next_path,
                           errors=errors or [], email=email, notice=notice,
                           council_button=oidc.button if oidc else "",
                           council_href="/sign-in/oidc?next=" + quote(next_path, safe=""))
    site.set_cookie(request, response, SIGN_IN_COOKIE, token)
    return response


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, site: SiteDep, next: str = "/", ended: str = "", signed_out: str = ""):
    settings = site.app.config.settings
    notice = ("You have been signed out: the service was not used for "
              f"{settings.session_idle_minutes} minutes, or {settings.session_lifetime_hours} hours have passed "
              "since you signed in, or the session was ended from another browser."
              if ended else "You have signed out." if signed_out else "")
    return sign_in_page(site, request, safe_next(next), notice=notice)


@router.post("/sign-in")
def sign_in(request: Request, site: SiteDep, s: DatabaseDep, form: FormDep):
    """Plain ``def``: argon2 takes tens of milliseconds a password, in the thread pool."""
    next_path = safe_next(form.get("next"))
    email, password = form.get("email", "").strip(), form.get("password", "")
    if not site.store.sign_in_form_ok(request.cookies.get(site.cookie(request, SIGN_IN_COOKIE)),
                                      form.get("csrf_token")):
        return sign_in_page(site, request, next_path, [("email", "The sign-in page had expired. Sign in again.")],
                            email, 400)
    errors = []
    if not email:
        errors.append(("email", "Enter your email address"))
    if not password:
        errors.append(("password", "Enter your password"))
    if errors:
        return sign_in_page(site, request, next_path, errors, email, 400)
    now, client = site.app.clock.now(), client_of(request)
    settings = site.app.config.settings
    owner = account_for(s, email)
    device = site.store.device_of(request.cookies.get(site.cookie(request, DEVICE_COOKIE)), owner)
    if device:  # the owner's own browser: only its own failures count
        keys = [(device_key(device), Policy.of(settings))]
    else:
        keys = [(account_key(email), Policy.of(settings)), (client_key(client), Policy.of(settings, per_address=True))]
    wait_until = begin_attempt(s, keys, now)
    s.commit()
    if wait_until is not None:
        security_event(s, "sign_in_refused", site.app.today(), {"email": email[:254], "client": client,
                                                                "reason": "too many attempts: throttled"})
        s.commit()
        seconds = max(1, int((wait_until - now).total_seconds() + 0.999))
        return sign_in_page(site, request, next_path, [("email", (
            "There have been too many sign-in attempts with this email address or from your network. "
            f"Wait until {format_moment(wait_until)} ({seconds} second{'s' if seconds != 1 else ''} from now), "
            "then try again. If you have forgotten your password, ask a Virtual School admin to set a new one."))],
            email, 429)
    try:
        user = authenticate(s, owner, password)
    except SignInRefused as exc:
        security_event(s, "sign_in_refused", site.app.today(), {"email": email[:254], "client": client,
                                                                "reason": str(exc)[:200]})
        s.commit()
        return sign_in_page(site, request, next_path, [("email", str(exc))], email, 400)
    attempt_succeeded(s, [key for key, _ in keys])
    if has_second_factor(user) or must_use(s, user):  # the code (or its set-up) comes next
        security_event(s, "password_accepted", site.app.today(), {
            "account": user.email, "client": client,
            "next": "second factor" if has_second_factor(user) else "second factor set-up"},
            actor=f"user:{user.email}")
        s.commit()
        step = "/sign-in/code" if has_second_factor(user) else "/sign-in/set-up"
        response = RedirectResponse(f"{step}?next={quote(next_path, safe='')}", status_code=303)
        site.set_cookie(request, response, HALFWAY_COOKIE, site.store.halfway_cookie(
            user, now, "" if has_second_factor(user) else new_secret()))
        site.delete_cookie(request, response, SIGN_IN_COOKIE)
        return response
    return finish_sign_in(site, request, s, user, next_path, RedirectResponse(next_path, status_code=303),
                          trusted_browser=bool(device))


def finish_sign_in(site: Site, request: Request, s, user, next_path: str, response,
                   trusted_browser: bool = False, second_factor: str = "", via: str = ""):
    """Start ``user``'s session on ``response``: the session and device cookies, and the
    sign_in security event (with how the second factor was given, if one was)."""
    client = client_of(request)
    device = site.store.device_of(request.cookies.get(site.cookie(request, DEVICE_COOKIE)), user)
    cookie = site.store.start(s, user, site.app.clock.now(), client, request.headers.get("user-agent", ""), via)
    details = {"account": user.email, "role": user.role, "client": client, "trusted_browser": trusted_browser}
    if via:
        details["via"] = via
    if second_factor:
        details["second_factor"] = second_factor
    security_event(s, "sign_in", site.app.today(), details, actor=f"user:{user.email}")
    s.commit()
    site.set_cookie(request, response, COOKIE, cookie)
    site.set_cookie(request, response, DEVICE_COOKIE, site.store.device_cookie(user, device),
                    max_age=int(DEVICE_LIFETIME.total_seconds()))
    site.delete_cookie(request, response, SIGN_IN_COOKIE)
    site.delete_cookie(request, response, HALFWAY_COOKIE)
    return response


@router.post("/sign-out")
def sign_out(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, _form: CheckedFormDep):
    via = visitor.session_row.via
    site.store.end(s, s.merge(visitor.session_row))
    after = "/sign-in?signed_out=1"
    provider = site.council_provider() if via == "oidc" else None
    if provider is not None:  # the council's session too, where its provider offers a sign-out
        try:
            after = provider.sign_out_url(site.app.config.settings.base_url.rstrip("/") + after) or after
        except OidcRefused:
            pass  # the provider cannot be reached: pepflow's own session has ended
    security_event(s, "sign_out", site.app.today(), {"account": visitor.user.email, **(
        {"provider_sign_out": after.startswith("http")} if via else {})}, actor=visitor.actor)
    s.commit()
    if after.startswith("http"):
        # the page's own policy (form-action 'self') forbids the form's redirect to another site, so the
        # provider's sign-out is reached from a page of pepflow's own: a refresh, and a button if it is blocked
        response = site.render(request, "signed_out_continue.html.j2", 200, provider_url=after)
    else:
        response = RedirectResponse(after, status_code=303)
    site.delete_cookie(request, response, COOKIE)
    return response


@router.get("/")
def home(visitor: VisitorDep):
    return RedirectResponse("/my-work" if visitor.role.casework else "/pp-plus/payments", status_code=303)
