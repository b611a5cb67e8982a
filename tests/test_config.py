"""Timescales and calendars are configuration, validated at start-up."""

from __future__ import annotations

import shutil

import pytest

from pepflow.config import load_config
from pepflow.errors import ConfigError

from .conftest import ROOT, d

DOMAIN_KEYS = [
    "initial_pep", "pep_review", "pep_completion", "pep_distribution", "pep_qa", "care_review_1",
    "care_review_2", "care_review_next", "admission_placement", "admission_decision",
    "direction_consultation", "adjudicator_referral", "governors_review", "irp_application",
    "irp_panel", "irp_reconsideration", "suspension_provision", "ptt_review", "sw_visit_first",
    "sw_visit_year1", "sw_visit_after",
]


def test_every_domain_timescale_is_configured_with_unit_and_source(config):
    """Each timescale in DOMAIN.md is data: number, unit, owner and the document it comes from."""
    for key in DOMAIN_KEYS:
        rule = config.timescales.rule(key, d("2026-01-01"))
        assert rule.unit in ("school", "working", "calendar", "weeks", "months", "terms")
        assert rule.source and rule.owner and rule.start_event


def test_statutory_days_without_qualifier_are_calendar_days(config):
    """The 7-day direction windows count weekends and holidays."""
    for key in ("direction_consultation", "adjudicator_referral"):
        rule = config.timescales.rule(key, d("2026-01-01"))
        assert (rule.number, rule.unit) == (7, "calendar")


def test_suspension_provision_counts_the_first_day_as_day_one(config):
    rule = config.timescales.rule("suspension_provision", d("2026-01-01"))
    assert (rule.number, rule.unit, rule.counting) == (6, "school", "beginning_with")


@pytest.fixture
def council_dir(tmp_path):
    (tmp_path / "calendars").mkdir()
    return tmp_path


def test_council_override_adds_a_version_from_its_date_and_inherits_the_rest(council_dir):
    """A council changes the number from a date; earlier deadlines keep the old rule."""
    (council_dir / "timescales.toml").write_text(
        '[initial_pep]\neffective_from = 2026-09-01\nnumber = 15\n'
        'source = "Example Council PEP policy 2026, section 3"\n')
    config = load_config(council_dir)
    before = config.timescales.rule("initial_pep", d("2026-08-31"))
    after = config.timescales.rule("initial_pep", d("2026-09-01"))
    assert (before.number, after.number) == (10, 15)
    assert after.unit == "working" and after.owner == "social_worker"
    assert config.timescales.rule_version("initial_pep", before.version).number == 10


def test_unknown_unit_names_the_file_key_and_field(council_dir):
    (council_dir / "timescales.toml").write_text(
        '[pep_qa]\neffective_from = 2026-09-01\nunit = "fortnights"\n')
    with pytest.raises(ConfigError) as err:
        load_config(council_dir)
    message = str(err.value)
    assert "timescales.toml" in message and "pep_qa" in message and "'unit'" in message
    assert "fortnights" in message


def test_a_new_timescale_missing_a_field_is_an_error_naming_it(council_dir):
    (council_dir / "timescales.toml").write_text(
        '[local_rule]\neffective_from = 2026-09-01\nnumber = 3\nunit = "working"\n'
        'start_event = "x"\nowner = "vsh"\n')
    with pytest.raises(ConfigError, match=r"local_rule.*'source'.*missing"):
        load_config(council_dir)


def test_version_without_effective_from_is_refused(council_dir):
    (council_dir / "timescales.toml").write_text('[pep_qa]\nnumber = 5\n')
    with pytest.raises(ConfigError, match="effective_from"):
        load_config(council_dir)


def test_council_calendar_replaces_the_shipped_one(council_dir):
    shutil.copy(ROOT / "config/calendars/default.toml", council_dir / "calendars/default.toml")
    text = (council_dir / "calendars/default.toml").read_text()
    (council_dir / "calendars/default.toml").write_text(
        text.replace("inset_days = []", "inset_days = [2026-09-03]", 1))
    config = load_config(council_dir)
    assert not config.calendar().is_school_day(d("2026-09-03"))


def test_half_term_outside_its_term_is_refused(council_dir):
    (council_dir / "calendars/bad.toml").write_text(
        '[[terms]]\nyear = "2025-26"\nname = "autumn"\nstart = 2025-09-03\nend = 2025-12-19\n'
        'half_term = { start = 2025-12-20, end = 2025-12-24 }\n')
    with pytest.raises(ConfigError, match=r"bad.toml.*half_term"):
        load_config(council_dir)


def test_missing_year_between_configured_years_is_refused(council_dir):
    (council_dir / "calendars/gap.toml").write_text(
        '[[terms]]\nyear = "2024-25"\nname = "autumn"\nstart = 2024-09-04\nend = 2024-12-20\n'
        '[[terms]]\nyear = "2026-27"\nname = "autumn"\nstart = 2026-09-03\nend = 2026-12-18\n')
    with pytest.raises(ConfigError, match="2025-26"):
        load_config(council_dir)


def test_unknown_calendar_name_lists_the_known_ones(config):
    with pytest.raises(Exception, match="known: default"):
        config.calendar("nowhere")


# ---- example settings still in force ----------------------------------------------------

def test_the_shipped_configuration_names_each_example_setting_still_in_force():
    from pepflow.config.examples import example_settings_in_force

    said = " | ".join(example_settings_in_force(load_config()))
    assert "pepflow@example.org" in said and "from_address" in said
    assert "Example Council" in said and "authority_name" in said
    assert "home_la" in said
    assert "example term dates" in said and "pepflow calendar import default" in said
    assert "another council's guide" in said and "Essex" in said


def test_a_council_that_set_its_own_gets_no_example_warnings(tmp_path):
    import shutil

    from pepflow.config.examples import _borrowed_sources, example_settings_in_force

    (tmp_path / "calendars").mkdir()
    shutil.copy(ROOT / "config" / "calendars" / "default.toml", tmp_path / "calendars" / "default.toml")
    (tmp_path / "pepflow.toml").write_text('[settings]\nauthority_name = "Northshire County Council"\n'
                                           'home_la = "Northshire"\n', encoding="utf-8")
    (tmp_path / "notifications.toml").write_text('[delivery]\nfrom_address = "virtual.school@northshire.gov.uk"\n',
                                                 encoding="utf-8")
    own = "".join(f'[[{key}]]\neffective_from = 2026-09-01\nsource = "Northshire Virtual School policy 2026"\n\n'
                  for key, _ in _borrowed_sources(load_config()))
    (tmp_path / "timescales.toml").write_text(own, encoding="utf-8")
    assert example_settings_in_force(load_config(tmp_path)) == []


def test_pepflow_timescales_warns_of_example_settings(cli):
    code, _, err = cli("--today", "2026-12-01", "timescales")
    assert code == 0
    assert "Warning: example setting still in force: emails are sent from the example address" in err
