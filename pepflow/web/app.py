"""The web pages: FastAPI routes rendering jinja2 templates in the GOV.UK Design System.

Server-rendered and usable without JavaScript.  Every request opens one database
transaction; a page either shows what it read or, for a form, records through the same
service as the CLI (``commands.record_event``) and redirects.  Errors a person can fix
come back on the form with a GOV.UK error summary; anything else is logged and shown as a
plain apology page, never a stack trace.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlmodel import Session

from ..db.unit import UnitOfWork
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..app import App
from ..audit import audit
from ..commands import event_spec, record_event
from ..events import EventSpec
from ..values import date_value, whole_number, yes_no
from ..errors import InputError, NotFound, PepflowError, TransitionNotAllowed
from ..queries import ACCESS_PROCESS, history
from . import views
from ..accounts import SignInRefused, authenticate
from ..roles import ROLES, may_record, role_of
from .sessions import COOKIE, SessionStore, csrf_ok, site_key

log = logging.getLogger("pepflow.web")
STATIC = Path(__file__).parent / "static"
SIGN_IN_COOKIE = "pepflow_signin"


class SignInRequired(Exception):
    def __init__(self, next_path: str, expired: bool = False):
        self.next_path, self.expired = next_path, expired


class Refused(Exception):
    """The user's role may not use this page or action (403; children out of scope are 404)."""


@dataclass
class Visitor:
    user: Any
    session_row: Any

    @property
    def role(self):
        return role_of(self.user)

    @property
    def actor(self) -> str:
        return f"user:{self.user.email}"


