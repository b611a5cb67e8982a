"""Build a process's state machine once, and fire events on database rows.

Each process module declares its states as a ``StrEnum`` and its transition table as a
list of ``{trigger, source, dest}``: the whole process reads in one place.  The machine
is built once with no model; events are fired with ``machine.events[name].trigger(row)``
on the row itself (a Machine per case, or ``add_model`` per case, costs 50-100 times
more: see bench/pep_machine.py).  Transitions never do I/O; the caller writes deadlines
and audit in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import object_session
from transitions import Machine

from pepflow.errors import TransitionNotAllowed


@dataclass
class ProcessMachine:
    name: str  # how the process is named to users, e.g. "PEP"
    states: type[StrEnum]
    table: list[dict[str, Any]]
    initial: str
    final: frozenset[str]
    machine: Machine = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # the table may name states by enum member; the machine and the rows hold plain strings
        self.table = [{**t, "source": [str(x) for x in t["source"]] if isinstance(t["source"], list)
                       else str(t["source"]), "dest": str(t["dest"])} for t in self.table]
        self.machine = Machine(model=None, states=[s.value for s in self.states],
                               transitions=self.table, initial=self.initial,
                               auto_transitions=False, model_attribute="state")
        self._allowed = {
            state.value: [name for name in self.events
                          if state.value in self.machine.events[name].transitions]
            for state in self.states}

    @property
    def events(self) -> list[str]:
        return list(dict.fromkeys(t["trigger"] for t in self.table))

    def allowed(self, state: str) -> list[str]:
        """The events that may be recorded while the process is in ``state``."""
        return list(self._allowed.get(state, ()))

    def check(self, row: Any, event: str, case_ref: str) -> None:
        """Refuse, before anything changes, an event the current state does not allow."""
        if event not in self._allowed.get(row.state, ()):
            raise TransitionNotAllowed(case_ref, self.name, event, row.state, self.allowed(row.state))

    def fire(self, row: Any, event: str, case_ref: str) -> tuple[str, str]:
        """Move ``row`` by ``event``; returns (state before, state after)."""
        self.check(row, event, case_ref)
        before = row.state
        self.machine.events[event].trigger(row)
        session = object_session(row)
        if session is not None and hasattr(session, "process_log"):  # the history records it (pepflow.audit)
            session.process_log.append(row)
        return before, row.state


def problems(process: ProcessMachine) -> list[str]:
    """Structural faults: unreachable states, non-final dead ends, exits from final states."""
    found: list[str] = []
    reachable, frontier = {process.initial}, [process.initial]
    while frontier:
        state = frontier.pop()
        for t in process.table:
            sources = t["source"] if isinstance(t["source"], list) else [t["source"]]
            if state in sources or sources == ["*"]:
                if t["dest"] not in reachable:
                    reachable.add(t["dest"])
                    frontier.append(t["dest"])
    for state in process.states:
        if state.value not in reachable:
            found.append(f"{process.name}: state {state.value!r} cannot be reached")
        exits = process.allowed(state.value)
        if state.value in process.final and exits:
            found.append(f"{process.name}: final state {state.value!r} has exits {exits}")
        if state.value not in process.final and not exits:
            found.append(f"{process.name}: state {state.value!r} is a dead end")
    return found
