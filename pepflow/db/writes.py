"""The hot writes, through the database driver's own executemany: every driver-level
statement of pepflow is here, built from the table definitions.

SQLAlchemy processes the parameters of each row in Python, which was a third of a
10,000-row sweep and of closing deadlines in a batch of events (bench/sweep.py,
bench/pep_machine.py).  So each statement is a Core statement with named bind
parameters, compiled once per dialect; its rows are tuples in the order of its
``params``, passed to the driver as they are (reordered for a positional paramstyle,
named for PostgreSQL's).  The statements run on the session's connection, inside its
transaction.

On PostgreSQL a batch is one statement whatever its length: the rows travel as one array
per column and ``unnest`` turns them back into rows (``INSERT … SELECT FROM unnest``,
``UPDATE … FROM unnest``, ``DELETE … USING unnest``); a single row goes as the statement
itself.  A row at a time, even pipelined, and multi-row ``VALUES`` lists (which psycopg parses
on the client for every new length) made the sweep 3.6x and recording events 1.6x slower than
on SQLite (bench/sweep.py, bench/pep_machine.py).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import namedtuple
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Sequence

from sqlalchemy import bindparam, delete, func, insert, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Result
from sqlalchemy.orm.attributes import instance_dict
from sqlalchemy.sql import ClauseElement
from sqlmodel import Session

from pepflow.db.models import Deadline, DeadlineStep, Event, Notification
from pepflow.statuses import DeadlineStatus

# a JSON column's value as these statements pass it (json.dumps would build an encoder per call)
json_text = json.JSONEncoder(separators=(",", ":")).encode


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@dataclass
class DriverStatement:
    """A statement built by ``build(dialect name)`` with bind parameters named ``params``;
    on PostgreSQL, ``arrays(once)`` is the same change for a whole batch, taking one array per
    parameter, in the order of ``params``; with ``inserts``, it takes the parameters at the
    positions ``once`` (the same in every row) once each, before the arrays (else ``once`` is
    always empty)."""

    params: tuple[str, ...]
    build: Callable[[str], ClauseElement]
    arrays: Callable[[tuple[int, ...]], str] | None = None
    inserts: bool = False  # ``arrays`` sends a column the same in every row once
    _compiled: dict[str, tuple[str, list[int] | None]] = field(default_factory=dict, repr=False)
    _arrays: dict[tuple[int, ...], str] = field(default_factory=dict, repr=False)

    def compiled(self, dialect: Any) -> tuple[str, list[int] | None]:
        """(SQL text, positions of the row's values in the driver's order; None: by name)."""
        if dialect.name not in self._compiled:
            compiled = self.build(dialect.name).compile(dialect=dialect)
            order = [self.params.index(name) for name in compiled.positiontup] if compiled.positional else None
            self._compiled[dialect.name] = (compiled.string, order)
        return self._compiled[dialect.name]


def executemany(session: Session, statement: DriverStatement, rows: Sequence[Sequence[Any]]) -> int:
    """Run ``statement`` once per row (values in the order of ``statement.params``); returns
    how many rows it changed in all (both drivers sum an executemany's rowcount).  Dates and
    instants become the text SQLAlchemy stores on SQLite; on PostgreSQL the driver takes
    them as they are."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect
    # one row (an event recorded on its own) as the statement itself: unnest's join made a one-row
    # UPDATE of a deadline 400 µs where the statement takes 200 (bench/pep_machine.py --postgres)
    if dialect.name == "postgresql" and statement.arrays is not None and len(rows) > 1:
        def sql_for(once: tuple[int, ...]) -> str:
            if once not in statement._arrays:
                statement._arrays[once] = statement.arrays(once)
            return statement._arrays[once]
        return _execute_arrays(session, rows, sql_for, statement.inserts).rowcount
    sql, order = statement.compiled(dialect)
    if dialect.name == "sqlite":
        rows = _sqlite_dates(rows)
    if order is None:
        parameters: list[Any] = [dict(zip(statement.params, row)) for row in rows]
    elif order == list(range(len(statement.params))):
        parameters = [tuple(row) for row in rows]
    else:
        parameters = [tuple([row[i] for i in order]) for row in rows]
    return session.connection().exec_driver_sql(sql, parameters).rowcount


def _sqlite_dates(rows: Sequence[Sequence[Any]]) -> Sequence[Sequence[Any]]:
    """Only the columns that hold dates are converted, each distinct value once (rows share
    a few dates and one timestamp): a Python call per value was a tenth of a sweep."""
    columns = list(zip(*rows))
    converted = False
    for j, column in enumerate(columns):
        if any(issubclass(kind, dt.date) for kind in set(map(type, column))):
            as_text = {v: _sqlite(v) for v in set(column) if isinstance(v, dt.date)}
            columns[j] = tuple([as_text.get(v, v) for v in column])
            converted = True
    return list(zip(*columns)) if converted else rows


def _sqlite(value: dt.date) -> str:
    if isinstance(value, dt.datetime):  # as UTCDateTime stores it
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware UTC datetime")
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value.isoformat()


def existing_keys(session: Session, keys: list[str], column: Any = None) -> set[str]:
    """Which of ``keys`` the outbox (or the table of ``column``, a unique key) already holds,
    through its unique index, in one statement whatever their number: the keys travel as one JSON
    array (SQLite) or one array (PostgreSQL), not as thousands of bound parameters for SQLAlchemy
    to expand and the database to parse (bench/sweep.py)."""
    if not keys:
        return set()
    column = N.c.key if column is None else column
    if is_postgres(session):
        # imported here, not at the top: the PostgreSQL dialect's types, only on PostgreSQL
        from sqlalchemy.dialects.postgresql import ARRAY
        from sqlalchemy.types import String

        wanted = column == func.any(bindparam("keys", keys, type_=ARRAY(String)))
    else:
        listed = func.json_each(bindparam("keys", json_text(keys))).table_valued("value")
        wanted = column.in_(select(listed.c.value))
    return set(session.connection().execute(select(column).where(wanted)).scalars().all())


AUDIT_CHAIN_LOCK = 727365  # a PostgreSQL advisory lock key of pepflow's own
_TAKE_CHAIN_LOCK = select(func.pg_advisory_xact_lock(AUDIT_CHAIN_LOCK))  # built once: taken at every change


def lock_audit_chain(session: Session) -> None:
    """Make appends to the audit chain take turns, before the last row's hash is read: a
    transaction-scoped advisory lock on PostgreSQL; on SQLite the database's write lock.

    Python's sqlite3 begins a transaction only at the first write, so a transaction that has
    only read so far holds no lock: two of them read the same last hash and fork the chain
    (issue 36: bursts of failed sign-ins).  A write that changes nothing takes the lock (and
    waits for it, ``busy_timeout``) all the same; it is held until the transaction ends."""
    if is_postgres(session):
        session.connection().execute(_TAKE_CHAIN_LOCK)
    else:
        session.connection().exec_driver_sql("UPDATE history_seal SET id = id WHERE 0")


def last_audit_hash(session: Session) -> str | None:
    """The hash of the newest history row, by the driver: through the ORM, this one read
    was a sixth of recording a group of sent emails (bench/dispatch.py)."""
    return session.connection().exec_driver_sql("SELECT hash FROM event ORDER BY id DESC LIMIT 1").scalar()


def plain_rows(result: Result[Any]) -> list[Any]:
    """The result's rows as named tuples, for loops that read many fields of many rows.

    SQLAlchemy's Row finds each field by name in Python (0.8 us); a named tuple does it
    in C (0.03 us).  The sweep reads about thirty fields of each of 10,000 rows.  The rows are
    fetched at once: iterating a result fetches one row per call, 8 us a row on psycopg
    (bench/sweep.py)."""
    return list(map(_fields(tuple(result.keys()))._make, result.all()))  # all(): one fetch, not one call per row


@lru_cache(maxsize=256)
def _fields(names: tuple[str, ...]) -> Any:
    """The named tuple for these columns, made once: making one is a class definition (60 µs)."""
    return namedtuple("Fields", names, rename=True)  # type: ignore[misc]


def insert_ignoring(table: Any, dialect: str, conflict: list[str] | None = None) -> Any:
    """INSERT … ON CONFLICT DO NOTHING in the dialect's own words."""
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return dialect_insert(table).on_conflict_do_nothing(index_elements=conflict)


def upsert(table: Any, dialect: str, conflict: list[str]) -> Any:
    """INSERT … ON CONFLICT (``conflict``) DO UPDATE every other column, in the dialect's own words."""
    dialect_insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = dialect_insert(table)
    return statement.on_conflict_do_update(index_elements=conflict, set_={
        c.name: statement.excluded[c.name] for c in table.columns if c.name not in conflict})


def _values(params: tuple[str, ...]) -> dict[str, Any]:
    return {name: bindparam(f"p_{name}") for name in params}


def _named(params: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"p_{name}" for name in params)


# ---- the statements -----------------------------------------------------------------

E, D, S, N = Event.__table__, Deadline.__table__, DeadlineStep.__table__, Notification.__table__

_POSTGRES = postgresql.dialect()
_quote = _POSTGRES.identifier_preparer.quote


def _unnest(table: Any, columns: Sequence[str], ordered: bool = False) -> str:
    """``unnest(%b::TYPE[], …) AS k(column, …)``: one array parameter per column, typed as
    the table's column and sent in PostgreSQL's binary format (``%b``: psycopg quotes a
    text-format array element by element, 10x slower for 10,000 rows); ``ordered`` adds
    ``k.k_order``, each row's place in the arrays."""
    arrays = ", ".join(f"%b::{_type(table, c)}[]" for c in columns)
    names = ", ".join(_quote(c) for c in columns) + (", k_order" if ordered else "")
    return f"unnest({arrays}){' WITH ORDINALITY' if ordered else ''} AS k({names})"


def _type(table: Any, column: str) -> str:
    return table.c[column].type.compile(dialect=_POSTGRES)


def _insert_arrays(table: Any, columns: Sequence[str], tail: str = "", ordered: bool = False,
                   once: tuple[int, ...] = (), place_into: str | None = None) -> str:
    """INSERT … SELECT FROM unnest: the columns at the positions ``once`` are a parameter each
    (the same value in every row: a batch's status, time or version), the others arrays.
    Half a sweep's outbox columns are the same in every row, and each array element costs
    psycopg a Python call (bench/sweep.py).  ``ordered`` inserts the rows in the arrays'
    order; ``place_into`` names a column that gets each row's place in them."""
    ordered = ordered or place_into is not None
    listed = ", ".join(_quote(c) for c in columns) + (f", {_quote(place_into)}" if place_into else "")
    arrays = [c for i, c in enumerate(columns) if i not in once]
    picked = ", ".join(f"%b::{_type(table, c)}" if i in once else f"k.{_quote(c)}" for i, c in enumerate(columns))
    picked += ", k.k_order" if place_into else ""
    order = " ORDER BY k.k_order" if ordered else ""
    return (f"INSERT INTO {_quote(table.name)} ({listed}) SELECT {picked} "
            f"FROM {_unnest(table, arrays, ordered)}{order}{tail}")


def _same_in_every_row(columns: list[list[Any]]) -> tuple[int, ...]:
    """The positions of the columns holding one value in every row (never the first column:
    the arrays give the number of rows)."""
    return tuple(i for i, values in enumerate(columns) if i and values.count(values[0]) == len(values))


def _execute_arrays(session: Session, rows: Sequence[Sequence[Any]], sql_for: Callable[[tuple[int, ...]], str],
                    send_once: bool = True) -> Any:
    """Run ``sql_for(once)`` with the rows as one array per column; with ``send_once``, a
    column the same in every row goes as one parameter (its position in ``once``), before
    the arrays."""
    columns = list(map(list, zip(*rows)))
    once = _same_in_every_row(columns) if send_once else ()
    parameters = (*(columns[i][0] for i in once), *(values for i, values in enumerate(columns) if i not in once))
    return session.connection().exec_driver_sql(sql_for(once), parameters)


AUDIT_COLUMNS = ("child_ref", "process", "process_id", "name", "effective_on", "recorded_at", "actor_ref",
                 "state_before", "state_after", "payload", "payload_version", "key_id", "prev_hash", "hash")
# in the order given: each history row's hash chains to the one before it, by id
INSERT_AUDIT = DriverStatement(_named(AUDIT_COLUMNS), lambda _d: insert(E).values(_values(AUDIT_COLUMNS)),
                               lambda once: _insert_arrays(E, AUDIT_COLUMNS, ordered=True, once=once), inserts=True)

_CLOSE = ("status", "closed_on", "close_reason", "days_late", "late_unit")
CLOSE_DEADLINE = DriverStatement(_named(_CLOSE) + ("k_id",), lambda _d: update(D).where(
    D.c.id == bindparam("k_id")).values(_values(_CLOSE)), lambda _once: (
    f"UPDATE deadline SET {', '.join(f'{_quote(c)} = k.{_quote(c)}' for c in _CLOSE)} "
    f"FROM {_unnest(D, (*_CLOSE, 'id'))} WHERE deadline.id = k.id"))

_STEP = ("next_step_on", "deadline_id", "last_step")
SCHEDULE_STEP = DriverStatement(_named(_STEP), lambda d: insert_ignoring(S, d).values(_values(_STEP)),
                                lambda once: _insert_arrays(S, _STEP, " ON CONFLICT DO NOTHING", once=once),
                                inserts=True)
UNSCHEDULE_STEP = DriverStatement(("k_on", "k_id"), lambda _d: delete(S).where(
    S.c.next_step_on == bindparam("k_on"), S.c.deadline_id == bindparam("k_id")), lambda _once: (
    f"DELETE FROM deadline_step USING {_unnest(S, ('next_step_on', 'deadline_id'))} "
    "WHERE deadline_step.next_step_on = k.next_step_on AND deadline_step.deadline_id = k.deadline_id"))

OUTBOX_COLUMNS = ("key", "deadline_id", "child_ref", "recipient_ref", "recipient_email", "step", "status",
                  "attempts", "created_at", "message_id", "last_error", "claim_token", "payload", "payload_version")
INSERT_NOTIFICATION = DriverStatement(_named(OUTBOX_COLUMNS), lambda d: insert_ignoring(
    N, d, ["key"]).values(_values(OUTBOX_COLUMNS)), lambda once: _insert_arrays(
    N, OUTBOX_COLUMNS, " ON CONFLICT (key) DO NOTHING", once=once), inserts=True)
# an email the relay accepted, for each of its rows still held by this dispatcher's claim
MARK_SENT = DriverStatement(("p_sent_at", "p_message_id", "k_id", "k_token"), lambda _d: update(N).where(
    N.c.id == bindparam("k_id"), N.c.claim_token == bindparam("k_token"), N.c.status == literal_column("'sending'"))
    .values(status=literal_column("'sent'"), sent_at=bindparam("p_sent_at"), message_id=bindparam("p_message_id"),
            attempts=N.c.attempts + literal_column("1"), last_error=literal_column("''")), lambda _once: (
    "UPDATE notification SET status = 'sent', sent_at = k.sent_at, message_id = k.message_id, "
    "attempts = notification.attempts + 1, last_error = '' "
    f"FROM {_unnest(N, ('sent_at', 'message_id', 'id', 'claim_token'))} "
    "WHERE notification.id = k.id AND notification.claim_token = k.claim_token AND notification.status = 'sending'"))


def insert_new(session: Session, table: Any, columns: tuple[str, ...], rows: Sequence[Sequence[Any]],
               key: str) -> list[Any]:
    """INSERT … ON CONFLICT (key) DO NOTHING, returning the keys this transaction really inserted,
    so a count or a history row made from them is never doubled by a concurrent writer of the same
    keys.  Driver-level, as ``executemany`` (SQLAlchemy's per-row parameter processing was a third
    of a sweep: bench/sweep.py).

    On PostgreSQL, writers run side by side: the whole batch is one statement from arrays, and
    ``RETURNING`` says which keys it wrote.  SQLite has one writer at a time, so the keys already
    there are left out with one read and the rest written as a floor writes them, without a row
    returned for each (bench/sweep.py).  No other writer can add a key between the read and the
    write: a transaction that writes holds the lock, and one whose snapshot another writer's commit
    has overtaken is refused the lock (WAL mode), so it fails rather than doubles."""
    if not rows:
        return []
    dialect = session.get_bind().dialect
    quote = dialect.identifier_preparer.quote
    conflict = f" ON CONFLICT ({quote(key)}) DO NOTHING"
    if dialect.name == "postgresql":
        return _execute_arrays(session, rows, lambda once: _insert_arrays(
            table, columns, f"{conflict} RETURNING {quote(key)}", once=once)).scalars().all()
    at = columns.index(key)
    taken = existing_keys(session, [row[at] for row in rows], table.c[key])
    fresh: dict[Any, Sequence[Any]] = {}
    for row in rows:
        if row[at] not in taken:
            fresh.setdefault(row[at], row)  # a key twice: its first row, as ON CONFLICT DO NOTHING keeps
    statement = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
                 f"VALUES ({', '.join('?' * len(columns))}){conflict}")
    written = session.connection().exec_driver_sql(statement, list(_sqlite_dates(list(fresh.values())))).rowcount
    if written != len(fresh):  # never expected (see above): the caller's transaction rolls back
        raise RuntimeError(f"only {written} of {len(fresh)} new rows were written to {table.name} although no "
                           "other process could write meanwhile: nothing of this transaction is kept")
    return list(fresh)


