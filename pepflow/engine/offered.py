"""Which events a child's record can take now, across every process.

Each event says when it is offered (``EventSpec.offered``, from its process's state); this
module only asks every event in turn.  The web case page offers exactly these; recording
still goes through ``record_event``, which checks again, so this list is a convenience for
people and never the guard itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session

from pepflow.db.models import Child
from pepflow.engine.events import CaseNow, EventSpec, registry
from pepflow.vocabulary import process_label


@dataclass(frozen=True)
class NextEvent:
    name: str
    group: str  # the process label people see
    spec: EventSpec


def events_open_to(session: Session, child: Child, today: dt.date) -> list[NextEvent]:
    now = CaseNow(session, child, today)
    return [NextEvent(spec.name, process_label(spec.listed_under or spec.process), spec)
            for spec in registry().values() if spec.offered(now, spec.name)]
