"""History rows as sentences a person reads: "Reminder sent to Sam Worker (social worker):
termly PEP review due 22 Jul 2026".

The history keeps codes and JSON (for checking and replay); the pages and the CLI show
these sentences.  Pure: the caller passes the people and schools it knows, so a row of a
person no longer on the list still reads ("SW09").  No Python value (None, a dict, a list)
ever reaches the sentence: each detail is written out, and the bookkeeping a person has no
use for (deadline snapshots, process marks) is left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from pepflow.calendars import format_iso_day
from pepflow.vocabulary import (event_label, kind_label, outcome_label, parameter_label, role_in_sentence, role_label,
                         state_label, value_words)

# payload keys that are bookkeeping, not something that happened
_HIDDEN = frozenset({"deadlines", "processes", "deadlines_cancelled", "deadlines_closed", "derived", "file",
                     "child", "fields", "notification_id", "message_id", "findings", "ref"})


@dataclass(frozen=True)
class Who:
    name: str
    role: str


def value_text(value: Any) -> str:
    """One setting's value in words: dates as "22 Jul 2026", yes/no, lists joined."""
    if value is None or value == "":
        return "not given"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(value_text(v) for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{parameter_label(k).lower()} {value_text(v)}" for k, v in value.items())
    text = str(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return format_iso_day(text)
    return value_words(text)


def person_text(ref: str | None, people: Mapping[str, Who]) -> str:
    if not ref:
        return "someone not recorded"
    who = people.get(ref)
    return f"{who.name} ({role_in_sentence(who.role)})" if who else ref


def actor_text(actor: str | None) -> str:
    """Who recorded it: an account's email address, a person's reference, or pepflow itself."""
    if not actor:
        return "pepflow"
    return actor.removeprefix("user:")


def _findings(findings: list[dict[str, Any]]) -> str:
    parts = []
    for f in findings:
        level = value_words(str(f.get("level", "")))
        rule = value_words(str(f.get("rule", "")))
        parts.append(f"{rule}: {level}" if rule else level)
    return "; ".join(parts)


def _closed(items: list[str]) -> str:
    """ "pep_review:met" marks as "termly PEP review met"."""
    out = []
    for item in items:
        kind, _, status = str(item).partition(":")
        out.append(f"{kind_label(kind)} {outcome_label(status).lower()}" if status else kind_label(kind))
    return ", ".join(out)


def sentence(row: Mapping[str, Any], people: Mapping[str, Who] | None = None) -> str:
    """The headline of one history row."""
    people = people or {}
    name, payload = row["event"], row.get("payload") or {}
    kind = payload.get("kind")
    due = f" due {format_iso_day(payload['due_on'])}" if payload.get("due_on") else ""
    what = f": {kind_label(kind)[0].lower() + kind_label(kind)[1:]}{due}" if kind else ""
    if name == "notification_sent":
        step = str(payload.get("step", ""))
        said = "Escalation" if step.startswith("escalate") else "Notice" if step == "notice" else "Reminder"
        return f"{said} sent to {person_text(payload.get('to'), people)}{what}"
    if name == "email_sent":
        carried = len(payload.get("notifications") or [])
        return f"Email sent to {person_text(payload.get('to'), people)} ({carried} item{'' if carried == 1 else 's'})"
    if name in ("notification_retry", "notification_failed"):
        return f"{event_label(name)} to {person_text(payload.get('to'), people)}"
    if name == "notification_skipped":
        if payload.get("step") == "before_go_live":
            return f"Not reminded or escalated{what}: it fell due before pepflow went live"
        return f"Email not written{what}"
    label = event_label(name)
    process = row.get("process", "")
    before, after = row.get("state_before"), row.get("state_after")
    if after and before != after and process in ("pep", "admission", "exclusion"):
        now = state_label(process, after).lower()
        if not set(now.split()) <= set(label.lower().split()):  # "PEP submitted" needs no "(now submitted)"
            return f"{label} (now {now})"
    return label


SCHOOL_KEYS = frozenset({"school_urn", "excluded_from"})  # settings that name a school by its URN
PERSON_KEYS = frozenset({"nominated_officer", "to"})  # ... and a person, besides every "…_ref"


def names_a_person(key: str) -> bool:
    return key.endswith("_ref") or key in PERSON_KEYS


def school_text(urn: str, schools: Mapping[str, str]) -> str:
    """A school as the history reads it: "Riverside Primary (URN 100001)", the URN alone if unknown."""
    name = schools.get(urn)
    return f"{name} (URN {urn})" if name else f"URN {urn}"


def details(row: Mapping[str, Any], people: Mapping[str, Who] | None = None,
            schools: Mapping[str, str] | None = None) -> list[str]:
    """The settings a person recorded, and what pepflow did because of them, in words."""
    people, schools = people or {}, schools or {}
    payload = row.get("payload") or {}
    out = []
    if row["event"].startswith("notification_"):
        if payload.get("error"):
            out.append(f"Reason: {payload['error']}")
        if payload.get("attempts"):
            out.append(f"Attempts: {payload['attempts']}")
        return out
    for key, value in payload.items():
        if key in _HIDDEN or key in ("kind", "due_on", "step", "to"):
            continue
        if key == "amount" and isinstance(value, (int, float)):
            out.append(f"Amount: £{value:,g}")
        elif key == "role" and isinstance(value, str):
            out.append(f"Role: {role_label(value)}")
        elif key in SCHOOL_KEYS and isinstance(value, str) and value:
            out.append(f"{parameter_label(key)}: {school_text(value, schools)}")
        elif names_a_person(key) and isinstance(value, str):
            out.append(f"{parameter_label(key)}: {person_text(value, people)}")
        else:
            out.append(f"{parameter_label(key)}: {value_text(value)}")
    if payload.get("findings"):
        out.append(f"Checks: {_findings(payload['findings'])}")
    if payload.get("deadlines_closed"):
        out.append(f"Closed: {_closed(payload['deadlines_closed'])}")
    if payload.get("derived"):
        out.append("Worked out: " + "; ".join(_derived(d) for d in payload["derived"]))
    if isinstance(payload.get("child"), dict) and row["event"] != "child_added":
        out.append("Changed: " + value_text(payload["child"]))
    return out


def _derived(text: str) -> str:
    """ "next termly PEP review due 2026-12-18" with its date in words."""
    head, sep, tail = str(text).rpartition(" ")
    return f"{head} {format_iso_day(tail)}" if sep and len(tail) == 10 else str(text)
