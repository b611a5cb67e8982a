"""What every page shares: the site (configuration, database, clock, templates, sign-in
store), the FastAPI dependencies for the database session, the signed-in visitor and
checked forms, and the helpers that render a page or a CSV.

Every handler that touches the database or checks a password is a plain ``def``, which
FastAPI runs in its thread pool, never on the event loop: six wrong passwords at once
(argon2, tens of milliseconds each) once held up every other request, a static file
included.  Only reading a form's body is ``async`` (``form``), and it does no I/O of ours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any, AsyncIterator, Iterator

import anyio
import anyio.to_thread
from urllib.parse import urlencode

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from pepflow.audit.disclosures import disclosed
from pepflow.logs import note_account
from pepflow.spreadsheets import stream
from pepflow.service.application import App
from pepflow import vocabulary
from pepflow.calendars import format_day, format_iso_day
from pepflow.db.unit import UnitOfWork
from pepflow.db.models import Person
from pepflow.accounts.access import ROLES, role_of
from pepflow.values import whole_number
from pepflow.web.freshness import Fresh, FreshnessCache, Options
from pepflow.web.sessions import COOKIE, SessionStore, cookie_name, csrf_ok
from pepflow.engine.go_live import go_live_on
from pepflow.service.runway import calendar_runway
from pepflow.web.oidc import CouncilProvider


class SignInRequired(Exception):
    def __init__(self, next_path: str, expired: bool = False):
        self.next_path, self.expired = next_path, expired


class Refused(Exception):
    """The user's role may not use this page or action (403; children out of scope are 404)."""


@dataclass
class Visitor:
    user: Any
    session_row: Any
    name: str = ""  # the person's name in the header (their email where the account names no person)
    fresh: Fresh | None = None  # the kept answers at this request's change stamp (list pages: ListVisitorDep)

    @property
    def role(self):
        return role_of(self.user)

    @property
    def actor(self) -> str:
        return f"user:{self.user.email}"


def children_title(visitor: Any) -> str:
    """What the children page is called for this visitor: the Virtual School's "Children", a
    designated teacher's "My pupils", anyone else's "My children" (their caseload)."""
    if visitor.role.sees_everyone:
        return "Children"
    return "My pupils" if visitor.user.role in ("designated_teacher", "school_colleague") else "My children"


def with_query(query: dict[str, str], **changes: Any) -> str:
    """The page's query string with some parameters changed (for sort and page links)."""
    merged = {**query, **{k: str(v) for k, v in changes.items()}}
    return urlencode({k: v for k, v in merged.items() if v not in ("", None) and k != "format"})


def option_tags(options: list[tuple[str, str]], value: str) -> Markup:
    """A select's ``<option>`` tags, escaped, the chosen one selected.  Written in Python: the
    Overdue PEPs filters list 400 schools and 300 social workers, and a template loop over
    them was a third of the page's rendering (bench/web.py).  ``freshness.Options`` keep theirs."""
    return (options if isinstance(options, Options) else Options(options)).tags(value)


def day_words(value: Any) -> str:
    """A date as pages write it ("22 Jul 2026"), from a date or an ISO string; blank for none."""
    if isinstance(value, (dt.date, dt.datetime)):
        return format_day(value)
    return format_iso_day(value) if isinstance(value, str) else "" if value is None else str(value)


