"""A site of the web pages for each test, clients signed in by role, and cases in a given state."""

from __future__ import annotations
import datetime as dt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from pepflow.db.connection import session_scope
from pepflow.db.models import Deadline, Event, Pep
from pepflow.web.app import create_app
from ..websupport import TODAY, build_site, sign_in
from pepflow.cohort import year_group
from pepflow.engine.recording import record_event
from pepflow.db.models import Child, School


@pytest.fixture
def fresh_site(tmp_path):
    """A site of its own, for tests that change records or the clock."""
    built = build_site(f"sqlite:///{tmp_path / 'web.db'}", children=30, schools=5)
    yield built
    built.app.engine.dispose()


def client_for(site, **kwargs) -> TestClient:
    return TestClient(create_app(site.app), **kwargs)


def signed_in_client(site, role: str) -> TestClient:
    client = client_for(site)
    response = sign_in(client, role)
    assert response.status_code == 303, response.text
    return client


def child_in_state(site, states: tuple[str, ...]) -> str:
    with session_scope(site.app.engine) as s:
        return s.execute(select(Pep.child_ref).where(Pep.is_current, Pep.state.in_(states))
                         .order_by(Pep.child_ref)).scalars().first()


def snapshot(site, ref):
    with session_scope(site.app.engine) as s:
        return (s.execute(select(Pep.state, Pep.id).where(Pep.child_ref == ref, Pep.is_current)).all(),
                s.execute(select(Deadline.id, Deadline.status).where(Deadline.child_ref == ref)).all(),
                s.execute(select(Event.id).where(Event.child_ref == ref, Event.process != "access")).all())


def proposed_ri_school_in_year_10(site) -> tuple[str, str]:
    """A Year 10 or 11 child proposed a 'requires improvement' school other than their own."""
    app = site.app
    with session_scope(app.engine) as s:
        child = next(c for c in s.execute(select(Child).where(Child.looked_after).order_by(Child.ref)).scalars()
                     if year_group(c.dob, TODAY) in (10, 11) and c.school_urn)
        school = s.get(School, next(u for u in s.execute(select(School.urn).order_by(School.urn)).scalars()
                                    if u != child.school_urn))
        school.ofsted, school.ofsted_date = "requires_improvement", dt.date(2024, 1, 10)
        ref, urn = child.ref, school.urn
    with session_scope(app.engine) as s:
        on = TODAY - dt.timedelta(days=2)
        record_event(s, app.config, ref, "admission_needed", on, TODAY, params={"reason": "other"}, role="vs_officer")
        record_event(s, app.config, ref, "school_proposed", on, TODAY, params={"school_urn": urn}, role="vs_officer")
    return ref, urn


def pupil_with_a_pep_being_written(site, dt_email: str,
                                   states: tuple[str, ...] = ("due", "meeting_scheduled", "meeting_held", "returned")
                                   ) -> str:
    """A pupil at the designated teacher's school whose current PEP is being written (in one of
    ``states``; a new cycle's meeting arranged for them if none is)."""
    from pepflow.db.models import Pep, UserAccount

    app = site.app
    with session_scope(app.engine) as s:
        account = s.execute(select(UserAccount).where(UserAccount.email == dt_email)).scalar_one()
        schools = s.execute(select(School.urn).where(School.dt_ref == account.person_ref)).scalars().all()
        rows = s.execute(select(Child.ref, Pep.state).join(Pep, Pep.child_ref == Child.ref).where(
            Child.school_urn.in_(schools), Child.looked_after, Pep.is_current).order_by(Child.ref)).all()
    writing = [ref for ref, state in rows if state in states]
    if writing:
        return writing[0]
    ref = next(ref for ref, state in rows if state in ("approved", "distributed"))
    with session_scope(app.engine) as s:
        record_event(s, app.config, ref, "pep_meeting_scheduled", TODAY, TODAY,
                     params={"meeting_date": (TODAY + dt.timedelta(days=7)).isoformat()}, role="designated_teacher")
    return ref


def pupil_with_targets(site, *targets: str) -> str:
    """A designated teacher's pupil whose PEP meeting is held and whose PEP has these SMART targets saved
    (Pupil Premium Plus is asked for against them)."""
    from .cases import save_targets

    app = site.app
    ref = pupil_with_a_pep_being_written(site, "dt01@example.org", states=("due", "meeting_scheduled", "meeting_held"))
    with session_scope(app.engine) as s:
        if s.execute(select(Pep.state).where(Pep.child_ref == ref, Pep.is_current)).scalar_one() != "meeting_held":
            record_event(s, app.config, ref, "pep_meeting_held", TODAY, TODAY, role="designated_teacher")
    save_targets(app.engine, app.config, ref, TODAY.isoformat(), *targets)
    return ref
