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
import time
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlencode

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from pepflow.service.application import App
from pepflow.errors import NotFound, quoted
from pepflow.logs import start_request
from pepflow.web.routes import ROUTERS
from pepflow.web.sessions import SessionStore, site_key
from pepflow.web.site import Refused, SignInRequired, Site
from pepflow.service.metrics import registry_for
from pepflow.db.connection import POOL_SIZE

log = logging.getLogger("pepflow.web")
access = logging.getLogger("pepflow.web.access")  # a line per request, in JSON logs only (pepflow/logs.py)
STATIC = Path(__file__).parent / "static"
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                           "script-src 'self'; object-src 'none'; frame-ancestors 'none'; "
                           "form-action 'self'; base-uri 'none'")


WHAT_IT_MUST_BE = {"int_parsing": "must be a whole number", "int_type": "must be a whole number",
                   "missing": "is needed", "string_too_long": "is too long"}


def secured(request: Request, response: Response) -> Response:
    """The headers every response carries, error pages included: the content security policy,
    no sniffing, no referrer to other sites, nothing stored by the browser but static files,
    and HSTS when the page came over HTTPS (directly, or through a proxy that says so)."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if not request.url.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    if request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https":
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


class SecurityHeaders:
    """ASGI middleware: the headers of ``secured`` on every response, and the server's own time
    for the request (``Server-Timing``, which browsers' developer tools and bench/web_load.py
    read).  Plain ASGI, not Starlette's ``BaseHTTPMiddleware``: that one ran each response
    through a stream of its own, costing every page time and keeping CSV downloads whose
    reader had gone (bench/web_load.py)."""

    def __init__(self, app, latency=None):
        self.app, self.latency = app, latency

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        request = Request(scope)
        context = start_request(request.headers.get("x-request-id"))

        async def with_headers(message):
            if message["type"] == "http.response.start":
                took = time.perf_counter() - started
                response = Response(status_code=message["status"])
                response.raw_headers = list(message.get("headers", []))
                response.headers["Server-Timing"] = f"app;dur={took * 1000:.1f}"
                response.headers["X-Request-ID"] = context["request_id"]
                secured(request, response)
                message = {**message, "headers": response.raw_headers}
                # by the route's template (/children/{ref}), never the address as typed
                context["route"] = route = getattr(scope.get("route"), "path", "unmatched")
                if self.latency is not None:
                    self.latency.labels(route, scope["method"], f"{message['status'] // 100}xx").observe(took)
                access.info("%s %s %d %.1f ms", scope["method"], route, message["status"], took * 1000)
            await send(message)

        await self.app(scope, receive, with_headers)


@asynccontextmanager
async def _page_threads(_web: FastAPI):
    """Pages run in a thread pool as large as the database's connection pool (``db/connection.py``):
    anyio's default 40 threads on 2 cores only took turns at Python's lock, and opened connections
    beyond the pool's."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = POOL_SIZE
    yield


def create_app(app: App, secure_cookies: bool | None = None) -> FastAPI:
    """The web application for ``app`` (its configuration, database and clock)."""
    settings = app.config.settings
    store = SessionStore(site_key(app.engine, app.environment.secret_key), settings.session_idle_minutes,
                         settings.session_lifetime_hours)
    site = Site(app, store, secure_cookies)
    web = FastAPI(title="pepflow", docs_url=None, redoc_url=None, openapi_url=None, lifespan=_page_threads)
    web.state.site = site
    web.mount("/static", StaticFiles(directory=STATIC), name="static")
    for router in ROUTERS:
        web.include_router(router)


    web.state.metrics, latency = registry_for(app.engine, app.config, lambda: app.clock.now())
    web.add_middleware(SecurityHeaders, latency=latency)

    @web.exception_handler(RequestValidationError)
    async def unreadable_address(request: Request, exc: RequestValidationError):
        """A value in the address pepflow cannot read (``page=abc``): the GOV.UK error page naming it,
        never FastAPI's JSON echo of the input."""
        error = exc.errors()[0] if exc.errors() else {}
        field = str(error.get("loc", ("", "value"))[-1])
        value = error.get("input")
        problem = WHAT_IT_MUST_BE.get(error.get("type", ""), "is not a value this page takes")
        return site.render(request, "error.html.j2", 400, title="This page's address has a value it cannot use",
                           message=f"{field} = {quoted(value)}: {problem}. Go back and use the page's own links "
                                   "and filters.")

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
        """Answered outside the middleware, so it sets the security headers itself."""
        log.exception("error on %s %s", request.method, request.url.path)
        return secured(request, site.render(request, "error.html.j2", 500,
                                            title="Sorry, there is a problem with the service",
                                            message="Nothing was changed. Try again later; if it keeps happening, "
                                                    "tell the council's IT team the time it happened."))

    return web
