"""Pupil Premium Plus asked for against PEP targets and decided by the Virtual School (issue 40):
each model (flat on a QA grade, tiers, needs-based lines), caps, approval limits, the question
round-trip and partial approval.  The child entered care on 18 December 2025; their PEP meeting on
5 January 2026 is in the spring term 2025-26, of the financial year 2025-26."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from pepflow.config import load_config
from pepflow.db.models import PpPlusLine, PpPlusPayment
from pepflow.errors import InputError

from .support.cases import add_child, deadlines, event, fill_pep, save_targets
from .conftest import d

NEEDS = """
[years."2025-26"]
source = "Lincolnshire needs-based PP+ (12 hours 1:1 at £50 an hour); Essex 20% top-slice"
grant_per_child = 2630
central_share_percent = 20
model = "needs"
per_term_cap = 1000
per_year_cap = 2000
over_cap = "{over_cap}"
approval_limits = {{ vs_officer = 600, vs_admin = 0, vsh = 100000 }}
categories = ["tuition", "mentoring", "equipment", "ehcp_needs"]
vsh_categories = ["equipment"]
refused_categories = ["ehcp_needs"]
"""


def council(tmp_path, text: str):
    folder = tmp_path / "council"
    folder.mkdir(exist_ok=True)
    (folder / "pp_plus.toml").write_text(text, encoding="utf-8")
    return load_config(folder)


@pytest.fixture
def needs(tmp_path):
    return council(tmp_path, NEEDS.format(over_cap="refuse"))


def a_pep_with_targets(world, config, *targets, dob="2015-10-01"):
    add_child(world, config, d("2025-12-18"), dob=dob)
    event(world, config, "C100", "pep_meeting_held", "2026-01-05")
    save_targets(world, config, "C100", "2026-01-05", *(targets or ("Read at age-related expectations",
                                                                     "Join a club at lunchtime")))


def lines(world):
    with Session(world) as s:
        return list(s.exec(select(PpPlusLine).order_by(PpPlusLine.id)))


def payments(world):
    with Session(world) as s:
        return list(s.exec(select(PpPlusPayment).order_by(PpPlusPayment.id)))


def ask(world, config, **line):
    values = dict(target=1, category="tuition", what="1:1 reading tuition", hours=12, rate=50,
                  provider="Reading Partners", how_often="weekly", exit_plan="reading group from Easter")
    values.update(line)
    return event(world, config, "C100", "pp_plus_requested", "2026-01-06", role="designated_teacher",
                 **{k: v for k, v in values.items() if v is not None})


def test_a_line_is_asked_for_against_a_pep_target_and_waits_for_the_virtual_school(world, needs):
    a_pep_with_targets(world, needs)
    outcome = ask(world, needs)
    (line,) = lines(world)
    assert (line.target, line.amount_pence, line.term, line.financial_year, line.status, line.for_vsh) == (
        "Read at age-related expectations", 60000, "spring 2025-26", "2025-26", "waiting", False)
    (clock,) = deadlines(world, "C100", "pp_plus_decision")
    assert (clock.process, clock.process_id, clock.owner_role, clock.status) == ("pp_plus", line.id, "vs_officer", "open")
    assert "£600 asked for spring 2025-26" in outcome.messages[0]


def test_a_target_the_pep_does_not_have_is_refused(world, needs):
    a_pep_with_targets(world, needs)
    with pytest.raises(InputError, match="not one of this PEP's targets .it has 2: 1 to 2"):
        ask(world, needs, target=3)
    assert lines(world) == []


def test_a_pep_without_targets_cannot_be_asked_for_money(world, needs):
    add_child(world, needs, d("2025-12-18"))
    event(world, needs, "C100", "pep_meeting_held", "2026-01-05")
    with pytest.raises(InputError, match="no targets yet"):
        ask(world, needs)


def test_needs_in_an_ehcp_are_never_funded_from_pupil_premium_plus(world, needs):
    a_pep_with_targets(world, needs)
    with pytest.raises(InputError, match="Needs in an EHCP is not funded from Pupil Premium Plus|needs in an EHCP is not"):
        ask(world, needs, category="ehcp_needs")


def test_a_needs_based_line_says_what_happens_when_the_money_ends(world, needs):
    a_pep_with_targets(world, needs)
    with pytest.raises(InputError) as refused:
        ask(world, needs, exit_plan=None)
    assert refused.value.field == "exit_plan"


def test_hours_and_a_rate_or_a_fixed_cost_not_both(world, needs):
    a_pep_with_targets(world, needs)
    with pytest.raises(InputError, match="not both"):
        ask(world, needs, cost=300)
    ask(world, needs, hours=None, rate=None, cost="249.99")
    assert lines(world)[0].amount_pence == 24999


def test_a_line_over_the_terms_cap_is_refused_with_the_figures(world, needs):
    a_pep_with_targets(world, needs)
    ask(world, needs)  # £600 of the term's £1,000
    with pytest.raises(InputError, match="the term's £1,200 would pass its cap of £1,000"):
        ask(world, needs, target=2)
    assert len(lines(world)) == 1


def test_over_a_cap_goes_to_the_virtual_school_head_when_the_council_says_so(world, tmp_path):
    config = council(tmp_path, NEEDS.format(over_cap="vsh"))
    a_pep_with_targets(world, config)
    ask(world, config, hours=12, rate=50)
    ask(world, config, target=2, hours=10, rate=50)
    second = lines(world)[1]
    assert second.for_vsh and "£1,100 would pass its cap of £1,000" in second.vsh_reason
    (clock,) = deadlines(world, "C100", "pp_plus_vsh_decision")
    assert clock.owner_role == "vsh"
    with pytest.raises(InputError, match="for the Virtual School Head to decide"):
        event(world, config, "C100", "pp_plus_approved", "2026-01-07", role="vs_officer", line=second.id)
    event(world, config, "C100", "pp_plus_approved", "2026-01-07", role="vsh", line=second.id)
    assert lines(world)[1].status == "approved"


def test_an_officer_approves_within_their_limit_and_the_head_above_it(world, needs):
    a_pep_with_targets(world, needs)
    ask(world, needs, hours=10, rate=50)  # £500: within the officer's £600
    ask(world, needs, target=2, hours=None, rate=None, cost=450, category="equipment")  # the VSH's category
    small, laptop = lines(world)
    assert not small.for_vsh and laptop.for_vsh and "Equipment needs the Virtual School Head's approval" in laptop.vsh_reason
    event(world, needs, "C100", "pp_plus_approved", "2026-01-07", role="vs_officer", line=small.id)
    with pytest.raises(InputError, match="for the Virtual School Head to decide"):
        event(world, needs, "C100", "pp_plus_approved", "2026-01-07", role="vs_officer", line=laptop.id)
    event(world, needs, "C100", "pp_plus_approved", "2026-01-08", role="vsh", line=laptop.id)
    assert [(p.amount_pence, p.status, p.payee, p.term) for p in payments(world)] == [
        (50000, "due", "Riverside Primary", "spring 2025-26"), (45000, "due", "Riverside Primary", "spring 2025-26")]
    assert all(c.status == "met" for c in deadlines(world, "C100") if c.process == "pp_plus")


def test_an_amount_over_the_officers_limit_is_the_heads_to_approve(world, needs):
    a_pep_with_targets(world, needs)
    ask(world, needs, hours=14, rate=50)  # £700: over the officer's £600
    (line,) = lines(world)
    assert line.for_vsh and "over what an officer may approve (£600)" in line.vsh_reason
    with pytest.raises(InputError, match="for the Virtual School Head"):
        event(world, needs, "C100", "pp_plus_approved", "2026-01-07", role="vs_officer", line=line.id)
    assert lines(world)[0].status == "waiting" and payments(world) == []


def test_a_question_waits_for_the_schools_answer_then_comes_back(world, needs):
    a_pep_with_targets(world, needs)
    ask(world, needs)
    (line,) = lines(world)
    event(world, needs, "C100", "pp_plus_questioned", "2026-01-07", role="vs_officer", line=line.id,
          question="Which reading assessment will show progress?")
    (reply,) = deadlines(world, "C100", "pp_plus_reply")
    assert (lines(world)[0].status, reply.owner_role, reply.status) == ("questioned", "designated_teacher", "open")
    with pytest.raises(InputError, match="waits for the school's answer to: Which reading assessment"):
        event(world, needs, "C100", "pp_plus_approved", "2026-01-08", role="vs_officer", line=line.id)
    event(world, needs, "C100", "pp_plus_answered", "2026-01-09", role="designated_teacher", line=line.id,
          answer="The York reading test, in March")
    decided = deadlines(world, "C100", "pp_plus_decision")
    assert [c.status for c in decided] == ["met", "open"] and deadlines(world, "C100", "pp_plus_reply")[0].status == "met"
    event(world, needs, "C100", "pp_plus_approved", "2026-01-12", role="vs_officer", line=line.id)
    assert (lines(world)[0].status, lines(world)[0].answer) == ("approved", "The York reading test, in March")


def test_part_approval_needs_a_reason_and_pays_what_was_approved(world, needs):
    a_pep_with_targets(world, needs)
    ask(world, needs)
    (line,) = lines(world)
    with pytest.raises(InputError) as refused:
        event(world, needs, "C100", "pp_plus_approved", "2026-01-07", role="vs_officer", line=line.id, amount=400)
    assert refused.value.field == "reason"
    with pytest.raises(InputError, match="more than was asked for"):
        event(world, needs, "C100", "pp_plus_approved", "2026-01-07", role="vs_officer", line=line.id, amount=601)
    event(world, needs, "C100", "pp_plus_approved", "2026-01-07", role="vs_officer", line=line.id, amount=400,
          reason="8 hours this term; ask again after the March assessment")
    assert (lines(world)[0].status, lines(world)[0].approved_pence) == ("part_approved", 40000)
    assert [p.amount_pence for p in payments(world)] == [40000]


def test_a_rejection_says_why_and_pays_nothing(world, needs):
    a_pep_with_targets(world, needs)
    ask(world, needs)
    (line,) = lines(world)
    with pytest.raises(InputError):
        event(world, needs, "C100", "pp_plus_rejected", "2026-01-07", role="vs_officer", line=line.id)
    event(world, needs, "C100", "pp_plus_rejected", "2026-01-07", role="vs_officer", line=line.id,
          reason="The school's own pupil premium covers this")
    assert (lines(world)[0].status, payments(world)) == ("rejected", [])


def test_only_the_virtual_school_decides_and_only_a_line_of_the_same_child(world, needs):
    a_pep_with_targets(world, needs)
    ask(world, needs)
    (line,) = lines(world)
    with pytest.raises(InputError, match="Virtual School's to record"):
        event(world, needs, "C100", "pp_plus_approved", "2026-01-07", role="designated_teacher", line=line.id)
    add_child(world, needs, d("2025-12-18"), ref="C200")
    with pytest.raises(InputError, match="not a line of Pupil Premium Plus asked for C200"):
        event(world, needs, "C200", "pp_plus_approved", "2026-01-07", role="vs_officer", line=line.id)


def test_a_term_before_the_child_entered_care_is_refused(world, needs):
    a_pep_with_targets(world, needs)
    with pytest.raises(InputError, match="ended before C100 entered care on 18 Dec 2025"):
        ask(world, needs, term="summer 2024-25")
    with pytest.raises(InputError, match="is not a term of the child's school calendar"):
        ask(world, needs, term="winter 2025-26")


def test_post_16_has_its_own_pot_or_none(world, needs):
    a_pep_with_targets(world, needs, dob="2008-10-01")  # Year 12 in 2025-26
    with pytest.raises(InputError, match="this year's model has no post-16 pot"):
        ask(world, needs)


def test_tiers_are_one_of_the_councils_amounts_once_a_term(world, tmp_path):
    config = council(tmp_path, NEEDS.format(over_cap="refuse").replace('model = "needs"', 'model = "tiers"\ntiers = [0, 400, 800]'))
    a_pep_with_targets(world, config)
    with pytest.raises(InputError, match="£500 is not one of this year's amounts .£0, £400, £800."):
        ask(world, config, hours=None, rate=None, cost=500)
    ask(world, config, hours=None, rate=None, cost=400)
    with pytest.raises(InputError, match="already has £400 asked for: this year's model is one amount a term"):
        ask(world, config, target=2, hours=None, rate=None, cost=800)


def test_flat_model_releases_the_terms_allowance_on_a_pep_graded_at_least_the_councils_grade(world, config):
    """The shipped 2025-26 model: £550 a term on a PEP rated amber or better (Lancashire)."""
    add_child(world, config, d("2025-12-18"))
    event(world, config, "C100", "pep_meeting_held", "2026-01-05")
    fill_pep(world, config, "C100", "2026-01-05")
    event(world, config, "C100", "pep_submitted", "2026-01-06")
    outcome = event(world, config, "C100", "pep_approved", "2026-01-07", role="vs_admin", rating="amber")
    (allowance,) = lines(world)
    assert (allowance.kind, allowance.status, allowance.approved_pence, allowance.term) == (
        "allowance", "approved", 55000, "spring 2025-26")
    assert [(p.amount_pence, p.payee) for p in payments(world)] == [(55000, "Riverside Primary")]
    assert "£550 released for spring 2025-26" in " ".join(outcome.messages)


def test_no_allowance_twice_in_a_term(world, config):
    add_child(world, config, d("2025-12-18"))
    for meeting, approved in (("2026-01-05", "2026-01-07"), ("2026-01-19", "2026-01-21")):
        event(world, config, "C100", "pep_meeting_held", meeting)
        if meeting == "2026-01-05":  # the second, an early review, is not written in pepflow
            fill_pep(world, config, "C100", meeting)
        event(world, config, "C100", "pep_submitted", meeting)
        event(world, config, "C100", "pep_approved", approved, role="vs_admin", rating="green")
    assert [line.term for line in lines(world)] == ["spring 2025-26"]


def test_every_step_is_in_the_history_with_who_and_when(world, needs):
    from pepflow.db.models import Event

    a_pep_with_targets(world, needs)
    ask(world, needs)
    (line,) = lines(world)
    event(world, needs, "C100", "pp_plus_questioned", "2026-01-07", role="vs_officer", line=line.id, question="Why?")
    event(world, needs, "C100", "pp_plus_answered", "2026-01-08", role="designated_teacher", line=line.id, answer="So.")
    event(world, needs, "C100", "pp_plus_approved", "2026-01-09", role="vs_officer", line=line.id)
    with Session(world) as s:
        rows = [(e.name, e.effective_on, e.actor_ref, e.state_after) for e in s.exec(
            select(Event).where(Event.process == "pp_plus").order_by(Event.id))]
    assert rows == [("pp_plus_requested", d("2026-01-06"), "user:designated_teacher@example.org", "waiting"),
                    ("pp_plus_questioned", d("2026-01-07"), "user:vs_officer@example.org", "questioned"),
                    ("pp_plus_answered", d("2026-01-08"), "user:designated_teacher@example.org", "waiting"),
                    ("pp_plus_approved", d("2026-01-09"), "user:vs_officer@example.org", "approved")]
    assert not any(c.status == "open" for c in deadlines(world, "C100") if c.process == "pp_plus")


def test_two_decisions_on_a_line_at_the_same_moment_record_one_and_refuse_the_other(world, needs):
    """Two officers open the same line; the first approves it; the second's rejection, read before the
    approval was committed, is refused and changes nothing."""
    from pepflow.db.connection import session_scope
    from pepflow.engine.recording import record_event

    a_pep_with_targets(world, needs)
    ask(world, needs)
    (line,) = lines(world)
    with session_scope(world) as late:
        seen = late.get(PpPlusLine, line.id)  # the second officer's page read it waiting
        assert seen.status == "waiting"
        event(world, needs, "C100", "pp_plus_approved", "2026-01-07", role="vs_officer", line=line.id)
        with pytest.raises(InputError, match="by someone else at the same moment"):
            record_event(late, needs, "C100", "pp_plus_rejected", d("2026-01-07"), d("2026-07-01"),
                         params={"line": str(line.id), "reason": "no"}, role="vs_officer")
        late.rollback()
    assert [(x.status, len(payments(world))) for x in lines(world)] == [("approved", 1)]


def test_the_virtual_school_decides_within_ten_working_days_across_christmas(world, tmp_path):
    """Asked for on Monday 21 December 2026: Christmas Day, the Boxing Day holiday on Monday 28 December and
    New Year's Day are not working days, so the decision is due on Thursday 7 January 2027."""
    config = council(tmp_path, NEEDS.format(over_cap="refuse").replace('[years."2025-26"]', '[years."2026-27"]'))
    add_child(world, config, d("2025-12-18"))
    event(world, config, "C100", "pep_meeting_held", "2026-12-14", today="2026-12-21")
    save_targets(world, config, "C100", "2026-12-14", "Read every day")
    event(world, config, "C100", "pp_plus_requested", "2026-12-21", today="2026-12-21", role="designated_teacher",
          target=1, category="tuition", what="tuition", cost=300, exit_plan="reading group", term="spring 2026-27")
    (clock,) = deadlines(world, "C100", "pp_plus_decision")
    assert clock.due_on == d("2027-01-07")
