"""The retention schedule's rules on dated cases (issue 43 item 3): the first rule of a record type
whose condition holds sets its date, counted from the date it names."""

from __future__ import annotations

import datetime as dt

import pytest

from pepflow.config import load_config
from pepflow.rules.retention_rules import ChildFacts, add_years, retention_date

SCHEDULE = load_config().retention
D = dt.date


@pytest.mark.parametrize("record, facts, due, why", [
    ("case", ChildFacts("C1", D(2010, 5, 4)), D(2085, 5, 4), "75 years from birth on 2010-05-04 (ever looked after)"),
    ("case", ChildFacts("C2", D(2010, 5, 4), died_on=D(2020, 1, 9)), D(2035, 1, 9), "(died before 18)"),
    ("case", ChildFacts("C3", D(2000, 5, 4), died_on=D(2021, 1, 9)), D(2075, 5, 4), "75 years from birth"),
    ("pep", ChildFacts("C4", D(2012, 2, 29)), D(2087, 2, 28), "75 years from birth on 2012-02-29"),
    ("attendance", ChildFacts("C5", D(2012, 3, 1)), D(2043, 3, 1), "31 years from birth"),
    ("attendance", ChildFacts("C6", D(2012, 3, 1), ever_ehcp=True), D(2057, 3, 1), "(ever an EHC plan)"),
])
def test_each_rule_on_a_dated_case(record, facts, due, why):
    found = retention_date(SCHEDULE, record, facts)
    assert found.due_on == due and why in found.why


def test_emails_and_views_are_counted_row_by_row():
    found = retention_date(SCHEDULE, "emails", ChildFacts("C1", D(2010, 5, 4)))
    assert (found.due_on, found.rule.years, found.rule.action) == (None, 2, "remove")
    assert retention_date(SCHEDULE, "views", ChildFacts("C1", D(2010, 5, 4))).rule.years == 6


def test_a_leap_day_anniversary_falls_on_the_28th():
    assert add_years(D(2012, 2, 29), 1) == D(2013, 2, 28) and add_years(D(2012, 2, 29), 4) == D(2016, 2, 29)


def test_a_council_rule_counted_from_a_date_not_yet_known_sets_no_date_yet(tmp_path):
    council = tmp_path / "council"
    council.mkdir()
    (council / "retention.toml").write_text(
        'effective_from = 2026-12-01\n[[rules]]\nrecord = "case"\nfrom = "left_care"\nyears = 25\n'
        'action = "anonymise"\nsource = "a council\'s schedule"\n', encoding="utf-8")
    schedule = load_config(council).retention
    assert retention_date(schedule, "case", ChildFacts("C1", D(2010, 5, 4))) is None
    assert retention_date(schedule, "case", ChildFacts("C1", D(2010, 5, 4), left_care_on=D(2028, 5, 4))).due_on == \
        D(2053, 5, 4)


def test_a_bad_schedule_is_refused_naming_the_file_the_rule_and_the_field(tmp_path):
    from pepflow.errors import ConfigError

    council = tmp_path / "council"
    council.mkdir()
    (council / "retention.toml").write_text(
        'effective_from = 2026-12-01\n[[rules]]\nrecord = "case"\nfrom = "death"\nyears = 15\n'
        'action = "anonymise"\nsource = "x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="retention.toml.*died_before_18"):
        load_config(council).retention
