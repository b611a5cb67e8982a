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

import csv
import datetime as dt
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from sqlmodel import Session, select

from .config import Config
from .db.models import Child, EducationPlacement, Person, School
from . import values
from .errors import ImportFileError

KINDS = ("schools", "people", "children")
SCHOOL_TYPES = ("maintained", "academy", "free", "special", "independent", "pru", "ap")
OFSTED = ("outstanding", "good", "requires_improvement", "inadequate", "none")
PERSON_ROLES = ("vsh", "vs_admin", "vs_officer", "social_worker", "team_manager",
                "designated_teacher", "head_teacher", "iro", "carer")
SEN = ("none", "sen_support", "ehcp")
LEGAL = ("care_order", "interim_care_order", "s20", "remand", "placement_order", "other")
PLACEMENT_TYPES = ("", "foster_la", "foster_private", "kinship", "residential", "secure",
                   "semi_independent", "other")
# column -> (parser, required column?)
COLUMNS: dict[str, dict[str, tuple[Callable[[str], Any], bool]]] = {
    "schools": {
        "urn": (values.text, True), "name": (values.text, True),
        "type": (values.choice(*SCHOOL_TYPES), True), "la": (values.optional_text, False),
        "ofsted": (values.choice(*OFSTED, default="none"), False), "ofsted_date": (values.optional_date, False),
        "calendar": (values.optional_text, False), "dt_ref": (values.optional_ref, False),
        "head_ref": (values.optional_ref, False),
    },
    "people": {
        "ref": (values.text, True), "role": (values.choice(*PERSON_ROLES), True),
        "name": (values.text, True), "email": (values.email, False),
        "manager_ref": (values.optional_ref, False),
    },
    "children": {
        "ref": (values.text, True), "first_name": (values.text, True),
        "last_name": (values.text, True), "dob": (values.date_value, True), "upn": (values.upn, False),
        "sen_status": (values.choice(*SEN, default="none"), False), "legal_status": (values.choice(*LEGAL), True),
        "entered_care": (values.date_value, True), "first_entered_care": (values.optional_date, False),
        "school_urn": (values.optional_ref, False), "social_worker_ref": (values.optional_ref, False),
        "iro_ref": (values.optional_ref, False), "carer_ref": (values.optional_ref, False),
        "in_area": (values.yes_no_or(True), False), "placement_type": (values.choice(*PLACEMENT_TYPES, default=""), False),
        "last_pep_meeting": (values.optional_date, False), "last_care_review": (values.optional_date, False),
    },
}
MODELS = {"schools": School, "people": Person, "children": Child}
KEYS = {"schools": "urn", "people": "ref", "children": "ref"}


@dataclass
class ImportReport:
    kind: str
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{self.kind}: {len(self.added)} added, {len(self.changed)} changed, "
                f"{len(self.unchanged)} unchanged")


