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
import io
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from sqlmodel import Session, select

from pepflow.audit import audit
from pepflow.audit.snapshots import child_changes, child_fields, plain
from pepflow.config import Config
from pepflow.db.models import Child, EducationPlacement, Person, School
from pepflow import values
from pepflow.errors import ImportFileError, quoted

KINDS = ("schools", "people", "children", "school-staff")
SCHOOL_TYPES = ("maintained", "academy", "free", "special", "independent", "pru", "ap", "further_education", "other")
SCHOOL_STATUSES = ("open", "closed", "proposed_to_close", "proposed_to_open")
OFSTED = ("outstanding", "good", "requires_improvement", "inadequate", "none")
PERSON_ROLES = ("vsh", "vs_admin", "vs_officer", "social_worker", "team_manager",
                "designated_teacher", "head_teacher", "iro", "carer")
SEN = ("none", "sen_support", "ehcp")
# pepflow's legal statuses and placement types hold every SSDA903 code (rules/ssda903_codes.py)
LEGAL = ("care_order", "interim_care_order", "s20", "remand", "placement_order", "freeing_order",
         "short_breaks", "police_protection", "emergency_protection_order", "child_assessment_order",
         "pace_detention", "youth_rehabilitation_order", "other")
PLACEMENT_TYPES = ("", "foster_la", "foster_private", "kinship", "placed_for_adoption", "placed_with_parents",
                   "residential", "secure", "supported_accommodation", "semi_independent", "independent_living",
                   "residential_employment", "residential_school", "health_care", "family_centre",
                   "young_offender_institution", "temporary", "other")
# column -> (parser, required column?)
COLUMNS: dict[str, dict[str, tuple[Callable[[str], Any], bool]]] = {
    "schools": {
        "urn": (values.ref, True), "name": (values.text, True),
        "type": (values.choice(*SCHOOL_TYPES), True), "la": (values.optional_text, False),
        "ofsted": (values.choice(*OFSTED, default="none"), False), "ofsted_date": (values.optional_date, False),
        "calendar": (values.optional_text, False), "dt_ref": (values.optional_ref, False),
        "head_ref": (values.optional_ref, False),
        "phase": (values.optional_text, False), "low_age": (values.optional_number_between(0, 99, "years"), False),
        # GIAS gives 99 as the upper age of further education colleges
        "high_age": (values.optional_number_between(0, 99, "years"), False),
        "status": (values.choice(*SCHOOL_STATUSES, default="open"), False),
        "close_date": (values.optional_date, False),
    },
    # each school's designated teacher and head by URN: a short list beside the GIAS file, which
    # names no person pepflow knows (a school not yet imported is refused)
    "school-staff": {
        "urn": (values.ref, True), "dt_ref": (values.optional_ref, False), "head_ref": (values.optional_ref, False),
    },
    "people": {
        "ref": (values.ref, True), "role": (values.choice(*PERSON_ROLES), True),
        "name": (values.text, True), "email": (values.email, False),
        "manager_ref": (values.optional_ref, False),
    },
    "children": {
        "ref": (values.ref, True), "first_name": (values.text, True),
        "last_name": (values.text, True), "dob": (values.date_value, True), "upn": (values.upn, False),
        "sen_status": (values.choice(*SEN, default="none"), False), "legal_status": (values.choice(*LEGAL), True),
        "entered_care": (values.date_value, True), "first_entered_care": (values.optional_date, False),
        "school_urn": (values.optional_ref, False), "social_worker_ref": (values.optional_ref, False),
        "iro_ref": (values.optional_ref, False), "carer_ref": (values.optional_ref, False),
        "in_area": (values.yes_no_or(True), False), "placement_type": (values.choice(*PLACEMENT_TYPES, default=""), False),
        "last_pep_meeting": (values.optional_date, False), "last_care_review": (values.optional_date, False),
    },
}
MODELS = {"schools": School, "people": Person, "children": Child, "school-staff": School}
KEYS = {"schools": "urn", "people": "ref", "children": "ref", "school-staff": "urn"}


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


LONE_CARRIAGE_RETURN = re.compile("\r(?!\n)")
SAVE_AS = "save it as CSV UTF-8 (in Excel: Save As, then 'CSV UTF-8 (Comma delimited)')"


