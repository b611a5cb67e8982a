"""Exclusions and attendance: the statutory clocks in school days, pinned to real dates."""

from __future__ import annotations

import datetime as dt
import email as email_lib

import pytest
from sqlmodel import Session, select

from pepflow.clock import SteppedClock
from pepflow.db.models import Admission, Exclusion, Notification
from pepflow.notify.mailers import FolderMailer
from pepflow.notify.outbox import dispatch
from pepflow.errors import InputError, TransitionNotAllowed
from pepflow.states import exclusion as exclusion_states
from pepflow.engine.machine import problems
from pepflow.states.attendance import band

from .conftest import d
from .support.cases import add_child, deadlines, event


def step(engine, config, name, on, today="2026-07-01", **params):
    return event(engine, config, "C100", name, on, today=today, **params)


@pytest.fixture
def child(world, config):
    add_child(world, config, d("2026-01-05"), entered="2024-01-10",
              last_pep_meeting="2025-11-20", last_care_review="2025-12-01")
    return world


def exclusion_of(engine):
    with Session(engine) as s:
        return s.exec(select(Exclusion).where(Exclusion.child_ref == "C100")).first()


def test_an_8_day_suspension_from_thursday_12_february_2026_needs_provision_from_26_february(child, config):
    """Thu 12 and Fri 13 are days 1-2; half term 16-20 Feb; the 6th school day is Thu 26 Feb."""
    step(child, config, "behaviour_concern_raised", "2026-02-02", today="2026-02-13")
    step(child, config, "vs_consulted", "2026-02-03", today="2026-02-13")
    step(child, config, "suspension_started", "2026-02-12", today="2026-02-13", first_day="2026-02-12", days=8)
    (provision,) = deadlines(child, "C100", "suspension_provision")
    assert provision.due_on == d("2026-02-26")
    step(child, config, "provision_arranged", "2026-02-25", today="2026-02-26", from_date="2026-02-26", hours=25)
    assert deadlines(child, "C100", "suspension_provision")[0].status == "met"
    assert exclusion_of(child).state == "alternative_provision"


def test_a_short_suspension_needs_no_sixth_day_provision(child, config):
    step(child, config, "suspension_started", "2026-03-02", today="2026-03-02", first_day="2026-03-02", days=3)
    assert deadlines(child, "C100", "suspension_provision") == []


def test_suspensions_passing_15_school_days_in_a_term_open_the_governors_review(child, config):
    step(child, config, "suspension_started", "2026-01-12", today="2026-01-12", first_day="2026-01-12", days=5)
    step(child, config, "suspension_started", "2026-02-02", today="2026-02-02", first_day="2026-02-02", days=5)
    step(child, config, "suspension_started", "2026-03-02", today="2026-03-02", first_day="2026-03-02", days=5)
    assert deadlines(child, "C100", "governors_review") == []  # 15 is not more than 15
    step(child, config, "suspension_started", "2026-03-16", today="2026-03-16", first_day="2026-03-16", days=2)
    (review,) = deadlines(child, "C100", "governors_review")
    assert review.due_on == d("2026-04-20")  # 15 school days, Easter holiday skipped


def test_a_parents_request_brings_a_governors_meeting_only_for_more_than_five_days_in_a_term(child, config):
    """SDPER 2012 reg. 6: more than five but not more than fifteen school days; five is not enough
    (the thresholds are suspension_meeting_on_request_over and suspension_term_review_over)."""
    step(child, config, "suspension_started", "2026-01-12", today="2026-01-12", first_day="2026-01-12", days=5,
         meeting_requested="yes")
    assert deadlines(child, "C100", "governors_meeting_on_request") == []
    step(child, config, "suspension_started", "2026-02-02", today="2026-02-02", first_day="2026-02-02", days=1,
         meeting_requested="yes")
    assert len(deadlines(child, "C100", "governors_meeting_on_request")) == 1