def read_mapping(path: str | Path) -> dict[str, str]:
    """Their column name -> our column name, from a mapping file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ImportFileError(str(path), [f"cannot read mapping file: {exc}"]) from None
    columns = data.get("columns")
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise ImportFileError(str(path), ['expected a [columns] table of "their name" = "our name"'])
    return columns


def read_csv(path: str | Path, kind: str, mapping: dict[str, str] | None = None
             ) -> list[tuple[int, dict[str, str]]]:
    """Rows as (line number, {our column: raw text}), after applying a column mapping."""
    file = str(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            mapping = mapping or {}
            ours = [mapping.get(h, h) for h in header]
            required = [c for c, (_, req) in COLUMNS[kind].items() if req]
            missing = [c for c in required if c not in ours]
            if missing:
                raise ImportFileError(file, [
                    f"line 1: missing column(s) {', '.join(missing)} (found: {', '.join(header)})"])
            rows = []
            for raw in reader:
                values = {mapping.get(k.strip(), k.strip()): (v or "")
                          for k, v in raw.items() if k is not None}
                rows.append((reader.line_num, values))
            return rows
    except OSError as exc:
        raise ImportFileError(file, [f"cannot read the file: {exc.strerror}"]) from None
    except UnicodeDecodeError:
        raise ImportFileError(file, ["the file is not UTF-8 text (save it as CSV UTF-8)"]) from None


def _parse_rows(file: str, kind: str, rows: list[tuple[int, dict[str, str]]],
                problems: list[str]) -> list[tuple[int, dict[str, Any]]]:
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
                problems.append(f"line {line}, column {column}: {raw[column]!r} {bad}")
        ref = record.get(key)
        if ref:
            if ref in seen:
                problems.append(f"line {line}, column {key}: {ref!r} already appears on line {seen[ref]}")
            seen[ref] = line
        parsed.append((line, record))
    return parsed


def _check_references(session: Session, config: Config, kind: str, today: dt.date,
                      parsed: list[tuple[int, dict[str, Any]]], problems: list[str]) -> None:
    people = {p.ref: p.role for p in session.exec(select(Person))}
    if kind == "people":
        people.update({r["ref"]: r.get("role") for _, r in parsed if r.get("ref")})
    schools = set(session.exec(select(School.urn)))

    def person(line: int, column: str, ref: str | None, roles: tuple[str, ...]) -> None:
        if ref is None:
            return
        if ref not in people:
            problems.append(f"line {line}, column {column}: {ref!r} is not a known person "
                            "(import people first)")
        elif people[ref] not in roles:
            problems.append(f"line {line}, column {column}: {ref!r} is a {people[ref]}, "
                            f"expected {' or '.join(roles)}")

    for line, r in parsed:
        if kind == "people":
            person(line, "manager_ref", r.get("manager_ref"), PERSON_ROLES)
        elif kind == "schools":
            calendar = r.get("calendar") or config.settings.default_calendar
            if calendar not in config.calendars:
                problems.append(f"line {line}, column calendar: {calendar!r} is not a configured "
                                f"calendar (known: {', '.join(sorted(config.calendars))})")
            person(line, "dt_ref", r.get("dt_ref"), ("designated_teacher",))
            person(line, "head_ref", r.get("head_ref"), ("head_teacher",))
        elif kind == "children":
            if r.get("school_urn") and r["school_urn"] not in schools:
                problems.append(f"line {line}, column school_urn: {r['school_urn']!r} is not a "
                                "known school (import schools first)")
            person(line, "social_worker_ref", r.get("social_worker_ref"), ("social_worker", "team_manager"))
            person(line, "iro_ref", r.get("iro_ref"), ("iro",))
            person(line, "carer_ref", r.get("carer_ref"), ("carer",))
            dob, entered = r.get("dob"), r.get("entered_care")
            for column in ("dob", "entered_care", "first_entered_care", "last_pep_meeting",
                           "last_care_review"):
                if r.get(column) and r[column] > today:
                    problems.append(f"line {line}, column {column}: {r[column].isoformat()!r} is in "
                                    f"the future (today is {today.isoformat()})")
            if dob and entered and entered < dob:
                problems.append(f"line {line}, column entered_care: {entered.isoformat()!r} is "
                                "before the date of birth")
            for column in ("last_pep_meeting", "last_care_review"):
                if entered and r.get(column) and r[column] < entered:
                    problems.append(f"line {line}, column {column}: {r[column].isoformat()!r} is "
                                    "before entered_care (the current episode)")


def import_records(session: Session, config: Config, kind: str,
                   rows: list[tuple[int, dict[str, str]]], today: dt.date,
                   file: str = "input") -> ImportReport:
    """Validate every row, then add or update them in ``session`` (the caller commits).

    Raises ``ImportFileError`` listing every problem before anything is written."""
    if kind not in KINDS:
        raise ImportFileError(file, [f"unknown kind {kind!r} (one of {', '.join(KINDS)})"])
    problems: list[str] = []
    parsed = _parse_rows(file, kind, rows, problems)
    _check_references(session, config, kind, today, parsed, problems)
    if problems:
        raise ImportFileError(file, problems)

    model, key = MODELS[kind], KEYS[kind]
    report = ImportReport(kind)
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
            if kind == "children" and obj.school_urn:
                session.add(EducationPlacement(child_ref=ref, school_urn=obj.school_urn, start=today))
            continue
        changes = {c: v for c, v in record.items() if getattr(current, c) != v}
        if not changes:
            report.unchanged.append(ref)
            continue
        if kind == "children" and "school_urn" in changes:
            _move_education_placement(session, current, changes["school_urn"], today)
        for column, value in changes.items():
            setattr(current, column, value)
        session.add(current)
        report.changed.append(ref)
    session.flush()
    return report


def _move_education_placement(session: Session, child: Child, urn: str | None, on: dt.date) -> None:
    """Close the child's open education placement and open one at the new school."""
    for placement in session.exec(select(EducationPlacement).where(
            EducationPlacement.child_ref == child.ref, EducationPlacement.end.is_(None))):
        placement.end = on
        session.add(placement)
    if urn:
        session.add(EducationPlacement(child_ref=child.ref, school_urn=urn, start=on))
