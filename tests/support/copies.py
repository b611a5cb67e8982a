"""Copies of a test database that go their own way (a fault scenario's run, a fuzz case)."""

from __future__ import annotations


def give_new_identity(url: str) -> str:
    """Seal the copy at ``url`` with an identity of its own (``pepflow.db.seal.new_identity``),
    as ``pepflow simulate`` does for its copy; returns ``url``."""
    from pepflow.db import make_engine
    from pepflow.db.seal import new_identity

    engine = make_engine(url, create=False)
    try:
        with engine.begin() as connection:
            new_identity(connection)
    finally:
        engine.dispose()
    return url
