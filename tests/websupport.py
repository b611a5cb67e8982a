"""A small synthetic Virtual School with one web account per role, for the web and browser tests."""

from __future__ import annotations

import datetime as dt
import re
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

from sqlalchemy import select

from pepflow.service.application import App
from pepflow.db.connection import session_scope
from pepflow.db.models import Child, Person, School
from pepflow.service.demo import DEMO_ACCOUNTS, create_demo_accounts, create_demo_cohort

TODAY = dt.date(2026, 11, 23)
PASSWORD = "correct horse battery"
EMAILS = {role: email for email, role, _ in DEMO_ACCOUNTS}


class SettableClock:
    """A clock whose instant tests move by minutes (session expiry) as well as days."""

    def __init__(self, today: dt.date):
        self.instant = dt.datetime.combine(today, dt.time(12, 0), tzinfo=dt.timezone.utc)

    def today(self) -> dt.date:
        return self.instant.date()

    def now(self) -> dt.datetime:
        return self.instant

    def advance(self, **delta) -> None:
        self.instant += dt.timedelta(**delta)


@dataclass
class Site:
    app: App
    clock: SettableClock


def build_site(db_url: str, children: int = 60, schools: int = 8, config_dir: str | None = None) -> Site:
    app = App(database_url=db_url, config_dir=config_dir)
    clock = SettableClock(TODAY)
    app.clock = clock  # replaces the cached clock: every rule and page reads this one
    with session_scope(app.engine) as s:
        create_demo_cohort(s, app.config, TODAY, children=children, schools=schools)
        create_demo_accounts(s, PASSWORD, TODAY)
    return Site(app, clock)


def visible_refs(app: App, role: str) -> set[str]:
    """The children a role's demo account may see, worked out independently of pepflow.web."""
    person = {r: p for _, r, p in DEMO_ACCOUNTS}[role]
    with session_scope(app.engine) as s:
        children = s.execute(select(Child)).scalars().all()
        if role in ("vsh", "vs_admin", "vs_officer", "read_only"):
            return {c.ref for c in children}
        if role == "social_worker":
            return {c.ref for c in children if c.social_worker_ref == person}
        if role == "team_manager":
            team = {p.ref for p in s.execute(select(Person).where(Person.manager_ref == person)).scalars()}
            return {c.ref for c in children if c.social_worker_ref in team | {person}}
        if role == "designated_teacher":
            urns = {sc.urn for sc in s.execute(select(School).where(School.dt_ref == person)).scalars()}
            return {c.ref for c in children if c.school_urn in urns}
        if role == "iro":
            return {c.ref for c in children if c.iro_ref == person}
        if role == "finance":  # pays what the Virtual School approved: sees no child's case
            return set()
        if role == "school_colleague":  # the pupils a DT gave them, while that runs
            from pepflow.db.models import PepDelegation, UserAccount

            me = s.execute(select(UserAccount.id).where(UserAccount.email == "colleague@example.org")).scalar_one()
            return {d.child_ref for d in s.execute(select(PepDelegation).where(PepDelegation.to_account_id == me))
                    .scalars() if d.ended_on is None and d.until >= TODAY}
    raise AssertionError(role)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def child_refs_in(html: str) -> set[str]:
    return set(re.findall(r'href="/children/([^"/?]+)"', html))


def sign_in(client, role_or_email: str, password: str = PASSWORD, next_path: str = "/"):
    email = EMAILS.get(role_or_email, role_or_email)
    page = client.get("/sign-in")
    return client.post("/sign-in", data={"email": email, "password": password, "csrf_token": csrf_of(page.text),
                                         "next": next_path}, follow_redirects=False)


@contextmanager
def served(app: App, port: int | None = None) -> Iterator[str]:
    """The pages under uvicorn on 127.0.0.1 (``port``, else a free one), in a thread of this
    process; yields their address."""
    import uvicorn

    from pepflow.web.app import create_app

    if port is None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(create_app(app), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        assert time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