def _environment() -> Environment:
    # the pages' own templates, and the reports' (the annual report's content is one template for
    # its page, its file and its PDF)
    env = Environment(loader=ChoiceLoader([PackageLoader("pepflow.web", "templates"),
                                           PackageLoader("pepflow.reports", "templates")]),
                      autoescape=select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)
    # the vocabulary's words for codes (pepflow/vocabulary/): no code reaches a page
    env.filters["event"] = vocabulary.event_label
    env.filters["kind"] = vocabulary.kind_label
    env.filters["role"] = vocabulary.role_label
    env.filters["outcome"] = vocabulary.outcome_label
    env.filters["state"] = lambda v, process: vocabulary.state_label(process, v)
    env.filters["words"] = lambda v: vocabulary.value_words(str(v)) if v not in (None, "") else ""
    env.filters["units"] = lambda n, unit: vocabulary.unit_label(unit or "calendar", n)
    env.filters["option_tags"] = option_tags
    env.filters["day"] = day_words
    # the first letter made a capital and the rest kept as written (Jinja's own capitalize lowers
    # the rest: "the vsh's decision", "15 mar 2023")
    env.filters["first_upper"] = lambda v: (str(v)[:1].upper() + str(v)[1:]) if v else ""
    env.globals["children_title"] = children_title
    env.globals["ROLES"] = ROLES
    env.globals["with_query"] = with_query
    return env


class Site:
    """One running site: pepflow's ``App`` and what the pages keep between requests."""

    def __init__(self, app: App, store: SessionStore, secure_cookies: bool | None = None):
        self.app, self.store, self.secure_cookies = app, store, secure_cookies
        self.env = _environment()
        self.fresh = FreshnessCache()  # answers kept until the next change (freshness.py)
        self.downloads = FreshnessCache(size=4)  # long CSVs made once a change (shared_downloads.py)
        self._runway: tuple[Any, Any] | None = None  # (when it was checked, the gaps)
        self._long_list_turn: Any = None  # anyio.Semaphore, made in the event loop (in_turn)
        self._council_provider: Any = None
        self._go_live: dt.date | None = None

    def go_live(self, s: UnitOfWork) -> dt.date | None:
        """The day pepflow went live (``go_live.py``), read until known: once kept it never changes,
        so the busiest lists do not ask for it at every request."""
        if self._go_live is None:
            self._go_live = go_live_on(s, self.app.config)
        return self._go_live

    def council_provider(self):
        """The council's OpenID provider (web/oidc.py), or None when pepflow.toml has no
        ``[settings.oidc]``: local accounts only."""
        settings = self.app.config.settings
        if settings.oidc is None:
            return None
        if self._council_provider is None:
            self._council_provider = CouncilProvider(settings.oidc, self.app.environment.oidc_client_secret or "",
                                                     settings.base_url.rstrip("/") + "/sign-in/oidc/callback")
        return self._council_provider

    RUNWAY_CHECK_EVERY = dt.timedelta(minutes=15)

    async def in_turn(self, chunks: Iterator[str]) -> AsyncIterator[str]:
        """A long CSV's pieces, written when this process is writing no other long CSV.

        Written side by side, ten downloads only took turns at Python's lock (19 s each against
        1.4 s for one, bench/web_load.py).  The turn is waited for on the event loop, so a waiting
        download holds no thread; each piece is made in the thread pool, so pages are served
        between pieces.  A reader who goes away ends the turn and closes the rows' session."""
        if self._long_list_turn is None:
            self._long_list_turn = anyio.Semaphore(1)
        async with self._long_list_turn:
            try:
                while True:
                    chunk = await anyio.to_thread.run_sync(next, chunks, None)
                    if chunk is None:
                        return
                    yield chunk
            finally:
                await anyio.to_thread.run_sync(chunks.close)

    def runway(self) -> list[Any]:
        """The calendars' runway gaps for VS admin's My work, checked at most every 15 minutes (one
        grouped read of the open deadlines; the term dates change only with the configuration)."""
        now = self.app.clock.now()
        if self._runway is None or now - self._runway[0] > self.RUNWAY_CHECK_EVERY:
            self._runway = (now, calendar_runway(self.app.engine, self.app.config, self.app.today()))
        return self._runway[1]

    def render(self, request: Request, template: str, http_status: int = 200, visitor: Visitor | None = None,
               **context: Any) -> HTMLResponse:
        html = self.env.get_template(template).render(
            request=request, visitor=visitor, today=self.app.today(),
            authority=self.app.config.settings.authority_name,
            csrf=visitor.session_row.csrf_token if visitor else context.pop("csrf", ""), path=request.url.path,
            **context)
        return HTMLResponse(html, status_code=http_status)

    def cookie_secure(self, request: Request) -> bool:
        if self.secure_cookies is not None:
            return self.secure_cookies
        return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"

    def cookie(self, request: Request, base: str = COOKIE) -> str:
        """A cookie's name as this request is served: ``__Host-`` prefixed over HTTPS."""
        return cookie_name(base, self.cookie_secure(request))

    def set_cookie(self, request: Request, response: Response, base: str, value: str,
                   max_age: int | None = None) -> None:
        """Every cookie of pepflow's: for the whole site, HttpOnly, SameSite=Lax, Secure over HTTPS."""
        response.set_cookie(self.cookie(request, base), value, max_age=max_age, httponly=True, samesite="lax",
                            secure=self.cookie_secure(request), path="/")

    def delete_cookie(self, request: Request, response: Response, base: str) -> None:
        response.delete_cookie(self.cookie(request, base), path="/", secure=self.cookie_secure(request),
                               httponly=True, samesite="lax")


