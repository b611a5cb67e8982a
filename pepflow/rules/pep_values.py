"""A PEP field's value as typed, checked against its template (config/pep.toml): text within its
length and free of control characters, a choice among its options, a real date, a number in its
range, yes or no, a table's rows each checked column by column.  Pure: the forms and the command
line pass what was typed and get the value to keep, or an ``InputError`` naming the field (a
table's cell as "targets, row 2, By when") and the value."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pepflow.config.pep_template import Column, FieldSpec
from pepflow.errors import InputError
from pepflow.values import clean, date_value
from pepflow.vocabulary import value_words


EARLIEST, LATEST = dt.date(2000, 1, 1), dt.date(2100, 12, 31)  # a PEP's dates: a child's school years and plans


def read_value(field: Column, raw: Any, where: str | None = None) -> Any:
    """The value to keep for ``field`` ("" for a blank one), or InputError naming ``where``."""
    name = where or field.key
    if isinstance(field, FieldSpec) and field.type == "table":
        return read_rows(field, raw if isinstance(raw, list) else [], name)
    text = "" if raw is None else str(raw)
    try:
        text = clean(text, field.max_length if field.type in ("text", "long_text") else 100,
                     lines=field.type == "long_text")
    except ValueError as exc:
        raise InputError(name, text, str(exc)) from None
    if not text:
        return ""
    if field.type == "choice":
        chosen = text.lower().replace(" ", "_")
        if chosen not in field.options:
            raise InputError(name, text, "must be one of " + ", ".join(value_words(o) for o in field.options))
        return chosen
    if field.type == "yes_no":
        if text.lower() not in ("yes", "no"):
            raise InputError(name, text, "must be yes or no")
        return text.lower()
    if field.type == "date":
        try:
            day = date_value(text)
        except ValueError as exc:
            raise InputError(name, text, str(exc)) from None
        if not EARLIEST <= day <= LATEST:
            raise InputError(name, text, f"must be a date from {EARLIEST.year} to {LATEST.year}")
        return day.isoformat()
    if field.type == "number":
        return _number(field, text, name)
    return text


def _number(field: Column, text: str, name: str) -> int | float:
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        raise InputError(name, text, "must be a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise InputError(name, text, "must be a number")
    if field.whole and number != int(number):
        raise InputError(name, text, "must be a whole number")
    if field.minimum is not None and number < field.minimum:
        raise InputError(name, text, f"must be at least {field.minimum:g}")
    if field.maximum is not None and number > field.maximum:
        raise InputError(name, text, f"must be at most {field.maximum:g}")
    return int(number) if field.whole or number == int(number) else number


def read_rows(field: FieldSpec, rows: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """A table's rows: blank rows left out, each row's required cells filled, at most ``max_rows``."""
    kept = [row for row in rows if any(str(v or "").strip() for v in row.values())]
    if len(kept) > field.max_rows:
        raise InputError(name, f"{len(kept)} rows", f"may have at most {field.max_rows}")
    out = []
    for number, row in enumerate(kept, start=1):
        values = {}
        for column in field.columns:
            where = f"{name}, row {number}, {column.label}"
            value = read_value(column, row.get(column.key), where)
            if column.required and value == "":
                raise InputError(where, "", "is needed in a row that is filled in")
            values[column.key] = value
        out.append(values)
    return out


def is_filled(field: FieldSpec, value: Any) -> bool:
    """Whether a field has what it needs (a table: at least one row)."""
    return bool(value) if field.type == "table" else value not in (None, "")
