"""The processes: one module per state machine, each building its ``transitions`` machine once
at import and declaring its events in ``pepflow.engine.events`` (``EventSpec``: the handler, who
may record it, when it is offered, the clocks it opens).

``load`` imports every process listed here; the engine's ``registry`` calls it, by this
package's name, the first time an event is looked up.

May import: ``notify``, ``accounts``, ``engine``, ``audit``, ``db``, ``rules``, ``config`` and the
ground; not ``intake``, ``reports``, ``service`` or the faces.
"""

from __future__ import annotations

import importlib

PROCESSES = ("pep", "care", "admission", "exclusion", "attendance", "pp_plus", "subject_access")


def load() -> None:
    for name in PROCESSES:
        importlib.import_module(f"{__name__}.{name}")
