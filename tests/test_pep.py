"""The PEP lifecycle: statutory timescales, refused events, audit and import of a cohort."""

from __future__ import annotations


import re

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from pepflow.engine.recording import EventRequest, record_events
from pepflow.config import load_config
from pepflow.db import Deadline, Event
from pepflow.db.connection import session_scope
from pepflow.errors import InputError, TransitionNotAllowed
from pepflow.intake.csv_import import import_records
from pepflow.intake.csv_reading import read_csv
from pepflow.states import pep as pep_states
from pepflow.engine.machine import problems

from .support.cases import DATA, add_child, event, deadlines, current
from .conftest import ROOT, d













def test_initial_pep_due_ten_working_days_after_entering_care_skipping_christmas(world, config):
    """Entered care 18 Dec 2025: the 10th working day after, with 25, 26 Dec and 1 Jan off, is 6 Jan."""
    add_child(world, config, d("2025-12-18"))
    (initial,) = deadlines(world, "C100", "initial_pep")
    assert (initial.due_on, initial.unit, initial.owner_ref) == (d("2026-01-06"), "working", "SW1")
    assert deadlines(world, "C100", "care_review_1")[0].due_on == d("2026-01-20")
    assert current(world, "C100").state == "due"


def test_entered_care_event_starts_the_initial_pep_from_the_event_date(world, config):
    """Back-dated events count from their own date, not from today."""
    add_child(world, config, d("2026-03-02"), entered="2026-03-02")
    event(world, config, "C100", "left_care", "2026-03-10")
    event(world, config, "C100", "entered_care", "2026-05-01", today="2026-06-30")
    opened = [x for x in deadlines(world, "C100", "initial_pep") if x.status == "open"]
    assert [x.due_on for x in opened] == [d("2026-05-18")]  # Mon 4 May is a bank holiday


def test_pep_meeting_on_last_friday_of_term_has_completion_due_next_term(world, config):
    """Meeting on Fri 19 Dec 2025: 5 school days later is Fri 9 Jan 2026; distribution is 5 working days."""
    add_child(world, config, d("2025-12-18"))
    event(world, config, "C100", "pep_meeting_held", "2025-12-19")
    assert deadlines(world, "C100", "pep_completion")[0].due_on == d("2026-01-09")
    assert deadlines(world, "C100", "pep_distribution") == []  # sharing waits for the approved PEP
    assert deadlines(world, "C100", "initial_pep")[0].status == "met"


def test_a_refused_event_names_state_event_and_allowed_and_changes_nothing(world, config):
    add_child(world, config, d("2025-12-18"))
    with Session(world) as s:
        before = (s.exec(select(func.count()).select_from(Event)).one(),
                  s.exec(select(func.count()).select_from(Deadline)).one())
    with pytest.raises(TransitionNotAllowed) as err:
        event(world, config, "C100", "pep_submitted", "2026-01-02")
    message = str(err.value)
    assert "PEP submitted (pep_submitted) cannot be recorded while the PEP is 'due'" in message
    assert "pep_meeting_held" in message and "Nothing was changed" in message
    with Session(world) as s:
        after = (s.exec(select(func.count()).select_from(Event)).one(),
                 s.exec(select(func.count()).select_from(Deadline)).one())
    assert before == after and current(world, "C100").state == "due"


def test_an_event_dated_in_the_future_is_refused(world, config):
    add_child(world, config, d("2025-12-18"))
    with pytest.raises(InputError, match="in the future"):
        event(world, config, "C100", "pep_meeting_held", "2026-01-10", today="2026-01-09")


def test_a_red_pep_cannot_be_approved_it_must_be_returned(world, config):
    add_child(world, config, d("2025-12-18"))
    event(world, config, "C100", "pep_meeting_held", "2026-01-05")
    event(world, config, "C100", "pep_submitted", "2026-01-08")
    with pytest.raises(InputError, match="red PEP cannot be approved"):
        event(world, config, "C100", "pep_approved", "2026-01-12", rating="red")
    with pytest.raises(InputError, match="reason"):
        event(world, config, "C100", "pep_returned", "2026-01-12")
    event(world, config, "C100", "pep_returned", "2026-01-12", reason="targets not SMART")
    assert deadlines(world, "C100", "pep_qa")[0].status == "met"
    event(world, config, "C100", "pep_resubmitted", "2026-01-14")
    event(world, config, "C100", "pep_approved", "2026-01-15", rating="amber")
    pep = current(world, "C100")
    assert (pep.state, pep.quality_rating, pep.times_returned) == ("approved", "amber", 1)


