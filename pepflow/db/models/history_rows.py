"""The history (``event``: every change and disclosure, keyed and chained) and its seal."""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import JSON, Column, Index, text
from sqlmodel import Field

from pepflow.db.models.base import Table, _utcnow
from pepflow.db.types import UTCDateTime


# the history rows that record a change, not a view, a download or a sign-in (``audit/disclosures.py``):
# the newest one's id is the stamp the pages' kept answers are checked against (``web/freshness.py``)
CHANGES_ONLY = "process NOT IN ('access', 'security')"


class Event(Table, table=True):
    """Append-only audit: one row per accepted event, written in the same transaction."""

    __table_args__ = (Index("ix_event_child", "child_ref", "id"),
                      Index("ix_event_name_date", "name", "effective_on"),
                      Index("ix_event_changes", "id", sqlite_where=text(CHANGES_ONLY),
                            postgresql_where=text(CHANGES_ONLY)),
                      # a child's page reads their history without the views of it: a child viewed
                      # 30,000 times made their page read 30,000 rows it then left out (bench/web_load.py)
                      Index("ix_event_child_changes", "child_ref", "effective_on", "id",
                            sqlite_where=text(CHANGES_ONLY), postgresql_where=text(CHANGES_ONLY)))
    id: Optional[int] = Field(default=None, primary_key=True)
    child_ref: Optional[str] = Field(default=None)
    process: str
    process_id: Optional[int] = None
    name: str
    effective_on: dt.date
    recorded_at: dt.datetime = Field(default_factory=_utcnow, sa_type=UTCDateTime)
    actor_ref: Optional[str] = None
    state_before: Optional[str] = None
    state_after: Optional[str] = None
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    payload_version: int = 1
    key_id: str = ""  # the history key this row's hash is keyed with ("" before keyed history)
    prev_hash: str = ""  # the hash of the row before: the chain (pepflow/audit)
    hash: str = ""
    # set when the payload is purged (issue 43): the keyed commitment to the payload it had, which the
    # row's hash covers (payload version 2), so the chain still proves itself with a tombstone in its place
    payload_commitment: Optional[str] = None


class HistorySeal(Table, table=True):
    """Which database this is, and from which history row on every row is signed with the history
    key, itself signed with that key (``db/seal.py``).  One row, made with the database: without
    it a forger could rewrite the whole history as rows "from before the history was keyed"."""

    __tablename__ = "history_seal"
    id: int = Field(default=1, primary_key=True)
    database_id: str  # random, made with the database; kept by backup and restore (checkpoints name it)
    made_at: str  # ISO instant, UTC, as signed
    keyed_from: int  # every history row with this id or a later one is keyed
    key_id: str
    signature: str
