"""The PEP as a document (issue 39 item 2): each section saved whole by a role that fills it in
(others read it), checked against the template, a save over someone else's refused, every save in
the history without its words, what pepflow knows filled in from its records, and "PEP submitted"
refused until every required field is filled once the document is in use."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlmodel import Session

from pepflow.db.connection import session_scope
from pepflow.db.models import Child, Event, Pep
from pepflow.errors import InputError
from pepflow.states.pep_document import document, missing_before_submission, save_section

from .conftest import d
from .support.cases import add_child, event, fill_pep

NOW = dt.datetime(2026, 1, 6, 10, 0, tzinfo=dt.timezone.utc)
ON = d("2026-01-06")


def _save(world, config, section, values, role="designated_teacher", seen=0, actor="user:dt1@example.org"):
    with session_scope(world) as s:
        child, pep = s.get(Child, "C100"), _current(s)
        return save_section(s, config, child, pep, section, values, role, actor, seen, NOW, ON).version


def _current(s) -> Pep:
    return s.execute(select(Pep).where(Pep.child_ref == "C100", Pep.is_current)).scalar_one()


@pytest.fixture
def pep(world, config):
    add_child(world, config, d("2025-12-18"))
    return world


def test_what_pepflow_knows_is_filled_in_from_its_records(pep, config):
    with Session(pep) as s:
        sections = {v.spec.key: v for v in document(s, config, s.get(Child, "C100"), _current(s), ON)}
    assert sections["about_the_child"].known["name"] == "Test Child"
    assert sections["about_the_child"].known["date_of_birth"] == "1 Oct 2015"
    assert sections["setting"].known["school"] == "Riverside Primary"
    assert sections["setting"].known["designated_teacher"] == "Dee Teacher"
    assert all(v.status == "not_started" for v in sections.values())


def test_each_section_is_saved_by_a_role_that_fills_it_in_and_read_by_the_others(pep, config):
    with pytest.raises(InputError, match="is filled in by the social worker; you may read it"):
        _save(pep, config, "contacts", {"carers": "x"}, role="designated_teacher")
    with pytest.raises(InputError, match="is filled in by the designated teacher"):
        _save(pep, config, "targets", {}, role="social_worker")
    assert _save(pep, config, "childs_voice", {"views": "I like maths", "attended": "yes"}, role="social_worker") == 1
    with Session(pep) as s:
        assert s.execute(select(Event.name)).scalars().all().count("pep_section_saved") == 1


def test_a_save_over_someone_elses_is_refused_and_changes_nothing(pep, config):
    _save(pep, config, "childs_voice", {"views": "I like maths", "attended": "yes"})
    with pytest.raises(InputError, match="was saved by dt1@example.org at .* after you opened it"):
        _save(pep, config, "childs_voice", {"views": "I like art", "attended": "yes"}, seen=0)
    assert _save(pep, config, "childs_voice", {"views": "I like art", "attended": "yes"}, seen=1) == 2
    with Session(pep) as s:
        saved = [v for v in document(s, config, s.get(Child, "C100"), _current(s), ON)
                 if v.spec.key == "childs_voice"][0]
        history = s.execute(select(Event.payload).where(Event.name == "pep_section_saved")).scalars().all()
    assert saved.values["views"] == "I like art" and saved.status == "completed"
    assert history[-1] == {"section": "childs_voice", "version": 2, "changed": ["views"], "status": "completed"}
    assert "art" not in str(history)  # the words are the record's, not the history's


@pytest.mark.parametrize("values, message", [
    ({"targets": [{"area": "reading", "target": "t", "measure": "m", "actions": "a", "who": "w", "by_when": "1/3/2026"}]},
     "must be one of academic, social and emotional, attendance, other"),
    ({"targets": [{"area": "academic", "target": "Read daily", "measure": "m", "actions": "a", "who": "w",
                   "by_when": "31/2/2026"}]}, "targets, row 1, By when"),
    ({"targets": [{"area": "academic", "target": "", "measure": "m", "actions": "a", "who": "w",
                   "by_when": "1/3/2026"}]}, "targets, row 1, Target"),
    ({"targets": [{"area": "academic", "target": "t", "measure": "m", "actions": "a", "who": "w",
                   "by_when": "1/3/2026"}] * 5}, "may have at most 4"),
])
def test_a_bad_value_is_named_with_its_field_and_nothing_is_written(pep, config, values, message):
    with pytest.raises(InputError) as refused:
        _save(pep, config, "targets", values)
    assert message in f"{refused.value.field} {refused.value.problem}"
    with Session(pep) as s:
        assert s.execute(select(Event.id).where(Event.name == "pep_section_saved")).first() is None


def test_a_number_out_of_its_range_is_refused():
    from pepflow.config import load_config
    from pepflow.rules.pep_values import read_value

    score = load_config().pep_template.section("health").field("sdq_score")
    assert read_value(score, "17") == 17
    for bad, said in (("41", "at most 40"), ("3.5", "whole number"), ("lots", "must be a number")):
        with pytest.raises(InputError, match=said):
            read_value(score, bad)
    when = load_config().pep_template.section("health").field("sdq_date")
    with pytest.raises(InputError, match="must be a date from 2000 to 2100"):
        read_value(when, "1/1/1999")


def test_submission_waits_for_every_required_field_once_the_document_is_in_use(pep, config):
    event(pep, config, "C100", "pep_meeting_held", "2026-01-05")
    _save(pep, config, "childs_voice", {"views": "I like maths", "attended": "yes"})
    with pytest.raises(InputError, match="still to fill in: About the child: Care plan summary; Contacts"):
        event(pep, config, "C100", "pep_submitted", "2026-01-06")
    with Session(pep) as s:
        missing = missing_before_submission(s, config, s.get(Child, "C100"), _current(s), ON)
        assert "The child's voice: Came to the meeting" not in missing and len(missing) > 5
        assert s.get(Pep, _current(s).id).state == "meeting_held"


def test_a_pep_kept_in_another_epep_is_submitted_as_before(pep, config):
    event(pep, config, "C100", "pep_meeting_held", "2026-01-05")
    event(pep, config, "C100", "pep_submitted", "2026-01-06")  # no section saved: the steps only
    with pytest.raises(InputError, match="cannot be changed now: the PEP has been submitted"):
        _save(pep, config, "childs_voice", {"views": "late", "attended": "no"})


def test_last_terms_targets_are_carried_into_the_next_pep_to_be_reviewed(pep, config):
    target = {"area": "academic", "target": "Read for 20 minutes a day", "measure": "Reading age", "actions": "Mentor",
              "who": "Class teacher", "by_when": "1/3/2026"}
    _save(pep, config, "targets", {"targets": [target]})
    event(pep, config, "C100", "pep_meeting_held", "2026-01-05")
    fill_pep(pep, config, "C100", "2026-01-06")  # what submission needs, besides the target
    for name, on, params in [("pep_submitted", "2026-01-08", {}), ("pep_approved", "2026-01-09", {"rating": "green"}),
                             ("pep_meeting_held", "2026-05-06", {})]:
        event(pep, config, "C100", name, on, **params)
    with Session(pep) as s:
        review = [v for v in document(s, config, s.get(Child, "C100"), _current(s), d("2026-05-06"))
                  if v.spec.key == "last_terms_targets"][0]
    assert review.status == "not_started"
    assert review.values["review"] == [{"target": "Read for 20 minutes a day", "outcome": "", "money_achieved": ""}]


def test_the_command_line_prints_the_document_as_json(pep, config, cli):
    import json

    _save(pep, config, "childs_voice", {"views": "I like maths", "attended": "yes"})
    url = pep.url.render_as_string(hide_password=False)
    code, out, err = cli("--db", url, "--today", "2026-01-06", "pep", "show", "--child", "c100", "--json")
    assert code == 0, err
    shown = json.loads(out)
    voice = next(s for s in shown["sections"] if s["key"] == "childs_voice")
    assert voice["values"] == {"views": "I like maths", "attended": "yes"} and voice["status"] == "completed"
    about = next(s for s in shown["sections"] if s["key"] == "about_the_child")
    assert about["known"]["name"] == "Test Child" and "Care plan summary" in about["missing"]


def _submitted(pep, config):
    event(pep, config, "C100", "pep_meeting_held", "2026-01-05")
    fill_pep(pep, config, "C100", "2026-01-06")
    event(pep, config, "C100", "pep_submitted", "2026-01-06")


def _qa(pep, config, grades, role="vs_admin"):
    from pepflow.states.pep_document import record_qa

    with session_scope(pep) as s:
        child, current_pep = s.get(Child, "C100"), _current(s)
        keys = [v.spec.key for v in document(s, config, child, current_pep, ON)]
        chosen = {k: grades.get(k, ("green", "")) for k in keys}
        return record_qa(s, config, child, current_pep, chosen, role, "user:vsa1@example.org", ON, ON)


def test_qa_by_section_returns_the_pep_naming_the_sections_and_the_teacher_changes_only_those(pep, config):
    _submitted(pep, config)
    with pytest.raises(InputError, match="needs a comment"):
        _qa(pep, config, {"targets": ("red", "")})
    with pytest.raises(InputError, match="is the Virtual School's to record"):
        _qa(pep, config, {}, role="designated_teacher")
    outcome, back = _qa(pep, config, {"targets": ("red", "Not measurable: say how success is measured")})
    assert (outcome, back) == ("returned", ["SMART targets"])
    with Session(pep) as s:
        current_pep = _current(s)
        assert current_pep.state == "returned" and "SMART targets: Not measurable" in current_pep.returned_reason
        views = {v.spec.key: v for v in document(s, config, s.get(Child, "C100"), current_pep, ON)}
    assert views["targets"].status == "needs_changes" and views["targets"].qa_grade == "red"
    with pytest.raises(InputError, match="was not sent back for changes"):
        _save(pep, config, "childs_voice", {"views": "x", "attended": "yes"}, seen=views["childs_voice"].version)
    targets = dict(views["targets"].values)
    _save(pep, config, "targets", targets, seen=views["targets"].version)
    event(pep, config, "C100", "pep_resubmitted", "2026-01-06")


@pytest.mark.parametrize("grades, rating", [({}, "green"), ({"targets": ("amber", "Thin")}, "green"),
                                            ({"targets": ("amber", "Thin"), "meeting": ("amber", "Who came?")}, "amber")])
def test_the_councils_rule_gives_the_rating_the_pep_is_approved_with(pep, config, grades, rating):
    _submitted(pep, config)
    assert _qa(pep, config, grades) == (rating, [])
    with Session(pep) as s:
        assert (_current(s).state, _current(s).quality_rating) == ("approved", rating)
        said = s.execute(select(Event.payload).where(Event.name == "pep_qa_recorded")).scalars().all()
    assert said[-1]["outcome"] == rating and "Thin" not in str(said)


def test_the_approved_pep_is_a_pdf_with_the_targets_and_the_childs_voice_and_its_hash(pep, config, tmp_path, cli):
    import io

    from pypdf import PdfReader

    _save(pep, config, "targets", {"targets": [{"area": "academic", "target": "Read for twenty minutes a day",
                                                "measure": "Reading age", "actions": "Mentor", "who": "Class teacher",
                                                "by_when": "26/3/2026"}]})
    _save(pep, config, "childs_voice", {"views": "I want to be a vet when I grow up", "attended": "yes"})
    _submitted(pep, config)
    _qa(pep, config, {})
    url = pep.url.render_as_string(hide_password=False)
    out = tmp_path / "pep.pdf"
    code, said, err = cli("--db", url, "--today", "2026-01-06", "pep", "pdf", "--child", "C100", "--out", str(out))
    assert code == 0, err
    text = " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(out.read_bytes())).pages).split())
    assert "Read for twenty minutes a day" in text and "I want to be a vet when I grow up" in text
    assert "26 Mar 2026" in text and "SHA-256" in text
    again = tmp_path / "again.pdf"
    code, _, err = cli("--db", url, "--today", "2026-01-06", "pep", "pdf", "--child", "C100", "--term", "Spring 2025-26",
                       "--out", str(again))
    assert code == 0, err
    assert again.read_bytes() == out.read_bytes()  # the same PEP, by its term: made once, kept
    code, _, err = cli("--db", url, "--today", "2026-01-06", "pep", "pdf", "--child", "C100", "--term", "winter 2025",
                       "--out", str(again))
    assert code == 1 and "--term = 'winter 2025': is not a term of the child's school calendar" in err


def test_the_pdf_is_dropped_whole_into_the_folder_the_care_record_collects_from(pep, config, tmp_path):
    from pepflow.config import load_config
    from pepflow.service.pep_pdf import pdf_for

    council = tmp_path / "council"
    council.mkdir()
    folder = tmp_path / "collected"
    (council / "pepflow.toml").write_text(f'[settings]\npep_pdf_folder = "{folder}"\n')
    _submitted(pep, config)
    _qa(pep, config, {})
    with session_scope(pep) as s:
        made = pdf_for(s, load_config(council), s.get(Child, "C100"), _current(s), NOW, ON)
        pep_id = made.pep_id
    dropped = folder / f"C100-{pep_id}.pdf"
    assert dropped.read_bytes().startswith(b"%PDF") and [p.name for p in folder.iterdir()] == [dropped.name]


def test_the_compliance_report_counts_grades_by_section_returns_and_reviewed_targets(pep, config):
    from pepflow.reports.compliance_figures import compliance

    _submitted(pep, config)
    _qa(pep, config, {"targets": ("red", "Not measurable")})
    with Session(pep) as s:
        views = {v.spec.key: v for v in document(s, config, s.get(Child, "C100"), _current(s), ON)}
    _save(pep, config, "targets", dict(views["targets"].values), seen=views["targets"].version)
    event(pep, config, "C100", "pep_resubmitted", "2026-01-06")
    _qa(pep, config, {"meeting": ("amber", "Who else came?")})
    with Session(pep) as s:
        figures = compliance(s, config, d("2025-09-01"), d("2026-07-31"), ON)["pep_qa"]
    (term,) = figures["grades_by_term"]
    assert figures["grades_by_term"][term]["SMART targets"] == {"green": 1}
    assert figures["grades_by_term"][term]["The meeting"] == {"amber": 1}
    assert figures["sections_returned"] == {"SMART targets": 1}


RACE = """
import sys, time, datetime as dt
from sqlalchemy import select
from pepflow.config import load_config
from pepflow.db import make_engine
from pepflow.db.connection import session_scope
from pepflow.db.models import Child, Pep
from pepflow.errors import InputError
from pepflow.states.pep_document import save_section
url, start, words = sys.argv[1], float(sys.argv[2]), sys.argv[3]
engine, config = make_engine(url), load_config()
while time.time() < start:
    time.sleep(0.001)