# ---- the deadline queue of a unit of work -------------------------------------------

_INSERTED_COLUMNS = [c.key for c in D.columns if c.key not in ("id", "insert_sentinel")]
# built once: built at each call, its cache key alone cost an event about 90 µs (bench/pep_machine.py)
_INSERT_DEADLINES = insert(D).returning(D.c.id, sort_by_parameter_order=True)


def write_queued_deadlines(session: Any) -> None:
    """Insert the new deadlines of ``session`` (a ``UnitOfWork``) with the sweep's first
    date for each, and update the closed ones, queued in this transaction.

    New rows are inserted with one multi-row statement that returns their ids (the ORM
    inserts them one at a time) and stay outside the session: the only later change to a
    deadline, closing it, is written by id through this queue."""
    queued, session.new_deadlines = session.new_deadlines, {}
    if queued:
        values = [instance_dict(d) for d, _ in queued.values()]  # the rows' own dicts, as the ORM keeps them
        if is_postgres(session):
            ids = _insert_deadlines_from_arrays(session, [tuple([row.get(k) for k in _INSERTED_COLUMNS])
                                                          for row in values])
        else:
            ids = session.connection().execute(
                _INSERT_DEADLINES,
                [{k: row.get(k) for k in _INSERTED_COLUMNS} for row in values]).scalars().all()
        for row, new_id in zip(values, ids):
            row["id"] = new_id  # as if loaded: the row is not in the session, and closing it writes by id
        executemany(session, SCHEDULE_STEP, [(first, d.id, "") for d, first in queued.values()
                                             if first is not None and d.status == DeadlineStatus.OPEN])
    closed, session.closed_deadlines = session.closed_deadlines, []
    if closed:
        executemany(session, CLOSE_DEADLINE, [(d.status, d.closed_on, d.close_reason, d.days_late, d.late_unit,
                                               d.id) for d in closed])


def _insert_deadlines_from_arrays(session: Any, rows: list[tuple[Any, ...]]) -> list[int]:
    """The new deadlines' ids, in the order of ``rows``, from one INSERT … SELECT FROM unnest:
    each row's place in the arrays goes into ``insert_sentinel`` and comes back beside its
    id, as SQLAlchemy's own ``sort_by_parameter_order`` does (whose multi-row VALUES lists
    psycopg parses on the client: a seventh of recording a batch of events on PostgreSQL,
    bench/pep_machine.py)."""
    returned = _execute_arrays(session, rows, lambda once: _insert_arrays(
        D, _INSERTED_COLUMNS, " RETURNING id, insert_sentinel", once=once, place_into="insert_sentinel")).all()
    return [new_id for new_id, _place in sorted(returned, key=lambda r: r[1])]


def set_without_tracking(row: Any, values: dict[str, Any]) -> None:
    """Set a row's columns without the ORM's change tracking (its per-row bookkeeping was a
    fifth of the cost of an event: bench/pep_machine.py): the unit of work writes them
    itself, through its queue of closed deadlines."""
    instance_dict(row).update(values)
