"""Term dates from iCalendar files, and back.

Councils and academy trusts publish term dates as web pages and PDFs, and some as iCalendar
(``.ics``) files, in one of two styles: an event for every school day, or events for the
holidays (half terms, Christmas, Easter, summer) with INSET and closure days.  Either way
the file says which days are school days; this module works out those days, then the terms
that hold them:

* school days less than 12 days apart (a weekend, a bank holiday, a half-term week) are in
  one term; a longer gap (Christmas, Easter, summer) starts another, unless both sides would
  be the same term of the same year (an academy's two-week October half term): then it is
  that term's half term;
* in each term the longest break of three weekdays or more is its half term;
* any other weekday of a term that is not a school day (and not a bank holiday) is an INSET
  day, so the calendar built from the result has exactly the file's school days; an INSET day
  just before a term's first school day or just after its last is kept in the term.

A file whose events cover the school days (one a day, or one a term as ``pepflow calendar
export`` writes) is read for those; one that lists only holidays is read for the weekdays
between them.  Recurring events (RRULE, RDATE, EXDATE) are expanded; a timed event's day is its
day in Europe/London (a school day written ``DTSTART:20270901T230000Z`` is 2 September).
Events pepflow did not understand are listed in ``TermDates.notes``.

``calendar_toml`` writes what pepflow's calendar files hold (``config/calendars/NAME.toml``)
and ``calendar_ics`` writes a calendar back out as iCalendar.  Nothing here reads the clock
or a database.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from pepflow.calendars import Calendar, academic_year_of
from pepflow.clock import LONDON

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
    notes: list[str] = field(default_factory=list)  # events not understood, in words


RECURRENCE_YEARS = 6  # an open-ended yearly holiday is expanded this far past its first date at most
BANK_HOLIDAY = re.compile(r"bank holiday", re.I)


def read_events(data: bytes) -> list[Event]:
    """The events of an iCalendar file as days (DTEND is exclusive, RFC 5545 §3.6.1), each
    recurrence expanded; a timed event's days are its days in Europe/London."""
    # imported here, not at the top: icalendar loads only for the work that needs it (start-up time, bench/startup.py)
    from icalendar import Calendar as ICalendar

    try:
        parsed = ICalendar.from_ical(data)
    except ValueError as exc:
        raise TermDatesError(f"it is not an iCalendar file ({exc})") from None
    items = [item for item in parsed.walk("VEVENT") if item.get("DTSTART") is not None]
    # an open-ended yearly holiday is expanded as far as the file's other events go
    single = [_day_in_london((i.get("DTEND") or i.get("DTSTART")).dt) for i in items if i.get("RRULE") is None]
    horizon = max(single) if single else None
    events = []
    for item in items:
        start = item.get("DTSTART")
        first = _day_in_london(start.dt)
        end = item.get("DTEND")
        if end is not None:
            last_excl = _day_in_london(end.dt)
            # an all-day DTEND, or a timed one past midnight, is the day after the last
            last = last_excl - dt.timedelta(days=1) if last_excl > first and (
                not isinstance(end.dt, dt.datetime) or _is_midnight(end.dt)) else max(first, last_excl)
        else:
            last = first
        summary = str(item.get("SUMMARY", ""))
        length = last - first
        for day in _occurrences(item, start.dt, first, summary, horizon):
            events.append(Event(day, day + length, summary))
    if not events:
        raise TermDatesError("it holds no events")
    return sorted(events, key=lambda e: (e.first, e.last))


