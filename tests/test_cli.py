"""The command line: output a script can read, and errors a person can."""

from __future__ import annotations

import os
import subprocess
import sys

from .conftest import ROOT


def test_calendar_add_prints_the_iso_date_alone(cli):
    code, out, _ = cli("calendar", "add", "--from", "2026-07-15", "--days", "20", "--unit", "school")
    assert (code, out) == (0, "2026-09-23\n")


def test_calendar_between_prints_the_count(cli):
    code, out, _ = cli("calendar", "between", "--from", "2025-12-18", "--to", "2026-01-06",
                       "--unit", "working")
    assert (code, out) == (0, "10\n")


def test_calendar_outside_configured_years_exits_non_zero_with_the_year(cli):
    code, out, err = cli("calendar", "add", "--from", "2027-07-01", "--days", "20")
    assert code == 1 and out == ""
    assert "Calendar 'default' has no term dates for 2027-28" in err


def test_bad_date_names_the_option(cli):
    code, _, err = cli("calendar", "add", "--from", "15/07/2026", "--days", "2")
    assert code == 1 and "--from = '15/07/2026'" in err


def test_timescales_on_a_date_lists_rules_with_sources(cli):
    code, out, _ = cli("timescales", "--on", "2026-01-01")
    assert code == 0
    assert "initial_pep" in out and "10 working days" in out and "Appendix 2" in out


def test_today_comes_from_option_or_environment(cli, monkeypatch):
    code, out, _ = cli("--today", "2026-02-02", "timescales")
    assert "in force on 2026-02-02" in out
    monkeypatch.setenv("PEPFLOW_TODAY", "2026-03-03")
    code, out, _ = cli("timescales")
    assert "in force on 2026-03-03" in out


def test_demo_creates_a_synthetic_cohort_and_summarises_it(cli, tmp_path):
    code, out, err = cli("--today", "2026-11-23", "demo")
    assert code == 0, err
    assert "300 children looked after, 40 schools" in out
    assert (tmp_path / "pepflow-demo.db").exists()
    code, out, err = cli("--today", "2026-11-23", "demo")  # the demo file starts afresh each run
    assert code == 0 and "300 children" in out


def test_demo_refuses_to_overwrite_a_named_database_without_reset(cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'real.db'}"
    assert cli("--db", url, "demo", "--children", "20")[0] == 0
    code, _, err = cli("--db", url, "demo", "--children", "20")
    assert code == 1 and "--reset" in err


def test_the_installed_command_runs(tmp_path):
    """The console script exists and exits non-zero on a bad unit."""
    exe = os.path.join(os.path.dirname(sys.executable), "pepflow")
    result = subprocess.run([exe, "calendar", "add", "--from", "2026-01-05", "--days", "1",
                             "--unit", "fortnight"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1 and "--unit = 'fortnight'" in result.stderr
