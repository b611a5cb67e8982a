"""A world of people and schools (the test data files), a child admitted to it, and events
recorded on their case: the set-up most tests of the processes share."""

from __future__ import annotations
import pytest
from sqlmodel import Session, select
from pepflow.engine.recording import record_event
from pepflow.db import Deadline, Pep
from pepflow.db.connection import session_scope
from pepflow.intake.csv_import import import_records
from pepflow.intake.csv_reading import read_csv
from pepflow.service.use_cases import admit_child
from . import ROOT, d


DATA = ROOT / "tests" / "data"


def add_child(engine, config, today, ref="C100", entered="2025-12-18", dob="2015-10-01", **extra):
    row = {"ref": ref, "first_name": "Test", "last_name": "Child", "dob": dob,
           "legal_status": "care_order", "entered_care": entered, "school_urn": "100001",
           "social_worker_ref": "SW1", "iro_ref": "IRO1", **extra}
    with session_scope(engine) as s:
        admit_child(s, config, today, **row)


@pytest.fixture
def world(engine, config):
    """People and schools from the test files; children are added per test."""
    with session_scope(engine) as s:
        for kind in ("people", "schools"):
            import_records(s, config, kind, read_csv(DATA / f"{kind}.csv", kind), d("2025-12-01"))
    return engine


def event(engine, config, ref, name, on, today="2026-07-01", **params):
    with session_scope(engine) as s:
        return record_event(s, config, ref, name, on, d(today), params={k: str(v) for k, v in params.items()})


def deadlines(engine, ref, kind=None):
    with Session(engine) as s:
        query = select(Deadline).where(Deadline.child_ref == ref)
        if kind:
            query = query.where(Deadline.kind == kind)
        return list(s.exec(query.order_by(Deadline.id)))


def current(engine, ref):
    with Session(engine) as s:
        return s.exec(select(Pep).where(Pep.child_ref == ref, Pep.is_current)).first()
