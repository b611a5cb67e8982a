"""One vocabulary (issue 20 item 1): every code people could meet has a label and a
sentence in pepflow/vocabulary/, and history rows read as sentences."""

from __future__ import annotations

from pepflow import vocabulary
from pepflow.engine.recording import registry
from pepflow.config import FLAG_KINDS, OWNER_ROLES, load_config
from pepflow.reports.history_words import Who, details, sentence
from pepflow.accounts.access import ROLES
from pepflow.states.admission_machine import AdmissionState
from pepflow.states.exclusion import ExclusionState
from pepflow.states.pep import PepState


def test_every_event_has_a_label_and_a_sentence():
    for name, spec in registry().items():
        term = vocabulary.EVENTS[name]
        assert term.label and term.description, name
        assert spec.label == term.label and spec.help == term.description


def test_every_state_of_every_machine_has_a_label():
    for process, states in (("pep", PepState), ("admission", AdmissionState), ("exclusion", ExclusionState)):
        for state in states:
            assert state.value in vocabulary.STATES[process], (process, state)


def test_every_deadline_kind_flag_and_role_has_a_label():
    config = load_config()
    for kind in [*config.timescales.keys(), *FLAG_KINDS]:
        assert kind in vocabulary.KINDS, kind
    for role in [*OWNER_ROLES, *ROLES]:
        assert role in vocabulary.ROLES, role


def test_a_role_inside_a_sentence_keeps_its_capitals_only_where_they_belong():
    assert vocabulary.role_in_sentence("social_worker") == "social worker"
    assert vocabulary.role_in_sentence("iro") == "IRO"
    assert vocabulary.role_in_sentence("vsh") == "Virtual School Head"
    assert vocabulary.KINDS["pep_review"].in_sentence == "termly PEP review"


def test_a_reminder_in_the_history_reads_as_a_sentence():
    row = {"event": "notification_sent", "process": "notify", "state_before": None, "state_after": None,
           "payload": {"to": "SW01", "step": "remind_5", "kind": "pep_review", "due_on": "2026-07-22",
                       "notification_id": 4, "message_id": "<x@y>"}}
    people = {"SW01": Who("Sam Worker", "social_worker")}
    assert sentence(row, people) == "Reminder sent to Sam Worker (social worker): termly PEP review due 22 Jul 2026"
    assert details(row, people) == []


def test_no_python_value_reaches_a_history_detail():
    row = {"event": "school_proposed", "process": "admission", "state_before": "need_identified",
           "state_after": "school_proposed",
           "payload": {"school_urn": "100851", "meeting_date": "2026-12-21", "vsh_decision": None,
                       "pp_plus": [], "findings": [{"level": "needs_approval", "rule": "key_stage_4_move",
                                                    "source": "002 Handbook"}]}}
    text = sentence(row) + " | " + " | ".join(details(row, schools={"100851": "Riverside Primary"}))
    assert text == ("School proposed | School: Riverside Primary (URN 100851) | Meeting date: 21 Dec 2026 | "
                    "Virtual School Head's reasons: not given | Pupil Premium Plus: none | "
                    "Checks: a move in Key Stage 4: needs approval")
    for python in ("None", "{", "[", "_"):
        assert python not in text


def test_the_state_is_said_only_when_the_event_does_not_say_it():
    moved = {"event": "pep_submitted", "process": "pep", "state_before": "meeting_held", "state_after": "submitted",
             "payload": {}}
    imported = {"event": "imported", "process": "pep", "state_before": None, "state_after": "distributed",
                "payload": {}}
    assert sentence(moved) == "PEP submitted"
    assert sentence(imported) == "Record imported (now sent to everyone)"


def test_units_are_counted_in_words():
    assert vocabulary.unit_label("school", 1) == "1 school day"
    assert vocabulary.unit_label("working", 3) == "3 working days"
