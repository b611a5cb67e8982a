"""The one family of value parsers: CSV import, CLI events (``--set name=value``) and web
forms read a person's typed value through these.

Each parser takes the text as given and returns the value, or raises ``ValueError``
whose message finishes the sentence "<field> = '<value>' …" ("must be yes or no"); the
caller names the field in its own terms (a CSV column, a ``--set`` name, a form field).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
UPN = re.compile(r"^[A-Z]\d{11}[0-9A-Z]$")
YES = ("yes", "y", "true", "1")
NO = ("no", "n", "false", "0")

Parser = Callable[[str], Any]


def optional_text(value: str) -> str:
    return str(value).strip()


def text(value: str) -> str:
    """Required text: blank is refused."""
    v = str(value).strip()
    if not v:
        raise ValueError("is required")
    return v


def optional_ref(value: str) -> str | None:
    """A reference to a person or school, or None when blank."""
    return str(value).strip() or None


def choice(*options: str, default: str | None = None) -> Parser:
    """One of ``options`` (case, spaces and hyphens aside); blank is ``default`` when given."""
    def parse(value: str) -> str:
        v = str(value).strip().lower().replace(" ", "_").replace("-", "_")
        if not v and default is not None:
            return default
        if v not in options:
            raise ValueError(f"must be one of {', '.join(o for o in options if o)}")
        return v
    parse.__doc__ = " | ".join(o for o in options if o)
    return parse


def date_value(value: str) -> dt.date:
    v = str(value).strip()
    if not v:
        raise ValueError("is required (a date written YYYY-MM-DD)")
    try:
        return dt.date.fromisoformat(v)
    except ValueError:
        raise ValueError("must be a date written YYYY-MM-DD") from None


def optional_date(value: str) -> dt.date | None:
    return date_value(value) if str(value).strip() else None


def yes_no(value: str) -> bool:
    """yes or no (y/n, true/false, 1/0); blank is refused."""
    v = str(value).strip().lower()
    if v in YES:
        return True
    if v in NO:
        return False
    raise ValueError("must be yes or no")


def yes_no_or(default: bool) -> Parser:
    """yes or no, where a blank value means ``default`` (a CSV column left empty)."""
    def parse(value: str) -> bool:
        return default if not str(value).strip() else yes_no(value)
    return parse


def whole_number(value: str) -> int:
    """A whole number of 0 or more (pounds may be written with a £)."""
    try:
        n = int(str(value).strip().lstrip("£"))
    except ValueError:
        raise ValueError("must be a whole number") from None
    if n < 0:
        raise ValueError("must not be negative")
    return n


def email(value: str) -> str:
    """An email address, or blank."""
    v = str(value).strip()
    if v and not EMAIL.match(v):
        raise ValueError("is not an email address")
    return v


def upn(value: str) -> str:
    """A Unique Pupil Number, or blank."""
    v = str(value).strip().upper()
    if v and not UPN.match(v):
        raise ValueError("is not a UPN (a letter, 11 digits, then a digit or letter)")
    return v
