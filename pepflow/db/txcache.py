"""Per-transaction caches of rows an event reads again and again.

A child's open deadlines and current PEP are read once per transaction (or for a whole
batch at once, see ``commands.record_events``) and kept current by the modules that
write them, so recording an event costs a handful of statements rather than dozens.
The caches live in ``session.info`` and are dropped when the transaction ends.
"""

from __future__ import annotations

from typing import Any, Callable

from sqlalchemy import event
from sqlmodel import Session

_MISSING = object()


def cache(session: Session, name: str) -> dict[Any, Any]:
    return session.info.setdefault("txcache", {}).setdefault(name, {})


def cached(session: Session, name: str, key: Any, load: Callable[[], Any]) -> Any:
    """The cached value of ``key``, loading it with ``load()`` the first time."""
    store = cache(session, name)
    value = store.get(key, _MISSING)
    if value is _MISSING:
        value = store[key] = load()
    return value


def put(session: Session, name: str, key: Any, value: Any) -> None:
    cache(session, name)[key] = value


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def forget(session: Session, *_args: Any) -> None:
    """Drop every cache when a transaction ends: another one may change the rows next."""
    session.info.pop("txcache", None)
