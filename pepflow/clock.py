"""Where "today" comes from.

Rules never read the system clock: they take ``today`` as an argument, and the
application asks a ``Clock``.  A ``FixedClock`` that can be advanced is what tests and
``pepflow demo`` simulations run on.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol
from zoneinfo import ZoneInfo
from pepflow.errors import InputError
from pepflow.values import date_value

LONDON = ZoneInfo("Europe/London")


class Clock(Protocol):
    def today(self) -> dt.date:
        """The current date in Europe/London."""

    def now(self) -> dt.datetime:
        """The current instant, timezone-aware UTC."""


class SystemClock:
    """The real clock; dates are taken in Europe/London, not the server's zone."""

    def today(self) -> dt.date:
        return dt.datetime.now(LONDON).date()

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)


class FixedClock:
    """A clock set to a given date (noon London time), which can be moved on."""

    def __init__(self, today: dt.date):
        self._today = today

    def today(self) -> dt.date:
        return self._today

    def now(self) -> dt.datetime:
        local_noon = dt.datetime.combine(self._today, dt.time(12, 0), tzinfo=LONDON)
        return local_noon.astimezone(dt.timezone.utc)

    def set(self, today: dt.date) -> None:
        self._today = today

    def advance(self, days: int = 1) -> dt.date:
        self._today += dt.timedelta(days=days)
        return self._today


class PassingClock:
    """A clock that starts at noon (London) on a given date and then runs at the real rate: what a
    service started with ``--today`` runs on (``pepflow run``), so its dispatcher's leases run out
    and its retries come due as they would on the real date, and the day turns at midnight."""

    def __init__(self, today: dt.date, started: dt.datetime | None = None):
        self._offset = (dt.datetime.combine(today, dt.time(12, 0), tzinfo=LONDON)
                        - (started or dt.datetime.now(dt.timezone.utc)))

    def today(self) -> dt.date:
        return self.now().astimezone(LONDON).date()

    def now(self) -> dt.datetime:
        return (dt.datetime.now(dt.timezone.utc) + self._offset).astimezone(dt.timezone.utc)


class SteppedClock:
    """A clock at a given instant that moves only when told: a dispatcher's lease and
    retry timing run on it, so an hour of a relay outage passes in a test in seconds."""

    def __init__(self, now: dt.datetime):
        if now.tzinfo is None:
            raise ValueError("SteppedClock needs an aware datetime")
        self._now = now.astimezone(dt.timezone.utc)

    def today(self) -> dt.date:
        return self._now.astimezone(LONDON).date()

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, by: dt.timedelta) -> dt.datetime:
        self._now += by
        return self._now


def parse_date(value: str, field: str = "date") -> dt.date:
    """A date written YYYY-MM-DD or DD/MM/YYYY (``values.date_value``), or an error naming the field."""
    if isinstance(value, dt.date):
        return value
    try:
        return date_value(value)
    except ValueError as exc:
        raise InputError(field, value, str(exc)) from None


def clock_for(today: str | dt.date | None, field: str = "--today") -> Clock:
    """The system clock, or a fixed one when a date is given (``--today`` / ``PEPFLOW_TODAY``,
    named by ``field`` in an error)."""
    if today in (None, ""):
        return SystemClock()
    return FixedClock(parse_date(today, field))
