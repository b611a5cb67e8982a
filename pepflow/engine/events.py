"""What an event is, declared once: its handler, its settings, who may record it, when a case
page offers it, and (by its name) its words in the vocabulary and the clocks it opens.

Each module of ``pepflow/states`` registers its events here (``register``); recording
one goes through ``pepflow.engine.recording.record_event`` for the CLI, the web pages, imports
and the demo alike.  The processes lie above the engine: the engine never imports them, it
loads their package by name (``registry``), as a plug-in registry does.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlmodel import Session

from pepflow import vocabulary
from pepflow.config import Config
from pepflow.config.files import Source, shipped_config_dir
from pepflow.db.models import Child
from pepflow.db.unit import UnitOfWork
from pepflow.engine.deadlines import open_deadlines
from pepflow.errors import ConfigError
from pepflow.role_table import ROLES
from pepflow.values import Parser

PROCESSES_PACKAGE = "pepflow.states"


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
    # a setting that carries someone else's decision: the roles who may set it, and whose decision
    # it is in words (the Decisions page offers it; ``record_event`` refuses anyone else)
    decided_by: frozenset[str] = frozenset()
    decision: str = ""


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
    role: str | None = None  # the recorder's role (an account's, or the person's in the people list)
    actor: str | None = None  # who recorded it, as the history names them (an account, else ``by``)


@dataclass
class Outcome:
    """What a handler did: the process row it moved and what to tell the user."""

    process: str
    process_id: int | None
    state_before: str | None
    state_after: str | None
    payload: dict[str, Any] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    # what the person recording it should act on now (a meeting set after the PEP is due): shown on
    # the page they go back to, and printed by the command line, besides the messages
    warnings: list[str] = field(default_factory=list)


class CaseNow:
    """A child's case as it stands today, for deciding which events a case page offers: each
    process reads its own rows once through ``memo`` (several events ask the same question)."""

    def __init__(self, session: Session, child: Child, today: dt.date) -> None:
        self.session, self.child, self.today = session, child, today
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, load: Callable[[], Any]) -> Any:
        if key not in self._memo:
            self._memo[key] = load()
        return self._memo[key]

    @functools.cached_property
    def open_kinds(self) -> frozenset[str]:
        """The kinds of the child's open deadlines."""
        return frozenset(d.kind for d in open_deadlines(self.session, self.child.ref))


def while_looked_after(now: CaseNow, event: str) -> bool:
    """Offered to every child in care (the default)."""
    return now.child.looked_after


@dataclass(frozen=True)
class EventSpec:
    name: str
    process: str
    handler: Callable[[EventContext], Outcome]
    params: tuple[Param, ...] = ()
    # who may record it (None: anyone whose role records events)
    recorded_by: frozenset[str] | None = None
    # whether a case page offers it now, from the process's state (recording checks again)
    offered: Callable[[CaseNow, str], bool] = while_looked_after
    # the process it is listed under on the case page, where that is not its own
    listed_under: str | None = None
    # the clocks (timescale keys) recording it may open; each timescale's start_event is checked
    # against these at load (``check_timescales``)
    opens: tuple[str, ...] = ()
    # the timescales it reads as a limit rather than opening as a clock (the suspension cap)
    limits: tuple[str, ...] = ()

    def may_be_recorded_by(self, role: str) -> bool:
        """Whether someone of ``role`` (an account's or a person's) may record this event."""
        known = ROLES.get(role)
        if known is not None and known.account and not known.records_events:
            return False
        return self.recorded_by is None or role in self.recorded_by

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

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


@functools.cache
def registry() -> dict[str, EventSpec]:
    """Every event of every process, the processes loaded once by name (an import statement
    costs a microsecond or two even when the module is loaded, on every event)."""
    importlib.import_module(PROCESSES_PACKAGE).load()
    return REGISTRY


def check_timescales(config: Config) -> None:
    """Each timescale against the events: its ``start_event`` is an event that opens it (or reads
    it as a limit), and a timescale no event opens says why (``untracked``).  Raises
    ``ConfigError`` naming the file, the entry and the field.

    Only a council's own ``timescales.toml`` is checked when pepflow starts: the shipped file is
    checked by the test suite (tests/test_config_checks.py), and loading every process to check
    it again would add to every command's start (bench/startup.py)."""
    if not (config.directory / "timescales.toml").is_file() or \
            config.directory.resolve() == shipped_config_dir().resolve():
        return
    check_timescales_against(config, registry())


def check_timescales_against(config: Config, events: dict[str, EventSpec]) -> None:
    """``check_timescales`` for every timescale of ``config``, the shipped ones included."""
    openers: dict[str, list[str]] = {}
    for spec in events.values():
        for key in (*spec.opens, *spec.limits):
            openers.setdefault(key, []).append(spec.name)
    for key in config.timescales.keys():
        for rule in config.timescales.versions(key):
            problem = _timescale_problem(rule, key, events, openers)
            if problem:  # the file is named (and read) only for a problem
                raise ConfigError(_timescales_file(config, key), key, *problem)


def _timescale_problem(rule, key: str, events: dict[str, EventSpec],
                       openers: dict[str, list[str]]) -> tuple[str, str] | None:
    """The field of one timescale version that does not fit the events, and why."""
    if rule.untracked:
        return ("untracked", f"{', '.join(openers[key])} opens this clock: remove 'untracked'") if key in openers \
            else None
    if rule.start_event not in events:
        return "start_event", (f"'{rule.start_event}' is not an event" + (
            f" (the events that open this clock: {', '.join(openers[key])})" if key in openers
            else "; no event opens this clock: say why in 'untracked'"))
    if rule.start_event not in openers.get(key, ()):
        opened_by = ", ".join(openers.get(key, ())) or "no event"
        return "start_event", f"'{rule.start_event}' does not open this clock (it is opened by {opened_by})"
    return None


def _timescales_file(config: Config, key: str) -> str:
    """The timescales.toml that holds ``key``, named with its folder (the council's, or the shipped one)."""
    council = Source(config.directory / "timescales.toml", False)
    if council.path.is_file() and f"[{key}]" in council.path.read_text(encoding="utf-8"):
        return str(council)
    return str(Source(shipped_config_dir() / "timescales.toml", True))


def decision_parameters() -> dict[tuple[str, str], tuple[frozenset[str], str]]:
    """Every setting that carries a decision: (event, setting) -> (who may set it, whose decision)."""
    return {(spec.name, p.name): (p.decided_by, p.decision)
            for spec in registry().values() for p in spec.params if p.decided_by}


def register(spec: EventSpec) -> EventSpec:
    if spec.name not in vocabulary.EVENTS:
        raise LookupError(f"event {spec.name!r} has no words in pepflow/vocabulary/")
    REGISTRY[spec.name] = spec
    return spec
