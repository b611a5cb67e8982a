"""What follows each sweep, wherever it runs (``pepflow run`` and ``pepflow sweep``): the
history's head checkpointed outside the database (``audit/checkpoints.py``), the
calendars checked for the school years ahead (``runway.py``), sign-in throttling rows
nobody has used for a day deleted (``throttle.py``), and SQLite's query planner given fresh
statistics (``db.engine.refresh_statistics``)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy.engine import Engine

from pepflow.audit.checkpoints import Checkpoint
from pepflow.audit.verify import checkpoint as checkpoint_history
from pepflow.clock import Clock, SystemClock
from pepflow.db.connection import refresh_statistics, session_scope
from pepflow.config import Config
from pepflow.errors import PepflowError
from pepflow.service.runway import RunwayGap, calendar_runway
from pepflow.accounts.throttle import forget_quiet

log = logging.getLogger("pepflow.run")


@dataclass
class Upkeep:
    checkpoint: Checkpoint | None  # None when the checkpoint file could not be written
    runway: list[RunwayGap]


def after_sweep(engine: Engine, config: Config, today: dt.date, clock: Clock | None = None) -> Upkeep:
    """Checkpoint the history and check the calendars' runway; gaps are logged as warnings."""
    try:
        checkpoint: Checkpoint | None = checkpoint_history(engine, clock)
    except PepflowError:
        checkpoint = None  # logged as an error, with the head it could not keep or what does not verify
    with session_scope(engine) as session:
        forget_quiet(session, (clock or SystemClock()).now(), config.settings.sign_in_forget_after_hours)
    refresh_statistics(engine)
    gaps = calendar_runway(engine, config, today)
    for gap in gaps:
        log.warning("for VS admin: %s", gap.sentence())
    return Upkeep(checkpoint, gaps)
