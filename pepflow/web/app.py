"""The web pages: FastAPI routers rendering jinja2 templates in the GOV.UK Design System.

Server-rendered and usable without JavaScript.  Each area of the site is a router in
``routes/``; what they share (the database session, the signed-in visitor, checked
forms) are FastAPI dependencies in ``site.py``.  Every request opens one unit of work; a
page either shows what it read or, for a form, records through the same service as the
CLI (``commands.record_event``) and redirects.  Errors a person can fix come back on the
form with a GOV.UK error summary; anything else is logged and shown as a plain apology
page, never a stack trace.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..app import App
from ..errors import NotFound
from .routes import ROUTERS
from .sessions import SessionStore, site_key
from .site import Refused, SignInRequired, Site

log = logging.getLogger("pepflow.web")
STATIC = Path(__file__).parent / "static"
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                           "script-src 'none'; object-src 'none'; frame-ancestors 'none'; "
                           "form-action 'self'; base-uri 'none'")


def create_app(app: App, secure_cookies: bool | None = None) -> FastAPI:
    """The web application for ``app`` (its configuration, database and clock)."""
    site = Site(app, SessionStore(site_key(app.engine, app.environment.secret_key), app.config.settings.session_idle_minutes), secure_cookies)
    web = FastAPI(title="pepflow", docs_url=None, redoc_url=None, openapi_url=None)
    web.state.site = site
    web.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        web.include_router(router)

    @web.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @web.exception_handler(SignInRequired)
    async def to_sign_in(request: Request, exc: SignInRequired):
        query = {"next": exc.next_path}
        if exc.expired:
            query["ended"] = "1"
        return RedirectResponse(f"/sign-in?{urlencode(query)}", status_code=303)

    @web.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        return site.render(request, "error.html.j2", 404, title="Page not found",
                           message="If you typed the web address, check it is correct. If you followed a link to "
                                   "a child's case, it may not be on your caseload.")

    @web.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            return await not_found(request, NotFound("page", request.url.path))
        if exc.status_code == 405:
            return site.render(request, "error.html.j2", 405, title="This page cannot do that",
                               message="Go back and use the page's own buttons and links.")
        return site.render(request, "error.html.j2", exc.status_code, title="Sorry, there is a problem",
                           message=str(exc.detail))

    @web.exception_handler(Refused)
    async def refused(request: Request, exc: Refused):
        return site.render(request, "error.html.j2", 403, title="You cannot do this",
                           message="Your account's role does not include this page or action, or the form had "
                                   "expired. Go back, reload the page and try again; ask a Virtual School admin if "
                                   "you need access.")

    @web.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception):
        log.exception("error on %s %s", request.method, request.url.path)
        return site.render(request, "error.html.j2", 500, title="Sorry, there is a problem with the service",
                           message="Nothing was changed. Try again later; if it keeps happening, tell the council's "
                                   "IT team the time it happened.")

    return web
