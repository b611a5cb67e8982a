"""Term dates from iCalendar files, and back.

Councils and academy trusts publish term dates as web pages and PDFs, and some as iCalendar
(``.ics``) files, in one of two styles: an event for every school day, or events for the
holidays (half terms, Christmas, Easter, summer) with INSET and closure days.  Either way
the file says which days are school days; this module works out those days, then the terms
that hold them:

* school days less than 12 days apart (a weekend, a bank holiday, a half-term week) are in
  one term; a longer gap (Christmas, Easter, summer) starts another;
* in each term the longest break of three weekdays or more is its half term;
* any other weekday of a term that is not a school day (and not a bank holiday) is an INSET
  day, so the calendar built from the result has exactly the file's school days.

``calendar_toml`` writes what pepflow's calendar files hold (``config/calendars/NAME.toml``)
and ``calendar_ics`` writes a calendar back out as iCalendar.  Nothing here reads the clock
or a database.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from .calendars import Calendar, academic_year_of

TERM_GAP_DAYS = 12  # school days this many days apart or more are in different terms
# what a holiday-style file calls the days that are not school days
OFF = re.compile(r"holiday|half[ -]?term|break|inset|training|closure|closed|bank|staff|occasional|"
                 r"professional|non[ -]?pupil|no school|vacation", re.I)
INSET = re.compile(r"inset|training|staff|professional|non[ -]?pupil", re.I)


class TermDatesError(ValueError):
    """The file cannot give term dates (the message says why)."""


@dataclass
class Event:
    first: dt.date
    last: dt.date  # inclusive
    summary: str


@dataclass
class TermDates:
    """What an iCalendar file says: the terms and the INSET days (with how it was read)."""

    style: str  # "school days" or "holidays"
    terms: list[dict] = field(default_factory=list)  # year, name, start, end, half_term (start, end) | None
    inset_days: list[dt.date] = field(default_factory=list)
    school_days: set[dt.date] = field(default_factory=set)


def read_events(data: bytes) -> list[Event]:
    """The all-day events of an iCalendar file (DTEND is exclusive, RFC 5545 §3.6.1)."""
    from icalendar import Calendar as ICalendar

    try:
        parsed = ICalendar.from_ical(data)
    except ValueError as exc:
        raise TermDatesError(f"it is not an iCalendar file ({exc})") from None
    events = []
    for item in parsed.walk("VEVENT"):
        start = item.get("DTSTART")
        if start is None:
            continue
        first = start.dt.date() if isinstance(start.dt, dt.datetime) else start.dt
        end = item.get("DTEND")
        if end is not None:
            last_excl = end.dt.date() if isinstance(end.dt, dt.datetime) else end.dt
            last = last_excl - dt.timedelta(days=1) if last_excl > first else first
        else:
            last = first
        events.append(Event(first, last, str(item.get("SUMMARY", ""))))
    if not events:
        raise TermDatesError("it holds no events")
    return sorted(events, key=lambda e: (e.first, e.last))


def term_dates(events: list[Event], bank_holidays: frozenset[dt.date]) -> TermDates:
    """The school days the events give, in whichever style they are written, and their terms."""
    off_events = [e for e in events if OFF.search(e.summary)]
    if len(off_events) * 2 < len(events):  # mostly days that are not holidays: one event a school day
        style = "school days"
        school = {day for e in events if not OFF.search(e.summary) for day in _days(e.first, e.last)
                  if day.weekday() < 5 and day not in bank_holidays}
    else:
        style = "holidays"
        first, last = events[0].first, max(e.last for e in events)
        off = {day for e in off_events for day in _days(e.first, e.last)}
        # from the first event to the last: a holiday-style file must hold the holidays at
        # either end of the years it covers (the summers), or its first and last terms are cut
        school = {day for day in _days(first, last) if day.weekday() < 5 and day not in off
                  and day not in bank_holidays}
    if not school:
        raise TermDatesError("no school days can be found in it")
    return _terms(style, sorted(school), bank_holidays)


def _days(first: dt.date, last: dt.date):
    for o in range(first.toordinal(), last.toordinal() + 1):
        yield dt.date.fromordinal(o)


def _terms(style: str, days: list[dt.date], bank_holidays: frozenset[dt.date]) -> TermDates:
    runs: list[list[dt.date]] = [[days[0]]]
    for day in days[1:]:
        if (day - runs[-1][-1]).days >= TERM_GAP_DAYS:
            runs.append([day])
        else:
            runs[-1].append(day)
    result = TermDates(style, school_days=set(days))
    for run in runs:
        start, end = run[0], run[-1]
        present = set(run)
        missing = [d for d in _days(start, end) if d.weekday() < 5 and d not in present and d not in bank_holidays]
        half_term, longest = None, []
        for block in _blocks(missing):
            if len(block) >= 3 and len(block) > len(longest):
                longest = block
        if longest:
            half_term = (longest[0], longest[-1])
        result.inset_days += [d for d in missing if not (half_term and half_term[0] <= d <= half_term[1])]
        result.terms.append({"year": academic_year_of(start), "name": _term_name(start), "start": start,
                             "end": end, "half_term": half_term})
    _check_names(result.terms)
    return result


def _blocks(days: list[dt.date]) -> list[list[dt.date]]:
    """Runs of weekdays with no school day between them (a weekend does not break a run)."""
    blocks: list[list[dt.date]] = []
    for day in days:
        if blocks and (day - blocks[-1][-1]).days <= 3:
            blocks[-1].append(day)
        else:
            blocks.append([day])
    return blocks


def _term_name(start: dt.date) -> str:
    return "autumn" if start.month >= 8 else "spring" if start.month <= 3 else "summer"


def _check_names(terms: list[dict]) -> None:
    seen: dict[tuple[str, str], dict] = {}
    for term in terms:
        key = (term["year"], term["name"])
        if key in seen:
            raise TermDatesError(
                f"two terms would both be the {term['name']} term of {term['year']} ({seen[key]['start']} and "
                f"{term['start']}): the file has a break of {TERM_GAP_DAYS} days or more inside a term")
        seen[key] = term


def school_days_toml(urn: str, days: list[dt.date]) -> str:
    """A school's own days off, as a calendar file's ``[schools.URN]`` table."""
    return f"[schools.{_quote(urn)}]\ninset_days = [{', '.join(d.isoformat() for d in days)}]\n"


def calendar_toml(name: str, found: TermDates, source: str) -> str:
    """A pepflow calendar file (``config/calendars/NAME.toml``) for these term dates."""
    lines = [f"# Term dates for the {name!r} calendar, imported from {source} ({found.style} style).",
             "# Check them against the published dates; pepflow counts school days from this file.",
             f"name = {_quote(name)}", "", f"inset_days = [{', '.join(d.isoformat() for d in found.inset_days)}]",
             "closures = []", ""]
    for term in found.terms:
        lines += ["[[terms]]", f"year = {_quote(term['year'])}", f"name = {_quote(term['name'])}",
                  f"start = {term['start'].isoformat()}", f"end = {term['end'].isoformat()}"]
        if term["half_term"]:
            lines.append(f"half_term = {{ start = {term['half_term'][0].isoformat()}, "
                         f"end = {term['half_term'][1].isoformat()} }}")
        lines.append("")
    return "\n".join(lines)


def school_own_days(calendar: Calendar, found: TermDates) -> list[dt.date]:
    """A school's own days off: school days of ``calendar`` that the school's file does not have."""
    first, last = min(found.school_days), max(found.school_days)
    return [d for d in calendar.school_days(first, last) if d not in found.school_days]


def calendar_ics(calendar: Calendar, made_at: dt.datetime) -> bytes:
    """The calendar as iCalendar: an event for each term, half term and INSET day."""
    from icalendar import Calendar as ICalendar, Event as IEvent

    out = ICalendar()
    out.add("prodid", "-//pepflow//term dates//EN")
    out.add("version", "2.0")
    out.add("x-wr-calname", f"Term dates: {calendar.name}")

    def event(uid: str, summary: str, first: dt.date, last: dt.date) -> None:
        e = IEvent()
        e.add("uid", f"{uid}@{calendar.name}.pepflow")
        e.add("dtstamp", made_at)
        e.add("summary", summary)
        e.add("dtstart", first)
        e.add("dtend", last + dt.timedelta(days=1))
        out.add_component(e)

    for term in calendar.terms:
        event(f"term-{term.academic_year}-{term.name}", f"{term.name.capitalize()} term {term.academic_year}",
              term.start, term.end)
        if term.half_term:
            event(f"half-term-{term.academic_year}-{term.name}",
                  f"Half term ({term.name} {term.academic_year})", *term.half_term)
    for day in sorted(calendar.inset_days):
        event(f"inset-{day.isoformat()}", "INSET day", day, day)
    return out.to_ical()


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
