"""School admissions: more schools (an academy, inadequate, requires improvement, out of area)
and a child who needs a place, with the steps of the process."""

from __future__ import annotations
import pytest
from sqlmodel import Session, select
from pepflow.db.connection import session_scope
from pepflow.db.models import Admission, School
from . import d
from .cases import add_child, event


TODAY = "2026-12-18"


def admission_of(engine, ref="C100"):
    with Session(engine) as s:
        return s.exec(select(Admission).where(Admission.child_ref == ref).order_by(Admission.id.desc())).first()


def step(engine, config, name, on, **params):
    return event(engine, config, "C100", name, on, today=TODAY, **params)


@pytest.fixture
def schools(world, config):
    """More schools: an academy, an inadequate one, one requiring improvement, one out of area."""
    with session_scope(world) as s:
        s.add(School(urn="200001", name="Oak Academy", type="academy", la="Example", ofsted="good"))
        s.add(School(urn="200002", name="Elm School", type="maintained", la="Example", ofsted="inadequate"))
        s.add(School(urn="200003", name="Ash School", type="maintained", la="Example", ofsted="requires_improvement"))
        s.add(School(urn="200004", name="Far School", type="maintained", la="Elsewhere", ofsted="good"))
        s.add(School(urn="200005", name="Birch School", type="maintained", la="Example", ofsted="good"))
    add_child(world, config, d("2026-07-15"), entered="2025-01-10",
              last_pep_meeting="2026-06-10", last_care_review="2026-05-01")
    return world
