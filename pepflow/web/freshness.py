"""Answers the pages may keep while the database has not changed.

Every change to a case, a child, a school or a person writes a history row in the same
transaction (pepflow's rule, which ``audit verify --replay`` proves), so the newest
history row's id says whether anything a list counts can have changed: one look-up of
the primary key's last entry.  Counting the 60,000 overdue PEP deadlines of 100,000
children took 4 ms of the Overdue PEPs page's 15 ms budget, and the filter lists (400
schools, 300 social workers) 1 ms more (bench/web.py); both are kept here, per site and
per process, until the next history row.  Rows a page view writes (``case_viewed``) move
the stamp on too: that costs a recount, never a stale answer.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable

from sqlalchemy import func, select
from sqlmodel import Session

from pepflow.db.models import Event


def history_stamp(session: Session) -> int:
    """The id of the newest history row (0 for none)."""
    return session.execute(select(func.max(Event.id))).scalar() or 0


class FreshnessCache:
    """Values kept while the history stamp is unchanged, the least recently used dropped first.

    Pages run in a thread pool: the dictionary is used under a lock, the value worked out
    outside it.  A value is worked out after its stamp was read, so it shows that state or a
    newer one; a newer one has a newer stamp, which the next request reads and so clears it."""

    def __init__(self, size: int = 512):
        self.size = size
        self._lock = threading.Lock()
        self._stamp: int | None = None
        self._values: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, session: Session, key: Hashable, make: Callable[[], Any]) -> Any:
        stamp = history_stamp(session)
        with self._lock:
            if stamp != self._stamp:
                self._values.clear()
                self._stamp = stamp
            elif key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = make()
        with self._lock:
            if self._stamp == stamp:
                self._values[key] = value
                if len(self._values) > self.size:
                    self._values.popitem(last=False)
        return value


class Options(list):
    """A select's choices, (value, text) pairs, that keep their option tags once written for
    a chosen value: kept in a ``FreshnessCache`` with them, they are written once a change."""

    def __init__(self, pairs):
        super().__init__(pairs)
        self._tags: dict[str, Any] = {}

    def tags(self, value: str) -> Any:
        made = self._tags.get(value)
        if made is None:
            # imported here, not at the top: markupsafe loads only for the work that needs it (start-up time, bench/startup.py)
            from markupsafe import Markup, escape

            made = Markup("\n".join(
                f'<option value="{escape(key)}"{" selected" if key == value else ""}>{escape(text)}</option>'
                for key, text in self))
            if len(self._tags) < 64:
                self._tags[value] = made
        return made
