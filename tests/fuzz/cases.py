"""Malformed input, made on purpose, and how pepflow answered it.

Each case starts from a valid import file or event of the test cohort (tests/data) and
breaks it in one way that makes it wrong: a control character, an over-long value, an
unbalanced quote, an impossible or out-of-range date, a number out of range or in other
digits, a reference to the wrong person, a role change the children contradict, a file
not in UTF-8.  Every case is bad by construction, so pepflow must refuse it.  ``judge``
runs it through the ``pepflow`` command (in this process) and sorts the answer:

* clear refusal: exit code 1, one line naming the line, column or field, quoting at most
  about 80 characters of the value, and the database unchanged;
* unclear refusal: refused, but another exit code, or a message that does not say where,
  or echoes too much;
* wrong accept: exit code 0;
* partial write: refused, but the database changed.

``Choices`` is where each case draws its choices from: hypothesis in the tests
(tests/fuzz/test_fuzz.py), a seeded ``random.Random`` in bench/fuzz.py.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

ROOT = Path(__file__).resolve().parent.parent.parent
DATA = ROOT / "tests" / "data"
TODAY = "2026-11-20"
OUTCOMES = ("clear refusal", "unclear refusal", "wrong accept", "partial write")


class Choices(Protocol):
    def pick(self, options: Sequence[Any]) -> Any: ...

    def number(self, low: int, high: int) -> int: ...


@dataclass
class Case:
    """One malformed input: a CSV import (``kind``, ``content``) or an event (``argv``)."""

    what: str  # how it was broken, for the counts
    expect: tuple[str, ...]  # one of these must appear in the message (the line, column or field)
    kind: str = ""
    content: bytes = b""
    argv: tuple[str, ...] = ()


# ---- breaking a CSV file ----------------------------------------------------------------

def _rows(kind: str) -> list[list[str]]:
    with open(DATA / f"{kind}.csv", newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def _write(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


CONTROL = ("\x00", "\x01", "\x07", "\x1b", "\x7f", "\x9b", "\u202e", "\x0b", "\r", "\n")
TEXT_COLUMNS = {"people": ("ref", "name", "manager_ref"), "schools": ("urn", "name", "la", "dt_ref"),
                "children": ("ref", "first_name", "last_name", "school_urn", "social_worker_ref", "carer_ref")}
DATE_COLUMNS = {"schools": ("ofsted_date",), "children": ("dob", "entered_care")}
BAD_DATES = ("2026-02-31", "2026-13-01", "2025-00-10", "31/02/2026", "2026/01/01", "yesterday", "01-09-2024",
             "٢٠٢٥-٠١-٠١", "2025-1-1x", "0999-01-01", "2300-01-01", "2025-12-18T00:00", "20251218", "2026-W01-1")


def csv_case(c: Choices) -> Case:
    kind = c.pick(("people", "schools", "children"))
    rows = _rows(kind)
    header = rows[0]
    line = c.number(2, len(rows))
    row = rows[line - 1]
    how = c.pick(("control", "long", "quote", "date", "future", "encoding", "columns", "blank", "choice",
                  "duplicate", "reference", "upn", "care_dates", "role_change"))
    if how == "control":
        column = c.pick(TEXT_COLUMNS[kind])
        i = header.index(column)
        char = c.pick(CONTROL)
        at = c.number(0, len(row[i]))
        if char == "\r" and i == len(row) - 1 and at == len(row[i]):
            char = "\x01"  # a carriage return ending a line is a Windows line ending, not damage
        row[i] = row[i][:at] + char + row[i][at:]
        return Case(f"control character {char!r}", (f"line {line}, column {column}", f"line {line}"), kind,
                    _write(rows))
    if how == "long":
        column = c.pick(TEXT_COLUMNS[kind])
        row[header.index(column)] = "x" * c.pick((201, 5_000, 131_073, 1_000_000))
        return Case("over-long value", (f"line {line}, column {column}",), kind, _write(rows))
    if how == "quote":
        column = c.pick(header)
        i = header.index(column)
        content = _write(rows).decode()
        lines = content.split("\n")
        cells = lines[line - 1].split(",")
        cells[i] = '"' + cells[i]
        lines[line - 1] = ",".join(cells)
        return Case("unbalanced quote", (f"line {line}",), kind, "\n".join(lines).encode())
    if how == "date" and kind in DATE_COLUMNS:
        column = c.pick(DATE_COLUMNS[kind])
        row[header.index(column)] = c.pick(BAD_DATES)
        return Case("impossible date", (f"line {line}, column {column}",), kind, _write(rows))
    if how == "future" and kind in DATE_COLUMNS:
        column = c.pick(DATE_COLUMNS[kind])
        row[header.index(column)] = c.pick(("2026-11-21", "2027-01-01", "2099-12-31"))
        return Case("date in the future", (f"line {line}, column {column}",), kind, _write(rows))
    if how == "encoding":
        text = _write(rows).decode()
        codec = c.pick(("utf-16", "utf-16-le", "utf-16-be", "latin-1"))
        if codec == "latin-1":
            text = text.replace(row[1], row[1] + "é", 1)
        return Case(f"file in {codec}", ("UTF-8",), kind, text.encode(codec))
    if how == "columns":
        row.extend(["extra", "values"])
        return Case("too many values", (f"line {line}",), kind, _write(rows))
    if how == "blank":
        column = c.pick(("ref", "name") if kind == "people" else ("urn", "name") if kind == "schools"
                        else ("ref", "first_name", "dob", "legal_status", "entered_care"))
        row[header.index(column)] = ""
        return Case("required value blank", (f"line {line}, column {column}",), kind, _write(rows))
    if how == "choice":
        column = {"people": "role", "schools": "type", "children": "legal_status"}[kind]
        row[header.index(column)] = c.pick(("ward", "Care-Order!", "x" * 300, "s20\x00"))
        return Case("unknown choice", (f"line {line}, column {column}",), kind, _write(rows))
    if how == "duplicate":
        rows.append(list(rows[1]))
        return Case("duplicate reference", (f"line {len(rows)}",), kind, _write(rows))
    if how == "reference" and kind == "children":
        column, value = c.pick((("carer_ref", "SW1"), ("carer_ref", "NOBODY"), ("social_worker_ref", "CR1"),
                                ("iro_ref", "SW1"), ("school_urn", "999999")))
        row[header.index(column)] = value
        return Case("reference to the wrong person", (f"line {line}, column {column}",), kind, _write(rows))
    if how == "upn" and kind == "children":
        row[header.index("upn")] = c.pick(("E١٢٣٤٥٦٧٨٩٠١٢", "E12345678901", "E1234567890123", "123456789012E"))
        return Case("bad UPN", (f"line {line}, column upn",), kind, _write(rows))
    if how == "care_dates" and kind == "children":
        dob, entered = row[header.index("dob")], row[header.index("entered_care")]
        choice = c.pick(("first_before_birth", "first_after_entered", "entered_before_birth", "too_old"))
        if choice == "entered_before_birth":
            row[header.index("entered_care")] = "2000-01-01"
            return Case("entered care before birth", (f"line {line}, column entered_care",), kind, _write(rows))
        if choice == "too_old":
            row[header.index("dob")] = "1960-05-01"
            return Case("date of birth too long ago", (f"line {line}, column dob",), kind, _write(rows))
        header.append("first_entered_care")
        for other in rows[1:]:
            other.append("")
        row[-1] = "2000-01-01" if choice == "first_before_birth" else "2026-01-05"
        assert dob < row[-1] or choice == "first_before_birth", entered
        return Case("first entered care out of order", (f"line {line}, column first_entered_care",), kind,
                    _write(rows))
    if how == "role_change" and kind == "people":
        people = {r[0]: r for r in rows[1:]}
        ref, role = c.pick((("SW1", "carer"), ("IRO1", "social_worker"), ("CR1", "iro"), ("DT1", "head_teacher")))
        people[ref][1] = role
        return Case("role change the children contradict", (f"column role: '{ref}'",), kind, _write(rows))
    # the kind has no such column: break its first text column instead
    column = TEXT_COLUMNS[kind][0]
    row[header.index(column)] = "\x00"
    return Case("control character '\\x00'", (f"line {line}, column {column}",), kind, _write(rows))


# ---- breaking an event ------------------------------------------------------------------

# events C001 (born 2015-10-01, in care since 2025-12-18, PEP due) may be recorded with, and a
# valid date for each
def event_case(c: Choices) -> Case:
    how = c.pick(("before_birth", "before_care", "future", "bad_date", "number", "carer", "control", "long",
                  "unknown_setting", "unknown_event", "param_date", "school"))
    if how == "before_birth":
        return Case("event before birth", ("--on",), argv=("event", "C001", "left_care", "--on",
                                                           c.pick(("2000-01-01", "2015-09-30", "1999-12-31"))))
    if how == "before_care":
        return Case("event before care began", ("--on",), argv=(
            "event", "C001", c.pick(("pep_meeting_held", "left_care", "care_review_held")), "--on",
            c.pick(("2025-12-17", "2020-01-01", "2016-03-01"))))
    if how == "future":
        return Case("event in the future", ("--on",), argv=("event", "C001", "pep_meeting_held", "--on",
                                                            c.pick(("2026-11-21", "2030-01-01"))))
    if how == "bad_date":
        return Case("impossible event date", ("--on",), argv=("event", "C001", "pep_meeting_held", "--on",
                                                              c.pick(BAD_DATES)))
    if how == "number":
        value = c.pick(("9" * 30, "-5", "٥", "1e3", "0x10", "12.5", "61", "1_000", "", " ", "⁵", "５"))
        return Case("number out of range or not in digits", ("--set hours",), argv=(
            "event", "C001", "temporary_education_arranged", "--on", "2026-11-02", "--set", f"hours={value}"))
    if how == "carer":
        ref = c.pick(("SW1", "NOBODY", "IRO1", "DT1"))
        return Case("carer who is not a carer", ("--set carer_ref",), argv=(
            "event", "C001", "care_placement_changed", "--on", "2026-11-02", "--set", f"carer_ref={ref}"))
    if how == "control":
        char = c.pick(CONTROL[:8])
        return Case(f"control character {char!r} in an event", ("--set reason",), argv=(
            "event", "C001", "admission_needed", "--on", "2026-11-02", "--set", f"reason=moved{char}away"))
    if how == "long":
        return Case("over-long free text", ("--set reason",), argv=(
            "event", "C001", "admission_needed", "--on", "2026-11-02", "--set",
            "reason=" + "x" * c.pick((2001, 50_000))))
    if how == "school":
        event, urn = c.pick((("school_changed", "999999"), ("care_placement_changed", "1000O1"),
                             ("school_proposed", "DT1")))
        return Case("school that is not in the schools list", ("--set school_urn",), argv=(
            "event", "C001", event, "--on", "2026-11-02", "--set", f"school_urn={urn}"))
    if how == "unknown_setting":
        return Case("unknown setting", ("colour",), argv=(
            "event", "C001", "pep_meeting_held", "--on", "2026-11-02", "--set", "colour=blue"))
    if how == "unknown_event":
        return Case("unknown event", ("event",), argv=("event", "C001", c.pick(("pep_meting_held", "x" * 500, "\x00")),
                                                       "--on", "2026-11-02"))
    return Case("event setting dated before birth", ("--set meeting_date",), argv=(
        "event", "C001", "pep_meeting_scheduled", "--on", "2026-11-02", "--set",
        f"meeting_date={c.pick(('2010-01-01', '2015-09-30'))}"))


# ---- running one and judging the answer -------------------------------------------------

class Cohort:
    """A database holding the valid test cohort (a SQLite file by default, or the database at
    ``url``, emptied first); put back after a case that changed it (a wrong accept or a
    partial write): the SQLite file from its copy, a PostgreSQL database imported again."""

    def __init__(self, folder: Path, run: Callable[[list[str]], tuple[int, str, str]], url: str | None = None):
        self.folder, self.run = folder, run
        self.path = folder / "cohort.db"
        self.url = url or f"sqlite:///{self.path}"
        self.template = folder / "cohort-template.db"
        self._load()
        if self.on_sqlite:
            shutil.copyfile(self.path, self.template)
        self.fingerprint = self.current_fingerprint()

    @property
    def on_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def _load(self) -> None:
        if not self.on_sqlite:
            from tests.pgserver import empty_engine

            empty_engine(self.url).dispose()
        for kind in ("people", "schools", "children"):
            code, out, err = self.run(["--db", self.url, "--today", TODAY, "import", kind,
                                       str(DATA / f"{kind}.csv")])
            assert code == 0, err
        if self.on_sqlite:
            with sqlite3.connect(self.path) as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def current_fingerprint(self) -> str:
        if self.on_sqlite:
            return fingerprint(self.path)
        from pepflow.db import make_engine

        engine = make_engine(self.url, create=False)
        try:
            return fingerprint_of_tables(engine)
        finally:
            engine.dispose()

    def restore(self) -> None:
        if not self.on_sqlite:
            self._load()
            return
        for suffix in ("-wal", "-shm"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)
        shutil.copyfile(self.template, self.path)


def fingerprint(path: Path) -> str:
    """Every row of every table (what "the database unchanged" means), as one hash."""
    digest = hashlib.sha256()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        for line in conn.iterdump():
            digest.update(line.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def fingerprint_of_tables(engine) -> str:
    """Every row of every pepflow table in any database, in key order, as one hash."""
    from sqlalchemy import select

    from pepflow.db.models import SQLModel

    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            for row in conn.execute(select(table).order_by(*order)):
                digest.update(repr((table.name, tuple(row))).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def judge(case: Case, cohort: Cohort) -> tuple[str, str]:
    """(outcome, pepflow's message) for one case against the cohort."""
    if case.kind:
        file = cohort.folder / f"case-{case.kind}.csv"
        file.write_bytes(case.content)
        argv = ["--db", cohort.url, "--today", TODAY, "import", case.kind, str(file)]
    else:
        argv = ["--db", cohort.url, "--today", TODAY, *case.argv]
    code, out, err = cohort.run(argv)
    message = err.strip()
    changed = cohort.current_fingerprint() != cohort.fingerprint
    if changed:
        cohort.restore()
    if code == 0:
        return "wrong accept", out.strip()
    if changed:
        return "partial write", message
    return ("clear refusal" if code == 1 and is_clear(message, case.expect) else "unclear refusal"), message


def is_clear(message: str, expect: tuple[str, ...]) -> bool:
    """One problem, said in one line that names where it is and quotes little of the value."""
    lines = [line for line in message.splitlines() if line.strip()]
    return (len(lines) == 1 and len(lines[0]) <= 500 and "unexpected" not in message
            and "Traceback" not in message and any(e in lines[0] for e in expect))
