"""Fuzzing: malformed imports and events, drawn by hypothesis, are each refused clearly and
write nothing (tests/fuzz/cases.py says what each outcome means).  At least 2,000 cases a
run; bench/fuzz.py runs 10,000 and prints the counts."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .cases import Cohort, csv_case, event_case, judge

EXAMPLES = 1000  # each, imports and events


class Drawn:
    """``Choices`` from hypothesis's ``data``: it shrinks a failure to the simplest case."""

    def __init__(self, data):
        self.data = data

    def pick(self, options):
        return self.data.draw(st.sampled_from(list(options)))

    def number(self, low, high):
        return self.data.draw(st.integers(low, high))


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    from .run import in_process

    return Cohort(tmp_path_factory.mktemp("fuzz"), in_process)


FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@FUZZ
@given(st.data())
def test_every_malformed_import_is_refused_clearly_and_writes_nothing(cohort, data):
    case = csv_case(Drawn(data))
    outcome, message = judge(case, cohort)
    assert outcome == "clear refusal", f"{case.what}: {outcome}: {message[:600]}"


@FUZZ
@given(st.data())
def test_every_malformed_event_is_refused_clearly_and_writes_nothing(cohort, data):
    case = event_case(Drawn(data))
    outcome, message = judge(case, cohort)
    assert outcome == "clear refusal", f"{case.what} {case.argv[:6]}: {outcome}: {message[:600]}"
