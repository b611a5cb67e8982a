"""School admissions: the 20-school-day clock, directions, the Adjudicator and suitability."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from pepflow.errors import InputError, TransitionNotAllowed
from pepflow.reports.listings import admission_list
from pepflow.rules.ofsted import Judgement
from pepflow.rules.placement import BLOCK, NEEDS_APPROVAL, NOTIFY, Proposal, check
from pepflow.states import admission as admission_states
from pepflow.engine.machine import problems

from .support.admissions import admission_of, step
from .conftest import d
from .support.cases import deadlines









def test_need_identified_on_15_july_2026_is_due_on_the_20th_school_day_in_september(schools, config):
    step(schools, config, "admission_needed", "2026-07-15", reason="care_placement_moved")
    (clock,) = deadlines(schools, "C100", "admission_placement")
    assert (clock.due_on, clock.unit, clock.number) == (d("2026-09-23"), "school", 20)
    assert deadlines(schools, "C100", "no_education_arranged")[0].status == "open"


def test_the_childs_clock_runs_through_the_process_and_stops_when_on_roll(schools, config):
    step(schools, config, "admission_needed", "2026-09-07", reason="care_placement_moved")
    step(schools, config, "school_proposed", "2026-09-08", school_urn="200005")
    step(schools, config, "application_made", "2026-09-09")
    decision = deadlines(schools, "C100", "admission_decision")[0]
    assert decision.due_on == d("2026-09-30")  # 15 school days
    assert deadlines(schools, "C100", "admission_decision_aim")[0].due_on == d("2026-09-23")
    step(schools, config, "place_offered", "2026-09-21")
    step(schools, config, "started_at_school", "2026-10-08")
    clock = deadlines(schools, "C100", "admission_placement")[0]
    assert (clock.status, clock.days_late, clock.late_unit) == ("met_late", 3, "school")
    assert admission_of(schools).state == "on_roll"
    with Session(schools) as s:
        from pepflow.db import Child
        assert s.get(Child, "C100").school_urn == "200005"
    assert deadlines(schools, "C100", "dt_full_details")[0].due_on == d("2026-10-09")
    assert deadlines(schools, "C100", "pep_significant_change")[0].status == "open"


def refused_at(engine, config, urn):
    step(engine, config, "admission_needed", "2026-09-07", reason="care_placement_moved")
    step(engine, config, "school_proposed", "2026-09-07", school_urn=urn)
    step(engine, config, "application_made", "2026-09-08")
    step(engine, config, "place_refused", "2026-09-10")


def test_no_direction_inside_the_7_day_consultation_window(schools, config):
    refused_at(schools, config, "100001")
    step(schools, config, "direction_consultation_started", "2026-09-11")
    with pytest.raises(InputError, match="until the consultation window ends on 18 Sep 2026"):
        step(schools, config, "direction_issued", "2026-09-15")
    step(schools, config, "direction_issued", "2026-09-19")
    admission = admission_of(schools)
    assert admission.referral_window_ends == d("2026-09-26")  # 7 calendar days, weekend counts
    with pytest.raises(InputError, match="may still refer"):
        step(schools, config, "started_at_school", "2026-09-22")
    step(schools, config, "started_at_school", "2026-09-28")  # the direction stands
    assert admission_of(schools).state == "on_roll"


def test_an_answer_before_the_window_ends_allows_the_direction(schools, config):
    refused_at(schools, config, "100001")
    step(schools, config, "direction_consultation_started", "2026-09-11")
    step(schools, config, "consultation_answered", "2026-09-14", answer="not_willing")
    step(schools, config, "direction_issued", "2026-09-15")
    step(schools, config, "adjudicator_referred", "2026-09-18")
    step(schools, config, "adjudicator_upheld", "2026-10-05")
    assert admission_of(schools).state == "offered"


def test_an_academy_refusal_goes_to_the_secretary_of_state_not_a_direction(schools, config):
    refused_at(schools, config, "200001")
    assert admission_of(schools).route == "secretary_of_state"
    with pytest.raises(InputError, match="sos_request_made"):
        step(schools, config, "direction_consultation_started", "2026-09-11")
    step(schools, config, "sos_request_made", "2026-09-11")
    assert admission_of(schools).state == "sos_requested"


def test_academy_directions_apply_from_the_councils_commencement_date(schools, tmp_path):
    """The same case takes the direction route when the event is on or after commencement."""
    from pepflow.config import load_config

    (tmp_path / "pepflow.toml").write_text("[settings]\nacademy_directions_from = 2026-09-10\n")
    config = load_config(tmp_path)
    refused_at(schools, config, "200001")
    assert admission_of(schools).route == "direction"
    step(schools, config, "direction_consultation_started", "2026-09-11")
    assert admission_of(schools).state == "direction_consultation"


def test_the_adjudicator_may_not_name_a_school_that_excluded_the_child(schools, config):
    step(schools, config, "admission_needed", "2026-09-07", reason="permanently_excluded",
         excluded_from="200003")
    with pytest.raises(InputError, match="permanently excluded from Ash School"):
        step(schools, config, "school_proposed", "2026-09-07", school_urn="200003")
    step(schools, config, "school_proposed", "2026-09-07", school_urn="100001")
    step(schools, config, "application_made", "2026-09-08")
    step(schools, config, "place_refused", "2026-09-10")
    step(schools, config, "direction_consultation_started", "2026-09-11")
    step(schools, config, "direction_issued", "2026-09-19")
    step(schools, config, "adjudicator_referred", "2026-09-21")
    with pytest.raises(InputError, match="Adjudicator may not name it"):
        step(schools, config, "adjudicator_named_other", "2026-10-01", school_urn="200003")
    step(schools, config, "adjudicator_named_other", "2026-10-01", school_urn="200005")
    assert admission_of(schools).school_urn == "200005"


def test_an_inadequate_school_is_refused_without_exceptional_reasons(schools, config):
    step(schools, config, "admission_needed", "2026-09-07", reason="other")
    with pytest.raises(InputError, match="inadequate"):
        step(schools, config, "school_proposed", "2026-09-07", school_urn="200002")
    step(schools, config, "school_proposed", "2026-09-07", school_urn="200002",
         exceptional_reason="specialist unit, evidence on file")
    (approval,) = deadlines(schools, "C100", "placement_approval")
    assert approval.owner_role == "vsh"


def test_a_refused_event_changes_nothing_in_an_admission(schools, config):
    step(schools, config, "admission_needed", "2026-09-07", reason="other")
    with pytest.raises(TransitionNotAllowed, match=r"Place offered \(place_offered\) cannot be recorded while the school place is 'new school needed'"):
        step(schools, config, "place_offered", "2026-09-08")
    assert admission_of(schools).state == "need_identified"


def test_temporary_education_clears_the_no_education_flag(schools, config):
    step(schools, config, "admission_needed", "2026-09-07", reason="emergency_placement")
    step(schools, config, "temporary_education_arranged", "2026-09-08", hours=15)
    assert deadlines(schools, "C100", "no_education_arranged")[0].status == "met"
    assert admission_of(schools).temporary_hours == 15


def test_a_care_move_that_changes_school_opens_the_admission_by_itself(schools, config):
    step(schools, config, "care_placement_proposed", "2026-09-01", move="planned", in_area="no",
         school_must_change="yes", proposed_date="2026-09-14")
    assert deadlines(schools, "C100", "vs_placement_view")[0].due_on == d("2026-09-14")
    step(schools, config, "care_placement_changed", "2026-09-14", school_changes="yes", in_area="no",
         la="Elsewhere", emergency="yes")
    admission = admission_of(schools)
    assert (admission.reason, admission.state) == ("emergency_placement", "need_identified")
    assert deadlines(schools, "C100", "vs_placement_view")[0].status == "missed"
    assert deadlines(schools, "C100", "notify_destination_vs")
    with Session(schools) as s:
        data = admission_list(s, config, d("2026-10-20"), breaching=True)
    assert data["count"] == 1 and data["items"][0]["breaching"]
    assert data["emergency_moves_by_year"] == {"2026-27": 1}


def test_suitability_rules_return_findings_with_sources():
    base = dict(urn="1", school_name="X", school_la="Example", home_la="Example",
                year_group=7, excluded_from=frozenset(), currently_at="9")
    assert check(Proposal(**base)) == []
    ks4 = check(Proposal(**{**base, "year_group": 10}))
    assert [(f.level, f.rule) for f in ks4] == [(NEEDS_APPROVAL, "key_stage_4_move")]
    assert "reg 10" in ks4[0].source
    assert check(Proposal(**{**base, "year_group": 10, "ks4_reason": "placement ended",
                             "nominated_officer": "NO1"})) == []
    assert [f.level for f in check(Proposal(**{**base, "school_la": "Elsewhere"}))] == [NOTIFY]
    assert [f.level for f in check(Proposal(**{**base, "excluded_from": frozenset({"1"})}))] == [BLOCK]
    ri = Judgement.overall_grade("requires_improvement", d("2023-03-01"))
    assert [f.level for f in check(Proposal(**{**base, "inspection": ri}))] == [NEEDS_APPROVAL]


def test_the_key_stage_4_rule_protects_years_10_and_11_only():
    """CPPCR 2010 reg 10 is about Key Stage 4: a sixth-former's move needs no nominated officer."""
    base = dict(urn="1", school_name="X", school_la="Example", home_la="Example",
                excluded_from=frozenset(), currently_at="9")
    needing = {year for year in range(7, 14) if check(Proposal(**base, year_group=year))}
    assert needing == {10, 11}


def test_the_admission_machine_is_well_formed():
    assert problems(admission_states.MACHINE) == []


def test_admission_list_shows_the_clock(schools, config, cli):
    step(schools, config, "admission_needed", "2026-09-07", reason="other")
    url = str(schools.url)
    code, out, _ = cli("--db", url, "--today", "2026-09-21", "admission", "list", "--open")
    assert code == 0 and "C100" in out and "10 of 20 school days used" in out