def test_the_45_school_day_cap_refuses_a_suspension_that_would_exceed_it(child, config):
    for first in ("2025-09-08", "2025-11-03", "2026-01-12", "2026-03-02"):
        step(child, config, "suspension_started", first, today=first, first_day=first, days=10)
    with pytest.raises(InputError, match="already been suspended for 40 school days in 2025-26.*at most 45"):
        step(child, config, "suspension_started", "2026-05-04", today="2026-05-12", first_day="2026-05-11", days=6)
    step(child, config, "suspension_started", "2026-05-11", today="2026-05-11", first_day="2026-05-11", days=5)


def test_a_suspension_recorded_late_is_flagged_to_the_vsh(child, config):
    step(child, config, "suspension_started", "2026-03-02", today="2026-03-10", first_day="2026-03-02", days=2)
    (flag,) = deadlines(child, "C100", "suspension_reported_late")
    assert flag.owner_role == "vsh"


def test_a_permanent_exclusion_opens_the_admission_and_an_early_pep_review(child, config):
    step(child, config, "behaviour_concern_raised", "2026-03-02", today="2026-03-10")
    step(child, config, "pex_risk_meeting_held", "2026-03-04", today="2026-03-10", attendees="SW, carer, IRO, VSH")
    step(child, config, "permanently_excluded", "2026-03-09", today="2026-03-10")
    assert deadlines(child, "C100", "governors_review")[0].due_on == d("2026-04-13")  # Easter skipped
    (clock,) = deadlines(child, "C100", "admission_placement")
    assert clock.due_on == d("2026-04-20")  # 20 school days, Easter holiday skipped
    assert deadlines(child, "C100", "pep_significant_change")[0].status == "open"
    with Session(child) as s:
        admission = s.exec(select(Admission).where(Admission.child_ref == "C100")).one()
    assert admission.reason == "permanently_excluded"
    assert not exclusion_of(child).no_pre_exclusion_meeting


def test_a_permanent_exclusion_without_the_meeting_is_accepted_and_escalated(child, config):
    step(child, config, "permanently_excluded", "2026-03-09", today="2026-03-10")
    assert exclusion_of(child).no_pre_exclusion_meeting
    assert deadlines(child, "C100", "no_pre_exclusion_meeting")[0].owner_role == "vsh"


def test_the_review_steps_run_in_school_days(child, config):
    step(child, config, "permanently_excluded", "2026-03-09", today="2026-06-30")
    step(child, config, "governors_decided", "2026-03-20", today="2026-06-30", decision="upheld")
    assert deadlines(child, "C100", "irp_application")[0].due_on == d("2026-04-24")
    step(child, config, "irp_applied", "2026-04-20", today="2026-06-30")
    assert deadlines(child, "C100", "irp_panel")[0].due_on == d("2026-05-12")  # 4 May bank holiday
    step(child, config, "irp_decided", "2026-05-11", today="2026-06-30", decision="recommend_reconsider")
    assert deadlines(child, "C100", "irp_reconsideration")[0].due_on == d("2026-06-01")  # half term skipped
    step(child, config, "governors_reconsidered", "2026-06-01", today="2026-06-30")
    with pytest.raises(TransitionNotAllowed, match="reconsidered"):
        step(child, config, "irp_applied", "2026-06-02", today="2026-06-30")


def test_attendance_bands_and_a_stage_1_task_on_persistent_absence(child, config):
    assert [band(p, config.settings) for p in (96, 93, 90, 50)] == [
        "good", "below_good", "persistent_absence", "severe_absence"]
    step(child, config, "attendance_recorded", "2026-02-13", today="2026-02-13", half_term="spring 1 2025-26",
         percent="96.5")
    step(child, config, "attendance_recorded", "2026-03-27", today="2026-03-27", half_term="spring 2 2025-26",
         percent="88")
    (task,) = deadlines(child, "C100", "attendance_stage_1")
    assert task.owner_role == "vs_officer"
    step(child, config, "attendance_stage_started", "2026-04-13", today="2026-04-20", stage="3",
         review_date="2026-05-15")
    (meeting,) = deadlines(child, "C100", "attendance_legal_planning")
    assert meeting.due_on == d("2026-05-12")  # 20 school days, 4 May bank holiday skipped
    assert deadlines(child, "C100", "attendance_reports")[0].due_on == d("2026-05-05")


