"""Answers the pages may keep while nothing they show has changed.

Every change to a case, a child, a school or a person writes a history row in the same
transaction (pepflow's rule, which ``audit verify --replay`` proves), so the newest such
row's id says whether anything a list shows can have changed: one look-up of the partial
index ``ix_event_changes``, which leaves out the rows of views, downloads and sign-ins.
Those once moved the stamp too, so every case page viewed ended every kept answer
(issue 42).  Counting the 60,000 overdue PEP deadlines of 100,000 children took 4 ms of
the Overdue PEPs page's 15 ms budget, and the filter lists (400 schools, 300 social
workers) 1 ms more (bench/web.py); both are kept here, per site and per process, with the
page's rendered list, until the next change.

A request reads the stamp once (``FreshnessCache.reading``) and asks for everything it
keeps at that stamp.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable

from sqlalchemy import func, select, text
from sqlmodel import Session

from pepflow.db.models import Event
from pepflow.db.models.history_rows import CHANGES_ONLY

_NEWEST_CHANGE = select(func.max(Event.id)).where(text(CHANGES_ONLY))


def change_stamp(session: Session) -> int:
    """The id of the newest history row that records a change (0 for none)."""
    return session.execute(_NEWEST_CHANGE).scalar() or 0


class FreshnessCache:
    """Values kept while the change stamp is unchanged, the least recently used dropped first.

    Pages run in a thread pool: the dictionary is used under a lock, the value worked out
    outside it.  A value is worked out after its stamp was read, so it shows that state or a
    newer one; a newer one has a newer stamp, which the next request reads and so clears it."""

    def __init__(self, size: int = 512):
        self.size = size
        self._lock = threading.Lock()
        self._stamp: int | None = None
        self._values: OrderedDict[Hashable, Any] = OrderedDict()

    def reading(self, session: Session) -> "Fresh":
        """This cache at the database's stamp now: read once for a request's every answer."""
        return Fresh(self, change_stamp(session))

    def kept(self, stamp: int, key: Hashable) -> Any:
        """The value kept for ``key`` at ``stamp``, or None."""
        with self._lock:
            if stamp != self._stamp:
                return None
            value = self._values.get(key)
            if value is not None:
                self._values.move_to_end(key)
            return value

    def keep(self, stamp: int, key: Hashable, value: Any) -> None:
        """Keep ``value``, worked out at ``stamp``; a newer stamp than the one kept clears the rest."""
        with self._lock:
            if self._stamp is None or stamp > self._stamp:
                self._values.clear()
                self._stamp = stamp
            if stamp == self._stamp:
                self._values[key] = value
                if len(self._values) > self.size:
                    self._values.popitem(last=False)


class Fresh:
    """A ``FreshnessCache`` at one stamp (``FreshnessCache.reading``)."""

    def __init__(self, cache: FreshnessCache, stamp: int):
        self.cache, self.stamp = cache, stamp

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        value = self.cache.kept(self.stamp, key)
        if value is None:
            value = make()
            self.cache.keep(self.stamp, key, value)
        return value

    def kept(self, key: Hashable) -> Any:
        return self.cache.kept(self.stamp, key)

    def keep(self, key: Hashable, value: Any) -> None:
        self.cache.keep(self.stamp, key, value)


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
