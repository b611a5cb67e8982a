"""Storage: tables, engine and sessions.  SQLite by default, PostgreSQL in production.

The tables (``models/``), the unit of work and its hot writes, migrations, the history key and
the seal, backups.

May import: ``config`` and the ground only.
"""

from pepflow.db.connection import default_database_url, make_engine, session_scope
from pepflow.db.models import (
    CarePlacement, Child, Deadline, EducationPlacement, Event, Inspection, Notification, Pep, Person,
    PpPlusLine, School,
)

__all__ = [
    "CarePlacement", "Child", "Deadline", "EducationPlacement", "Event", "Inspection", "Notification",
    "Pep", "Person", "PpPlusLine", "School", "default_database_url", "make_engine", "session_scope",
]
