"""Day arithmetic in the units the statutory timescales use.

A ``Calendar`` knows one set of term dates (a local authority's, or a school's own).
School days and working days are precomputed as sorted lists of day ordinals, so
"N school days after D" is one binary search and one index: no day-by-day loops.

Units: ``school`` (days the school is open), ``working`` (Mon-Fri minus England & Wales
bank holidays and configured closures), ``calendar``, ``weeks``, ``months`` (month-end
clamped) and ``terms``.  Two counting conventions: ``after`` (the default: counting
starts the day after D, as in "within 10 working days after") and ``beginning_with``
(D itself is day 1, as in "from the 6th school day of the suspension").

Pure: no I/O, no clock.  Term dates are parsed from config by ``pepflow.config``.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
import datetime as dt
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from typing import Iterable

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

from pepflow import vocabulary
from pepflow.clock import LONDON
from pepflow.day_index import EPOCH_ORDINAL, WORKING_SPAN, DayIndex, england_bank_holidays, working_days
from pepflow.errors import CalendarRangeError, InputError

UNITS = ("school", "working", "calendar", "weeks", "months", "terms")
COUNTINGS = ("after", "beginning_with")
UNIT_LABELS = {unit: vocabulary.unit_label(unit) for unit in UNITS}

fromordinal = dt.date.fromordinal


def format_units(n: int, unit: str) -> str:
    """'1 school day', '3 working days', '2 terms'."""
    return vocabulary.unit_label(unit, n)


def format_day(day: dt.date) -> str:
    """A date as the pages, emails and notices write it: "1 Dec 2026"."""
    return f"{day.day} {day.strftime('%b %Y')}"


def format_iso_day(text: str | None) -> str:
    """An ISO date as people read it ("2026-07-22" as "22 Jul 2026"); blank for none, and any
    other text as it is.  The one place a stored or JSON date becomes words."""
    if not text:
        return ""
    try:
        return format_day(dt.date.fromisoformat(str(text)[:10]))
    except ValueError:
        return str(text)


def format_moment(when: dt.datetime) -> str:
    """A moment as pages and messages write it, in London time: "1 Dec 2026 at 14:02"."""
    local = when.astimezone(LONDON)
    return f"{format_day(local.date())} at {local:%H:%M}"


def school_year_start(day: dt.date) -> int:
    """The calendar year in which the English school year holding ``day`` began (1 Sep to 31 Aug)."""
    return day.year if day.month >= 9 else day.year - 1


def academic_year_of(day: dt.date) -> str:
    """The English school year a date belongs to, written '2025-26' (1 Sep to 31 Aug)."""
    start = school_year_start(day)
    return f"{start}-{(start + 1) % 100:02d}"


def academic_year_start(label: str) -> int:
    """2025 for '2025-26'."""
    return int(label[:4])


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months with the end of month clamped: 31 Aug + 3 months = 30 Nov."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = _stdlib_calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def months_between(start: dt.date, end: dt.date) -> int:
    """Whole months from start to end: the largest k with add_months(start, k) <= end."""
    if end < start:
        return -months_between(end, start)
    k = (end.year - start.year) * 12 + end.month - start.month
    while k > 0 and add_months(start, k) > end:
        k -= 1
    return k


@dataclass(frozen=True)
class Term:
    """One school term, with its half-term break and optional local PEP deadline."""

    academic_year: str
    name: str
    start: dt.date
    end: dt.date
    half_term: tuple[dt.date, dt.date] | None = None
    pep_deadline: dt.date | None = None

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    def in_half_term(self, day: dt.date) -> bool:
        return self.half_term is not None and self.half_term[0] <= day <= self.half_term[1]

    @property
    def label(self) -> str:
        return f"{self.name} {self.academic_year}"


@dataclass(frozen=True)
class HalfTerm:
    """Half a term, as attendance is reported: "Autumn 1 2026-27" (key "2026-27-autumn-1")."""

    key: str
    label: str
    start: dt.date
    end: dt.date

    def academic_year_matches(self, year: str) -> bool:
        return self.key.startswith(f"{year}-")


@dataclass(repr=False)
class Calendar:
    """Term dates plus non-school days for one local authority or school.

    ``closures`` are days the council is shut (not working days, not school days);
    ``inset_days`` are training days (not school days).  ``bank_holidays`` defaults to
    England & Wales.
    """

    name: str
    terms: list[Term]
    inset_days: frozenset[dt.date] = frozenset()
    closures: frozenset[dt.date] = frozenset()
    bank_holidays: frozenset[dt.date] | None = None
    school_overrides: dict[str, tuple[frozenset[dt.date], frozenset[dt.date]]] = field(
        default_factory=dict)

    def __post_init__(self) -> None:
        if not self.terms:
            raise ValueError(f"calendar {self.name!r} has no terms")
        self.terms = sorted(self.terms, key=lambda t: t.start)
        if self.bank_holidays is None:
            self.bank_holidays = england_bank_holidays()
        years = [t.academic_year for t in self.terms]
        self.first_year, self.last_year = years[0], years[-1]
        # from 1 August before the first year: a count may start on the last days of the summer
        # holiday before the file's first term (no school day can fall between)
        self.school_span = (
            dt.date(academic_year_start(self.first_year), 8, 1),
            dt.date(academic_year_start(self.last_year) + 1, 8, 31),
        )
        self._term_starts = [t.start.toordinal() for t in self.terms]
        self._working = working_days(self.bank_holidays | self.closures)
        self._school = DayIndex(self._school_ordinals(), self.school_span)
        self._for_school: dict[str, Calendar] = {}

    def __repr__(self) -> str:
        return f"Calendar({self.name!r}, {self.first_year}..{self.last_year})"

    def half_terms(self) -> list[HalfTerm]:
        """Every half term of the calendar, in order: each term split at its half-term break
        (a term without one is one half term, "summer 2026-27")."""
        out = []
        for t in self.terms:
            halves = [(t.start, t.half_term[0] - dt.timedelta(days=1)), (t.half_term[1] + dt.timedelta(days=1), t.end)] \
                if t.half_term else [(t.start, t.end)]
            for n, (start, end) in enumerate(halves, start=1):
                suffix = f" {n}" if len(halves) > 1 else ""
                out.append(HalfTerm(f"{t.academic_year}-{t.name}" + (f"-{n}" if len(halves) > 1 else ""),
                                    f"{t.name.capitalize()}{suffix} {t.academic_year}", start, end))
        return out

    # ---- construction -------------------------------------------------------------

    def _school_ordinals(self) -> list[int]:
        working = self._working.members
        days: list[int] = []
        for term in self.terms:
            for o in range(term.start.toordinal(), term.end.toordinal() + 1):
                day = dt.date.fromordinal(o)
                if o in working and not term.in_half_term(day) and day not in self.inset_days:
                    days.append(o)
        return days

    def for_school(self, urn: str | None) -> Calendar:
        """This calendar with a school's own INSET days and closures taken out."""
        if not urn or urn not in self.school_overrides:
            return self
        if urn not in self._for_school:
            inset, closures = self.school_overrides[urn]
            self._for_school[urn] = Calendar(
                name=f"{self.name} (school {urn})",
                terms=self.terms,
                inset_days=self.inset_days | inset | closures,
                closures=self.closures,
                bank_holidays=self.bank_holidays,
            )
        return self._for_school[urn]

    # ---- range checks ------------------------------------------------------------

    def _check_school_date(self, day: dt.date, when: str) -> None:
        if not (self.school_span[0] <= day <= self.school_span[1]):
            raise CalendarRangeError(self.name, academic_year_of(day), when)

    def _check_working_date(self, day: dt.date) -> None:
        if not (WORKING_SPAN[0] <= day <= WORKING_SPAN[1]):
            raise InputError("date", day.isoformat(), (
                f"working days are known from {WORKING_SPAN[0]} to {WORKING_SPAN[1]}"))

    def _index(self, unit: str, day: dt.date, when: str) -> DayIndex:
        if unit == "school":
            self._check_school_date(day, when)
            return self._school
        self._check_working_date(day)
        return self._working

    def _beyond(self, unit: str, position: int, day: dt.date, when: str) -> CalendarRangeError:
        if unit == "school":
            start = academic_year_start(self.last_year if position >= 0 else self.first_year)
            start = start + 1 if position >= 0 else start - 1
            return CalendarRangeError(self.name, f"{start}-{(start + 1) % 100:02d}", when)
        return CalendarRangeError(self.name, academic_year_of(day), when)

    # ---- the public API ----------------------------------------------------------

    def add(self, day: dt.date, n: int, unit: str, counting: str = "after") -> dt.date:
        """The date N units after ``day`` (or, ``beginning_with``, counting ``day`` as 1).

        For school and working days the result is always a day of that unit; n = 0 gives
        ``day`` itself if it is one, else the next; negative n counts backwards.
        """
        if counting == "beginning_with":
            day = day - dt.timedelta(days=1)
        elif counting != "after":
            raise InputError("counting", counting, f"must be one of {', '.join(COUNTINGS)}")
        if unit == "school":
            return self._add_days(self._school, self.school_span, unit, day, n)
        if unit == "working":
            return self._add_days(self._working, WORKING_SPAN, unit, day, n)
        if unit == "calendar":
            return day + dt.timedelta(days=n)
        if unit == "weeks":
            return day + dt.timedelta(weeks=n)
        if unit == "months":
            return add_months(day, n)
        if unit == "terms":
            position = self.term_position(day) + n
            if position < 0 or position >= len(self.terms):
                raise self._beyond("school", position, day, f"{n} terms after {day.isoformat()}")
            return self.terms[position].end
        raise InputError("unit", unit, f"must be one of {', '.join(UNITS)}")

    def add_school_days(self, day: dt.date, n: int) -> dt.date:
        """``add(day, n, 'school')`` without the unit dispatch, for hot loops."""
        return self._add_days(self._school, self.school_span, "school", day, n)

    def _add_days(self, index: DayIndex, span: tuple[dt.date, dt.date], unit: str,
                  day: dt.date, n: int) -> dt.date:
        ordinals = index.ordinals
        o = day.toordinal()
        position = bisect_right(ordinals, o) + n - 1 if n > 0 else bisect_left(ordinals, o) + n
        if index.first_allowed <= o <= index.last_allowed and 0 <= position < index.size:
            return fromordinal(ordinals[position])
        when = f"{n} {UNIT_LABELS[unit]} after {day.isoformat()}"
        self._index(unit, day, when)  # raises for a start date outside the calendar
        raise self._beyond(unit, position, day, when)

    def add_many(self, days: np.ndarray, n: int, unit: str = "school") -> np.ndarray:
        """Vectorised ``add`` (counting ``after``) for an array of ``datetime64[D]`` dates
        (needs numpy: ``pip install 'pepflow[test]'``)."""
        # imported here, not at the top: numpy loads only for the work that needs it (start-up time, bench/startup.py)
        import numpy as np

        if unit not in ("school", "working"):
            raise InputError("unit", unit, "add_many supports school and working days")
        index = self._school if unit == "school" else self._working
        as_int = np.asarray(days, dtype="datetime64[D]").view(np.int64)
        span = self.school_span if unit == "school" else WORKING_SPAN
        lo = span[0].toordinal() - EPOCH_ORDINAL
        hi = span[1].toordinal() - EPOCH_ORDINAL
        side = "right" if n > 0 else "left"
        positions = np.searchsorted(index.days_since_epoch, as_int, side=side)
        positions += n - 1 if n > 0 else n
        if (as_int.min(initial=lo) < lo or as_int.max(initial=hi) > hi
                or positions.min(initial=0) < 0 or positions.max(initial=0) >= len(index.ordinals)):
            bad = (as_int < lo) | (as_int > hi) | (positions < 0) | (positions >= len(index.ordinals))
            first = dt.date.fromordinal(int(as_int[bad.argmax()]) + EPOCH_ORDINAL)
            self.add(first, n, unit)  # raises the precise error for the first bad date
        return index.days_since_epoch[positions].view("datetime64[D]")

    def between(self, start: dt.date, end: dt.date, unit: str) -> int:
        """How many units from ``start`` to ``end``: days of the unit in (start, end].

        ``between(d, add(d, n, unit), unit) == n`` for every n >= 0.
        """
        if unit == "school" or unit == "working":
            when = f"counting {UNIT_LABELS[unit]} from {start.isoformat()} to {end.isoformat()}"
            index = self._index(unit, start, when)
            self._index(unit, end, when)
            return index.count_between(start.toordinal(), end.toordinal())
        if unit == "calendar":
            return (end - start).days
        if unit == "weeks":
            days = (end - start).days
            return days // 7 if days >= 0 else -((-days) // 7)
        if unit == "months":
            return months_between(start, end)
        if unit == "terms":
            return self.term_position(end) - self.term_position(start)
        raise InputError("unit", unit, f"must be one of {', '.join(UNITS)}")

    def is_day(self, day: dt.date, unit: str) -> bool:
        """Whether ``day`` counts in ``unit`` (every date counts in calendar units)."""
        if unit in ("school", "working"):
            return day.toordinal() in self._index(unit, day, f"checking {day.isoformat()}").members
        if unit == "terms":
            return self.term_of(day) is not None
        if unit in UNITS:
            return True
        raise InputError("unit", unit, f"must be one of {', '.join(UNITS)}")

    def is_school_day(self, day: dt.date) -> bool:
        return self.is_day(day, "school")

    def is_working_day(self, day: dt.date) -> bool:
        return self.is_day(day, "working")

    def term_of(self, day: dt.date) -> Term | None:
        """The term ``day`` falls in (half terms included), or None in the holidays."""
        self._check_school_date(day, f"finding the term of {day.isoformat()}")
        position = bisect_right(self._term_starts, day.toordinal()) - 1
        if position >= 0 and self.terms[position].contains(day):
            return self.terms[position]
        return None

    def term_position(self, day: dt.date) -> int:
        """Index of the latest term starting on or before ``day`` (a holiday belongs to the
        term before it); the ``terms`` unit counts in these positions."""
        self._check_school_date(day, f"finding the term of {day.isoformat()}")
        return bisect_right(self._term_starts, day.toordinal()) - 1

    def current_or_next_term(self, day: dt.date) -> Term:
        """The term containing ``day``, or the next one to start if ``day`` is a holiday."""
        term = self.term_of(day)
        if term is not None:
            return term
        position = bisect_right(self._term_starts, day.toordinal())
        if position >= len(self.terms):
            raise self._beyond("school", position, day, f"the term after {day.isoformat()}")
        return self.terms[position]

    def school_days(self, start: dt.date, end: dt.date) -> Iterable[dt.date]:
        """Every school day from ``start`` to ``end`` inclusive."""
        self._check_school_date(start, f"listing school days from {start.isoformat()}")
        self._check_school_date(end, f"listing school days to {end.isoformat()}")
        ordinals = self._school.ordinals
        lo = bisect_left(ordinals, start.toordinal())
        hi = bisect_right(ordinals, end.toordinal())
        return [dt.date.fromordinal(o) for o in ordinals[lo:hi]]
