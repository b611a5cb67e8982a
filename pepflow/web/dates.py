"""The GOV.UK date input: a date typed as day, month and year boxes, read and checked with
the Design System's error messages ("Date it happened must include a month", "31 February
2026 is not a date").

A form may also send the date as one value (``on=2026-11-20`` or ``on=20/11/2026``), as a
script or an older page does; the boxes win when both are sent.  Either way the date is
then parsed by the one parser every input path uses (``values.date_value``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Mapping

from pepflow.values import ImpossibleDate, date_value

PARTS = ("day", "month", "year")


@dataclass(frozen=True)
class DateField:
    text: str  # what to parse ("20/11/2026"), or "" when nothing was entered
    error: str = ""  # the message for the field, GOV.UK wording
    bad_parts: tuple[str, ...] = ()  # which boxes to mark (all three for a date that is not real)


def parts_of(day: dt.date | None) -> dict[str, str]:
    """The boxes' values for a date (a form's default)."""
    if day is None:
        return {}
    return {"day": str(day.day), "month": str(day.month), "year": str(day.year)}


def read_date(form: Mapping[str, str], name: str, label: str, required: bool) -> DateField:
    """The date a person entered in the boxes ``name-day``, ``name-month``, ``name-year``."""
    boxes = {part: form.get(f"{name}-{part}", "").strip() for part in PARTS}
    if not any(boxes.values()):
        text = form.get(name, "").strip()
        if not text:
            return DateField("", f"Enter the {label.lower()}" if required else "", PARTS if required else ())
        checked = _checked(text, label, PARTS)
        shown = text if len(text) <= 40 else text[:40] + "…"
        return DateField(checked.text, f"{checked.error} (you entered “{shown}”)" if checked.error else "")
    missing = tuple(part for part in PARTS if not boxes[part])
    if missing:
        return DateField("", f"{label} must include a {' and '.join(missing)}", missing)
    not_numbers = tuple(part for part in PARTS if not (boxes[part].isascii() and boxes[part].isdigit()))
    if not_numbers or len(boxes["day"]) > 2 or len(boxes["month"]) > 2:
        return DateField("", f"{label} must be a real date", not_numbers or PARTS)
    if len(boxes["year"]) != 4:
        return DateField("", "Year must include 4 numbers", ("year",))
    return _checked(f"{int(boxes['day']):02d}/{int(boxes['month']):02d}/{boxes['year']}", label, PARTS)


def _checked(text: str, label: str, parts: tuple[str, ...]) -> DateField:
    try:
        date_value(text)
    except ImpossibleDate as exc:
        return DateField("", f"{exc.written} is not a date", parts)
    except ValueError as exc:
        why = str(exc).removeprefix("is not a date: ")
        return DateField("", f"{label} must be a real date ({why})", parts)
    return DateField(text)
