"""Many rows through the database driver's own executemany, for the hottest writes.

SQLAlchemy processes the parameters of each row in Python, which was a third of a
10,000-row sweep and of closing deadlines in a batch of events (bench/sweep.py,
bench/pep_machine.py).  Statements here are written with ``?`` placeholders and run on
the session's connection, so they are part of its transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Sequence

from sqlmodel import Session


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
    as_text: dict[dt.date, str] = {}  # rows share a few dates (and one timestamp): convert each once

    def value(v: Any) -> Any:
        if not isinstance(v, dt.date):  # datetime too
            return v
        text = as_text.get(v)
        if text is None:
            text = as_text[v] = _sqlite(v)
        return text

    session.connection().exec_driver_sql(sql, [tuple(map(value, r)) for r in rows])


def _sqlite(value: dt.date) -> str:
    if isinstance(value, dt.datetime):  # as UTCDateTime stores it
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware UTC datetime")
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value.isoformat()
