"""Pause Python's cyclic garbage collector around bulk work of bounded size.

A batch of events or a sweep allocates tens of thousands of short-lived objects (ORM rows,
parameter tuples, outbox rows).  Each burst of allocations makes the collector walk every
long-lived object again (configuration, calendars, SQLAlchemy's caches): a fifth of the
time of a batch of events (bench/pep_machine.py).  The work is bounded, so its garbage
waits until the end, when the collector runs as usual.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def collection_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