try:
    with session_scope(engine) as s:
        pep = s.execute(select(Pep).where(Pep.child_ref == "C100", Pep.is_current)).scalar_one()
        save_section(s, config, s.get(Child, "C100"), pep, "childs_voice", {"views": words, "attended": "yes"},
                     "designated_teacher", "user:" + words, 1, dt.datetime(2026, 1, 6, 10, tzinfo=dt.timezone.utc),
                     dt.date(2026, 1, 6))
    print("saved")
except InputError as exc:
    print("refused" if "at the same moment" in exc.problem or "after you opened it" in exc.problem else exc.problem)
"""


def test_two_processes_saving_one_section_from_one_form_keep_one_and_refuse_the_other(pep, config):
    import subprocess
    import sys
    import time

    from .conftest import ROOT

    _save(pep, config, "childs_voice", {"views": "first", "attended": "yes"})
    url = pep.url.render_as_string(hide_password=False)
    start = time.time() + 2.0
    runs = [subprocess.Popen([sys.executable, "-c", RACE, url, str(start), words], cwd=ROOT, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE) for words in ("one", "two")]
    said = [run.communicate(timeout=60) for run in runs]
    assert sorted(out.strip() for out, _ in said) == ["refused", "saved"], said
    with Session(pep) as s:
        kept = [v for v in document(s, config, s.get(Child, "C100"), _current(s), ON) if v.spec.key == "childs_voice"][0]
    assert kept.version == 2 and kept.values["views"] in ("one", "two")
