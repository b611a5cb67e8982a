"""What reaches its retention date, when and why, and legal holds that keep it (issue 43 items 3-4)."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from pepflow.db.connection import session_scope
from pepflow.db.models import Child, Event
from pepflow.errors import InputError
from pepflow.service.retention import lift_hold, place_hold, records_due

from .support.cases import add_child
from .conftest import d


@pytest.fixture
def children(world, config):
    add_child(world, config, d("2025-12-18"), ref="C100", dob="2015-10-01")
    add_child(world, config, d("2025-12-18"), ref="C200", dob="2009-10-01")
    with session_scope(world) as s:
        old = s.get(Child, "C200")
        old.dob = d("1950-06-01")  # 75 on 1 June 2025: the case record and the PEP reach their date
    return world


def due(world, config, today="2026-07-01", within=0):
    with Session(world) as s:
        return records_due(s, config, d(today), within)


def test_a_record_reaches_its_date_by_the_first_rule_that_applies(children, config):
    items = [(i.child_ref, i.record, i.due_on, i.action) for i in due(children, config)]
    assert ("C200", "case", "2025-06-01", "anonymise") in items and ("C200", "pep", "2025-06-01", "remove") in items
    assert ("C200", "attendance", "1981-06-01", "remove") in items  # 31 years from birth
    assert not [i for i in items if i[0] == "C100"]


def test_a_child_who_died_before_18_is_kept_15_years_from_the_death(children, config):
    with session_scope(children) as s:
        s.get(Child, "C100").died_on = d("2016-03-01")
    items = {(i.child_ref, i.record): i for i in due(children, config, "2031-03-01")}
    assert items[("C100", "case")].due_on == "2031-03-01" and "(died before 18)" in items[("C100", "case")].why


def test_emails_and_views_are_due_row_by_row(children, config):
    from pepflow.audit.disclosures import disclosed

    with session_scope(children) as s:
        disclosed(s, "case_viewed", d("2026-07-01"), "user:vsa@example.org", {"account": "vsa@example.org"}, "C100")
    later = [(i.child_ref, i.record, i.rows) for i in due(children, config, within=3650) if i.record == "views"]
    assert later == [("C100", "views", 1)]


def test_a_hold_keeps_a_childs_records_and_an_inquirys_keeps_everyones_until_lifted(children, config):
    with session_scope(children) as s:
        one = place_hold(s, "C200", "a claim against the council about C200's care", "user:vsh@example.org",
                         d("2026-07-01")).id
    assert all(i.held for i in due(children, config) if i.child_ref == "C200")
    with session_scope(children) as s:
        lift_hold(s, one, "user:vsh@example.org", d("2026-07-02"))
        everyone = place_hold(s, None, "the independent inquiry", "user:vsh@example.org", d("2026-07-02")).id
    assert all(i.held for i in due(children, config, "2026-07-03"))
    with session_scope(children) as s:
        lift_hold(s, everyone, "user:vsh@example.org", d("2026-07-04"))
        with pytest.raises(InputError, match="was lifted on 2026-07-04"):
            lift_hold(s, everyone, "user:vsh@example.org", d("2026-07-05"))
    assert not any(i.held for i in due(children, config, "2026-07-05"))
    with Session(children) as s:
        names = [e.name for e in s.exec(select(Event).where(Event.process == "records").order_by(Event.id))]
    assert names == ["legal_hold_placed", "legal_hold_lifted", "legal_hold_placed", "legal_hold_lifted"]


def test_a_hold_needs_a_reason(children, config):
    with session_scope(children) as s, pytest.raises(InputError, match="why the records must be kept"):
        place_hold(s, "C200", " ", "user:vsh@example.org", d("2026-07-01"))


def test_records_due_and_hold_commands(children, config, cli, monkeypatch, db_url):
    monkeypatch.setenv("PEPFLOW_DATABASE_URL", db_url)
    monkeypatch.setenv("PEPFLOW_TODAY", "2026-07-01")
    code, out, err = cli("records", "hold", "--child", "c200", "--reason", "a claim")
    assert code == 0, err
    code, out, err = cli("records", "due", "--json")
    assert code == 0, err
    data = json.loads(out)
    case = next(i for i in data["items"] if i["record"] == "case")
    assert (case["child_ref"], case["due_on"], case["held"]) == ("C200", "2025-06-01", True)
    assert "Care Planning, Placement and Case Review" in case["source"]
    code, _, err = cli("records", "hold", "--reason", "no scope")
    assert code == 1 and "--child" in err
