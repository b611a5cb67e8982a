"""Writers of history rows for the concurrency tests: each appends rows in transactions that
read before they write, as a failed sign-in does (it looks the account up first)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text


def append_rows(url: str, count: int, tag: str) -> None:
    """Append ``count`` security rows to the history of ``url``, one transaction each."""
    from pepflow.audit import audit
    from pepflow.db import make_engine
    from pepflow.db.connection import session_scope

    engine = make_engine(url)
    try:
        for n in range(count):
            with session_scope(engine) as session:
                session.execute(text("SELECT COUNT(*) FROM user_account")).scalar()
                audit(session, None, "security", "sign_in_failed", dt.date(2026, 12, 7),
                      {"email": f"{tag}-{n}@example.org"})
    finally:
        engine.dispose()