def _day_in_london(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return (value.astimezone(LONDON) if value.tzinfo else value).date()
    return value


def _is_midnight(value: dt.datetime) -> bool:
    local = value.astimezone(LONDON) if value.tzinfo else value
    return local.time() == dt.time(0, 0)


def _occurrences(item, start: dt.date | dt.datetime, first: dt.date, summary: str,
                 horizon: dt.date | None) -> list[dt.date]:
    """The first day of each occurrence of an event up to ``horizon`` (else ``RECURRENCE_YEARS``
    on): RRULE and RDATE added, EXDATE taken out."""
    rule, rdates, exdates = item.get("RRULE"), item.get("RDATE"), item.get("EXDATE")
    if rule is None and rdates is None:
        return [first]
    days = {first}
    if rule is not None:
        # imported here, not at the top: dateutil loads only for the work that needs it (start-up time, bench/startup.py)
        from dateutil.rrule import rrulestr

        try:
            text = rule.to_ical().decode()
            begin = dt.datetime.combine(first, dt.time()) if not isinstance(start, dt.datetime) else \
                start.astimezone(LONDON).replace(tzinfo=None) if start.tzinfo else start
            recurrence = rrulestr(text, dtstart=begin, ignoretz=True)  # UNTIL in UTC: a date is enough
            limit = dt.datetime.combine(horizon if horizon and horizon > first
                                        else first + dt.timedelta(days=366 * RECURRENCE_YEARS), dt.time())
            days |= {d.date() for d in recurrence.between(begin, limit, inc=True)}
        except (ValueError, TypeError) as exc:
            raise TermDatesError(f"the event {summary[:60]!r} repeats by a rule pepflow cannot expand "
                                 f"(RRULE {rule.to_ical().decode()[:80]}: {exc}): write its dates out") from None
    for prop, add in ((rdates, True), (exdates, False)):
        for entry in (prop if isinstance(prop, list) else [prop]) if prop is not None else []:
            for value in entry.dts:
                day = _day_in_london(value.dt) if not isinstance(value.dt, tuple) else _day_in_london(value.dt[0])
                if add:
                    days.add(day)
                else:
                    days.discard(day)
    return sorted(days)


def term_dates(events: list[Event], bank_holidays: frozenset[dt.date]) -> TermDates:
    """The school days the events give, in whichever style they are written, and their terms."""
    off_events = [e for e in events if OFF.search(e.summary)]
    on_events = [e for e in events if not OFF.search(e.summary)]
    first, last = events[0].first, max(e.last for e in events)
    weekdays = [d for d in _days(first, last) if d.weekday() < 5 and d not in bank_holidays]
    covered = {day for e in on_events for day in _days(e.first, e.last)}
    off = {day for e in off_events for day in _days(e.first, e.last)}
    notes = [f"{e.first:%d %b %Y}: {e.summary[:60]!r}, a bank holiday (pepflow knows England's bank holidays)"
             for e in off_events if BANK_HOLIDAY.search(e.summary)]
    if on_events and len([d for d in weekdays if d in covered]) * 2 >= len(weekdays):
        # the events cover the school days: one a school day, or one a term (pepflow's own export)
        style = "school days"
        school = {day for day in weekdays if day in covered and day not in off}
    else:
        style = "holidays"
        # from the first event to the last: a holiday-style file must hold the holidays at
        # either end of the years it covers (the summers), or its first and last terms are cut
        school = {day for day in weekdays if day not in off}
        notes += [f"{e.first:%d %b %Y}: {e.summary[:60]!r} is not a holiday, INSET day or closure; its days are "
                  "taken as school days" for e in on_events]
    if not school:
        raise TermDatesError("no school days can be found in it")
    found = _terms(style, sorted(school), bank_holidays, _inset_days(off_events))
    found.notes = notes
    return found


def _inset_days(off_events: list[Event]) -> set[dt.date]:
    return {day for e in off_events if INSET.search(e.summary) for day in _days(e.first, e.last)
            if day.weekday() < 5}


def _days(first: dt.date, last: dt.date):
    for o in range(first.toordinal(), last.toordinal() + 1):
        yield dt.date.fromordinal(o)


def _terms(style: str, days: list[dt.date], bank_holidays: frozenset[dt.date],
           inset: set[dt.date] = frozenset()) -> TermDates:
    runs: list[list[dt.date]] = [[days[0]]]
    for day in days[1:]:
        gap = (day - runs[-1][-1]).days >= TERM_GAP_DAYS
        same_term = (academic_year_of(day), _term_name(day)) == (academic_year_of(runs[-1][0]),
                                                                   _term_name(runs[-1][0]))
        if gap and not same_term:  # a long break inside one term (a two-week half term) stays in it
            runs.append([day])
        else:
            runs[-1].append(day)
    result = TermDates(style, school_days=set(days))
    for run in runs:
        start, end = _with_inset_at_either_end(run[0], run[-1], inset, bank_holidays)
        present = set(run)
        missing = [d for d in _days(start, end) if d.weekday() < 5 and d not in present and d not in bank_holidays]
        half_term, longest = None, []
        for block in _blocks(missing):
            if len(block) >= 3 and len(block) > len(longest):
                longest = block
        if longest:
            half_start, half_end = longest[0], longest[-1]
            while half_start - dt.timedelta(days=1) in bank_holidays:  # a half term begun on a bank holiday
                half_start -= dt.timedelta(days=1)
            while half_end + dt.timedelta(days=1) in bank_holidays:
                half_end += dt.timedelta(days=1)
            half_term = (half_start, half_end)
        result.inset_days += [d for d in missing if not (half_term and half_term[0] <= d <= half_term[1])]
        result.terms.append({"year": academic_year_of(start), "name": _term_name(start), "start": start,
                             "end": end, "half_term": half_term})
    _check_names(result.terms)
    return result


def _with_inset_at_either_end(start: dt.date, end: dt.date, inset: set[dt.date],
                              bank_holidays: frozenset[dt.date]) -> tuple[dt.date, dt.date]:
    """A term's first and last days, with the INSET days just before its first school day or just
    after its last (a weekend or bank holiday between) taken into it."""
    def step(day: dt.date, by: int) -> dt.date:
        day += dt.timedelta(days=by)
        while day.weekday() >= 5 or day in bank_holidays:
            day += dt.timedelta(days=by)
        return day

    while step(start, -1) in inset:
        start = step(start, -1)
    while step(end, 1) in inset:
        end = step(end, 1)
    return start, end


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
    # imported here, not at the top: icalendar loads only for the work that needs it (start-up time, bench/startup.py)
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
