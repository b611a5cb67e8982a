"""Set-up shared by the tests: helpers and fixtures that are not tests themselves.

``cases`` (a world of people and schools, a child admitted, events recorded), ``admissions``,
``web`` (sites and signed-in clients), ``browser``, ``gias_files``, ``copies`` and
``history_writers``.  The fixtures among them are registered in ``tests/conftest.py``; no test
module imports another.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
