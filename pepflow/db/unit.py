"""pepflow's unit of work: a session that owns one transaction's queues and caches.

Recording an event reads the same few rows again and again (the child's open deadlines,
the current PEP, the school) and writes deadlines and audit rows that nothing reads back
before commit.  ``UnitOfWork`` keeps both apart from the ORM's own bookkeeping:

* ``cache(name)`` holds rows read once per transaction (see ``db/cases.py``, the only
  user), dropped when the transaction ends;
* ``new_deadlines`` and ``closed_deadlines`` wait until the session next runs a statement,
  or commits, and go to the database in one statement each (``db/writes.py``);
* ``audit_rows`` wait for commit and are chained and inserted by ``pepflow.audit``, which
  registers its writer on this class.

Every listener is registered on ``UnitOfWork``, never on ``sqlalchemy.orm.Session`` or
``sqlmodel.Session``, so a plain session elsewhere in the process behaves as SQLAlchemy
documents.  The speed-ups are measured by bench/pep_machine.py and bench/sweep.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable

from sqlalchemy import event
from sqlmodel import Session

from pepflow.db.writes import write_queued_deadlines

_MISSING = object()


class UnitOfWork(Session):
    """A sqlmodel ``Session`` with pepflow's per-transaction queues and caches."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.batch = False  # record_events: write the queues once at the end, not per event
        # the event being recorded (its EventSpec): a deadline it opens must be one of the clocks
        # it declares (``EventSpec.opens``), checked by ``engine.deadlines.open_deadline``
        self.recording: Any = None
        self.audit_rows: list[dict[str, Any]] = []
        self.new_deadlines: dict[int, tuple[Any, dt.date | None]] = {}  # id(row) -> (row, first step)
        self.closed_deadlines: list[Any] = []
        # every deadline opened or closed, in order, for the history (``pepflow.audit``), and
        # the date each new one's clock started from: id(row) -> (start, due date given?, school)
        self.deadline_log: list[Any] = []
        self.deadline_starts: dict[int, tuple[dt.date, bool, str | None]] = {}
        self.process_log: list[Any] = []  # process rows (a PEP, an admission…) moved by an event
        # (child, process) of each history row written so far, and the children whose rows the ORM wrote:
        # whose summaries for the reports are written again before commit (``engine/child_summaries.py``)
        self.children_named: set[tuple[str, str]] = set()
        self.stale_summaries: set[str] = set()
        self._caches: dict[str, dict[Any, Any]] = {}

    # ---- caches of one transaction -----------------------------------------------------

    def cache(self, name: str) -> dict[Any, Any]:
        return self._caches.setdefault(name, {})

    def cached(self, name: str, key: Any, load: Callable[[], Any]) -> Any:
        """The cached value of ``key`` in cache ``name``, loaded with ``load()`` the first time."""
        store = self.cache(name)
        value = store.get(key, _MISSING)
        if value is _MISSING:
            value = store[key] = load()
        return value

    def forget_caches(self) -> None:
        self._caches.clear()

    def drop_queues(self) -> None:
        self.audit_rows.clear()
        self.new_deadlines.clear()
        self.closed_deadlines.clear()
        self.deadline_log.clear()
        self.deadline_starts.clear()
        self.process_log.clear()
        self.children_named.clear()
        self.stale_summaries.clear()


def _write_queued_deadlines(session: UnitOfWork) -> None:
    if session.new_deadlines or session.closed_deadlines:
        write_queued_deadlines(session)


@event.listens_for(UnitOfWork, "do_orm_execute")
def _write_deadlines_before_reading(state: Any) -> None:
    """Every statement of the session sees the deadlines opened and closed before it."""
    _write_queued_deadlines(state.session)


@event.listens_for(UnitOfWork, "before_commit")
def _write_deadlines_before_commit(session: UnitOfWork) -> None:
    _write_queued_deadlines(session)


@event.listens_for(UnitOfWork, "after_commit")
def _forget_after_commit(session: UnitOfWork) -> None:
    """Another transaction may change the cached rows next."""
    session.forget_caches()


@event.listens_for(UnitOfWork, "after_soft_rollback")
def _forget_after_rollback(session: UnitOfWork, _previous: Any) -> None:
    session.forget_caches()
    session.drop_queues()
