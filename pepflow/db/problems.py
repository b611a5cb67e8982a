"""What a database error means for the person who met it, and what to do.

Disk full, a read-only file, a database kept busy, a server that cannot be reached: each
is a different fix, and none of them is "start a fresh database" (that would lose the
case history).  ``explain`` turns the driver's error into one plain paragraph; the command
line prints it, the service logs it.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

NOTHING_CHANGED = "Nothing was changed by this command."


def explain(error: BaseException, database: str = "the database") -> str | None:
    """A paragraph for ``error`` if it is a database error, else None."""
    if not isinstance(error, DBAPIError):
        return None
    original = error.orig if error.orig is not None else error
    text = str(original).strip()
    lowered = text.lower()
    state = getattr(original, "sqlstate", None) or ""
    detail = f" (the database said: {text.splitlines()[0][:200]})" if text else ""
    if "database or disk is full" in lowered or "no space left" in lowered or state == "53100":
        return (f"The disk holding {database} is full{detail}. Free some space on it (or move the database "
                f"to a larger disk), then run the command again. {NOTHING_CHANGED}")
    if "readonly database" in lowered or "read-only" in lowered or state == "25006":
        return (f"{database[0].upper() + database[1:]} cannot be written{detail}. Check that the user running "
                "pepflow may write the database file and its folder (SQLite), or that the server is the primary "
                f"and not a read-only standby (PostgreSQL). {NOTHING_CHANGED}")
    if "database is locked" in lowered or state in ("55P03", "40P01"):
        return (f"{database[0].upper() + database[1:]} was kept busy by another process for too long"
                f"{detail}. Run the command again; if it keeps happening, look for a stuck process or a backup "
                f"tool holding the file. {NOTHING_CHANGED}")
    if "unable to open database file" in lowered:
        return (f"{database[0].upper() + database[1:]} could not be opened{detail}. Check that its folder "
                f"exists and that --db or PEPFLOW_DATABASE_URL names the right file. {NOTHING_CHANGED}")
    if "disk i/o error" in lowered or state.startswith("58"):
        return (f"The disk holding {database} reported an error{detail}. Ask IT to check the disk, and "
                f"restore from a backup if the database file is damaged. {NOTHING_CHANGED}")
    if state in ("28P01", "28000") or "password authentication failed" in lowered:
        return (f"The database server refused pepflow's user name or password{detail}. Check "
                f"PEPFLOW_DATABASE_URL. {NOTHING_CHANGED}")
    if state == "3D000" or ("database" in lowered and "does not exist" in lowered):
        return (f"The database named in PEPFLOW_DATABASE_URL does not exist on the server{detail}. Create it "
                f"(see the README, PostgreSQL), or correct the URL. {NOTHING_CHANGED}")
    if (state.startswith("08") or state.startswith("57P") or "connection refused" in lowered
            or "could not connect" in lowered or "connection failed" in lowered
            or "server closed the connection" in lowered or "terminating connection" in lowered):
        return (f"The database server could not be reached{detail}. Check that PostgreSQL is running and "
                f"that PEPFLOW_DATABASE_URL names the right host and port; pepflow tries again by itself "
                f"when it runs as a service. {NOTHING_CHANGED}")
    return (f"{database[0].upper() + database[1:]} could not be used{detail}. Check that it is reachable and "
            f"has free space; `pepflow db current` says which schema revision it is at. {NOTHING_CHANGED}")
