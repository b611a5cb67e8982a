"""What every command needs: the configuration, the database and the clock.

Built once per process from ``--config``/``PEPFLOW_CONFIG``, ``--db``/``PEPFLOW_DATABASE_URL``
and ``--today``/``PEPFLOW_TODAY``; the environment is read once (``environment``), and each
part is loaded only when first used, so ``pepflow calendar add`` never touches a database
and ``pepflow --help`` loads neither the configuration nor the ORM (bench/startup.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from pepflow.clock import Clock, clock_for

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.engine import Engine

    from pepflow.config import Config
    from pepflow.environment import Environment


@dataclass
class App:
    database_url: str | None = None
    config_dir: str | None = None
    today_override: str | None = None
    # False for commands that only read or act on what is there: a SQLite file that does not
    # exist is then refused, never made empty (an empty database says nothing is overdue)
    may_create: bool = True
    _engine: "Engine | None" = field(default=None, repr=False)

    @cached_property
    def environment(self) -> Environment:
        """The ``PEPFLOW_*`` variables, read once for the process."""
        # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
        from pepflow.environment import environment

        return environment()

    @cached_property
    def config(self) -> Config:
        # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
        from pepflow.config import funding_model_in, load_config, pep_template_in  # at first use: --help reads none
        from pepflow.engine.events import check_timescales

        config = load_config(self.config_dir or self.environment.config or None)
        check_timescales(config)
        if (config.directory / "pep.toml").is_file():  # a council's own PEP template: refused now if bad
            pep_template_in(config.directory)
        if (config.directory / "pp_plus.toml").is_file():  # and its own PP+ funding model
            funding_model_in(config.directory)
        return config

    @cached_property
    def clock(self) -> Clock:
        # an error names where the date came from: the command line's flag or the environment's variable
        if self.today_override:
            return clock_for(self.today_override, "--today")
        return clock_for(self.environment.today, "PEPFLOW_TODAY")

    def today(self) -> dt.date:
        return self.clock.today()

    @property
    def url(self) -> str:
        # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
        from pepflow.environment import default_database_url

        return self.database_url or default_database_url(self.environment)

    @property
    def shown_url(self) -> str:
        """The database URL as messages show it: without its password."""
        # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
        from pepflow.errors import without_passwords

        return without_passwords(self.url)

    def outbox_folder(self) -> Path:
        """Where emails are written when no SMTP relay is set: ``[delivery] folder``, and when it
        is relative, inside the council's configuration folder that set it, or (the shipped
        ``outbox``) beside the SQLite database; never wherever the command happens to run."""
        # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
        from pathlib import Path

        from sqlalchemy.engine import make_url

        folder = Path(self.config.notifications.delivery.folder)
        if folder.is_absolute():
            return folder
        if self.config.delivery_folder_set_in is not None:
            return self.config.delivery_folder_set_in / folder
        url = make_url(self.url)
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            return Path(url.database).resolve().parent / folder
        return folder.resolve()

    @property
    def engine(self) -> Engine:
        """The database, opened on first use (the ORM is imported only then)."""
        return self.open()

    def open(self, upgrade: bool = False) -> Engine:
        """Open the database; ``upgrade`` first runs the schema revisions it lacks (``pepflow run``)."""
        if self._engine is None:
            # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
            from pepflow.db.connection import make_engine

            if not self.may_create:
                self.check_exists()
            self._engine = make_engine(self.url, upgrade=upgrade)
        return self._engine

    def check_exists(self) -> None:
        """Refuse a SQLite file that is not there, naming where pepflow looked."""
        # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
        from pathlib import Path

        from pepflow.errors import InputError

        url = self.url
        if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
            where = Path(url[len("sqlite:///"):]).resolve()
            raise InputError("--db", url, f"no pepflow database at {where}: run `pepflow demo`, import the "
                             "council's lists (`pepflow import …`), or pass --db (or PEPFLOW_DATABASE_URL) "
                             "with the database's location")


# Young-generation collections of the cyclic collector: every 10,000 new objects, not 700.
# A batch of events or a sweep keeps tens of thousands of rows alive until it commits; at
# the default each survivor was scanned again and again (bench/pep_machine.py, bench/sweep.py).
GC_THRESHOLDS = (10_000, 20, 20)


def settle_after_start_up() -> None:
    """Once start-up is done (configuration, calendars, the processes, SQLAlchemy's caches):
    move what exists to the collector's permanent generation, so no collection walks it
    again, and collect young objects less often.  It replaces pausing the collector around
    bulk work, which paused it for every thread of the process (the web pages' too)."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    import gc

    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
