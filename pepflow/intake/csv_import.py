"""Import the council's weekly lists of schools, people and children from CSV.

All or nothing: every row is checked first, and a single bad value stops the whole
file with a message naming the line, the column and the value.  Re-importing the same
file changes nothing; the report says what was added, changed and left alone.
A council whose export names columns differently supplies a mapping file (TOML):

    [columns]
    "Child ID" = "ref"
    "Date of Birth" = "dob"
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from pepflow.audit import audit
from pepflow.audit.snapshots import child_changes, child_fields, plain
from pepflow.config import Config
from pepflow.db.models import Child, EducationPlacement, Person, School
from pepflow.errors import ImportFileError, quoted
from pepflow.intake.csv_columns import COLUMNS, KEYS, KINDS, MODELS
from pepflow.role_table import CASELOAD_ROLES, PERSON_ROLES


@dataclass
@dataclass
class ImportReport:
    kind: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    # changes left to events (``import_records(by_events=…)``): each child's new values
    to_record: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # the events recorded for them (``services.import_file``): "C123: school changed"
    events: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)  # "frist_name (did you mean first_name?)"
    flagged: list[str] = field(default_factory=list)  # "C123: record incomplete: add the date of …"

    SHOWN = 20  # flagged children listed by name; the rest counted

    def summary(self) -> str:
        text = (f"{self.kind}: {len(self.added)} added, {len(self.changed)} changed, "
                f"{len(self.unchanged)} unchanged")
        if self.ignored_columns:
            text += "\n  columns ignored (pepflow does not read them): " + ", ".join(self.ignored_columns)
        if self.flagged:
            more = len(self.flagged) - self.SHOWN
            text += (f"\n  {len(self.flagged)} child(ren) flagged for VS admin to act on:\n"
                     + "\n".join(f"    {f}" for f in self.flagged[:self.SHOWN])
                     + (f"\n    … and {more} more (see My work)" if more > 0 else ""))
        if self.events:
            text += f"; {len(self.events)} event(s) recorded:\n" + "\n".join(f"  {e}" for e in self.events)
        if self.warnings:
            text += "\n" + "\n".join(f"  warning: {w}" for w in self.warnings)
        return text


def _parse_rows(file: str, kind: str, rows: list[tuple[int, dict[str, str]]],
                problems: list[str], names: dict[str, str] | None = None) -> list[tuple[int, dict[str, Any]]]:
    """Each row's values parsed; a bad one is a problem naming its column as the file names it
    (``names``: pepflow's column to the file's, such as GIAS's ``StatutoryHighAge``)."""
    names = names or {}
    parsed = []
    seen: dict[str, int] = {}
    key = KEYS[kind]
    for line, raw in rows:
        record: dict[str, Any] = {}
        for column, (parser, _) in COLUMNS[kind].items():
            if column not in raw:
                continue
            try:
                record[column] = parser(raw[column])
            except ValueError as bad:
                problems.append(f"line {line}, column {names.get(column, column)}: {quoted(raw[column])} {bad}")
        ref = record.get(key)
        if ref:
            if ref in seen:
                problems.append(f"line {line}, column {key}: {quoted(ref)} already appears on line {seen[ref]}")
            seen[ref] = line
        parsed.append((line, record))
    return parsed


def _check_references(session: Session, config: Config, kind: str, today: dt.date,
                      parsed: list[tuple[int, dict[str, Any]]], problems: list[str]) -> None:
    people = {p.ref: p.role for p in session.exec(select(Person))}
    if kind == "people":
        _check_role_changes(session, people, parsed, problems)
        people.update({r["ref"]: r.get("role") for _, r in parsed if r.get("ref")})
    schools = set(session.exec(select(School.urn)))

    def person(line: int, column: str, ref: str | None, roles: tuple[str, ...]) -> None:
        if ref is None:
            return
        if ref not in people:
            problems.append(f"line {line}, column {column}: {quoted(ref)} is not a known person "
                            "(import people first)")
        elif people[ref] is None:
            return  # that person's own line has a problem already
        elif people[ref] not in roles:
            problems.append(f"line {line}, column {column}: {quoted(ref)} is a {people[ref]}, "
                            f"expected {' or '.join(roles)}")

    for line, r in parsed:
        if kind == "people":
            person(line, "manager_ref", r.get("manager_ref"), PERSON_ROLES)
        elif kind == "schools":
            if r.get("ofsted_date") and r["ofsted_date"] > today:
                problems.append(f"line {line}, column ofsted_date: '{r['ofsted_date'].isoformat()}' is in the "
                                f"future (today is {today.isoformat()})")
            calendar = r.get("calendar") or config.settings.default_calendar
            if calendar not in config.calendars:
                problems.append(f"line {line}, column calendar: {quoted(calendar)} is not a configured "
                                f"calendar (known: {', '.join(sorted(config.calendars))})")
        elif kind == "school-staff" and r.get("urn") and r["urn"] not in schools:
            problems.append(f"line {line}, column urn: {quoted(r['urn'])} is not a known school (import the "
                            "schools or the GIAS file first)")
        if kind in ("schools", "school-staff"):
            person(line, "dt_ref", r.get("dt_ref"), ("designated_teacher",))
            person(line, "head_ref", r.get("head_ref"), ("head_teacher",))
        elif kind == "children":
            if r.get("school_urn") and r["school_urn"] not in schools:
                problems.append(f"line {line}, column school_urn: {quoted(r['school_urn'])} is not a "
                                "known school (import schools first)")
            person(line, "social_worker_ref", r.get("social_worker_ref"), CASELOAD_ROLES)
            person(line, "iro_ref", r.get("iro_ref"), ("iro",))
            person(line, "carer_ref", r.get("carer_ref"), ("carer",))
            dob, entered = r.get("dob"), r.get("entered_care")
            future = [c for c in ("dob", "entered_care", "first_entered_care", "last_pep_meeting",
                                  "last_care_review") if r.get(c) and r[c] > today]
            for column in future:
                problems.append(f"line {line}, column {column}: '{r[column].isoformat()}' is in "
                                f"the future (today is {today.isoformat()})")
            if future:
                continue  # the dates' order is checked once each is possible
            if dob and entered and entered < dob:
                problems.append(f"line {line}, column entered_care: '{entered.isoformat()}' is "
                                "before the date of birth")
            if dob and dob < today.replace(year=today.year - OLDEST_AGE, day=min(today.day, 28)):
                problems.append(f"line {line}, column dob: '{dob.isoformat()}' is more than {OLDEST_AGE} years "
                                "ago (a child in care or a care leaver is younger)")
            first = r.get("first_entered_care")
            if first and dob and first < dob:
                problems.append(f"line {line}, column first_entered_care: '{first.isoformat()}' is before the "
                                "date of birth")
            if first and entered and first > entered:
                problems.append(f"line {line}, column first_entered_care: '{first.isoformat()}' is after "
                                f"entered_care {entered.isoformat()} (the first time cannot be after the latest)")
            for column in ("last_pep_meeting", "last_care_review"):
                if entered and r.get(column) and r[column] < entered:
                    problems.append(f"line {line}, column {column}: '{r[column].isoformat()}' is "
                                    "before entered_care (the current episode)")


# the roles a child's or school's reference to a person must have (the column, the roles)
NAMED_AS = {
    "children": (("social_worker_ref", CASELOAD_ROLES), ("iro_ref", ("iro",)),
                 ("carer_ref", ("carer",))),
    "schools": (("dt_ref", ("designated_teacher",)), ("head_ref", ("head_teacher",))),
}
OLDEST_AGE = 26  # care leavers are supported to 25


def _check_role_changes(session: Session, roles: dict[str, str], parsed: list[tuple[int, dict[str, Any]]],
                        problems: list[str]) -> None:
    """A person whose new role no longer fits how children or schools name them is refused,
    naming those records: the next import of children would otherwise fail, or worse, pass."""
    changing = {r["ref"]: (line, r["role"]) for line, r in parsed
                if r.get("ref") in roles and r.get("role") and roles[r["ref"]] != r["role"]}
    if not changing:
        return
    for kind, columns in NAMED_AS.items():
        model, key = MODELS[kind], KEYS[kind]
        for column, allowed in columns:
            field = getattr(model, column)
            for ref, (line, role) in changing.items():
                if role in allowed:
                    continue
                named = sorted(session.exec(select(getattr(model, key)).where(field == ref)))
                if named:
                    shown = ", ".join(named[:10]) + (f" and {len(named) - 10} more" if len(named) > 10 else "")
                    what = "children" if kind == "children" else "schools"
                    problems.append(f"line {line}, column role: {quoted(ref)} cannot become a {role}: {what} "
                                    f"{shown} name them as {column.removesuffix('_ref').replace('_', ' ')}; "
                                    "change those first")


def import_records(session: Session, config: Config, kind: str,
                   rows: list[tuple[int, dict[str, str]]], today: dt.date,
                   file: str = "input", by_events: tuple[str, ...] = (),
                   names: dict[str, str] | None = None, blanks_filled_are_facts: bool = False) -> ImportReport:
    """Validate every row, then add or update them in ``session`` (the caller commits).

    A change to one of the ``by_events`` fields of a child already held is not written
    here: it is listed in ``report.to_record`` for the caller to record as the event it is
    (``services.import_file``), so the history, deadlines and audit follow as if someone
    had recorded it by hand (``blanks_filled_are_facts``: on or before go-live, a blank filled
    in is a correction, ``pepflow/engine/go_live.py``).  Raises ``ImportFileError`` listing every
    problem before anything is written."""
    if kind not in KINDS:
        raise ImportFileError(file, [f"unknown kind {kind!r} (one of {', '.join(KINDS)})"])
    problems: list[str] = []
    parsed = _parse_rows(file, kind, rows, problems, names)
    _check_references(session, config, kind, today, parsed, problems)
    if problems:
        raise ImportFileError(file, problems)

    model, key = MODELS[kind], KEYS[kind]
    report = ImportReport(kind)
    report.warnings += [f"line {line}: the email address {quoted(r['email'])} has letters outside ASCII: it can be "
                        "sent to only through a mail relay that offers SMTPUTF8, and otherwise fails at once for "
                        "VS admin to correct" for line, r in parsed if r.get("email") and not r["email"].isascii()]
    # the history names what changed
    noun = {"schools": "school", "people": "person", "children": "child", "school-staff": "school"}[kind]
    existing = {getattr(o, key): o for o in session.exec(select(model))}
    for _, record in parsed:
        if kind == "schools" and not record.get("calendar"):
            record["calendar"] = config.settings.default_calendar
        ref = record[key]
        current = existing.get(ref)
        if current is None:
            obj = model(**record)
            session.add(obj)
            report.added.append(ref)
            audit_import(session, kind, noun, "added", ref, obj, None, record, today, file)
            if kind == "children" and obj.school_urn:
                session.add(EducationPlacement(child_ref=ref, school_urn=obj.school_urn, start=today))
            continue
        changes = {c: v for c, v in record.items() if getattr(current, c) != v}
        if not changes:
            report.unchanged.append(ref)
            continue
        # what happened to a child in care is an event; a school or social worker made blank, or
        # a child no longer in care, is only a correction of the record
        happened = {c: v for c, v in changes.items() if c in by_events and getattr(current, "looked_after", False)
                    and not (c in ("school_urn", "social_worker_ref") and v is None)
                    # on or before go-live, a blank filled in is the record completed, not a move
                    and not (blanks_filled_are_facts and getattr(current, c) in (None, ""))}
        if happened:
            report.to_record.append((ref, happened))
            changes = {c: v for c, v in changes.items() if c not in happened}
            if not changes:
                report.changed.append(ref)
                continue
        if kind == "children" and "school_urn" in changes:
            _move_education_placement(session, current, changes["school_urn"], today)
        before = child_fields(current) if kind == "children" else None
        for column, value in changes.items():
            setattr(current, column, value)
        session.add(current)
        report.changed.append(ref)
        audit_import(session, kind, noun, "changed", ref, current, before, changes, today, file)
    session.flush()
    return report


def audit_import(session: Session, kind: str, noun: str, what: str, ref: str, row: Any,
                  before: tuple[Any, ...] | None, changes: dict[str, Any], today: dt.date, file: str) -> None:
    """A history row for each record an import adds or changes: a child's row holds its fields
    as imported (``child``), which ``pepflow audit verify --replay`` compares with the table."""
    payload: dict[str, Any] = {"file": Path(file).name}
    if kind == "children":
        payload["child"] = child_changes(before, row)
    else:
        payload["ref"], payload["fields"] = ref, {c: plain(v) for c, v in changes.items()}
    audit(session, ref if kind == "children" else None, "roll", f"{noun}_{what}", today, payload)


def _move_education_placement(session: Session, child: Child, urn: str | None, on: dt.date) -> None:
    """Close the child's open education placement and open one at the new school."""
    for placement in session.exec(select(EducationPlacement).where(
            EducationPlacement.child_ref == child.ref, EducationPlacement.end.is_(None))):
        placement.end = on
        session.add(placement)
    if urn:
        session.add(EducationPlacement(child_ref=child.ref, school_urn=urn, start=on))
