"""Throughput of "20 school days after D" for 1,000,000 random dates in 2024-27.

Prints dates per second for the batch API (``Calendar.add_many``), the one-date API
(``Calendar.add`` and its fast path ``add_school_days``), and numpy.busday_offset with the
same non-school days as holidays, measured in the same run, and the ratios against numpy.

    python bench/calendar.py [--dates N]
"""

from __future__ import annotations

import os
import sys

# This file is named calendar.py: keep it from shadowing the standard library's calendar.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse
import datetime as dt
import time

import numpy as np

from pepflow.config import load_config


def best_of(repeats: int, fn) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dates", type=int, default=1_000_000)
    args = parser.parse_args()
    cal = load_config().calendar("default")
    rng = np.random.default_rng(2026)
    first, last = np.datetime64("2024-09-04"), np.datetime64("2027-06-15")
    span = int((last - first).astype(int))
    days = first + rng.integers(0, span, size=args.dates).astype("timedelta64[D]")
    py_days = days.astype(object).tolist()

    # numpy: weekdays that are not school days become "holidays" of a business-day calendar.
    all_days = np.arange(np.datetime64("2024-09-01"), np.datetime64("2027-09-01"))
    school = set(d.toordinal() for d in cal.school_days(dt.date(2024, 9, 1), dt.date(2027, 8, 31)))
    weekday = np.is_busday(all_days)
    not_school = [d for d, wd in zip(all_days, weekday)
                  if wd and d.astype(object).toordinal() not in school]
    busdaycal = np.busdaycalendar(holidays=not_school)

    t_numpy, numpy_result = best_of(3, lambda: np.busday_offset(days, 20, roll="backward",
                                                               busdaycal=busdaycal))
    t_batch, batch_result = best_of(3, lambda: cal.add_many(days, 20, "school"))
    assert (numpy_result == batch_result).all(), "batch API disagrees with numpy"
    t_fast, _ = best_of(1, lambda: [cal.add_school_days(d, 20) for d in py_days])
    t_one, one_result = best_of(1, lambda: [cal.add(d, 20, "school") for d in py_days])
    assert one_result[:1000] == batch_result[:1000].astype(object).tolist()

    n = args.dates
    rate = lambda t: n / t  # noqa: E731
    print(f"dates: {n:,} random in 2024-09-04..2027-06-15, +20 school days, calendar 'default'")
    print(f"numpy.busday_offset (same holidays):   {rate(t_numpy):>14,.0f} dates/s")
    print(f"batch API Calendar.add_many:           {rate(t_batch):>14,.0f} dates/s"
          f"   ({t_numpy / t_batch:.2f}x numpy)")
    print(f"one-date API Calendar.add:             {rate(t_one):>14,.0f} dates/s"
          f"   ({t_numpy / t_one:.2f}x numpy)")
    print(f"one-date fast path add_school_days:    {rate(t_fast):>14,.0f} dates/s"
          f"   ({t_numpy / t_fast:.2f}x numpy)")


if __name__ == "__main__":
    main()
