"""One-use links to set a password (accounts/password_links.py): only the token's hash is kept;
a link works once, until it expires, while the account is active; a newer link replaces an
older one; and of two processes using one link at the same moment, one sets the password."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time

from sqlalchemy import select

from pepflow.accounts.local import add_user, authenticate
from pepflow.accounts.password_links import link_for, new_link, use_link
from pepflow.db.connection import session_scope
from pepflow.db.models import PasswordLink, UserAccount
from pepflow.errors import InputError
from pepflow.service.application import App

from .conftest import ROOT

NOW = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.timezone.utc)
RACE = """
import sys, time, datetime as dt
from pepflow.db import make_engine
from pepflow.db.connection import session_scope
from pepflow.accounts.password_links import use_link
from pepflow.errors import InputError
url, token, start, password = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
engine = make_engine(url)
while time.time() < start:
    time.sleep(0.001)
try:
    with session_scope(engine) as s:
        use_link(s, token, password, password, dt.datetime(2026, 12, 7, 9, 5, tzinfo=dt.timezone.utc))
    print("set")
except InputError:
    print("refused")
"""


def _account(url: str) -> App:
    app = App(database_url=url, today_override="2026-12-07")
    app.open(upgrade=True)
    with session_scope(app.engine) as s:
        add_user(s, "dee@example.org", "vs_admin", "a first long password")
    return app


def _user(s) -> UserAccount:
    return s.execute(select(UserAccount).where(UserAccount.email == "dee@example.org")).scalar_one()


def test_a_link_works_once_until_it_expires_and_a_newer_one_replaces_it(tmp_path):
    app = _account(f"sqlite:///{tmp_path / 'links.db'}")
    with session_scope(app.engine) as s:
        first, _ = new_link(s, _user(s), "reset", NOW)
        second, _ = new_link(s, _user(s), "reset", NOW)
        assert token_not_kept(s, second)
    with session_scope(app.engine) as s:
        assert link_for(s, first, NOW) is None  # replaced by the newer link
        assert link_for(s, second, NOW + dt.timedelta(minutes=61)) is None  # expired after an hour
        use_link(s, second, "a second long password", "a second long password", NOW + dt.timedelta(minutes=5))
    with session_scope(app.engine) as s:
        assert authenticate(s, _user(s), "a second long password")
        try:
            use_link(s, second, "a third long password", "a third long password", NOW + dt.timedelta(minutes=6))
            raise AssertionError("a link worked twice")
        except InputError as exc:
            assert "has been used" in exc.problem


def token_not_kept(s, token: str) -> bool:
    return all(token not in (link.token_hash, str(link)) for link in s.execute(select(PasswordLink)).scalars())


def test_two_processes_using_one_link_at_once_set_the_password_once(db_url):
    app = _account(db_url)
    with session_scope(app.engine) as s:
        token, _ = new_link(s, _user(s), "reset", NOW)
    app.engine.dispose()
    start = time.time() + 2.0
    runs = [subprocess.Popen([sys.executable, "-c", RACE, db_url, token, str(start), f"racing password {n} here"],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in (1, 2)]
    said = [run.communicate(timeout=60) for run in runs]
    assert sorted(out.strip() for out, _ in said) == ["refused", "set"], said