# ---- dependencies -----------------------------------------------------------------------

async def get_site(request: Request) -> Site:
    """``async``, as it does no I/O: a plain ``def`` dependency is a trip to the thread pool."""
    return request.app.state.site


SiteDep = Annotated[Site, Depends(get_site)]


async def database(site: SiteDep) -> AsyncIterator[UnitOfWork]:
    """One unit of work per request; what a handler does not commit is rolled back.

    Made on the event loop: a session does no I/O until its first statement, which runs in the
    thread pool.  Closed there too when it holds no connection (a page that committed), else in
    the thread pool (the rollback is I/O).  As a plain ``def`` it cost every page two trips to the
    thread pool, a tenth of a kept Overdue PEPs page under ten clients (issue 42, bench/web_load.py)."""
    session = UnitOfWork(site.app.engine, expire_on_commit=False)
    try:
        yield session
    finally:
        if session.in_transaction():
            with anyio.CancelScope(shield=True):  # a reader gone away still gives the connection back
                await anyio.to_thread.run_sync(session.close)
        else:
            session.close()


DatabaseDep = Annotated[UnitOfWork, Depends(database)]


def signed_in(request: Request, site: SiteDep, s: DatabaseDep) -> Visitor:
    """The signed-in visitor, or a redirect to the sign-in page (which comes back here)."""
    name = site.cookie(request)
    found = site.store.load(s, request.cookies.get(name), site.app.clock.now())
    if found is None:
        s.commit()  # an expired row is deleted
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target, expired=name in request.cookies)
    row, user = found
    person = s.get(Person, user.person_ref) if user.person_ref else None
    s.commit()
    note_account(user.id)  # the logs say which account a request was (pepflow/logs.py)
    return Visitor(user, row, person.name if person else user.email)


VisitorDep = Annotated[Visitor, Depends(signed_in)]


def signed_in_reading_lists(request: Request, site: SiteDep, s: DatabaseDep) -> Visitor:
    """The signed-in visitor, with the kept answers at the change stamp read in the same trip to
    the thread pool (``Visitor.fresh``): a list page answered from them needs no other."""
    visitor = signed_in(request, site, s)
    visitor.fresh = site.fresh.reading(s)
    # the connection goes back to the pool before this request waits for another thread: fifty
    # downloads at once each held one while they waited, and the threads that could have served
    # them waited for connections (issue 42, bench/web_load.py)
    s.commit()
    return visitor


ListVisitorDep = Annotated[Visitor, Depends(signed_in_reading_lists)]


async def form(request: Request) -> dict[str, str]:
    """The posted form's fields as text (reading the body is the only async step)."""
    posted = await request.form()
    return {k: str(v) for k, v in posted.items()}


FormDep = Annotated[dict[str, str], Depends(form)]


def checked_form(visitor: VisitorDep, fields: FormDep) -> dict[str, str]:
    """The posted form of a signed-in visitor, refused without the session's CSRF token."""
    if not csrf_ok(visitor.session_row, fields.get("csrf_token")):
        raise Refused()
    return fields


