"""Signing in and out, and the home page."""

from __future__ import annotations

import secrets
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ...accounts import SignInRefused, authenticate
from ...disclosures import security_event
from ..sessions import COOKIE
from ..site import CheckedFormDep, DatabaseDep, FormDep, Site, SiteDep, VisitorDep

router = APIRouter()
SIGN_IN_COOKIE = "pepflow_signin"


def safe_next(value: str | None) -> str:
    return value if value and value.startswith("/") and not value.startswith("//") else "/"


def sign_in_page(site: Site, request: Request, next_path: str, errors: list[tuple[str, str]] | None = None,
                 email: str = "", status: int = 200, notice: str = "") -> HTMLResponse:
    token = secrets.token_urlsafe(24)
    response = site.render(request, "sign_in.html.j2", status, csrf=token, next_path=next_path,
                           errors=errors or [], email=email, notice=notice)
    response.set_cookie(SIGN_IN_COOKIE, token, httponly=True, samesite="strict", secure=site.cookie_secure(request),
                        path="/sign-in")
    return response


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_form(request: Request, site: SiteDep, next: str = "/", ended: str = "", signed_out: str = ""):
    notice = ("You have been signed out because the page was not used for "
              f"{site.app.config.settings.session_idle_minutes} minutes, or you signed out elsewhere."
              if ended else "You have signed out." if signed_out else "")
    return sign_in_page(site, request, safe_next(next), notice=notice)


@router.post("/sign-in")
def sign_in(request: Request, site: SiteDep, s: DatabaseDep, form: FormDep):
    """Checked in the thread pool: argon2 takes tens of milliseconds a password."""
    next_path = safe_next(form.get("next"))
    email, password = form.get("email", "").strip(), form.get("password", "")
    expected = request.cookies.get(SIGN_IN_COOKIE)
    if not expected or not secrets.compare_digest(expected, form.get("csrf_token", "")):
        return sign_in_page(site, request, next_path, [("email", "The sign-in page had expired. Sign in again.")],
                            email, 400)
    errors = []
    if not email:
        errors.append(("email", "Enter your email address"))
    if not password:
        errors.append(("password", "Enter your password"))
    if errors:
        return sign_in_page(site, request, next_path, errors, email, 400)
    client = request.client.host if request.client else ""
    try:
        user = authenticate(s, email, password, site.app.clock.now())
    except SignInRefused as exc:
        security_event(s, "sign_in_refused", site.app.today(), {"email": email[:254], "client": client,
                                                                "reason": str(exc)[:200]})
        s.commit()  # remember the failure (lock-out counts it)
        return sign_in_page(site, request, next_path, [("email", str(exc))], email, 400)
    cookie = site.store.start(s, user, site.app.clock.now())
    security_event(s, "sign_in", site.app.today(), {"account": user.email, "role": user.role, "client": client},
                   actor=f"user:{user.email}")
    s.commit()
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(COOKIE, cookie, httponly=True, samesite="lax", secure=site.cookie_secure(request), path="/")
    response.delete_cookie(SIGN_IN_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
def sign_out(site: SiteDep, s: DatabaseDep, visitor: VisitorDep, _form: CheckedFormDep):
    site.store.end(s, s.merge(visitor.session_row))
    security_event(s, "sign_out", site.app.today(), {"account": visitor.user.email}, actor=visitor.actor)
    s.commit()
    response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/")
def home(_visitor: VisitorDep):
    return RedirectResponse("/my-work", status_code=303)
