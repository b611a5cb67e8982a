"""Attendance from the register (issue 41 item 1): a CSV of session marks (child reference or UPN,
school URN, date, session AM/PM, code), as a school, a commissioned service or a council's own
extract makes it, or a CSV of totals (child, school, from, to, possible, attending, authorised,
unauthorised) for those who send totals.

Checked row by row and kept where good, because a child whose marks are refused for another
child's typo has no figures at all: a row is set aside, named with its line, column and value,
for an unknown or retired code, a date with no session in the school's calendar (a planned closure
takes only the not-possible codes), a child not on that school's roll that day (a second school of a
dual-registered child is on roll for a session the first marked ``D``), a date in the future, or a
session already covered by totals.  A file whose rows are all bad writes nothing.  Idempotent: a
mark sent again changes nothing; a changed mark is counted and its old code kept.  The import is
one history row with its counts and the children it touched; what the marks mean for each child
(the half term's band, the stages, the alerts) is ``states/attendance_marks.py``'s."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from pepflow.audit import audit
from pepflow.calendars import CalendarRangeError, format_day
from pepflow.config import Config
from pepflow.db.models import (AttendanceImport, AttendanceMark, AttendanceTotal, Child, EducationPlacement,
                               School)
from pepflow.db.unit import UnitOfWork
from pepflow.errors import ImportFileError, quoted
from pepflow.intake.csv_reading import read_csv
from pepflow import values

SESSIONS = ("AM", "PM")
DUAL = "D"  # dual registered: the other school's marks for that session are this child's
CLOSED_DAY_CODES = ("#", "Y1", "Y2", "Y3", "Y4", "Y7")  # not possible attendances a closed day may carry
CHUNK = 500
UNKNOWN_START = dt.date(1900, 1, 1)


@dataclass(frozen=True)
class SetAside:
    line: int
    column: str
    value: str
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column} {quoted(self.value)}: {self.problem}"


@dataclass
class MarksImported:
    """What an import did, for the command's summary and the history."""

    file: str
    rows: int = 0
    added: int = 0
    unchanged: int = 0
    changed: int = 0
    set_aside: list[SetAside] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # retired codes, codes in their old sense
    children: set[str] = field(default_factory=set)  # whose marks were added or changed
    import_id: int | None = None
    # (child, day, session, school, code, category), as written: for the bands and alerts
    written: list[tuple[str, dt.date, str, str, str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        said = [f"{self.file}: {self.rows} row(s); {self.added} mark(s) added, {self.changed} changed, "
                f"{self.unchanged} already held, {len(self.set_aside)} set aside."]
        said += [f"  Set aside: {s}" for s in self.set_aside[:50]]
        if len(self.set_aside) > 50:
            said.append(f"  … and {len(self.set_aside) - 50} more set aside")
        said += [f"  Note: {n}" for n in self.notes]
        return said


class _Roll:
    """Who is on which school's roll when, and the children by reference and UPN, read once."""

    def __init__(self, session: UnitOfWork, config: Config):
        self.session, self.config = session, config
        self.by_ref: dict[str, Any] = {}
        self.by_upn: dict[str, str] = {}
        for ref, upn, urn in session.execute(select(Child.ref, Child.upn, Child.school_urn)):
            self.by_ref[ref.upper()] = (ref, urn)
            if upn:
                self.by_upn[upn.upper()] = ref
        self.placements: dict[str, list[tuple[str, dt.date, dt.date | None]]] = defaultdict(list)
        for ref, urn, start, end in session.execute(select(EducationPlacement.child_ref, EducationPlacement.school_urn,
                                                           EducationPlacement.start, EducationPlacement.end)
                                                    .order_by(EducationPlacement.child_ref, EducationPlacement.start,
                                                              EducationPlacement.id)):
            # a child's first placement is the school the roll import found them at, dated the day of the
            # import: they were on its roll before, since a day pepflow was never told
            first = ref not in self.placements
            self.placements[ref].append((urn, UNKNOWN_START if first else start, end))
        self.calendars = {urn: name for urn, name in session.execute(select(School.urn, School.calendar))}
        self._days: dict[tuple[str, dt.date], bool | None] = {}

    def child(self, ref: str, upn: str) -> str | None:
        if ref:
            found = self.by_ref.get(ref.strip().upper())
            return found[0] if found else None
        return self.by_upn.get(upn.strip().upper())

    def on_roll(self, ref: str, urn: str, day: dt.date) -> bool:
        placed = self.placements.get(ref)
        if placed:
            return any(u == urn and start <= day and (end is None or day <= end) for u, start, end in placed)
        return self.by_ref.get(ref.upper(), (None, None))[1] == urn  # no history kept: their current school

    def school_day(self, urn: str, day: dt.date) -> bool | None:
        """Whether the school has sessions that day (None: its calendar does not reach it)."""
        key = (urn, day)
        if key not in self._days:
            calendar = self.config.calendar(self.calendars.get(urn) or self.config.settings.default_calendar, urn)
            try:
                self._days[key] = calendar.is_school_day(day)
            except CalendarRangeError:
                self._days[key] = None
        return self._days[key]


def _child_and_school(roll: _Roll, line: int, row: dict[str, str], done: "MarksImported") -> tuple[str, str] | None:
    """The row's child (by reference, else UPN) and school, or None with the row set aside saying why."""
    ref_text, upn_text = row.get("child_ref", "").strip(), row.get("upn", "").strip()
    if not ref_text and not upn_text:
        done.set_aside.append(SetAside(line, "child_ref", "", "needs the child's reference or UPN"))
        return None
    ref = roll.child(ref_text, upn_text)
    if ref is None:
        done.set_aside.append(SetAside(line, "child_ref" if ref_text else "upn", ref_text or upn_text,
                                       "is not a child pepflow knows"))
        return None
    urn = row.get("school_urn", "").strip()
    if urn not in roll.calendars:
        done.set_aside.append(SetAside(line, "school_urn", urn, "is not a school in the schools list"))
        return None
    return ref, urn


def import_marks(session: UnitOfWork, config: Config, path: str | Path, today: dt.date, by: str = "",
                 rows: list[tuple[int, dict[str, str]]] | None = None) -> MarksImported:
    """Check and write a file of session marks (see the module's docstring)."""
    file = Path(path).name
    rows = rows if rows is not None else read_csv(path, "marks")
    codes = config.attendance_codes
    roll = _Roll(session, config)
    done = MarksImported(file, rows=len(rows))
    good: dict[tuple[str, dt.date, str, str], tuple[int, str, str]] = {}
    retired_seen: dict[str, int] = {}
    old_sense_seen = 0
    pending_dual: list[tuple[int, str, str, dt.date, str, str, str]] = []
    for line, row in rows:
        found = _child_and_school(roll, line, row, done)
        if found is None:
            continue
        ref, urn = found
        try:
            day = values.date_value(row.get("date", ""))
        except ValueError as exc:
            done.set_aside.append(SetAside(line, "date", row.get("date", ""), str(exc)))
            continue
        if day > today:
            done.set_aside.append(SetAside(line, "date", row.get("date", ""),
                                           f"is in the future (today is {format_day(today)})"))
            continue
        session_name = row.get("session", "").strip().upper()
        if session_name not in SESSIONS:
            done.set_aside.append(SetAside(line, "session", row.get("session", ""), "must be AM or PM"))
            continue
        code = row.get("code", "").strip().upper() if row.get("code", "").strip() not in ("/", "\\") \
            else row.get("code", "").strip()
        category = codes.category_of(code)
        if category is None:
            if code in codes.retired:
                retired_seen[code] = retired_seen.get(code, 0) + 1
                problem = f"is a retired code: {codes.retired[code]}"
            else:
                problem = "is not an attendance code (config/attendance_codes.toml lists them)"
            done.set_aside.append(SetAside(line, "code", row.get("code", ""), problem))
            continue
        if code in codes.changed:
            old_sense_seen += 1
        open_day = roll.school_day(urn, day)
        if open_day is None:
            done.set_aside.append(SetAside(line, "date", row.get("date", ""),
                                           "is beyond the term dates of the school's calendar"))
            continue
        if not open_day and code not in CLOSED_DAY_CODES:
            done.set_aside.append(SetAside(line, "date", row.get("date", ""),
                                           f"the school has no session on {format_day(day)} (weekend, holiday or "
                                           f"closure): only a closure code ({', '.join(CLOSED_DAY_CODES)}) is taken"))
            continue
        if not roll.on_roll(ref, urn, day):
            pending_dual.append((line, ref, urn, day, session_name, code, category))
            continue
        good[(ref, day, session_name, urn)] = (line, code, category)
    # a dual-registered child: the other school's marks stand for a session the school on roll marked D
    duals = {(ref, day, s) for (ref, day, s, _), (_, code, _) in good.items() if code == DUAL}
    if pending_dual:
        duals |= _held_duals(session, {(p[1], p[3], p[4]) for p in pending_dual})
    for line, ref, urn, day, session_name, code, category in pending_dual:
        if (ref, day, session_name) in duals:
            good[(ref, day, session_name, urn)] = (line, code, category)
        else:
            done.set_aside.append(SetAside(line, "school_urn", urn, f"{ref} is not on this school's roll on "
                                           f"{format_day(day)} (and no school they are on roll at marked them D)"))
    _not_under_totals(session, good, done)
    for code, count in sorted(retired_seen.items()):
        done.notes.append(f"{count} row(s) use the retired code {code}: {codes.retired[code]}")
    if old_sense_seen:
        done.notes.append(f"{old_sense_seen} row(s) use D, which {codes.changed[DUAL]}: counted as not possible")
    if not good:
        if rows:
            raise ImportFileError(file, [str(s) for s in done.set_aside[:50]] or ["no marks"])
        return done
    _write(session, good, done, file, today, by)
    return done


def _held_duals(session: UnitOfWork, wanted: set[tuple[str, dt.date, str]]) -> set[tuple[str, dt.date, str]]:
    """Of these sessions, those a school marked D in an earlier import."""
    found: set[tuple[str, dt.date, str]] = set()
    keys = sorted(wanted)
    for start in range(0, len(keys), CHUNK):
        part = keys[start:start + CHUNK]
        found |= {(r, d, s) for r, d, s in session.execute(
            select(AttendanceMark.child_ref, AttendanceMark.day, AttendanceMark.session).where(
                tuple_(AttendanceMark.child_ref, AttendanceMark.day, AttendanceMark.session).in_(part),
                AttendanceMark.code == DUAL))}
    return found


def _not_under_totals(session: UnitOfWork, good: dict, done: MarksImported) -> None:
    """A session inside totals already held for that child and school is set aside: never counted twice."""
    children = sorted({key[0] for key in good})
    totals: dict[tuple[str, str], list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for start in range(0, len(children), CHUNK):
        for ref, urn, first, last in session.execute(
                select(AttendanceTotal.child_ref, AttendanceTotal.school_urn, AttendanceTotal.start, AttendanceTotal.end)
                .where(AttendanceTotal.child_ref.in_(children[start:start + CHUNK]))):
            totals[(ref, urn)].append((first, last))
    if not totals:
        return
    for key in [k for k in good if any(a <= k[1] <= b for a, b in totals.get((k[0], k[3]), ()))]:
        line, code, _ = good.pop(key)
        done.set_aside.append(SetAside(line, "date", key[1].isoformat(), f"totals already held for {key[0]} at "
                                       f"{key[3]} cover this date: a session is never counted twice"))


def _write(session: UnitOfWork, good: dict, done: MarksImported, file: str, today: dt.date, by: str) -> None:
    batch = AttendanceImport(kind="marks", filename=file[:200], imported_on=today, imported_by=by, rows=done.rows)
    session.add(batch)
    session.flush()
    keys = sorted(good)
    held: dict[tuple[str, dt.date, str, str], str] = {}
    for start in range(0, len(keys), CHUNK):
        part = keys[start:start + CHUNK]
        held.update({(r, d, s, u): c for r, d, s, u, c in session.execute(
            select(AttendanceMark.child_ref, AttendanceMark.day, AttendanceMark.session, AttendanceMark.school_urn,
                   AttendanceMark.code).where(tuple_(AttendanceMark.child_ref, AttendanceMark.day,
                                                     AttendanceMark.session, AttendanceMark.school_urn).in_(part)))})
    new, changes = [], []
    for key in keys:
        line, code, category = good[key]
        before = held.get(key)
        if before == code:
            done.unchanged += 1
            continue
        ref, day, session_name, urn = key
        done.children.add(ref)
        done.written.append((ref, day, session_name, urn, code, category))
        if before is None:
            new.append(dict(child_ref=ref, day=day, session=session_name, school_urn=urn, code=code,
                            category=category, import_id=batch.id, changed_from=""))
        else:
            changes.append((key, code, category, before))
    if new:
        try:
            with session.begin_nested():
                session.execute(insert(AttendanceMark), new)
        except IntegrityError:  # another import of the same marks committed first
            raise ImportFileError(file, ["another import of these marks was under way at the same moment: import "
                                         "the file again (what is already held is not changed)"]) from None
    for (ref, day, session_name, urn), code, category, before in changes:
        session.execute(update(AttendanceMark).where(
            AttendanceMark.child_ref == ref, AttendanceMark.day == day, AttendanceMark.session == session_name,
            AttendanceMark.school_urn == urn).values(code=code, category=category, changed_from=before,
                                                     import_id=batch.id))
    done.added, done.changed = len(new), len(changes)
    batch.added, batch.changed, batch.unchanged, batch.set_aside = done.added, done.changed, done.unchanged, \
        len(done.set_aside)
    done.import_id = batch.id
    audit(session, None, "attendance", "attendance_marks_imported", today, {
        "file": file[:200], "import": batch.id, "rows": done.rows, "added": done.added, "changed": done.changed,
        "unchanged": done.unchanged, "set_aside": len(done.set_aside), "children": sorted(done.children)[:20000],
        "changed_marks": [{"child": r, "date": d.isoformat(), "session": s, "school": u, "from": b, "to": c}
                          for (r, d, s, u), c, _, b in changes[:500]]}, actor=by or None)


def import_totals(session: UnitOfWork, config: Config, path: str | Path, today: dt.date, by: str = "",
                  rows: list[tuple[int, dict[str, str]]] | None = None) -> MarksImported:
    """Check and write a file of totals: one row a child, school and period."""
    file = Path(path).name
    rows = rows if rows is not None else read_csv(path, "attendance-totals")
    roll = _Roll(session, config)
    done = MarksImported(file, rows=len(rows))
    good: list[dict[str, Any]] = []
    for line, row in rows:
        found = _child_and_school(roll, line, row, done)
        if found is None:
            continue
        ref, urn = found
        try:
            first, last = values.date_value(row.get("from", "")), values.date_value(row.get("to", ""))
            numbers = {k: values.number_between(0, 1000, "sessions")(row.get(k, "")) for k in
                       ("possible", "attending", "authorised", "unauthorised")}
        except ValueError as exc:
            bad = next((k for k in ("from", "to", "possible", "attending", "authorised", "unauthorised")
                        if not _parses(k, row.get(k, ""))), "from")
            done.set_aside.append(SetAside(line, bad, row.get(bad, ""), str(exc)))
            continue
        if last < first or last > today:
            done.set_aside.append(SetAside(line, "to", row.get("to", ""), "is before 'from', or in the future"))
            continue
        if numbers["attending"] + numbers["authorised"] + numbers["unauthorised"] != numbers["possible"]:
            done.set_aside.append(SetAside(line, "possible", row.get("possible", ""),
                                           "is not attending + authorised + unauthorised"))
            continue
        if not (roll.on_roll(ref, urn, first) or roll.on_roll(ref, urn, last)):
            done.set_aside.append(SetAside(line, "school_urn", urn, f"{ref} is not on this school's roll then"))
            continue
        good.append(dict(child_ref=ref, school_urn=urn, start=first, end=last, **numbers, line=line))
    if not good:
        if rows:
            raise ImportFileError(file, [str(s) for s in done.set_aside[:50]])
        return done
    batch = AttendanceImport(kind="totals", filename=file[:200], imported_on=today, imported_by=by, rows=done.rows)
    session.add(batch)
    session.flush()
    for item in good:
        line = item.pop("line")
        marked = session.execute(select(AttendanceMark.day).where(
            AttendanceMark.child_ref == item["child_ref"], AttendanceMark.school_urn == item["school_urn"],
            AttendanceMark.day >= item["start"], AttendanceMark.day <= item["end"]).limit(1)).first()
        if marked:
            done.set_aside.append(SetAside(line, "from", item["start"].isoformat(), "marks already held cover "
                                           "these dates: a session is never counted twice"))
            continue
        held = session.execute(select(AttendanceTotal).where(
            AttendanceTotal.child_ref == item["child_ref"], AttendanceTotal.school_urn == item["school_urn"],
            AttendanceTotal.start == item["start"], AttendanceTotal.end == item["end"])).scalar_one_or_none()
        if held is None:
            session.add(AttendanceTotal(**item, import_id=batch.id))
            done.added += 1
            done.children.add(item["child_ref"])
        elif (held.possible, held.attending, held.authorised, held.unauthorised) == tuple(
                item[k] for k in ("possible", "attending", "authorised", "unauthorised")):
            done.unchanged += 1
        else:
            for k in ("possible", "attending", "authorised", "unauthorised"):
                setattr(held, k, item[k])
            held.import_id = batch.id
            done.changed += 1
            done.children.add(item["child_ref"])
    batch.added, batch.changed, batch.unchanged, batch.set_aside = done.added, done.changed, done.unchanged, \
        len(done.set_aside)
    done.import_id = batch.id
    audit(session, None, "attendance", "attendance_totals_imported", today, {
        "file": file[:200], "import": batch.id, "rows": done.rows, "added": done.added, "changed": done.changed,
        "unchanged": done.unchanged, "set_aside": len(done.set_aside), "children": sorted(done.children)},
        actor=by or None)
    return done


def _parses(column: str, value: str) -> bool:
    try:
        if column in ("from", "to"):
            values.date_value(value)
        else:
            values.number_between(0, 1000)(value)
        return True
    except ValueError:
        return False
