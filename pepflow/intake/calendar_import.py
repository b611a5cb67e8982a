"""Importing a published iCalendar file of term dates as a council calendar (``calendars/NAME.toml``
in the council's own configuration folder), or a school's own INSET and closure days into one.

The file is read (``term_dates``), the calendar written is checked as pepflow will read it
before anything is written, and it is written whole or not at all.  The command line calls this;
a page or a feed can call it the same way."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pepflow.config import Config
from pepflow.config.calendar_files import parse_calendar
from pepflow.config.files import Source
from pepflow.day_index import england_bank_holidays
from pepflow.errors import InputError, PepflowError
from pepflow.intake.term_dates import (TermDatesError, calendar_toml, read_events, school_days_toml,
                                       school_own_days, term_dates)

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
URN = re.compile(r"[0-9]{6}")


@dataclass
class CalendarWritten:
    path: Path
    terms: int = 0
    years: list[str] = field(default_factory=list)
    school_days: int = 0
    inset_days: int = 0
    one_event_per: str = ""  # "school day" or "holiday": how the file was read
    own_days: int = 0  # a school's own days added
    notes: list[str] = field(default_factory=list)


def import_calendar(config: Config, folder: Path, name: str, ics: bytes, file_name: str,
                    school: str | None = None) -> CalendarWritten:
    """Write calendar ``name`` in ``folder`` (the council's configuration folder) from an iCalendar
    file; with ``school``, add that school's own days (from its own file) to calendar ``name``."""
    check_names(name, school)
    try:
        found = term_dates(read_events(ics), england_bank_holidays())
    except TermDatesError as exc:
        raise InputError("file", file_name, str(exc)) from None
    target = folder / "calendars" / f"{name}.toml"
    target.parent.mkdir(exist_ok=True)
    if school:
        return _add_school_days(config, folder, name, school, found, target)
    text = calendar_toml(name, found, file_name)
    try:  # checked as pepflow will read it before anything is written
        parse_calendar(Source(target, False), tomllib.loads(text), name)
    except PepflowError as exc:
        raise InputError("file", file_name, f"gives term dates pepflow cannot use ({exc}); the calendar is "
                         "unchanged") from None
    write_atomically(target, text)
    return CalendarWritten(target, len(found.terms), sorted({t["year"] for t in found.terms}), len(found.school_days),
                           len(found.inset_days), "school day" if found.style == "school days" else "holiday",
                           notes=list(found.notes))


def check_names(name: str, school: str | None) -> None:
    """A calendar's name becomes a file name, and a school is named by its URN."""
    if not NAME.fullmatch(name):
        raise InputError("name", name, "must be lower-case letters, digits, - and _ (up to 40), like 'default'")
    if school is not None and not URN.fullmatch(school):
        raise InputError("--school", school, "must be a school's URN (6 digits)")


def _add_school_days(config: Config, folder: Path, name: str, school: str, found, target: Path) -> CalendarWritten:
    own = school_own_days(config.calendar(name), found)
    if not target.exists():
        raise InputError("name", name, f"has no file in {folder / 'calendars'} to add school {school}'s days to: "
                         "import the calendar itself first")
    text = target.read_text(encoding="utf-8")
    if str(school) in (tomllib.loads(text).get("schools") or {}):
        raise InputError("--school", school, f"already has its own days in {target.name}: edit them there")
    text += "\n" + school_days_toml(school, own)
    parse_calendar(Source(target, False), tomllib.loads(text), name)
    write_atomically(target, text)
    return CalendarWritten(target, own_days=len(own))


def write_atomically(target: Path, text: str) -> None:
    """The whole file or the old one, whatever stops the writer (a file beside it, then renamed)."""
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, target)
