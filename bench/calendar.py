"""Throughput of "20 school days after D" for 1,000,000 random dates in 2024-27.

Prints dates per second for the batch API (``Calendar.add_many``), the one-date API
(``Calendar.add`` and its fast path ``add_school_days``), and the floor, numpy.busday_offset
with the same non-school days as holidays.  They take turns in each round (the first to go
alternates), and the medians of the rounds and of their ratios against numpy are printed.

    python bench/calendar.py [--dates N] [--rounds 5]
"""

from __future__ import annotations

import os
import sys

# This file is named calendar.py: keep it from shadowing the standard library's calendar.
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != os.path.dirname(os.path.abspath(__file__))]

import argparse
import datetime as dt
import statistics
import time

import numpy as np

from pepflow.config import load_config


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dates", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
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

    subjects = {
        "numpy": lambda: np.busday_offset(days, 20, roll="backward", busdaycal=busdaycal),
        "batch": lambda: cal.add_many(days, 20, "school"),
        "fast": lambda: [cal.add_school_days(d, 20) for d in py_days],
        "one": lambda: [cal.add(d, 20, "school") for d in py_days],
    }
    took: dict[str, list[float]] = {name: [] for name in subjects}
    results: dict[str, object] = {}
    for r in range(args.rounds):
        order = list(subjects) if r % 2 == 0 else list(reversed(subjects))  # the floor first, then last
        for name in order:
            seconds, results[name] = timed(subjects[name])
            took[name].append(seconds)
    assert (results["numpy"] == results["batch"]).all(), "batch API disagrees with numpy"
    assert results["one"][:1000] == results["batch"][:1000].astype(object).tolist()
    assert results["fast"][:1000] == results["one"][:1000]

    n = args.dates
    floor = statistics.median(took["numpy"])
    print(f"dates: {n:,} random in 2024-09-04..2027-06-15, +20 school days, calendar 'default'; "
          f"{args.rounds} rounds, medians")
    print(f"floor, numpy.busday_offset (same holidays): {n / floor:>14,.0f} dates/s")
    for name, label in (("batch", "batch API Calendar.add_many:"), ("one", "one-date API Calendar.add:"),
                        ("fast", "one-date fast path add_school_days:")):
        ratio = statistics.median([a / b for a, b in zip(took["numpy"], took[name])])
        print(f"{label:43s} {n / statistics.median(took[name]):>14,.0f} dates/s   ({ratio:.2f}x numpy's "
              "speed, median of the rounds' ratios)")


if __name__ == "__main__":
    main()