def test_a_part_time_timetable_is_reviewed_every_half_term(child, config):
    step(child, config, "ptt_recorded", "2026-01-12", today="2026-01-12", arrangement="part_time_timetable",
         details="mornings only")
    assert deadlines(child, "C100", "ptt_review")[0].due_on == d("2026-02-23")
    step(child, config, "ptt_reviewed", "2026-02-23", today="2026-02-23")
    assert [x.status for x in deadlines(child, "C100", "ptt_review")] == ["met", "open"]


def test_the_exclusion_machine_is_well_formed():
    assert problems(exclusion_states.MACHINE) == []


def test_exclusion_list_shows_suspension_days_and_clocks(child, config, cli):
    step(child, config, "suspension_started", "2026-02-12", today="2026-02-13", first_day="2026-02-12", days=8)
    code, out, _ = cli("--db", str(child.url), "--today", "2026-03-02", "exclusion", "list", "--open")
    assert code == 0 and "C100" in out and "1 suspension(s), 8 school days" in out
    assert "Provision from day 6 due 26 Feb 2026 OVERDUE" in out



def _notices(engine):
    with Session(engine) as s:
        return s.exec(select(Notification).where(Notification.step == "notice").order_by(Notification.id)).all()


def test_a_suspension_tells_the_vsh_and_the_social_worker_at_once_not_in_the_digest(child, config, tmp_path):
    """DfE suspension guidance: for a looked-after child the VSH and social worker are told of
    every suspension without delay; pepflow sends each a notice of its own with the next dispatch."""
    outcome = step(child, config, "suspension_started", "2026-03-02", today="2026-03-02", first_day="2026-03-02",
                   days=3)
    notices = _notices(child)
    assert sorted(n.recipient_ref for n in notices) == ["SW1", "VSH1"]
    assert all(n.next_attempt_at is None for n in notices)  # a working day: at once
    sent = dispatch(child, config, FolderMailer(tmp_path / "out"),
                    SteppedClock(dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.timezone.utc)))
    assert sent.emails_sent == 2 and sent.notifications_sent == 2
    messages = [email_lib.message_from_bytes(f.read_bytes()) for f in sorted((tmp_path / "out").glob("*.eml"))]
    assert {m["Subject"] for m in messages} == {"pepflow: a suspension (fixed-term exclusion) for case C100"}
    body = messages[0].get_payload()[0].get_payload(decode=True).decode()
    assert "first day 2 Mar 2026; days 3" in body
    assert not any("yourself" in m for m in outcome.messages)


def test_a_permanent_exclusion_recorded_on_a_saturday_is_told_on_monday_at_sweep_time(child, config):
    step(child, config, "permanently_excluded", "2026-03-06", today="2026-03-07")
    notices = _notices(child)
    assert sorted(n.recipient_ref for n in notices) == ["SW1", "VSH1"]
    assert {n.next_attempt_at for n in notices} == {dt.datetime(2026, 3, 9, 7, 0, tzinfo=dt.timezone.utc)}


def test_a_suspension_recorded_on_christmas_day_2026_is_told_on_tuesday_29_december(child, config):
    """Fri 25 Dec and Mon 28 Dec (Boxing Day's substitute) are bank holidays: the next working day is the 29th."""
    step(child, config, "suspension_started", "2026-12-24", today="2026-12-25", first_day="2027-01-05", days=2)
    assert {n.next_attempt_at for n in _notices(child)} == {dt.datetime(2026, 12, 29, 7, 0, tzinfo=dt.timezone.utc)}


def test_a_refused_suspension_tells_no_one(child, config):
    with pytest.raises(InputError):
        step(child, config, "suspension_started", "2026-03-02", today="2026-03-02", first_day="2026-03-02", days=0)
    assert _notices(child) == []
