"""Ofsted as it is now (rules/inspections.py, pepflow/intake/inspections.py): each of the three
frameworks read and judged in its own terms, from pepflow's columns or Ofsted's MI file."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from pepflow.db import Event, School, make_engine
from pepflow.rules.ofsted import INADEQUATE, NEEDS_DECISION, Judgement, concern

from .conftest import ROOT

DATA = ROOT / "tests" / "data"
D = dt.date(2026, 3, 3)


@pytest.mark.parametrize("judgement, level, words", [
    (Judgement("overall_grade", D, "inadequate"), INADEQUATE, "judged inadequate (inspection of 3 Mar 2026)"),
    (Judgement("overall_grade", D, "requires_improvement"), NEEDS_DECISION, "judged to require improvement"),
    (Judgement("overall_grade", D, "good"), None, ""),
    (Judgement("key_judgements", D, grades={"quality_of_education": "inadequate", "personal_development": "good"},
               safeguarding="effective"), INADEQUATE, "quality of education judged inadequate"),
    (Judgement("key_judgements", D, grades={"leadership_and_management": "requires_improvement"},
               safeguarding="effective"), NEEDS_DECISION, "leadership and management judged to require improvement"),
    (Judgement("key_judgements", D, grades={"quality_of_education": "good"}, safeguarding="not_effective"),
     INADEQUATE, "safeguarding not effective"),
    (Judgement("key_judgements", D, grades={"quality_of_education": "good"}, safeguarding="effective"), None, ""),
    (Judgement("report_card", D, grades={"inclusion": "expected_standard"}, safeguarding="not_met"),
     NEEDS_DECISION, "safeguarding not met (report card of 3 Mar 2026)"),
    (Judgement("report_card", D, grades={"achievement": "urgent_improvement", "inclusion": "strong_standard"},
               safeguarding="met"), NEEDS_DECISION, "urgent improvement in achievement"),
    (Judgement("report_card", D, grades={"achievement": "needs_attention"}, safeguarding="met"), None, ""),
])
def test_each_framework_is_judged_in_its_own_terms(judgement, level, words):
    found = concern(judgement)
    assert (found.level if found else None) == level
    if found:
        assert words in found.why


def _base(cli, db_url):
    for kind in ("people", "schools"):
        assert cli("--db", db_url, "--today", "2026-01-10", "import", kind, str(DATA / f"{kind}.csv"))[0] == 0


def test_pepflows_own_inspections_file_holds_all_three_frameworks(cli, db_url, tmp_path):
    _base(cli, db_url)
    path = tmp_path / "inspections.csv"
    path.write_text("urn,inspected_on,framework,overall,safeguarding,quality_of_education,inclusion,achievement\n"
                    "100001,2023-03-01,overall_grade,good,,,,\n"
                    "100001,2025-01-20,key_judgements,,effective,requires_improvement,,\n"
                    "100002,2026-01-05,report_card,,met,,strong_standard,urgent_improvement\n")
    code, out, err = cli("--db", db_url, "--today", "2026-01-10", "import", "inspections", str(path))
    assert code == 0 and "3 added" in out, err
    again = cli("--db", db_url, "--today", "2026-01-10", "import", "inspections", str(path))[1]
    assert "0 added, 0 changed, 3 unchanged" in again
    with Session(make_engine(db_url)) as s:
        assert s.get(School, "100001").ofsted == "good"  # the school's own grade follows the latest graded one
        assert len(s.exec(select(Event).where(Event.name == "inspection_added")).all()) == 3


def test_a_bad_grade_for_its_framework_is_named_and_nothing_is_written(cli, db_url, tmp_path):
    _base(cli, db_url)
    path = tmp_path / "inspections.csv"
    path.write_text("urn,inspected_on,framework,overall,safeguarding,inclusion\n"
                    "100001,2026-01-05,report_card,,met,good\n"
                    "999999,2026-01-05,overall_grade,good,,\n")
    code, _, err = cli("--db", db_url, "import", "inspections", str(path))
    assert code == 1 and "column inclusion: 'good'" in err and "999999" in err and "not in the schools list" in err


def test_ofsteds_management_information_file_is_read_by_its_columns(cli, db_url, tmp_path):
    _base(cli, db_url)
    path = tmp_path / "management_information.csv"
    path.write_text(
        "Web link,URN,School name,Inspection start date,Overall effectiveness,Quality of education,"
        "Behaviour and attitudes,Personal development,Effectiveness of leadership and management,"
        "Safeguarding is effective?\n"
        "x,100001,Hill,14/03/2023,3,3,2,2,3,Yes\n"
        "x,100002,Vale,02/12/2024,Not judged,4,2,2,3,Yes\n"
        "x,123456,Elsewhere,01/01/2024,2,2,2,2,2,Yes\n"
        "x,100003,New,,,,,,,\n", encoding="utf-8")
    code, out, err = cli("--db", db_url, "--today", "2026-01-10", "import", "inspections", str(path))
    assert code == 0, err
    assert "2 added" in out and "1 row(s) for schools pepflow does not hold left out" in out
    from pepflow.db import Inspection

    with Session(make_engine(db_url)) as s:
        found = {i.urn: i for i in s.exec(select(Inspection))}
    assert (found["100001"].framework, found["100001"].overall) == ("overall_grade", "requires_improvement")
    assert found["100002"].framework == "key_judgements"
    assert found["100002"].grades["quality_of_education"] == "inadequate"
    assert found["100002"].safeguarding == "effective"
