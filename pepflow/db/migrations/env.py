"""Alembic's environment for pepflow: the connection comes from ``pepflow.db.migrate``
(``config.attributes["connection"]``), never from a URL in a file."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from pepflow.db import models  # noqa: F401  (registers the tables)

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    # SQLite alters a table by copying it: batch mode does that for every operation
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
