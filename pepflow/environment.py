"""The process's environment: every ``PEPFLOW_*`` variable, read through one settings
object (pydantic-settings), and nowhere else.

Light on purpose (no ORM), so the command line can name its defaults before it opens
anything.  ``environment()`` reads the variables as they are now; ``App`` reads them once
and hands the values on.  Values that need a check with a message naming the variable
(the SMTP port, say) are checked where they are used, in those words.
"""

from __future__ import annotations

import functools
from typing import Mapping, Optional

from pydantic_settings import BaseSettings, SettingsConfigDict
from pepflow.errors import InputError
import os

DEFAULT_DATABASE_URL = "sqlite:///pepflow.db"
PREFIX = "PEPFLOW_"


class Environment(BaseSettings):
    """The variables pepflow reads (their names are these fields' in capitals, after PEPFLOW_)."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, extra="ignore", frozen=True)

    database_url: Optional[str] = None  # --db
    config: Optional[str] = None  # --config: a council's folder
    today: Optional[str] = None  # --today: act as if today were this date
    debug: bool = False  # show tracebacks instead of one line
    log_format: str = "text"  # text, or json: one JSON object a line (pepflow/logs.py)
    secret_key: Optional[str] = None  # signs web session cookies (else one kept in the database)
    history_key: Optional[str] = None  # the history key itself (else the key file)
    history_key_file: Optional[str] = None  # default: beside a SQLite file, else ./pepflow-history.key
    history_checkpoint_file: Optional[str] = None  # default: beside a SQLite file, else ./pepflow-history.checkpoints
    smtp_host: Optional[str] = None  # unset: emails are written to a folder
    smtp_port: Optional[str] = None
    smtp_security: str = "starttls"
    smtp_username: Optional[str] = None
    smtp_password: Optional[str] = None
    smtp_connections: Optional[str] = None
    oidc_client_secret: Optional[str] = None  # the council sign-in's client secret ([settings.oidc] in pepflow.toml)

    @classmethod
    def of(cls, variables: Mapping[str, str]) -> "Environment":
        """The settings these variables give (for a service's own mapping, and tests)."""
        return cls.model_validate({name: variables[PREFIX + name.upper()] for name in cls.model_fields
                                   if PREFIX + name.upper() in variables})

    def variable(self, field: str) -> str:
        """The environment variable behind a field, for messages."""
        return PREFIX + field.upper()


def environment() -> Environment:
    """The ``PEPFLOW_*`` variables as they are now; a value that cannot be read is an
    ``InputError`` naming the variable (``PEPFLOW_DEBUG = 'maybe'``)."""
    return _environment_of(tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(PREFIX))))


@functools.lru_cache(maxsize=16)
def _environment_of(variables: tuple[tuple[str, str], ...]) -> Environment:
    """Read once per set of values: pydantic-settings takes a tenth of a command's start to read
    them (bench/startup.py), and the tests and bench/fuzz.py start thousands in one process."""
    # imported here, not at the top: pydantic loads only for the work that needs it (start-up time, bench/startup.py)
    from pydantic import ValidationError

    try:
        return Environment.of(dict(variables))
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        name = PREFIX + str(error["loc"][0]).upper() if error["loc"] else "PEPFLOW_*"
        raise InputError(name, error.get("input"), error["msg"][0].lower() + error["msg"][1:]) from None


def default_database_url(env: Environment | None = None) -> str:
    """``PEPFLOW_DATABASE_URL`` (of ``env``, else the environment now), else a SQLite file
    ``pepflow.db`` in the current folder."""
    return (env or environment()).database_url or DEFAULT_DATABASE_URL
