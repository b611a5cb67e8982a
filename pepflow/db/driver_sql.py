"""Many rows through the database driver's own executemany, for the hottest writes.

SQLAlchemy processes the parameters of each row in Python, which was a third of a
10,000-row sweep and of closing deadlines in a batch of events (bench/sweep.py,
bench/pep_machine.py).  Statements here are written with ``?`` placeholders and run on
the session's connection, so they are part of its transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import namedtuple
from typing import Any, Sequence

from sqlalchemy.engine import Result
from sqlmodel import Session


# a JSON column's value as these statements pass it (json.dumps would build an encoder per call)
json_text = json.JSONEncoder(separators=(",", ":")).encode


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def executemany(session: Session, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run ``sql`` (``?`` placeholders) once per row.  Dates and instants become the text
    SQLAlchemy stores on SQLite; on PostgreSQL the driver takes them as they are."""
    if not rows:
        return
    if is_postgres(session):
        session.connection().exec_driver_sql(sql.replace("?", "%s"), [tuple(r) for r in rows])
        return
    # Only the columns that hold dates are converted, each distinct value once (rows share a
    # few dates and one timestamp): a Python call per value was a tenth of a sweep.
    columns = list(zip(*rows))
    converted = False
    for j, column in enumerate(columns):
        if any(issubclass(kind, dt.date) for kind in set(map(type, column))):
            as_text = {v: _sqlite(v) for v in set(column) if isinstance(v, dt.date)}
            columns[j] = tuple([as_text.get(v, v) for v in column])
            converted = True
    session.connection().exec_driver_sql(sql, list(zip(*columns)) if converted else [tuple(r) for r in rows])


def _sqlite(value: dt.date) -> str:
    if isinstance(value, dt.datetime):  # as UTCDateTime stores it
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware UTC datetime")
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value.isoformat()


def plain_rows(result: Result[Any]) -> list[Any]:
    """The result's rows as named tuples, for loops that read many fields of many rows.

    SQLAlchemy's Row finds each field by name in Python (0.8 us); a named tuple does it
    in C (0.03 us).  The sweep reads about thirty fields of each of 10,000 rows."""
    fields = namedtuple("Fields", list(result.keys()), rename=True)  # type: ignore[misc]
    return [fields._make(row) for row in result]
