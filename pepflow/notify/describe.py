"""How an outbox item is described to the people who read the Emails page and `pepflow outbox`:
what kind of email it is and what was due, in words, never the step or kind codes."""

from __future__ import annotations

from pepflow.calendars import format_iso_day
from pepflow.vocabulary import kind_label, value_words


def step_words(step: str) -> str:
    """What kind of email an item is: "Reminder", "Escalation", "Notice" …"""
    if step.startswith("remind"):
        return "Reminder"
    if step.startswith("escalate"):
        return "Escalation"
    return {"notice": "Notice", "chase": "Reminder sent now", "missing_contact": "Record to complete",
            "delivery_failed": "Undelivered email", "stale": "Reminder no longer due",
            "before_go_live": "Due before pepflow went live", "account_link": "Password link"}.get(step, value_words(step))


def what_was_due(payload: dict) -> str:
    """What was due, in words ("Termly PEP review, due 22 Jul 2026"); blank where an item is about no deadline."""
    if payload.get("what"):
        return str(payload["what"])
    kind = payload.get("kind")
    if not kind or kind == "missing_contact":
        return ""
    due = format_iso_day(payload.get("due_on"))
    return kind_label(kind) + (f", due {due}" if due else "")
