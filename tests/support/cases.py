"""A world of people and schools (the test data files), a child admitted to it, and events
recorded on their case: the set-up most tests of the processes share."""

from __future__ import annotations
import pytest
from sqlmodel import Session, select
from pepflow.engine.recording import record_event
from pepflow.db import Deadline, Pep
from pepflow.db.models import Child
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


def event(engine, config, ref, name, on, today="2026-07-01", role=None, **params):
    """Record ``name`` for ``ref``; ``role`` is the recorder's (an account's), where the event asks whose."""
    with session_scope(engine) as s:
        return record_event(s, config, ref, name, on, d(today), params={k: str(v) for k, v in params.items()},
                            actor=f"user:{role}@example.org" if role else None, role=role)


def save_targets(engine, config, ref, on, *targets):
    """The child's current PEP's SMART targets, saved by the designated teacher (one row each)."""
    import datetime as dt

    from pepflow.states.pep_document import document, save_section

    section, field = config.pep_template.targets_table()
    with session_scope(engine) as s:
        child = s.get(Child, ref)
        pep = s.exec(select(Pep).where(Pep.child_ref == ref, Pep.is_current)).first()
        view = next(v for v in document(s, config, child, pep, d(on)) if v.spec.key == section)
        rows = [{"area": "academic", "target": t, "measure": "teacher assessment", "actions": "weekly sessions",
                 "who": "Dee Teacher", "by_when": "1/3/2026"} for t in targets]
        save_section(s, config, child, pep, section, {field: rows}, "designated_teacher", "user:dt1@example.org",
                     view.version, dt.datetime(2026, 1, 6, 10, 0, tzinfo=dt.timezone.utc), d(on))


def deadlines(engine, ref, kind=None):
    with Session(engine) as s:
        query = select(Deadline).where(Deadline.child_ref == ref)
        if kind:
            query = query.where(Deadline.kind == kind)
        return list(s.exec(query.order_by(Deadline.id)))


def current(engine, ref):
    with Session(engine) as s:
        return s.exec(select(Pep).where(Pep.child_ref == ref, Pep.is_current)).first()


def fill_pep(engine, config, ref, on, now=None):
    """Fill every field of the child's current PEP that submission needs, each section by its owner,
    with plain made-up values of the right type (a table: one row)."""
    import datetime as dt

    from pepflow.states.pep_document import document, save_section

    def sample(field):
        return {"text": "as agreed", "long_text": "as agreed at the meeting", "choice": field.options[0] if field.options
                else "", "date": "1/3/2026", "number": str(int(field.minimum or 0)), "yes_no": "yes"}.get(field.type, "")

    when = now or dt.datetime(2026, 1, 6, 10, 0, tzinfo=dt.timezone.utc)
    with session_scope(engine) as s:
        child = s.get(Child, ref)
        pep = s.exec(select(Pep).where(Pep.child_ref == ref, Pep.is_current)).first()
        for view in document(s, config, child, pep, d(on)):
            values = dict(view.values)
            for field in view.spec.fields:
                if field.prefill or values.get(field.key):
                    continue
                values[field.key] = [{c.key: sample(c) for c in field.columns}] if field.type == "table" else sample(field)
            save_section(s, config, child, pep, view.spec.key, values, view.spec.owner, "user:test", view.version,
                         when, d(on))
