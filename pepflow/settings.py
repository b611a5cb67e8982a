"""Where the process's environment is read: the database a command opens by default.

Light on purpose (no ORM), so the command line can name its defaults before it opens
anything.
"""

from __future__ import annotations

import os

DEFAULT_DATABASE_URL = "sqlite:///pepflow.db"


def default_database_url() -> str:
    """``PEPFLOW_DATABASE_URL``, else a SQLite file ``pepflow.db`` in the current folder."""
    return os.environ.get("PEPFLOW_DATABASE_URL") or DEFAULT_DATABASE_URL
