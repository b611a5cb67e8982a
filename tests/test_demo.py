"""The demo: what `make run` shows a new user on every start."""

from __future__ import annotations

import re

import pytest

from pepflow.accounts.local import account_for, add_user, authenticate
from pepflow.db import session_scope
from pepflow.errors import PepflowError
from pepflow.service.application import App
from pepflow.service.use_cases import demo_sign_in_again, run_demo


def _password(lines: list[str]) -> str:
    return re.search(r"the password (\S+):", "\n".join(lines)).group(1)


def test_the_demo_prints_its_sign_in_line_again_at_every_start_with_a_new_password(tmp_path):
    app = App(database_url=f"sqlite:///{tmp_path / 'demo.db'}", today_override="2026-11-23")
    app.open(upgrade=True)
    first = _password(run_demo(app, children=12, schools=3))
    with session_scope(app.engine) as session:
        add_user(session, "someone.else@example.org", "vs_admin", "a long password of their own")

    again = demo_sign_in_again(app)

    assert "vsa1@example.org" in "\n".join(again) and "dt01@example.org" in "\n".join(again)
    second = _password(again)
    assert second != first
    with session_scope(app.engine) as session:
        assert authenticate(session, account_for(session, "vsa1@example.org"), second)
        with pytest.raises(PepflowError):
            authenticate(session, account_for(session, "vsa1@example.org"), first)
        # an account the demo did not make keeps its password
        assert authenticate(session, account_for(session, "someone.else@example.org"), "a long password of their own")
