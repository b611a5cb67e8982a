"""A word to SQLite's query planner where its statistics mislead it.

SQLite has no index hints that SQLAlchemy renders, but a column written ``+column`` in a
condition cannot be used to pick an index (its documented way to steer the planner).
``not_for_index(column)`` renders so on SQLite and as the plain column elsewhere
(PostgreSQL's planner, with its histograms, chooses well).  Each use cites the benchmark
that measured the planner's wrong choice."""

from __future__ import annotations

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal


class NotForIndex(ColumnElement):
    # the column is part of the statement's cache key, so a statement using it is compiled once and
    # kept like any other (without it SQLAlchemy compiled it at every execution: half a millisecond
    # of each child's summary, bench/pep_machine.py)
    inherit_cache = True
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: ColumnElement):
        self.column = column
        self.type = column.type

    @property
    def _from_objects(self):
        return self.column._from_objects


@compiles(NotForIndex)
def _plain(element: NotForIndex, compiler, **kw) -> str:
    return compiler.process(element.column, **kw)


@compiles(NotForIndex, "sqlite")
def _unary_plus(element: NotForIndex, compiler, **kw) -> str:
    return "+" + compiler.process(element.column, **kw)


def not_for_index(column: ColumnElement) -> ColumnElement:
    """``column`` as a condition's operand that SQLite must not choose an index by."""
    return NotForIndex(column)
