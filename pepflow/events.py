"""The vocabulary of events: what a process module declares, and what a handler gets
and returns.

Each module of ``pepflow/states`` registers its events here (``register``); recording
one goes through ``pepflow.commands.record_event`` for the CLI, the web pages, imports
and the demo alike.  This module imports no process and no service, so every process
can use it and ``commands`` can load every process.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable

from pepflow import vocabulary
from pepflow.config import Config
from pepflow.db.models import Child
from pepflow.db.unit import UnitOfWork
from pepflow.values import Parser


@dataclass(frozen=True)
class Param:
    """A parameter an event takes (``--set name=value`` or a form field)."""

    name: str
    parse: Parser
    required: bool = False
    help: str = ""
    person: tuple[str, ...] = ()  # a reference to a person, who must have one of these roles
    school: bool = False  # a URN of a school in the schools list
    half_term: bool = False  # a half term of the child's school's calendar (chosen from a list on the web)


@dataclass
class EventContext:
    """What a handler gets: the unit of work, the child and the checked values."""

    session: UnitOfWork
    config: Config
    child: Child
    event: str
    on: dt.date
    today: dt.date
    by: str | None
    params: dict[str, Any]


@dataclass
class Outcome:
    """What a handler did: the process row it moved and what to tell the user."""

    process: str
    process_id: int | None
    state_before: str | None
    state_after: str | None
    payload: dict[str, Any] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EventSpec:
    name: str
    process: str
    handler: Callable[[EventContext], Outcome]
    params: tuple[Param, ...] = ()

    @property
    def label(self) -> str:
        return vocabulary.event_label(self.name)

    @property
    def in_sentence(self) -> str:
        """The label inside a sentence ("Recorded: PEP approved", "Record: care review held")."""
        term = vocabulary.EVENTS.get(self.name)
        return term.in_sentence if term else self.label.lower()

    @property
    def help(self) -> str:
        """The event's one sentence, from the vocabulary."""
        term = vocabulary.EVENTS.get(self.name)
        return term.description if term else ""


REGISTRY: dict[str, EventSpec] = {}


def register(spec: EventSpec) -> EventSpec:
    if spec.name not in vocabulary.EVENTS:
        raise LookupError(f"event {spec.name!r} has no words in pepflow/vocabulary.py")
    REGISTRY[spec.name] = spec
    return spec
