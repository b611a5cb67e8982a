"""The one family of value parsers: CSV import, CLI events (``--set name=value``), web
forms and the command line's dates read a person's typed value through these.

Each parser takes the text as given and returns the value, or raises ``ValueError``
whose message finishes the sentence "<field> = '<value>' …" ("must be yes or no"); the
caller names the field in its own terms (a CSV column, a ``--set`` name, a form field)
and quotes the value with ``errors.quoted`` (at most about 80 characters of it).

Every parser first refuses what no field may hold: control characters (a NUL byte, an
escape; a newline or tab only in the free text fields that allow them) and values longer
than the field's limit.  Digits are ASCII digits only (``int`` would read '٥' as 5), and
numbers are range-checked here, before they reach a database column.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable, Iterable
import difflib

CSV_FIELD_LIMIT = 10_000_000  # the csv module's own limit for one cell; each column's is far lower (below)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
UPN = re.compile(r"^[A-Z]\d{11}[0-9A-Z]$", re.ASCII)
YES = ("yes", "y", "true", "1")
NO = ("no", "n", "false", "0")
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)
UK_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$", re.ASCII)
DIGITS = re.compile(r"^[0-9]+$", re.ASCII)
DECIMAL = re.compile(r"^[0-9]+(\.[0-9]+)?$", re.ASCII)
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2199, 12, 31)

# the longest value each kind of field holds (characters)
NAME_LENGTH = 200  # a name, a school, a short reason
REF_LENGTH = 40  # a reference or URN
EMAIL_LENGTH = 254  # RFC 5321
FREE_TEXT_LENGTH = 2000  # reasons, details, decisions: a paragraph

# C0 and C1 controls, DEL, unpaired surrogates, and the invisible marks that reorder text
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\u200b-\u200f\u202a-\u202e"
                                "\u2066-\u2069\ufeff]")

Parser = Callable[[str], Any]


def clean(value: str, limit: int = NAME_LENGTH, lines: bool = False) -> str:
    """``value`` stripped, refused if it holds a control character or is longer than ``limit``."""
    v = str(value)
    bad = (_CONTROL_BUT_LINES if lines else _CONTROL).search(v)
    if bad:
        char = bad.group()
        name = {"\x00": "a NUL byte", "\n": "a line break", "\r": "a line break", "\t": "a tab"}.get(
            char, f"the control character U+{ord(char):04X}")
        raise ValueError(f"contains {name} (at character {bad.start() + 1}); type it again as plain text")
    v = v.strip()
    if len(v) > limit:
        raise ValueError(f"is {len(v):,} characters long; at most {limit:,}")
    return v


def optional_text(value: str) -> str:
    return clean(value)


def text(value: str) -> str:
    """Required text: blank is refused."""
    v = clean(value)
    if not v:
        raise ValueError("is required")
    return v


def free_text(value: str) -> str:
    """Required text that may run to a paragraph, over several lines."""
    v = clean(value, FREE_TEXT_LENGTH, lines=True)
    if not v:
        raise ValueError("is required")
    return v


def optional_free_text(value: str) -> str:
    return clean(value, FREE_TEXT_LENGTH, lines=True)


def ref(value: str) -> str:
    """A required reference to a person or school (a URN)."""
    v = clean(value, REF_LENGTH)
    if not v:
        raise ValueError("is required")
    return v


def optional_ref(value: str) -> str | None:
    """A reference to a person or school, or None when blank."""
    return clean(value, REF_LENGTH) or None


def did_you_mean(value: str, options: Iterable[str]) -> str:
    """"did you mean X? " for a value close to one of ``options`` (a slip of the keyboard),
    else "": put before the list of what is allowed."""
    near = difflib.get_close_matches(str(value).lower(), [o for o in options if o], n=2, cutoff=0.6)
    return f"did you mean {' or '.join(near)}? " if near else ""


class Choice:
    """A parser for one of ``options`` (case, spaces and hyphens aside); blank is ``default`` when
    given.  ``offered`` are the options a form shows (all of them, unless narrowed)."""

    def __init__(self, options: tuple[str, ...], default: str | None = None,
                 offered: tuple[str, ...] | None = None) -> None:
        self.options, self.default = options, default
        self.offered = offered if offered is not None else tuple(o for o in options if o)

    def __call__(self, value: str) -> str:
        v = clean(value).lower().replace(" ", "_").replace("-", "_")
        if not v and self.default is not None:
            return self.default
        if v not in self.options:
            raise ValueError(f"{did_you_mean(v, self.options)}must be one of "
                             f"{', '.join(o for o in self.options if o)}")
        return v


def choice(*options: str, default: str | None = None) -> Choice:
    """One of ``options`` (case, spaces and hyphens aside); blank is ``default`` when given."""
    return Choice(options, default)


class ImpossibleDate(ValueError):
    """A day the month does not have: "31 February 2026 is not a date"."""

    def __init__(self, year: int, month: int, day: int):
        first = dt.date(year, month, 1)
        last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
        self.written = f"{day} {first:%B %Y}"
        super().__init__(f"is not a date: there is no {self.written} ({first:%B %Y} has {last} days)")


# a date as pepflow prints one: "18 Dec 2026" (calendars.format_day), or with the month in full
WORDS_DATE = re.compile(r"^(\d{1,2}) ([A-Za-z]{3,9}) (\d{4})$", re.ASCII)
MONTHS = {name.lower(): n for n, name in enumerate(
    ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
     "November", "December"), start=1)}
MONTHS.update({name[:3]: n for name, n in list(MONTHS.items())})
MONTHS["sept"] = 9


def date_value(value: str) -> dt.date:
    """A date written YYYY-MM-DD or DD/MM/YYYY, or as pepflow's pages and commands print one
    ("18 Dec 2026", "18 December 2026"), between 1900 and 2199."""
    v = clean(value, 20)
    if not v:
        raise ValueError("is required (a date written DD/MM/YYYY or YYYY-MM-DD)")
    iso, uk, words = ISO_DATE.match(v), UK_DATE.match(v), WORDS_DATE.match(v)
    if words:
        month = MONTHS.get(words.group(2).lower())
        if month is None:
            raise ValueError(f"is not a date: there is no month '{words.group(2)[:12]}'")
        year, day = int(words.group(3)), int(words.group(1))
    elif iso or uk:
        year, month, day = (int(x) for x in (iso.groups() if iso else reversed(uk.groups())))  # type: ignore[union-attr]
    else:
        raise ValueError("must be a date written DD/MM/YYYY or YYYY-MM-DD")
    if not 1 <= month <= 12:
        raise ValueError(f"is not a date: there is no month {month}")
    try:
        date = dt.date(year, month, day)
    except ValueError:
        raise ImpossibleDate(year, month, day) from None
    if not EARLIEST <= date <= LATEST:
        raise ValueError(f"is outside the years pepflow accepts ({EARLIEST.year}-{LATEST.year})")
    return date


def optional_date(value: str) -> dt.date | None:
    return date_value(value) if clean(value, 20) else None


def yes_no(value: str) -> bool:
    """yes or no (y/n, true/false, 1/0); blank is refused."""
    v = clean(value, 10).lower()
    if v in YES:
        return True
    if v in NO:
        return False
    raise ValueError("must be yes or no")


def yes_no_or(default: bool) -> Parser:
    """yes or no, where a blank value means ``default`` (a CSV column left empty)."""
    def parse(value: str) -> bool:
        return default if not clean(value, 10) else yes_no(value)
    return parse


def number_between(low: int, high: int, what: str = "") -> Parser:
    """A whole number from ``low`` to ``high`` in ASCII digits (pounds may be written with a £)."""
    def parse(value: str) -> int:
        v = clean(value, 1000).lstrip("£").replace(",", "")
        if v.startswith("-") and DIGITS.match(v[1:]):
            raise ValueError("must not be negative")
        if not DIGITS.match(v):
            raise ValueError("must be a whole number written in the digits 0-9")
        if len(v.lstrip("0")) > 18 or not low <= int(v) <= high:  # no int() of a thousand digits
            raise ValueError(f"must be from {low:,} to {high:,}{' ' + what if what else ''}")
        return int(v)
    parse.__doc__ = f"a whole number from {low} to {high}"
    return parse


def optional_number_between(low: int, high: int, what: str = "") -> Parser:
    """``number_between``, or None for a blank cell."""
    number = number_between(low, high, what)

    def parse(value: str) -> int | None:
        return number(value) if clean(value, 1000) else None
    parse.__doc__ = number.__doc__
    return parse


whole_number = number_between(0, 1_000_000)
HOURS_A_WEEK = number_between(0, 60, "hours a week")
SUSPENSION_DAYS = number_between(1, 45, "school days (a suspension is at most 45 school days in a school year)")
POUNDS = number_between(1, 100_000, "pounds")


def percent(value: str) -> float:
    """A percentage from 0 to 100, such as 92.5."""
    v = clean(value, 20).rstrip("%").strip()
    if not DECIMAL.match(v):
        raise ValueError("must be a percentage such as 92.5")
    p = float(v)
    if not 0 <= p <= 100:
        raise ValueError("must be between 0 and 100")
    return p


def email(value: str) -> str:
    """An email address, or blank."""
    v = clean(value, EMAIL_LENGTH)
    if v and not EMAIL.match(v):
        raise ValueError("is not an email address")
    return v


def upn(value: str) -> str:
    """A Unique Pupil Number, or blank."""
    v = clean(value, 20).upper()
    if v and not UPN.match(v):
        raise ValueError("is not a UPN (a letter, 11 digits, then a digit or letter)")
    return v
