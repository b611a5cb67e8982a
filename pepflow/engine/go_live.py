"""The day pepflow went live for the council, so a first import records the past as the past.

A council's first children list and SSDA903 return describe years of care: the moves, legal
statuses and social workers of children who have been looked after since 2019.  Recorded as
events, each would open today the tasks it opens when it happens (tell the other Virtual
School, a new school within 20 school days) for moves long past, and the first sweep would
escalate them.  So before the go-live date such history is written as what the record says (a
correction of the child's record, in the history), not as events:

* the go-live date is ``go_live`` in pepflow.toml, else the day of the first children list or
  SSDA903 return imported into a pepflow that held no child (kept in ``site_setting``);
* a child's first return records what happened to them before go-live as facts (later returns
  record each change as the event it is, whatever its date);
* a children list imported on or before the go-live day that fills a blank school, social worker or
  placement records it as a fact, not as a move.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session, func, select

from pepflow.config import Config
from pepflow.db.models import Child, SiteSetting
from pepflow.audit import audit

SETTING = "go_live"


def go_live_on(session: Session, config: Config) -> dt.date | None:
    """The go-live date: the council's setting, else the first import's day; None for a pepflow that
    held children before go-live dates were kept (nothing is then treated as before go-live)."""
    if config.settings.go_live is not None:
        return config.settings.go_live
    row = session.get(SiteSetting, SETTING)
    return dt.date.fromisoformat(row.value) if row else None


def note_first_import(session: Session, config: Config, today: dt.date, file: str) -> dt.date | None:
    """At the first import into a pepflow that holds no child, keep today as the go-live date
    (unless pepflow.toml sets one); returns the go-live date."""
    if config.settings.go_live is None and session.get(SiteSetting, SETTING) is None:
        if session.exec(select(func.count()).select_from(Child)).one() == 0:
            session.add(SiteSetting(name=SETTING, value=today.isoformat()))
            audit(session, None, "roll", "go_live_recorded", today, {"go_live": today.isoformat(), "file": file})
    return go_live_on(session, config)