def test_deadline_met_late_records_days_late_in_its_unit(world, config):
    """Completion due Fri 9 Jan 2026 (school days), submitted Wed 14 Jan: 3 school days late."""
    add_child(world, config, d("2025-12-18"))
    event(world, config, "C100", "pep_meeting_held", "2025-12-19")
    event(world, config, "C100", "pep_submitted", "2026-01-14")
    completion = deadlines(world, "C100", "pep_completion")[0]
    assert (completion.status, completion.days_late, completion.late_unit) == ("met_late", 3, "school")


def test_approval_opens_the_next_termly_review_at_the_end_of_the_next_term(world, config):
    """Meeting in the spring term 2026: the next PEP is due by the end of the summer term."""
    add_child(world, config, d("2025-12-18"))
    for name, on, params in [("pep_meeting_held", "2026-01-05", {}), ("pep_submitted", "2026-01-08", {}),
                             ("pep_approved", "2026-01-09", {"rating": "green"}),
                             ("pep_distributed", "2026-01-12", {})]:
        event(world, config, "C100", name, on, **params)
    (review,) = deadlines(world, "C100", "pep_review")
    assert (review.due_on, review.unit) == (d("2026-07-22"), "terms")
    assert deadlines(world, "C100", "pep_distribution")[0].status == "met"
    # the next meeting begins a new cycle and meets the review
    event(world, config, "C100", "pep_meeting_held", "2026-05-06")
    assert current(world, "C100").cycle == "termly"
    assert deadlines(world, "C100", "pep_review")[0].status == "met"


def test_a_local_pep_deadline_per_term_replaces_the_end_of_term(tmp_path, db_url):
    """'Summer PEPs complete by 19 June': a council sets one date per term in its calendar."""
    (tmp_path / "calendars").mkdir()
    text = (ROOT / "config/calendars/default.toml").read_text().replace(
        'start = 2026-04-13\nend = 2026-07-22\n', 'start = 2026-04-13\nend = 2026-07-22\npep_deadline = 2026-06-19\n')
    (tmp_path / "calendars/default.toml").write_text(text)
    config = load_config(tmp_path)
    from pepflow.db import make_engine
    engine = make_engine(db_url)
    with session_scope(engine) as s:
        for kind in ("people", "schools"):
            import_records(s, config, kind, read_csv(DATA / f"{kind}.csv", kind), d("2025-12-01"))
    add_child(engine, config, d("2025-12-18"))
    for name, on, params in [("pep_meeting_held", "2026-01-05", {}), ("pep_submitted", "2026-01-08", {}),
                             ("pep_approved", "2026-01-12", {"rating": "green"})]:
        event(engine, config, "C100", name, on, **params)
    assert deadlines(engine, "C100", "pep_review")[0].due_on == d("2026-06-19")


def test_care_reviews_chain_20_working_days_then_3_months_then_6_months(world, config):
    add_child(world, config, d("2025-12-18"))
    event(world, config, "C100", "care_review_held", "2026-01-19")
    (second,) = deadlines(world, "C100", "care_review_2")
    assert second.due_on == d("2026-04-19")
    event(world, config, "C100", "care_review_held", "2026-04-16")
    (later,) = deadlines(world, "C100", "care_review_next")
    assert later.due_on == d("2026-10-16")
    assert deadlines(world, "C100", "care_review_1")[0].status == "met"


def test_a_care_review_without_an_approved_pep_is_recorded_as_missed(world, config):
    """The PEP must be in place before each care review."""
    add_child(world, config, d("2025-12-18"))
    (check,) = deadlines(world, "C100", "pep_before_care_review")
    assert check.due_on == d("2026-01-20")
    event(world, config, "C100", "care_review_held", "2026-01-19")
    check = deadlines(world, "C100", "pep_before_care_review")[0]
    assert check.status == "missed" and "without an approved PEP" in check.close_reason


def test_approving_the_pep_before_the_care_review_meets_the_check(world, config):
    add_child(world, config, d("2025-12-18"))
    for name, on, params in [("pep_meeting_held", "2026-01-05", {}), ("pep_submitted", "2026-01-08", {}),
                             ("pep_approved", "2026-01-12", {"rating": "green"})]:
        event(world, config, "C100", name, on, **params)
    assert deadlines(world, "C100", "pep_before_care_review")[0].status == "met"


