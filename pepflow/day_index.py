"""Days as sorted ordinals, so that "N days after D" is one binary search and one index: the
index every count searches, the working days of a century (Monday to Friday but bank holidays
and closures), and the bank holidays of England and Wales read from the file pepflow ships."""

from __future__ import annotations

import datetime as dt
import functools
from bisect import bisect_right
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# Working days are known for any date in this span (bank holidays from `holidays`).
WORKING_SPAN = (dt.date(2000, 1, 1), dt.date(2099, 12, 31))
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()

BANK_HOLIDAYS_FILE = Path(__file__).parent / "data" / "bank_holidays_england_wales.txt"


@functools.lru_cache(maxsize=1)
def england_bank_holidays() -> frozenset[dt.date]:
    """England & Wales bank holidays, one-off days included, across the working span: read
    from the file tools/bank_holidays.py writes (see there why it is a file)."""
    lines = BANK_HOLIDAYS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(dt.date.fromisoformat(line) for line in lines if line and not line.startswith("#"))


class DayIndex:
    """Sorted ordinals of the days of one unit, with the searches every rule needs."""

    __slots__ = ("ordinals", "_days_since_epoch", "members", "size", "first_allowed", "last_allowed")

    def __init__(self, ordinals: list[int], span: tuple[dt.date, dt.date]):
        self.ordinals = ordinals
        self.size = len(ordinals)
        self.first_allowed, self.last_allowed = span[0].toordinal(), span[1].toordinal()
        self.members = frozenset(ordinals)
        self._days_since_epoch: Any = None

    @property
    def days_since_epoch(self) -> np.ndarray:
        """The days as numpy day numbers, made on first use (only ``add_many`` needs numpy,
        an extra of the tests and benchmarks)."""
        if self._days_since_epoch is None:
            # imported here, not at the top: numpy loads only for the work that needs it (start-up time, bench/startup.py)
            import numpy

            self._days_since_epoch = numpy.asarray(self.ordinals, dtype=numpy.int64) - EPOCH_ORDINAL
        return self._days_since_epoch

    def count_between(self, start: int, end: int) -> int:
        """Days in (start, end]; negative when end is before start."""
        return bisect_right(self.ordinals, end) - bisect_right(self.ordinals, start)


@functools.lru_cache(maxsize=32)
def working_days(off: frozenset[dt.date]) -> DayIndex:
    """The working days of a century but ``off``: shared by the calendars with the same days off
    (most of a council's, and each of a test run's or fuzzing run's many loads of the same
    configuration: a fifth of a command's start, bench/startup.py).  Never changed once made."""
    first, last = WORKING_SPAN
    return DayIndex([o for o in range(first.toordinal(), last.toordinal() + 1)
                      if o % 7 not in (0, 6) and dt.date.fromordinal(o) not in off],  # 0 Sunday, 6 Saturday
                     WORKING_SPAN)
