"""The processes: one module per state machine, each building its ``transitions``
machine once at import and registering its events in ``pepflow.engine.events``.

``load`` imports every process listed here; ``pepflow.engine.recording`` calls it before it
looks an event up.
"""

from __future__ import annotations

import importlib

PROCESSES = ("pep", "care", "admission", "exclusion", "attendance")


def load() -> None:
    for name in PROCESSES:
        importlib.import_module(f"{__name__}.{name}")