def _env() -> Environment:
    env = Environment(loader=PackageLoader("pepflow.web", "templates"),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    env.filters["label"] = lambda v: str(v).replace("_", " ")
    env.filters["day"] = lambda d: d.strftime("%-d %b %Y") if isinstance(d, (dt.date, dt.datetime)) else (d or "")
    env.globals["ROLES"] = ROLES
    env.globals["with_query"] = with_query
    return env


def with_query(query: dict[str, str], **changes: Any) -> str:
    """The page's query string with some parameters changed (for sort and page links)."""
    merged = {**query, **{k: str(v) for k, v in changes.items()}}
    return urlencode({k: v for k, v in merged.items() if v not in ("", None) and k != "format"})


def create_app(app: App, secure_cookies: bool | None = None) -> FastAPI:
    """The web application for ``app`` (its configuration, database and clock)."""
    env = _env()
    store = SessionStore(site_key(app.engine), app.config.settings.session_idle_minutes)
    web = FastAPI(title="pepflow", docs_url=None, redoc_url=None, openapi_url=None)
    web.mount("/static", StaticFiles(directory=STATIC), name="static")

    # ---- plumbing -------------------------------------------------------------------

    def db() -> Session:
        return UnitOfWork(app.engine, expire_on_commit=False)

    def render(request: Request, template: str, http_status: int = 200, visitor: Visitor | None = None,
               **context: Any) -> HTMLResponse:
        html = env.get_template(template).render(
            request=request, visitor=visitor, today=app.today(), authority=app.config.settings.authority_name,
            csrf=visitor.session_row.csrf_token if visitor else context.pop("csrf", ""), path=request.url.path,
            **context)
        return HTMLResponse(html, status_code=http_status)

    def signed_in(request: Request, s: Session) -> Visitor:
        found = store.load(s, request.cookies.get(COOKIE), app.clock.now())
        if found is None:
            s.commit()  # an expired row is deleted
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInRequired(target, expired=COOKIE in request.cookies)
        row, user = found
        s.commit()
        return Visitor(user, row)

    def require(visitor: Visitor, what: str) -> None:
        if not getattr(visitor.role, what):
            raise Refused()

    async def form_of(request: Request) -> dict[str, str]:
        form = await request.form()
        return {k: str(v) for k, v in form.items()}

    def check_csrf(visitor: Visitor, form: dict[str, str]) -> None:
        if not csrf_ok(visitor.session_row, form.get("csrf_token")):
            raise Refused()

    def csv_response(name: str, header: list[str], rows) -> Response:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(rows)
        return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @web.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                                    "script-src 'none'; object-src 'none'; frame-ancestors 'none'; "
                                    "form-action 'self'; base-uri 'none'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    def cookie_secure(request: Request) -> bool:
        if secure_cookies is not None:
            return secure_cookies
        return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"

    @web.exception_handler(SignInRequired)
    async def to_sign_in(request: Request, exc: SignInRequired):
        query = {"next": exc.next_path}
        if exc.expired:
            query["ended"] = "1"
        return RedirectResponse(f"/sign-in?{urlencode(query)}", status_code=303)

    @web.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound):
        return render(request, "error.html.j2", 404, title="Page not found",
                      message="If you typed the web address, check it is correct. If you followed a link to a "
                              "child's case, it may not be on your caseload.")

    @web.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            return await not_found(request, NotFound("page", request.url.path))
        if exc.status_code == 405:
            return render(request, "error.html.j2", 405, title="This page cannot do that",
                          message="Go back and use the page's own buttons and links.")
        return render(request, "error.html.j2", exc.status_code, title="Sorry, there is a problem",
                      message=str(exc.detail))

    @web.exception_handler(Refused)
    async def refused(request: Request, exc: Refused):
        return render(request, "error.html.j2", 403, title="You cannot do this",
                      message="Your account's role does not include this page or action, or the form had expired. "
                              "Go back, reload the page and try again; ask a Virtual School admin if you need "
                              "access.")

    @web.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception):
        log.exception("error on %s %s", request.method, request.url.path)
        return render(request, "error.html.j2", 500, title="Sorry, there is a problem with the service",
                      message="Nothing was changed. Try again later; if it keeps happening, tell the council's "
                              "IT team the time it happened.")

    # ---- signing in and out ---------------------------------------------------------

    def safe_next(value: str | None) -> str:
        return value if value and value.startswith("/") and not value.startswith("//") else "/"

    def sign_in_page(request: Request, next_path: str, errors: list[tuple[str, str]] | None = None,
                     email: str = "", status: int = 200, notice: str = "") -> HTMLResponse:
        token = secrets.token_urlsafe(24)
        response = render(request, "sign_in.html.j2", status, csrf=token, next_path=next_path,
                          errors=errors or [], email=email, notice=notice)
        response.set_cookie(SIGN_IN_COOKIE, token, httponly=True, samesite="strict", secure=cookie_secure(request),
                            path="/sign-in")
        return response

    @web.get("/sign-in", response_class=HTMLResponse)
    def sign_in_form(request: Request, next: str = "/", ended: str = "", signed_out: str = ""):
        notice = ("You have been signed out because the page was not used for "
                  f"{app.config.settings.session_idle_minutes} minutes, or you signed out elsewhere."
                  if ended else "You have signed out." if signed_out else "")
        return sign_in_page(request, safe_next(next), notice=notice)

    @web.post("/sign-in")
    async def sign_in(request: Request):
        form = await form_of(request)
        next_path = safe_next(form.get("next"))
        email, password = form.get("email", "").strip(), form.get("password", "")
        expected = request.cookies.get(SIGN_IN_COOKIE)
        if not expected or not secrets.compare_digest(expected, form.get("csrf_token", "")):
            return sign_in_page(request, next_path, [("email", "The sign-in page had expired. Sign in again.")],
                                email, 400)
        errors = []
        if not email:
            errors.append(("email", "Enter your email address"))
        if not password:
            errors.append(("password", "Enter your password"))
        if errors:
            return sign_in_page(request, next_path, errors, email, 400)
        with db() as s:
            try:
                user = authenticate(s, email, password, app.clock.now())
            except SignInRefused as exc:
                s.commit()  # remember the failure (lock-out counts it)
                return sign_in_page(request, next_path, [("email", str(exc))], email, 400)
            cookie = store.start(s, user, app.clock.now())
            s.commit()
        response = RedirectResponse(next_path, status_code=303)
        response.set_cookie(COOKIE, cookie, httponly=True, samesite="lax", secure=cookie_secure(request), path="/")
        response.delete_cookie(SIGN_IN_COOKIE, path="/sign-in")
        return response

    @web.post("/sign-out")
    async def sign_out(request: Request):
        form = await form_of(request)
        with db() as s:
            visitor = signed_in(request, s)
            check_csrf(visitor, form)
            store.end(s, s.merge(visitor.session_row))
            s.commit()
        response = RedirectResponse("/sign-in?signed_out=1", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    # ---- pages ----------------------------------------------------------------------

    @web.get("/")
    def home(request: Request):
        with db() as s:
            signed_in(request, s)
        return RedirectResponse("/my-work", status_code=303)

    def int_or(value: str | None, default: int | None, field: str, errors: list) -> int | None:
        if value in (None, ""):
            return default
        try:
            return whole_number(value)
        except ValueError:
            errors.append((field, f"Enter a whole number of days, 0 or more (you entered “{value}”)"))
            return default

    @web.get("/my-work")
    def my_work(request: Request, within: str = "28", page: int = 1, sort: str = "due", order: str = "asc",
                format: str = "html"):
        errors: list[tuple[str, str]] = []
        within_days = int_or(within, 28, "within", errors) if within != "all" else None
        sort = sort if sort in views.MY_WORK_SORTS else "due"
        with db() as s:
            visitor = signed_in(request, s)
            today = app.today()
            result = views.my_work(s, app.config, visitor.user, today, within_days, page, everything=format == "csv",
                                   sort=sort, descending=order == "desc")
        if format == "csv":
            columns = ["child_ref", "what", "process", "due_on", "days_overdue", "overdue_unit", "owner_role", "note"]
            return csv_response("my-work.csv", columns, views.csv_rows(result.rows, columns))
        return render(request, "my_work.html.j2", 400 if errors else 200, visitor, result=result, within=within,
                      errors=errors, query=dict(request.query_params), sort=sort, order=order)

    @web.get("/peps/overdue")
    def overdue(request: Request, school: str = "", sw: str = "", key_stage: str = "", state: str = "",
                min_days: str = "", sort: str = "due", order: str = "asc", page: int = 1, format: str = "html"):
        errors: list[tuple[str, str]] = []
        filters = views.OverdueFilters(school=school, sw=sw, key_stage=key_stage, state=state,
                                       min_days=int_or(min_days, None, "min_days", errors),
                                       sort=sort if sort in views.OVERDUE_SORTS else "due",
                                       descending=order == "desc", page=page)
        with db() as s:
            visitor = signed_in(request, s)
            result = views.overdue_peps(s, app.config, visitor.user, app.today(), filters, everything=format == "csv")
            options = views.filter_options(s, visitor.user) if format != "csv" else {}
        if format == "csv":
            columns = ["child_ref", "year_group", "school_urn", "school", "social_worker", "designated_teacher",
                       "pep_state", "due", "due_on", "overdue_unit", "days_overdue"]
            return csv_response("overdue-peps.csv", columns, views.csv_rows(result.rows, columns))
        from ..states.pep import PepState

        return render(request, "overdue.html.j2", 400 if errors else 200, visitor, result=result, f=filters,
                      options=options, errors=errors, query=dict(request.query_params),
                      states=[(st.value, st.value.replace("_", " ")) for st in PepState] + [("none", "no current PEP")],
                      key_stages=[(k, k) for k in views.KEY_STAGES])

    def case_context(s: Session, visitor: Visitor, child) -> dict[str, Any]:
        from ..next_events import events_open_to
        from ..states.pep import current_pep

        today = app.today()
        choices = [e for e in events_open_to(s, child, today) if may_record(visitor.user, e.name)] \
            if visitor.role.records_events else []
        groups: dict[str, list] = {}
        for e in choices:
            groups.setdefault(e.group, []).append(e)
        return {"child": views.child_summary(s, child, today), "pep": current_pep(s, child.ref),
                "deadlines": views.open_deadlines(s, app.config, child, today),
                "closed": views.closed_deadlines(s, child), "timeline": list(reversed(history(s, child.ref))),
                "event_groups": groups}

    def record_view(s: Session, visitor: Visitor, child_ref: str) -> None:
        audit(s, child_ref, ACCESS_PROCESS, "case_viewed", app.today(),
              {"account": visitor.user.email, "role": visitor.user.role}, actor=visitor.actor)

    @web.get("/children/{ref}")
    def child_page(request: Request, ref: str, recorded: str = ""):
        with db() as s:
            visitor = signed_in(request, s)
            child = views.visible_child(s, visitor.user, ref)
            context = case_context(s, visitor, child)
            record_view(s, visitor, child.ref)
            s.commit()
        return render(request, "child.html.j2", 200, visitor, recorded=recorded, **context)

    def event_fields(spec: EventSpec) -> list[dict[str, Any]]:
        fields = []
        for p in spec.params:
            kind, options = "text", []
            if p.parse is date_value:
                kind = "date"
            elif p.parse is yes_no:
                kind, options = "radios", ["yes", "no"]
            elif p.parse.__doc__ and " | " in p.parse.__doc__:
                options = p.parse.__doc__.split(" | ")
                kind = "radios" if len(options) <= 4 else "select"
            fields.append({"name": p.name, "label": p.name.replace("_", " ").capitalize(), "hint": p.help,
                           "required": p.required, "kind": kind, "options": options})
        return fields

    def event_form(request: Request, visitor: Visitor, child: dict[str, Any], spec: EventSpec,
                   values: dict[str, str], errors: list[tuple[str, str]], status: int = 200) -> HTMLResponse:
        return render(request, "record.html.j2", status, visitor, child=child, spec=spec, fields=event_fields(spec),
                      values=values, errors=errors)

    def allowed_spec(s: Session, visitor: Visitor, child, event: str) -> EventSpec:
        from ..next_events import events_open_to

        if not may_record(visitor.user, event):
            raise Refused()
        offered = {e.name for e in events_open_to(s, child, app.today())}
        if event not in offered:
            raise NotFound("event form", event)
        return event_spec(event)

    @web.get("/children/{ref}/record")
    def record_form(request: Request, ref: str, event: str = ""):
        with db() as s:
            visitor = signed_in(request, s)
            child = views.visible_child(s, visitor.user, ref)
            spec = allowed_spec(s, visitor, child, event)
            summary = views.child_summary(s, child, app.today())
        return event_form(request, visitor, summary, spec, {"on": app.today().isoformat()}, [])

    @web.post("/children/{ref}/record")
    async def record(request: Request, ref: str):
        form = await form_of(request)
        with db() as s:
            visitor = signed_in(request, s)
            check_csrf(visitor, form)
            child = views.visible_child(s, visitor.user, ref)
            spec = allowed_spec(s, visitor, child, form.get("event", ""))
            summary = views.child_summary(s, child, app.today())
            params = {p.name: form[p.name].strip() for p in spec.params if form.get(p.name, "").strip()}
            errors = []
            if not form.get("on", "").strip():
                errors.append(("on", "Enter the date it happened"))
            for p in spec.params:
                if p.required and p.name not in params:
                    errors.append((p.name, f"Enter {p.name.replace('_', ' ')} ({p.help})" if p.help
                                   else f"Enter {p.name.replace('_', ' ')}"))
            if not errors:
                try:
                    record_event(s, app.config, child.ref, spec.name, form["on"].strip(), app.today(),
                                 visitor.user.person_ref, params, actor=visitor.actor)
                    s.commit()
                except TransitionNotAllowed as exc:
                    s.rollback()
                    errors.append(("event", str(exc)))
                except InputError as exc:
                    s.rollback()
                    name = "on" if exc.field == "--on" else exc.field
                    errors.append((name if name in {p.name for p in spec.params} | {"on"} else "event",
                                   _field_message(exc)))
                except PepflowError as exc:
                    s.rollback()
                    errors.append(("event", str(exc)))
            if errors:
                return event_form(request, visitor, summary, spec, form, errors, 400)
        return RedirectResponse(f"/children/{quote(child.ref)}?recorded={quote(spec.name)}", status_code=303)

    @web.get("/admissions")
    def admissions(request: Request, show: str = "open", sort: str = "identified_on", order: str = "asc",
                   format: str = "html"):
        from ..queries import admission_list

        with db() as s:
            visitor = signed_in(request, s)
            data = admission_list(s, app.config, app.today(), open_only=show == "open", breaching=show == "breaching")
            refs = views.visible_refs(s, visitor.user)
        items = sorted_items([i for i in data["items"] if refs is None or i["child_ref"] in refs],
                             sort, order, ("child_ref", "reason", "state", "school_urn", "identified_on",
                                           "school_days_used"), "identified_on")
        if format == "csv":
            columns = ["child_ref", "reason", "state", "school_urn", "route", "identified_on", "due_on",
                       "school_days_used", "school_days_left", "breaching", "started_on"]
            return csv_response("admissions.csv", columns, views.csv_rows(items, columns))
        return render(request, "admissions.html.j2", 200, visitor, items=items, show=show,
                      breaching=sum(1 for i in items if i["breaching"]), sort=sort, order=order,
                      query=dict(request.query_params))

    @web.get("/exclusions")
    def exclusions(request: Request, show: str = "open", sort: str = "opened_on", order: str = "asc",
                   format: str = "html"):
        from ..queries import exclusion_list

        with db() as s:
            visitor = signed_in(request, s)
            data = exclusion_list(s, app.today(), open_only=show == "open")
            refs = views.visible_refs(s, visitor.user)
        items = sorted_items([i for i in data["items"] if refs is None or i["child_ref"] in refs],
                             sort, order, ("child_ref", "school_year", "state", "opened_on", "suspension_days"),
                             "opened_on")
        if format == "csv":
            columns = ["child_ref", "school_year", "school_urn", "state", "opened_on", "suspensions",
                       "suspension_days", "permanently_excluded_on", "no_pre_exclusion_meeting"]
            return csv_response("exclusions.csv", columns, views.csv_rows(items, columns))
        return render(request, "exclusions.html.j2", 200, visitor, items=items, show=show, sort=sort,
                      order=order, query=dict(request.query_params))

    @web.get("/compliance")
    def compliance(request: Request, start: str = "", end: str = "", format: str = "html"):
        from ..calendars import academic_year_of, academic_year_start
        from ..report_html import charts
        from ..reports import as_rows, compliance as compliance_report

        today = app.today()
        default_start = dt.date(academic_year_start(academic_year_of(today)), 9, 1)
        errors: list[tuple[str, str]] = []
        first, last = default_start, today
        for name, value in (("start", start), ("end", end)):
            if value:
                try:
                    parsed = dt.date.fromisoformat(value.strip())
                    first, last = (parsed, last) if name == "start" else (first, parsed)
                except ValueError:
                    errors.append((name, f"Enter the {'first' if name == 'start' else 'last'} date as "
                                         f"YYYY-MM-DD (you entered “{value}”)"))
        if not errors and last < first:
            errors.append(("end", "The last date must be on or after the first date"))
        if not errors and last > today:
            errors.append(("end", f"The last date must be today ({today.isoformat()}) or earlier"))
        with db() as s:
            visitor = signed_in(request, s)
            require(visitor, "sees_reports")
            report = None if errors else compliance_report(s, app.config, first, last, today)
        if report is not None and format == "csv":
            return csv_response(f"compliance-{first}-{last}.csv", ["section", "measure", "group", "value"],
                                as_rows(report))
        return render(request, "compliance.html.j2", 400 if errors else 200, visitor, report=report,
                      charts=charts(report) if report else {}, errors=errors,
                      start=start or first.isoformat(), end=end or last.isoformat())

    @web.get("/outbox")
    def outbox(request: Request, status: str = "failed", format: str = "html"):
        from ..notify.outbox import outbox_rows

        statuses = ("failed", "pending", "sending", "sent", "skipped")
        with db() as s:
            visitor = signed_in(request, s)
            require(visitor, "sees_outbox")
        rows = outbox_rows(app.engine, status if status in statuses else None, limit=500)
        items = [{"id": r.id, "child_ref": r.child_ref or "", "to": r.recipient_email or r.recipient_ref or "",
                  "step": r.step, "status": r.status, "attempts": r.attempts, "last_error": r.last_error,
                  "created_at": r.created_at, "sent_at": r.sent_at} for r in rows]
        if format == "csv":
            columns = ["id", "child_ref", "to", "step", "status", "attempts", "last_error"]
            return csv_response("outbox.csv", columns, views.csv_rows(items, columns))
        return render(request, "outbox.html.j2", 200, visitor, items=items, status=status, statuses=statuses,
                      retried=request.query_params.get("retried"))

    @web.post("/outbox/retry")
    async def outbox_retry(request: Request):
        from ..notify.outbox import retry_failed

        form = await form_of(request)
        ids = [int(form["id"])] if form.get("id", "").isdigit() else None
        with db() as s:
            visitor = signed_in(request, s)
            require(visitor, "retries_emails")
            check_csrf(visitor, form)
            count = retry_failed(s, ids)
            audit(s, None, "outbox", "email_retry_requested", app.today(),
                  {"notifications": ids or "all failed", "count": count}, actor=visitor.actor)
            s.commit()
        return RedirectResponse(f"/outbox?status=pending&retried={count}", status_code=303)

    return web


def sorted_items(items: list[dict[str, Any]], sort: str, order: str, allowed: tuple[str, ...],
                 default: str) -> list[dict[str, Any]]:
    """A short list sorted in memory by one of its columns (empty values last)."""
    key = sort if sort in allowed else default
    present = [i for i in items if i.get(key) is not None]
    missing = [i for i in items if i.get(key) is None]
    return sorted(present, key=lambda i: (i[key], i["child_ref"]), reverse=order == "desc") + missing


def _field_message(exc: InputError) -> str:
    field = "Date" if exc.field in ("--on", "on") else exc.field.replace("_", " ").capitalize()
    shown = "" if exc.value in (None, "") else f" (you entered “{exc.value}”)"
    return f"{field}: {exc.problem}{shown}"
