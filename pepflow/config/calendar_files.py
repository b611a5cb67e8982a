"""Calendar files (``calendars/NAME.toml``): term dates, half terms, INSET days and closures,
checked to hang together, then built into a ``Calendar``."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from pepflow.calendars import Calendar, Term, academic_year_of
from pepflow.errors import ConfigError
from pepflow.config.files import Source, invalid


def _day(value: Any) -> Any:
    """A TOML date, or a date written as text (2026-09-03); never a date and time."""
    if isinstance(value, dt.datetime):
        raise ValueError("is a date and time: write the date alone (2026-09-03)")
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError("is not a date (write it 2026-09-03)") from None
    return value


Day = Annotated[dt.date, BeforeValidator(_day)]
STRICT = ConfigDict(extra="forbid", strict=True)


class HalfTerm(BaseModel):
    model_config = STRICT
    start: Day
    end: Day


class TermEntry(BaseModel):
    model_config = STRICT
    year: str = Field(pattern=r"^\d{4}-\d\d$")
    name: str = Field(min_length=1)
    start: Day
    end: Day
    half_term: Optional[HalfTerm] = None
    pep_deadline: Optional[Day] = None


class SchoolDays(BaseModel):
    model_config = STRICT
    inset_days: list[Day] = []
    closures: list[Day] = []


class CalendarFile(BaseModel):
    model_config = STRICT
    name: Optional[str] = None
    terms: list[TermEntry] = Field(min_length=1)
    inset_days: list[Day] = []
    closures: list[Day] = []
    schools: dict[str, SchoolDays] = {}


def _term_label(raw: Any, position: int) -> str:
    """How an error names a term: "autumn 2026-27", or its place when it has no name or year."""
    if isinstance(raw, dict) and raw.get("name") and raw.get("year"):
        return f"{raw['name']} {raw['year']}"
    return f"terms #{position + 1}"


def parse_calendar(source: Source, data: dict[str, Any], default_name: str) -> Calendar:
    """Build a ``Calendar`` from a calendar file's contents, checking term dates hang together."""
    try:
        schools = data.get("schools") or {}
        parsed = CalendarFile.model_validate(
            {**data, "schools": {str(k): v for k, v in schools.items()} if isinstance(schools, dict) else schools})
    except ValidationError as exc:
        loc = exc.errors(include_url=False)[0]["loc"]
        if len(loc) >= 2 and loc[0] == "terms" and isinstance(loc[1], int):  # named as "autumn 2026-27"
            raw = data.get("terms")
            term = raw[loc[1]] if isinstance(raw, list) and loc[1] < len(raw) else None
            raise invalid(source, _term_label(term, loc[1]), exc, skip=2) from None
        if len(loc) >= 2 and loc[0] == "schools":
            raise invalid(source, f"schools.{loc[1]}", exc, skip=2) from None
        raise invalid(source, None, exc) from None
    terms: list[Term] = []
    for entry in parsed.terms:
        label = f"{entry.name} {entry.year}"
        if entry.end < entry.start:
            raise ConfigError(str(source), label, "end", f"{entry.end} is before the start {entry.start}")
        if academic_year_of(entry.start) != entry.year or academic_year_of(entry.end) != entry.year:
            raise ConfigError(str(source), label, "year",
                              f"{entry.year!r} does not match the term dates {entry.start}..{entry.end}")
        half_term = None
        if entry.half_term:
            half_term = (entry.half_term.start, entry.half_term.end)
            if not (entry.start <= half_term[0] <= half_term[1] <= entry.end):
                raise ConfigError(str(source), label, "half_term",
                                  f"{half_term[0]}..{half_term[1]} is not inside the term")
        if entry.pep_deadline and not (entry.start <= entry.pep_deadline <= entry.end):
            raise ConfigError(str(source), label, "pep_deadline",
                              f"{entry.pep_deadline} is not inside the term {entry.start}..{entry.end}")
        terms.append(Term(entry.year, entry.name, entry.start, entry.end, half_term, entry.pep_deadline))
    terms.sort(key=lambda t: t.start)
    for before, after in zip(terms, terms[1:]):
        if after.start <= before.end:
            raise ConfigError(str(source), after.label, "start", f"{after.start} overlaps the term before")
    years = sorted({int(t.academic_year[:4]) for t in terms})
    missing = sorted(set(range(years[0], years[-1] + 1)) - set(years))
    if missing:
        raise ConfigError(str(source), None, "terms", f"no terms for {missing[0]}-{(missing[0] + 1) % 100:02d} "
                          "(years must follow on without gaps)")
    _inside_terms(source, None, "inset_days", parsed.inset_days, terms)
    # the council's own closures take working days away in the holidays too (29 December):
    # they need only fall inside the years the calendar has term dates for
    for day in parsed.closures:
        if not terms[0].start <= day <= terms[-1].end:
            raise ConfigError(str(source), None, "closures", f"{day} is outside the years this calendar has term "
                              f"dates for ({terms[0].start} to {terms[-1].end})")
    overrides: dict[str, tuple[frozenset[dt.date], frozenset[dt.date]]] = {}
    for urn, school in parsed.schools.items():
        _inside_terms(source, f"schools.{urn}", "inset_days", school.inset_days, terms)
        _inside_terms(source, f"schools.{urn}", "closures", school.closures, terms)
        overrides[urn] = (frozenset(school.inset_days), frozenset(school.closures))
    return Calendar(name=parsed.name or default_name, terms=terms, inset_days=frozenset(parsed.inset_days),
                    closures=frozenset(parsed.closures), school_overrides=overrides)


def _inside_terms(source: Source, entry: str | None, field: str, days: list[dt.date], terms: list[Term]) -> None:
    """An INSET day, or a school's own closure, is a school day taken away: it must fall inside a term."""
    for day in days:
        if not any(t.start <= day <= t.end for t in terms):
            raise ConfigError(str(source), entry, field, f"{day} is not inside any term of this calendar")
