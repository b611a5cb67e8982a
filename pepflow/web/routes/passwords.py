"""'Forgot your password?' and the page a password link opens: no one is signed in on either.

The forgot page gives the same answer whether or not an account uses the address (nobody can
learn who has an account from it) and is throttled like signing in (service/people.py).  The
link's page sets the password once; the link's token is in the address, so the page sends no
referrer and is never stored by the browser (app.secured).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from pepflow.accounts.password_links import link_for, use_link
from pepflow.audit.disclosures import security_event
from pepflow.errors import InputError
from pepflow.service.people import forgot_password
from pepflow.web.routes.account import client_of, sign_in_page
from pepflow.web.sessions import SIGN_IN_COOKIE
from pepflow.web.site import DatabaseDep, FormDep, Site, SiteDep

router = APIRouter()
SENT = ("If an account signs in with that email address, we have sent it a link to set a new password. "
        "The link works once, for one hour. Check your inbox, and your junk folder.")


def _page(site: Site, request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    token = site.store.sign_in_form_token()
    response = site.render(request, template, status, csrf=token, **context)
    site.set_cookie(request, response, SIGN_IN_COOKIE, token)
    return response


def _form_ok(site: Site, request: Request, form) -> bool:
    return site.store.sign_in_form_ok(request.cookies.get(site.cookie(request, SIGN_IN_COOKIE)),
                                      form.get("csrf_token"))


@router.get("/forgot-password", response_class=HTMLResponse)
def forgot_form(request: Request, site: SiteDep):
    return _page(site, request, "forgot_password.html.j2", errors=[], email="", sent="")


@router.post("/forgot-password")
def forgot(request: Request, site: SiteDep, s: DatabaseDep, form: FormDep):
    email = form.get("email", "").strip()[:254]
    if not _form_ok(site, request, form):
        return _page(site, request, "forgot_password.html.j2", 400, email=email, sent="",
                     errors=[("email", "The page had expired. Enter your email address again.")])
    if not email:
        return _page(site, request, "forgot_password.html.j2", 400, email="", sent="",
                     errors=[("email", "Enter your email address")])
    now = site.app.clock.now()
    wait_until = forgot_password(s, site.app.config, email, client_of(request), now, site.app.today())
    s.commit()
    if wait_until is not None:
        minutes = max(1, int((wait_until - now).total_seconds() + 59) // 60)
        return _page(site, request, "forgot_password.html.j2", 429, email=email, sent="", errors=[(
            "email", f"There have been too many requests for this address or from your network. "
                     f"Try again in {minutes} minute{'s' if minutes != 1 else ''}.")])
    return _page(site, request, "forgot_password.html.j2", email="", sent=SENT, errors=[])


@router.get("/password/{token}", response_class=HTMLResponse)
def set_password_form(request: Request, token: str, site: SiteDep, s: DatabaseDep):
    found = link_for(s, token, site.app.clock.now())
    if found is None:
        return _page(site, request, "password_link.html.j2", 410, token="", errors=[], dead=True, email="")
    return _page(site, request, "password_link.html.j2", token=token, errors=[], dead=False,
                 email=found[1].email, welcome=found[0].purpose == "welcome")


@router.post("/password/{token}")
def set_password(request: Request, token: str, site: SiteDep, s: DatabaseDep, form: FormDep):
    found = link_for(s, token, site.app.clock.now())
    if found is None:
        return _page(site, request, "password_link.html.j2", 410, token="", errors=[], dead=True, email="")
    context = {"token": token, "dead": False, "email": found[1].email, "welcome": found[0].purpose == "welcome"}
    if not _form_ok(site, request, form):
        return _page(site, request, "password_link.html.j2", 400, **context,
                     errors=[("password", "The page had expired. Enter your new password again.")])
    try:
        user = use_link(s, token, form.get("password", ""), form.get("confirm_password", ""), site.app.clock.now())
    except InputError as exc:
        s.rollback()
        field = "confirm_password" if exc.field == "confirm_password" else "password"
        said = {"confirm_password": "The password typed again", "link": "The link"}.get(exc.field, "Your new password")
        return _page(site, request, "password_link.html.j2", 400, **context, errors=[(field, f"{said} {exc.problem}")])
    security_event(s, "password_set", site.app.today(), {"account": user.email, "by": "a password link"})
    s.commit()
    return sign_in_page(site, request, "/", email=user.email,
                        notice="Your password is set. Sign in with it now.")
