"""Your account: the browsers signed in as you (and ending the others), changing your own
password with the current one, and your second factor (set up by choice or replaced, new recovery
codes).  Each is a security event in the history."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from itsdangerous import BadSignature

from pepflow.accounts.local import change_own_password
from pepflow.calendars import format_moment
from pepflow.audit.disclosures import security_event
from pepflow.errors import InputError
from pepflow.accounts.totp import (CodeRefused, has_second_factor, must_use, new_recovery_codes, new_secret,
                              recovery_codes_left, set_up, set_up_details, verify)
from pepflow.accounts.throttle import Policy, account_key, attempt_succeeded, begin_attempt
from pepflow.accounts.local import end_sessions_of
from pepflow.web.sessions import session_id
from pepflow.web.site import CheckedFormDep, DatabaseDep, SiteDep, VisitorDep, leave_notice, take_notice

router = APIRouter()


def describe_browser(user_agent: str) -> str:
    """A person's name for a browser from its User-Agent: "Chrome on Windows"."""
    agent = user_agent or ""
    browser = next((name for token, name in (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
                                             ("Safari/", "Safari")) if token in agent), "")
    system = next((name for token, name in (("Windows", "Windows"), ("iPhone", "iPhone"), ("iPad", "iPad"),
                                            ("Android", "Android"), ("Mac OS", "a Mac"), ("Linux", "Linux"))
                   if token in agent), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "A browser pepflow does not recognise"


@router.get("/account/sessions")
def your_sessions(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep):
    now = site.app.clock.now()
    mine = session_id(visitor.session_row)
    rows = [{"id": session_id(r), "this": session_id(r) == mine, "browser": describe_browser(r.browser),
             "client": r.client or "not known", "since": format_moment(r.created_at),
             "last_used": format_moment(r.last_seen_at)}
            for r in site.store.live_sessions(s, visitor.user.id, now)]
    notice = take_notice(s, visitor)
    s.commit()
    return site.render(request, "your_sessions.html.j2", 200, visitor, sessions=rows, notice=notice,
                       lifetime=site.app.config.settings.session_lifetime_hours)


@router.post("/account/sessions/end")
def end_session(site: SiteDep, s: DatabaseDep, visitor: VisitorDep, form: CheckedFormDep):
    """End one other session (``session`` = its id on the page) or all the others (``others``)."""
    now = site.app.clock.now()
    which = form.get("session", "")
    if which == "others":
        ended = end_sessions_of(s, visitor.user.id, keep=visitor.session_row)
    else:
        found = [r for r in site.store.live_sessions(s, visitor.user.id, now)
                 if session_id(r) == which and r.token != visitor.session_row.token]
        for row in found:
            site.store.end(s, row)
        ended = len(found)
    security_event(s, "sessions_ended", site.app.today(), {"account": visitor.user.email, "ended": ended,
                                                           "which": "all others" if which == "others" else "one"},
                   actor=visitor.actor)
    leave_notice(s, visitor, "No other session was signed in." if ended == 0 else
                 f"{'1 other session has' if ended == 1 else f'{ended} other sessions have'} been signed out.")
    s.commit()
    return RedirectResponse("/account/sessions", status_code=303)


@router.get("/account/password")
def password_form(request: Request, site: SiteDep, visitor: VisitorDep):
    return site.render(request, "change_password.html.j2", 200, visitor, errors=[])


@router.post("/account/password")
def change_password(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, form: CheckedFormDep):
    """Plain ``def``: two argon2 operations, in the thread pool."""
    current, new, again = (form.get(k, "") for k in ("current_password", "new_password", "confirm_password"))
    errors = []
    if not current:
        errors.append(("current_password", "Enter your current password"))
    if not new:
        errors.append(("new_password", "Enter a new password"))
    elif new != again:
        errors.append(("confirm_password", "The two new passwords are not the same"))
    key = [(account_key(visitor.user.email), Policy.of(site.app.config.settings))]
    if not errors:
        # guesses at the current password count against the account as sign-in's do
        wait_until = begin_attempt(s, key, site.app.clock.now())
        s.commit()
        if wait_until is not None:
            security_event(s, "password_change_refused", site.app.today(),
                           {"account": visitor.user.email, "reason": "too many attempts: throttled"},
                           actor=visitor.actor)
            s.commit()
            return site.render(request, "change_password.html.j2", 429, visitor, errors=[(
                "current_password", "There have been too many wrong passwords for this account. Wait until "
                                    f"{format_moment(wait_until)}, then try again.")])
        user = s.merge(visitor.user)
        try:
            change_own_password(s, user, current, new, site.app.clock.now())
        except InputError as exc:
            s.rollback()
            label = {"current_password": "Current password", "new_password": "New password"}.get(exc.field,
                                                                                                  "New password")
            errors.append((exc.field if exc.field in ("current_password", "new_password") else "new_password",
                           f"{label} {exc.problem}"))
            if exc.field == "current_password":
                security_event(s, "password_change_refused", site.app.today(),
                               {"account": visitor.user.email, "reason": "current password not right"},
                               actor=visitor.actor)
                s.commit()
    if errors:
        return site.render(request, "change_password.html.j2", 400, visitor, errors=errors)
    attempt_succeeded(s, [k for k, _ in key])
    ended = end_sessions_of(s, visitor.user.id, keep=visitor.session_row)
    security_event(s, "password_changed", site.app.today(), {"account": visitor.user.email,
                                                             "other_sessions_ended": ended}, actor=visitor.actor)
    leave_notice(s, visitor, "Your password has been changed." + (
        f" {'Your 1 other session was' if ended == 1 else f'Your {ended} other sessions were'} signed out."
        if ended else ""))
    s.commit()
    return RedirectResponse("/account/sessions", status_code=303)


@router.get("/account/second-factor")
def second_factor_page(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep):
    """Your second factor: set one up by choice (or replace it), or make new recovery codes."""
    user = s.merge(visitor.user)
    notice = take_notice(s, visitor)
    s.commit()
    return _second_factor_page(site, request, visitor, user, s, new_secret(), [], 200, notice)


def _second_factor_page(site, request: Request, visitor, user, s, secret: str, errors, status: int, notice: str = ""):
    return site.render(request, "your_second_factor.html.j2", status, visitor, errors=errors, notice=notice,
                       has_one=has_second_factor(user), since=format_moment(user.totp_set_up_at)
                       if user.totp_set_up_at else "", codes_left=recovery_codes_left(s, user),
                       required=must_use(s, user), signed_secret=site.store.halfway_signer.sign(secret).decode(),
                       **set_up_details(secret, user.email, site.app.config.settings.authority_name))


@router.post("/account/second-factor")
def second_factor_set_up(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, form: CheckedFormDep):
    """Set up (or replace) the app: the secret the page showed comes back signed by this server.
    Replacing one needs a code from the current app (or a recovery code) as well, so a session
    left open on someone's desk cannot move their second factor to another phone."""
    user = s.merge(visitor.user)
    try:
        secret = site.store.halfway_signer.unsign(form.get("secret", "")).decode()
    except BadSignature:
        return RedirectResponse("/account/second-factor", status_code=303)
    now = site.app.clock.now()
    if has_second_factor(user):
        try:
            verify(s, user, form.get("current_code", ""), now)
        except CodeRefused as exc:
            s.rollback()
            security_event(s, "second_factor_refused", site.app.today(), {
                "account": user.email, "reason": f"moving to a new phone: {exc}"[:200]}, actor=visitor.actor)
            s.commit()
            return _second_factor_page(site, request, visitor, s.merge(visitor.user), s, secret,
                                       [("current_code", str(exc))], 400)
    try:
        codes = set_up(s, user, secret, form.get("code", ""), now)
    except CodeRefused as exc:
        s.rollback()
        return _second_factor_page(site, request, visitor, s.merge(visitor.user), s, secret, [("code", str(exc))], 400)
    security_event(s, "second_factor_set_up", site.app.today(), {
        "account": user.email, "recovery_codes": len(codes), "from": "your account"}, actor=visitor.actor)
    s.commit()
    return site.render(request, "recovery_codes.html.j2", 200, visitor, codes=codes, next_path="/account/second-factor",
                       signed_in_already=True)


@router.post("/account/second-factor/recovery-codes")
def new_recovery_codes_page(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep,
                            _form: CheckedFormDep):
    user = s.merge(visitor.user)
    if not has_second_factor(user):
        return RedirectResponse("/account/second-factor", status_code=303)
    codes = new_recovery_codes(s, user)
    security_event(s, "recovery_codes_made", site.app.today(), {"account": user.email, "recovery_codes": len(codes)},
                   actor=visitor.actor)
    s.commit()
    return site.render(request, "recovery_codes.html.j2", 200, visitor, codes=codes, next_path="/account/second-factor",
                       signed_in_already=True, replaced=True)