def test_school_change_supersedes_a_completed_pep_and_opens_an_early_review(world, config):
    add_child(world, config, d("2025-12-18"))
    for name, on, params in [("pep_meeting_held", "2026-01-05", {}), ("pep_submitted", "2026-01-08", {}),
                             ("pep_approved", "2026-01-12", {"rating": "green"})]:
        event(world, config, "C100", name, on, **params)
    event(world, config, "C100", "school_changed", "2026-02-02", school_urn="100002")
    pep = current(world, "C100")
    assert (pep.cycle, pep.state) == ("early", "due")
    (early,) = deadlines(world, "C100", "pep_significant_change")
    assert early.due_on == d("2026-03-09")  # 20 school days, half term 16-20 Feb skipped
    # the unfinished distribution of the superseded PEP is recorded as missed, not lost
    assert deadlines(world, "C100", "pep_distribution")[0].status == "missed"


def test_left_care_closes_the_pep_and_cancels_every_open_deadline(world, config):
    add_child(world, config, d("2025-12-18"))
    event(world, config, "C100", "left_care", "2026-01-02", reason="returned home")
    assert current(world, "C100") is None
    assert {x.status for x in deadlines(world, "C100")} == {"cancelled"}
    with pytest.raises(TransitionNotAllowed, match="not looked after"):
        event(world, config, "C100", "pep_meeting_held", "2026-01-05")


def test_imported_child_with_history_gets_the_next_review_not_an_initial_pep(world, config):
    """A cohort brought in mid-flight keeps its place in the cycle."""
    add_child(world, config, d("2026-02-02"), entered="2023-05-01",
              last_pep_meeting="2025-11-20", last_care_review="2025-12-01")
    assert deadlines(world, "C100", "initial_pep") == []
    (review,) = deadlines(world, "C100", "pep_review")
    assert review.due_on == d("2026-03-27")  # end of the spring term after the autumn meeting
    (care,) = deadlines(world, "C100", "care_review_next")
    assert care.due_on == d("2026-06-01")
    assert current(world, "C100").state == "distributed"


def test_imported_child_without_dates_is_flagged_not_guessed(world, config):
    add_child(world, config, d("2026-02-02"), entered="2023-05-01")
    assert current(world, "C100") is None
    (flag,) = deadlines(world, "C100", "record_incomplete")
    assert flag.owner_role == "vs_admin" and "the last PEP meeting and of the last care review" in flag.note
    # due ten working days after the import (Mon 2 Feb 2026 to Mon 16 Feb), not on the day
    assert (flag.opened_on, flag.due_on) == (d("2026-02-02"), d("2026-02-16"))
    # completing the record and importing again clears the flag
    add_child(world, config, d("2026-02-03"), entered="2023-05-01",
              last_pep_meeting="2025-11-20", last_care_review="2025-12-01")
    assert deadlines(world, "C100", "record_incomplete")[0].status == "met"
    assert current(world, "C100").state == "distributed"


def test_a_care_move_that_changes_school_starts_its_clock_for_a_child_whose_record_is_incomplete(world, config):
    """What happens in a child's care is recorded whether or not their PEP record is complete;
    the incomplete record stays VS admin's to mend."""
    add_child(world, config, d("2026-02-02"), entered="2023-05-01")
    assert current(world, "C100") is None
    outcome = event(world, config, "C100", "care_placement_changed", "2026-02-03", today="2026-02-03",
                    school_changes="yes", in_area="yes")
    assert "incomplete" in " ".join(outcome.messages)
    (clock,) = deadlines(world, "C100", "admission_placement")
    assert clock.status == "open" and clock.unit == "school"
    assert deadlines(world, "C100", "record_incomplete")[0].status == "open"
    event(world, config, "C100", "school_changed", "2026-02-04", today="2026-02-04", school_urn="100002")
    event(world, config, "C100", "care_review_held", "2026-02-05", today="2026-02-05")
    event(world, config, "C100", "left_care", "2026-02-06", today="2026-02-06", reason="returned home")
    assert {x.status for x in deadlines(world, "C100") if x.status == "open"} == set()
    with pytest.raises(TransitionNotAllowed, match="not looked after"):
        event(world, config, "C100", "care_review_held", "2026-02-09", today="2026-02-09")