def read_csv(path: str | Path, kind: str, mapping: dict[str, str] | None = None
             ) -> list[tuple[int, dict[str, str]]]:
    """Rows as (line number, {our column: raw text}), after applying a column mapping.

    Refused whole, naming the line: a file that is not UTF-8 text (UTF-16 included), a
    quoted value whose closing quote is missing (it would swallow the lines after it), a
    row with more values than the header has columns."""
    file = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ImportFileError(file, [f"cannot read the file: {exc.strerror}"]) from None
    text = _decode(file, data)
    lone = LONE_CARRIAGE_RETURN.search(text)
    if lone:
        line = text.count("\n", 0, lone.start()) + 1
        raise ImportFileError(file, [f"line {line}: a line break (a carriage return) in the middle of a line, "
                                     f"at character {lone.start() - text.rfind(chr(10), 0, lone.start())}: "
                                     "values cannot contain line breaks"])
    csv.field_size_limit(values.CSV_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
    except csv.Error as exc:
        raise ImportFileError(file, [f"line 1: the header cannot be read as CSV ({exc})"]) from None
    for name in header:
        try:
            values.clean(name, 100)
        except ValueError as bad:
            raise ImportFileError(file, [f"line 1: the column name {quoted(name)} {bad}"]) from None
    mapping = mapping or {}
    # a column is found whatever its case ("REF", "First_Name"): spreadsheets change it
    known = {c.lower(): c for c in COLUMNS.get(kind, {})}
    ours = [mapping.get(h, known.get(h.lower(), h)) for h in header]
    required = [c for c, (_, req) in COLUMNS[kind].items() if req] if kind in COLUMNS else []
    missing = [c for c in required if c not in ours]
    if missing:
        raise ImportFileError(file, [
            f"line 1: missing column(s) {', '.join(missing)} (found: {', '.join(quoted(h) for h in header)[:300]})"])
    rows, problems = [], []
    end = reader.line_num
    while True:
        start = end + 1
        try:
            raw = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(_unreadable(start, reader.line_num, str(exc)))
            break
        end = reader.line_num
        if not any(v.strip() for v in raw):
            continue  # a blank line
        if end > start and any("\n" in v or "\r" in v for v in raw):
            problems.append(f"line {start}: a quoted value opens here and runs on to line {end} (a quote mark "
                            "missing or extra, or a line break inside a value): values cannot span lines")
            break
        if len(raw) != len(ours):
            problems.append(f"line {start}: {len(raw)} values, but the header has {len(ours)} columns "
                            "(a comma inside a value needs the value in quotes; a line break cannot be in one)")
            break  # the lines after it are likely out of step too
        rows.append((start, dict(zip(ours, raw))))
    if problems:
        raise ImportFileError(file, problems)
    return rows


def ignored_columns(path: str | Path, kind: str, mapping: dict[str, str] | None = None) -> list[str]:
    """The file's columns pepflow does not read, each with "did you mean …?" when it is close
    to one it does (the header only is read: the file has been checked by ``read_csv``)."""
    if kind not in COLUMNS:
        return []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        header = [h.strip() for h in next(csv.reader(handle), [])]
    mapping = mapping or {}
    known = {c.lower(): c for c in COLUMNS[kind]}
    out = []
    for name in header:
        ours = mapping.get(name, known.get(name.lower()))
        if ours is None or ours not in COLUMNS[kind]:
            near = values.did_you_mean(name, COLUMNS[kind]).strip()
            out.append(f"{quoted(name)}" + (f" ({near})" if near else ""))
    return out


def _decode(file: str, data: bytes) -> str:
    start = data[:4096]
    # UTF-16 text holds a NUL byte beside every letter of plain English; one NUL in a cell is
    # a control character, refused with its line and column by the value parsers
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or start.count(b"\x00") > len(start) // 4:
        raise ImportFileError(file, [f"the file is UTF-16 text, not UTF-8: {SAVE_AS}"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ImportFileError(file, [f"line {line}: the file is not UTF-8 text (byte {data[exc.start]:#04x}): "
                                     f"{SAVE_AS}"]) from None


def _unreadable(start: int, end: int, problem: str) -> str:
    if "unexpected end of data" in problem or "EOF" in problem:
        return (f"line {start}: a quoted value opens here and is never closed (a quote mark is missing or "
                "extra); the file ends inside it")
    return f"line {start}: cannot be read as CSV ({problem})"


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
            person(line, "dt_ref", r.get("dt_ref"), ("designated_teacher",))
            person(line, "head_ref", r.get("head_ref"), ("head_teacher",))
        elif kind == "school-staff":
            if r.get("urn") and r["urn"] not in schools:
                problems.append(f"line {line}, column urn: {quoted(r['urn'])} is not a known school (import the "
                                "schools or the GIAS file first)")
            person(line, "dt_ref", r.get("dt_ref"), ("designated_teacher",))
            person(line, "head_ref", r.get("head_ref"), ("head_teacher",))
        elif kind == "children":
            if r.get("school_urn") and r["school_urn"] not in schools:
                problems.append(f"line {line}, column school_urn: {quoted(r['school_urn'])} is not a "
                                "known school (import schools first)")
            person(line, "social_worker_ref", r.get("social_worker_ref"), ("social_worker", "team_manager"))
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
    "children": (("social_worker_ref", ("social_worker", "team_manager")), ("iro_ref", ("iro",)),
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
    in is a correction, ``pepflow/go_live.py``).  Raises ``ImportFileError`` listing every
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
