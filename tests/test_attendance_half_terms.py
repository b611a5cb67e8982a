"""Attendance half terms are chosen from the calendar, not typed (issue 20 item 5): however
a person writes one, it is stored as the calendar's half term, and anything else is refused."""

from __future__ import annotations

import datetime as dt

import pytest

from pepflow.config import load_config
from pepflow.errors import InputError
from pepflow.states.attendance import half_term_of, half_terms_to_report

ON = dt.date(2026, 11, 23)


@pytest.fixture(scope="module")
def cal():
    return load_config().calendar()


@pytest.mark.parametrize("written", ["autumn 1 2026-27", "Autumn 1", "autumn1", "2026-27-autumn-1", "AUTUMN-1 2026-27"])
def test_every_way_of_writing_a_half_term_is_the_same_half_term(cal, written):
    assert half_term_of(cal, written, ON).key == "2026-27-autumn-1"


def test_a_half_term_not_in_the_calendar_is_refused_with_the_recent_ones(cal):
    with pytest.raises(InputError, match=r"is not a half term of the school's calendar \(recent ones: Autumn 2 "
                                         r"2026-27, Autumn 1 2026-27, Summer 2 2025-26"):
        half_term_of(cal, "autumn one", ON)


def test_a_half_term_that_has_not_begun_is_refused(cal):
    with pytest.raises(InputError, match="Spring 1 2026-27 has not begun by 23 Nov 2026"):
        half_term_of(cal, "spring 1 2026-27", ON)


def test_the_web_form_offers_the_recent_half_terms_as_a_list(cal):
    from pepflow.engine.recording import event_spec
    from pepflow.web.routes.child import event_fields

    field = next(f for f in event_fields(event_spec("attendance_recorded"), "vs_officer",
                                         half_terms_to_report(cal, ON)) if f["name"] == "half_term")
    assert field["kind"] == "select" and field["options"][:2] == ["2026-27-autumn-2", "2026-27-autumn-1"]
    assert field["option_labels"]["2026-27-autumn-1"] == "Autumn 1 2026-27"
