"""Every configuration file is checked by type, range and the rules across fields, and an
error names the folder, the file, the entry by its name and the field, with nothing loaded."""

from __future__ import annotations

import dataclasses
import shutil

import pytest

from pepflow.config import load_config
from pepflow.db.connection import session_scope
from pepflow.engine.deadlines import UndeclaredClock
from pepflow.engine.events import REGISTRY, check_timescales_against, registry
from pepflow.engine.recording import record_event
from pepflow.errors import ConfigError
from pepflow.service.application import App
from pepflow.states.pep import current_pep

from .conftest import ROOT, d
from .support.cases import add_child


@pytest.fixture
def council(tmp_path):
    (tmp_path / "calendars").mkdir()
    return tmp_path


def refused(council, file: str, text: str) -> str:
    (council / file).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(council)
    return str(err.value)


def test_a_yes_or_no_setting_must_be_true_or_false_not_text(council):
    message = refused(council, "pepflow.toml", '[settings]\nprovision_from_first_day = "no"\n')
    assert "council configuration folder" in message and "pepflow.toml" in message
    assert "'provision_from_first_day'" in message and "'no'" in message


def test_an_attendance_band_must_be_a_number(council):
    message = refused(council, "pepflow.toml", '[settings]\nattendance_good = "high"\n')
    assert "'attendance_good'" in message and "'high'" in message


def test_attendance_bands_must_fall_in_order(council):
    message = refused(council, "pepflow.toml", "[settings]\nattendance_good = 80\nattendance_persistent = 90\n")
    assert "in order" in message and "attendance_good (80" in message and "pepflow.toml" in message


def test_the_idle_time_of_a_web_session_has_sane_limits(council):
    assert "'session_idle_minutes'" in refused(council, "pepflow.toml", "[settings]\nsession_idle_minutes = 0\n")


def test_a_council_funding_toml_is_refused_naming_what_replaced_it(council):
    """Its limits are no longer read: refused, so no council's cap is silently dropped on upgrade."""
    message = refused(council, "funding.toml", "[pp_plus]\nper_term_max = 500\n")
    assert "funding.toml is no longer read" in message and "pp_plus.toml" in message and "per_term_cap" in message


def test_a_policy_for_a_kind_no_timescale_has_is_refused(council):
    message = refused(council, "notifications.toml", "[policy.pep_qq]\nreminders = [1]\n")
    assert "notifications.toml" in message and "policy.pep_qq" in message


def test_a_reminder_months_ahead_is_refused(council):
    message = refused(council, "notifications.toml", "[policy.pep_qa]\nreminders = [200]\n")
    assert "policy.pep_qa" in message and "'reminders'" in message


def test_a_timescale_of_thousands_of_units_is_refused(council):
    message = refused(council, "timescales.toml", "[pep_qa]\neffective_from = 2026-09-01\nnumber = 5000\n")
    assert "'pep_qa'" in message and "'number'" in message and "5000" in message


def test_an_error_in_a_term_names_the_term_not_its_position(council):
    import re

    shutil.copy(ROOT / "config/calendars/default.toml", council / "calendars/default.toml")
    text = (council / "calendars/default.toml").read_text(encoding="utf-8")
    start = text.index('year = "2026-27"\nname = "autumn"')
    broken = text[:start] + re.sub(r"start = 2026-09-\d\d", 'start = "2026-13-03"', text[start:], count=1)
    message = refused(council, "calendars/default.toml", broken)
    assert "entry 'autumn 2026-27'" in message and "'start'" in message and "2026-13-03" in message


def test_an_inset_day_outside_every_term_is_refused(council):
    message = refused(council, "calendars/small.toml",
                      'inset_days = [2025-12-22]\n[[terms]]\nyear = "2025-26"\nname = "autumn"\n'
                      "start = 2025-09-03\nend = 2025-12-19\n")
    assert "small.toml" in message and "'inset_days'" in message and "2025-12-22" in message


def test_a_schools_own_closure_outside_every_term_is_refused(council):
    message = refused(council, "calendars/small.toml",
                      '[[terms]]\nyear = "2025-26"\nname = "autumn"\nstart = 2025-09-03\nend = 2025-12-19\n'
                      "[schools.100001]\nclosures = [2025-08-01]\n")
    assert "schools.100001" in message and "'closures'" in message