def test_every_accepted_event_writes_one_audit_row_with_states(world, config):
    add_child(world, config, d("2025-12-18"))
    event(world, config, "C100", "pep_meeting_held", "2026-01-05")
    with Session(world) as s:
        rows = s.exec(select(Event).where(Event.child_ref == "C100").order_by(Event.id)).all()
    assert [r.name for r in rows] == ["child_added", "imported", "pep_meeting_held"]
    assert rows[0].payload["child"]["dob"] == "2015-10-01"
    assert (rows[2].state_before, rows[2].state_after) == ("due", "meeting_held")
    assert rows[2].recorded_at.tzinfo is not None


def test_a_batch_is_recorded_exactly_as_single_events(world, config):
    for ref in ("C100", "C101"):
        add_child(world, config, d("2025-12-18"), ref=ref)
    with session_scope(world) as s:
        record_events(s, config, [EventRequest("C100", "pep_meeting_held", "2025-12-19"),
                                  EventRequest("C100", "pep_submitted", "2026-01-14")], d("2026-02-01"))
    event(world, config, "C101", "pep_meeting_held", "2025-12-19")
    event(world, config, "C101", "pep_submitted", "2026-01-14")
    shape = lambda ref: [(x.kind, x.due_on, x.status, x.days_late) for x in deadlines(world, ref)]  # noqa: E731
    assert shape("C100") == shape("C101")


def test_a_refused_event_in_a_batch_writes_nothing_of_the_batch(world, config):
    add_child(world, config, d("2025-12-18"))
    with pytest.raises(TransitionNotAllowed):
        with session_scope(world) as s:
            record_events(s, config, [EventRequest("C100", "pep_meeting_held", "2025-12-19"),
                                      EventRequest("C100", "pep_distributed", "2026-01-14")], d("2026-02-01"))
    assert current(world, "C100").state == "due"


def test_every_state_machine_is_well_formed():
    """No unreachable states, no dead ends, no exits from final states."""
    assert problems(pep_states.MACHINE) == []


def test_an_event_out_of_order_is_refused_in_the_words_of_the_pages(world, config):
    """No ISO date and no state code in an error a person reads (issue 38 item 6)."""
    add_child(world, config, d("2025-12-18"))
    event(world, config, "C100", "pep_meeting_held", "2026-01-07")
    with pytest.raises(InputError) as err:
        event(world, config, "C100", "pep_submitted", "2026-01-06")
    message = f"{err.value.value} {err.value.problem}"
    assert "6 Jan 2026" in message and "7 Jan 2026" in message
    assert not re.search(r"\d{4}-\d\d-\d\d", message) and "meeting_held" not in message


def test_sharing_the_final_pep_is_not_due_until_quality_assurance_approves_it(world, config):
    """A PEP held up in QA for weeks: sharing it cannot be overdue meanwhile; it is due 5 working
    days after approval."""
    add_child(world, config, d("2025-12-18"))
    event(world, config, "C100", "pep_meeting_held", "2026-01-05")
    event(world, config, "C100", "pep_submitted", "2026-01-07")
    assert deadlines(world, "C100", "pep_distribution") == []
    event(world, config, "C100", "pep_approved", "2026-02-02", today="2026-02-02", rating="green")
    (sharing,) = deadlines(world, "C100", "pep_distribution")
    assert (sharing.due_on, sharing.status) == (d("2026-02-09"), "open")


def test_arranging_a_pep_meeting_after_the_review_is_due_warns_the_person_arranging_it(world, config):
    add_child(world, config, d("2025-12-18"))  # the initial PEP is due 6 Jan 2026
    outcome = event(world, config, "C100", "pep_meeting_scheduled", "2025-12-19", today="2025-12-19",
                    meeting_date="2026-01-09")
    assert outcome.warnings == ["Initial PEP is due by 6 Jan 2026, before this meeting: the PEP will be late "
                                "unless the meeting is brought forward."]
    on_time = event(world, config, "C100", "pep_meeting_scheduled", "2025-12-19", today="2025-12-19",
                    meeting_date="2026-01-05")
    assert on_time.warnings == []


def test_sharing_an_approved_pep_counts_working_days_across_christmas(world, config):
    """Approved on Fri 19 Dec 2025: five working days, 25 and 26 Dec bank holidays skipped, is Tue 30 Dec."""
    add_child(world, config, d("2025-12-18"))
    event(world, config, "C100", "pep_meeting_held", "2025-12-18", today="2025-12-19")
    event(world, config, "C100", "pep_submitted", "2025-12-18", today="2025-12-19")
    event(world, config, "C100", "pep_approved", "2025-12-19", today="2025-12-19", rating="green")
    (sharing,) = deadlines(world, "C100", "pep_distribution")
    assert sharing.due_on == d("2025-12-30")
