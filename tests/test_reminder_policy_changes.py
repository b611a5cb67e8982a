"""A council that changes its notification policy changes when the first reminder of every open
deadline goes: the first sweep after the change plans it again (issue 37 item 4)."""

from __future__ import annotations

from sqlalchemy import select

from pepflow.config import load_config
from pepflow.db.connection import session_scope
from pepflow.db.models import Deadline, DeadlineStep, Notification
from pepflow.notify.sweep import sweep

from .support import d
from .support.cases import add_child


def _first_reminder_of_the_initial_pep(engine):
    with session_scope(engine) as s:
        return s.execute(select(Deadline.due_on, DeadlineStep.next_step_on, DeadlineStep.last_step)
                         .join(DeadlineStep, DeadlineStep.deadline_id == Deadline.id)
                         .where(Deadline.kind == "initial_pep")).one()


def _initial_pep_reminders(engine):
    with session_scope(engine) as s:
        return s.execute(select(Notification.step, Notification.recipient_ref).join(
            Deadline, Deadline.id == Notification.deadline_id).where(Deadline.kind == "initial_pep")).all()


def test_an_earlier_first_reminder_in_a_changed_policy_goes_on_its_new_date(world, config, tmp_path):
    add_child(world, config, d("2026-11-02"), entered="2026-11-02")
    due, first, _ = _first_reminder_of_the_initial_pep(world)
    assert (due, first) == (d("2026-11-16"), d("2026-11-09"))  # 5 working days before, as shipped
    sweep(world, config, d("2026-11-03"))  # the schedule is planned with the shipped policy
    (tmp_path / "calendars").mkdir()
    (tmp_path / "notifications.toml").write_text("[policy.initial_pep]\nreminders = [8, 1, 0]\n", encoding="utf-8")
    council = load_config(tmp_path)
    result = sweep(world, council, d("2026-11-04"))
    assert result.deadlines_due == 1 and _initial_pep_reminders(world) == [("remind_8", "SW1")]
    assert _first_reminder_of_the_initial_pep(world)[1:] == (d("2026-11-13"), "remind_8")


def test_a_later_first_reminder_moves_the_schedule_and_nothing_goes_early(world, config, tmp_path):
    add_child(world, config, d("2026-11-02"), entered="2026-11-02")
    sweep(world, config, d("2026-11-03"))
    (tmp_path / "calendars").mkdir()
    (tmp_path / "notifications.toml").write_text("[policy.initial_pep]\nreminders = [1, 0]\n", encoding="utf-8")
    council = load_config(tmp_path)
    for day in ("2026-11-09", "2026-11-10", "2026-11-11", "2026-11-12"):
        sweep(world, council, d(day))
    assert _initial_pep_reminders(world) == []
    assert _first_reminder_of_the_initial_pep(world)[1:] == (d("2026-11-13"), "")


def test_an_unchanged_policy_leaves_the_schedule_as_planned(world, config):
    add_child(world, config, d("2026-11-02"), entered="2026-11-02")
    sweep(world, config, d("2026-11-03"))
    sweep(world, config, d("2026-11-04"))
    assert _first_reminder_of_the_initial_pep(world)[1:] == (d("2026-11-09"), "")