def test_a_file_that_is_not_utf8_is_an_error_not_a_traceback(council):
    (council / "pepflow.toml").write_bytes('[settings]\nauthority_name = "Caerffili Sir"\n'.encode("utf-8")
                                           .replace(b"Sir", "Sîr".encode("latin-1")))
    with pytest.raises(ConfigError, match=r"pepflow.toml.*not UTF-8"):
        load_config(council)


def test_the_shipped_configuration_is_named_as_the_shipped_folder(monkeypatch, tmp_path):
    shipped = tmp_path / "shipped"
    shutil.copytree(ROOT / "config", shipped)
    (shipped / "pepflow.toml").write_text("[settings]\nsession_idle_minutes = 0\n", encoding="utf-8")
    monkeypatch.setattr("pepflow.config.shipped_config_dir", lambda: shipped)
    with pytest.raises(ConfigError, match="shipped configuration folder"):
        load_config(shipped)


def test_the_environment_is_read_through_one_settings_object(monkeypatch, tmp_path):
    from pepflow.service.application import App
    from pepflow.environment import Environment

    monkeypatch.setenv("PEPFLOW_TODAY", "2026-03-03")
    monkeypatch.setenv("PEPFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    monkeypatch.setenv("PEPFLOW_SMTP_HOST", "relay.council.gov.uk")
    app = App()
    assert app.today().isoformat() == "2026-03-03" and app.url.endswith("env.db")
    assert app.environment == Environment() and app.environment.smtp_host == "relay.council.gov.uk"


def test_an_unreadable_environment_variable_is_named_not_a_traceback(cli, monkeypatch):
    monkeypatch.setenv("PEPFLOW_DEBUG", "maybe")
    code, _, err = cli("timescales")
    assert code == 1 and "PEPFLOW_DEBUG = 'maybe'" in err and "Traceback" not in err


def test_the_shipped_timescales_are_each_opened_by_their_start_event_or_say_why_not():
    config = load_config()
    check_timescales_against(config, registry())
    untracked = {k: config.timescales.versions(k)[-1].untracked for k in config.timescales.keys()
                 if config.timescales.versions(k)[-1].untracked}
    assert set(untracked) == {"sw_visit_first", "sw_visit_year1", "sw_visit_after", "placement_plan",
                              "irp_deemed_application"}
    assert all("no clock is kept" in why for why in untracked.values())


def test_a_timescale_whose_start_event_is_not_an_event_is_refused_at_start_up(council):
    (council / "timescales.toml").write_text('[pep_qa]\neffective_from = 2026-09-01\nstart_event = "pep_sent"\n'
                                             'source = "Example Council PEP policy"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        App(config_dir=council).config
    message = str(err.value)
    assert "council configuration folder" in message and "timescales.toml" in message
    assert "entry 'pep_qa'" in message and "field 'start_event'" in message
    assert "'pep_sent' is not an event" in message and "pep_submitted, pep_resubmitted" in message


def test_a_timescale_no_event_opens_must_say_why_pepflow_keeps_no_clock(council):
    (council / "timescales.toml").write_text(
        '[pep_chased]\ndescription = "A chase"\nnumber = 5\nunit = "school"\nstart_event = "pep_approved"\n'
        'owner = "vs_admin"\nsource = "Example Council PEP policy"\neffective_from = 2026-09-01\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"entry 'pep_chased', field 'start_event': 'pep_approved' does not open "
                                          r"this clock \(it is opened by no event\)"):
        App(config_dir=council).config


def test_a_handler_that_opens_a_clock_its_event_does_not_declare_is_stopped_with_nothing_written(
        world, config, monkeypatch):
    add_child(world, config, d("2026-09-01"), ref="C1", entered="2026-09-01")
    spec = registry()["pep_submitted"]
    monkeypatch.setitem(REGISTRY, "pep_submitted", dataclasses.replace(spec, opens=()))
    with session_scope(world) as s:
        record_event(s, config, "C1", "pep_meeting_held", "2026-09-14", d("2026-09-15"))
    with pytest.raises(UndeclaredClock, match="pep_submitted opened pep_qa, which its EventSpec.opens does not "
                                              "declare"):
        with session_scope(world) as s:
            record_event(s, config, "C1", "pep_submitted", "2026-09-15", d("2026-09-15"))
    with session_scope(world) as s:
        assert current_pep(s, "C1").state == "meeting_held"