CheckedFormDep = Annotated[dict[str, str], Depends(checked_form)]


def require(visitor: Visitor, what: str) -> None:
    if not getattr(visitor.role, what):
        raise Refused()


def leave_notice(s: UnitOfWork, visitor: Visitor, text: str) -> None:
    """A one-time banner for the visitor's next page (after a redirect), kept on their session
    row, so a banner's words never come from the address."""
    row = s.merge(visitor.session_row)
    row.notice = text[:500]
    s.add(row)


def take_notice(s: UnitOfWork, visitor: Visitor) -> str:
    """The banner left for this page, if any, which it is now shown once."""
    text = visitor.session_row.notice
    if text:
        row = s.merge(visitor.session_row)
        row.notice = ""
        s.add(row)
    return text


# ---- helpers ------------------------------------------------------------------------------

def csv_download(request: Request, site: "Site", s: UnitOfWork, visitor: "Visitor", name: str,
                 header: list[str], rows: Any, count: int | None = None) -> Response:
    """A CSV download, recorded in the history as a disclosure (which list, its filters, how many
    rows), then written as it is sent with every cell safe to open in a spreadsheet.  A long
    list gives its ``count`` and its rows as an iterator that reads them as they are sent."""
    long_list = count is not None
    if count is None:
        rows = list(rows)
        count = len(rows)
    disclose_download(request, site, s, visitor, name, count)
    return csv_response(name, header, rows, one_at_a_time=site if long_list else None)


def disclose_download(request: Request, site: "Site", s: UnitOfWork, visitor: "Visitor", name: str, count: int) -> None:
    """Record a download in the history (which list, its filters, how many rows) and commit."""
    filters = {k: v[:100] for k, v in request.query_params.items() if k != "format"}
    disclosed(s, "csv_downloaded", site.app.today(), visitor.actor,
              {"list": name, "filters": filters, "rows": count, "account": visitor.user.email,
               "role": visitor.user.role})
    s.commit()


def attachment(name: str, body: Any) -> StreamingResponse:
    """A CSV file's response, its body sent as it comes."""
    if hasattr(body, "__aiter__"):
        body = _turn_between_pieces(body)
    return StreamingResponse(body, media_type="text/csv; charset=utf-8",
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def _turn_between_pieces(body: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """The pieces, with the event loop given a turn after each.  A shared download's pieces made
    already come without a wait, so a reader who had gone was never heard of: the rest of the file
    went to a closed socket, each piece a warning in the log, and fifty readers gone at once held
    the server's loop (bench/web_load.py).  With a turn, the connection's loss is heard and the
    response ends."""
    async for piece in body:
        yield piece
        await anyio.sleep(0)


def csv_response(name: str, header: list[str], rows, one_at_a_time: "Site | None" = None) -> Response:
    """A CSV response, written as it is sent, with every cell safe to open in a spreadsheet
    (``pepflow.spreadsheets``).  Pages use ``csv_download``, which records the disclosure.
    A long list is written one at a time in a process (``Site.in_turn``)."""
    chunks = stream(header, rows)
    return attachment(name, one_at_a_time.in_turn(chunks) if one_at_a_time is not None else chunks)


def int_or(value: str | None, default: int | None, field: str, errors: list) -> int | None:
    """A whole number of days from a query parameter, or an error for the page's summary."""
    if value in (None, ""):
        return default
    try:
        return whole_number(value)
    except ValueError:
        errors.append((field, f"Enter a whole number of days, 0 or more (you entered “{value}”)"))
        return default


def sorted_items(items: list[dict[str, Any]], sort: str, order: str, allowed: tuple[str, ...],
                 default: str) -> list[dict[str, Any]]:
    """A short list sorted in memory by one of its columns (empty values last)."""
    key = sort if sort in allowed else default
    present = [i for i in items if i.get(key) is not None]
    missing = [i for i in items if i.get(key) is None]
    return sorted(present, key=lambda i: (i[key], i["child_ref"]), reverse=order == "desc") + missing
