"""What every command needs: the configuration, the database and the clock.

Built once per process from ``--config``/``PEPFLOW_CONFIG``, ``--db``/``PEPFLOW_DATABASE_URL``
and ``--today``/``PEPFLOW_TODAY``; each part is loaded only when first used, so
``pepflow calendar add`` never touches a database.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from functools import cached_property

from typing import TYPE_CHECKING

from .clock import Clock, clock_for
from .config import Config, config_from_env
from .settings import default_database_url

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


@dataclass
class App:
    database_url: str | None = None
    config_dir: str | None = None
    today_override: str | None = None
    _engine: "Engine | None" = field(default=None, repr=False)

    @cached_property
    def config(self) -> Config:
        return config_from_env(self.config_dir)

    @cached_property
    def clock(self) -> Clock:
        return clock_for(self.today_override or os.environ.get("PEPFLOW_TODAY"))

    def today(self) -> dt.date:
        return self.clock.today()

    @property
    def url(self) -> str:
        return self.database_url or default_database_url()

    @property
    def engine(self) -> Engine:
        """The database, opened on first use (the ORM is imported only then)."""
        return self.open()

    def open(self, upgrade: bool = False) -> Engine:
        """Open the database; ``upgrade`` first runs the schema revisions it lacks (``pepflow run``)."""
        if self._engine is None:
            from .db.engine import make_engine

            self._engine = make_engine(self.url, upgrade=upgrade)
        return self._engine
