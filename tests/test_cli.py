"""The command line: output a script can read, and errors a person can."""

from __future__ import annotations

import os
import subprocess
import sys

from .conftest import ROOT


def test_calendar_add_prints_the_date_alone_in_words_or_for_a_script(cli):
    code, out, _ = cli("calendar", "add", "--from", "2026-07-15", "--days", "20", "--unit", "school")
    assert (code, out) == (0, "23 Sep 2026\n")
    code, out, _ = cli("calendar", "add", "--from", "2026-07-15", "--days", "20", "--unit", "school", "--iso")
    assert (code, out) == (0, "2026-09-23\n")


def test_calendar_terms_are_listed_in_words(cli):
    code, out, _ = cli("calendar", "terms")
    autumn = next(line for line in out.splitlines() if line.startswith("autumn 2024-25"))
    assert autumn.split() == ["autumn", "2024-25", "4", "Sep", "2024", "to", "20", "Dec", "2024",
                              "28", "Oct", "2024", "to", "1", "Nov", "2024", "73", "-"]


def test_calendar_between_prints_the_count(cli):
    code, out, _ = cli("calendar", "between", "--from", "2025-12-18", "--to", "2026-01-06",
                       "--unit", "working")
    assert (code, out) == (0, "10\n")


def test_calendar_outside_configured_years_exits_non_zero_with_the_year(cli):
    code, out, err = cli("calendar", "add", "--from", "2027-07-01", "--days", "20")
    assert code == 1 and out == ""
    assert "Calendar 'default' has no term dates for 2027-28" in err


def test_bad_date_names_the_option(cli):
    code, _, err = cli("calendar", "add", "--from", "31/06/2026", "--days", "2")
    assert code == 1 and "--from = '31/06/2026': is not a date: there is no 31 June 2026 (June 2026 has 30 days)" in err


def test_dates_may_be_written_the_british_way(cli):
    code, out, _ = cli("calendar", "add", "--from", "15/07/2026", "--days", "2")
    assert code == 0 and out.strip()


def test_timescales_on_a_date_lists_rules_with_sources(cli):
    code, out, _ = cli("timescales", "--on", "2026-01-01")
    assert code == 0
    assert "initial_pep" in out and "10 working days" in out and "Appendix 2" in out


def test_today_comes_from_option_or_environment(cli, monkeypatch):
    code, out, _ = cli("--today", "2026-02-02", "timescales")
    assert "in force on 2 Feb 2026" in out
    monkeypatch.setenv("PEPFLOW_TODAY", "2026-03-03")
    code, out, _ = cli("timescales")
    assert "in force on 3 Mar 2026" in out


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


def _imported(cli, tmp_path, today="2025-12-22"):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    data = ROOT / "tests" / "data"
    for kind in ("people", "schools", "children"):
        assert cli("--db", url, "--today", today, "import", kind, str(data / f"{kind}.csv"))[0] == 0
    return url


def test_event_command_records_and_reports_the_new_deadlines(cli, tmp_path):
    url = _imported(cli, tmp_path)
    code, out, err = cli("--db", url, "--today", "2026-01-10", "event", "C001", "pep_meeting_held",
                         "--on", "2026-01-07", "--by", "SW1")
    assert code == 0, err
    assert "C001: PEP meeting held recorded, 7 Jan 2026 (PEP: from due to meeting held)." in out
    assert "PEP completion due 14 Jan 2026 (5 school days)" in out


def test_an_event_only_some_roles_record_needs_by_on_the_command_line_and_their_role_is_checked(cli, tmp_path):
    url = _imported(cli, tmp_path)
    args = ("--db", url, "--today", "18 Jan 2026", "event", "C001", "pep_approved", "--on", "7 Jan 2026",
            "--set", "rating=green")
    code, _, err = cli(*args)
    assert code == 1 and "--by" in err and "“PEP approved” is recorded by" in err and "Virtual School Head" in err
    code, _, err = cli(*args, "--by", "SW1")
    assert code == 1 and "a social worker cannot record it" in err


def test_the_command_line_names_its_own_today_flag_and_takes_the_dates_it_prints(cli, tmp_path):
    url = _imported(cli, tmp_path)
    code, out, err = cli("--db", url, "--today", "18 Jan 2026", "deadlines", "--child", "C001")
    assert code == 0 and "as of 18 Jan 2026" in out, err
    code, _, err = cli("--db", url, "--today", "31 Feb 2026", "deadlines", "--child", "C001")
    assert code == 1 and err.startswith("Error: --today = '31 Feb 2026'")


def test_a_refused_event_exits_non_zero_and_names_what_is_allowed(cli, tmp_path):
    url = _imported(cli, tmp_path)
    code, out, err = cli("--db", url, "--today", "2026-01-10", "event", "C001", "pep_approved",
                         "--on", "2026-01-07", "--set", "rating=green", "--by", "VSH1")
    assert code == 1 and out == ""
    assert "PEP approved (pep_approved) cannot be recorded while the PEP is 'due'" in err
    assert ("What can be recorded now: PEP meeting arranged (pep_meeting_scheduled), PEP meeting held "
            "(pep_meeting_held)") in err


def test_bad_event_settings_name_the_field(cli, tmp_path):
    url = _imported(cli, tmp_path)
    code, _, err = cli("--db", url, "--today", "2026-01-10", "event", "C001", "pep_meeting_scheduled",
                       "--on", "2026-01-07", "--set", "meeting_date=next week")
    assert code == 1 and "meeting_date = 'next week': must be a date" in err
    code, _, err = cli("--db", url, "--today", "2026-01-10", "event", "C001", "pep_meeting_held",
                       "--on", "2026-01-07", "--set", "colour=blue")
    assert code == 1 and "colour = 'blue': is not a setting of 'pep_meeting_held'" in err
    code, _, err = cli("--db", url, "event", "C999", "pep_meeting_held", "--on", "2025-12-20")
    assert code == 1 and "No child with reference 'C999'" in err


def test_pep_list_overdue_shows_owner_due_date_and_days_overdue(cli, tmp_path):
    url = _imported(cli, tmp_path)
    code, out, _ = cli("--db", url, "--today", "2026-01-09", "pep", "list", "--overdue")
    assert code == 0
    assert "Overdue PEP deadlines as of 9 Jan 2026: 2" in out
    assert "Initial PEP" in out and "SW1 (social worker)" in out and "3 working days" in out
    code, out, _ = cli("--db", url, "pep", "list", "--overdue", "--as-of", "2026-01-09", "--json",
                       "--school", "100001")
    import json
    data = json.loads(out)
    assert data["count"] == 1 and data["items"][0]["due"] == "initial_pep"
    assert set(data["items"][0]) == {"child_ref", "year_group", "school_urn", "social_worker_ref",
                                     "pep_state", "due", "owner_role", "owner_ref", "due_on",
                                     "days_overdue", "overdue_unit", "note"}


def test_deadlines_and_history_of_a_child(cli, tmp_path):
    url = _imported(cli, tmp_path)
    cli("--db", url, "--today", "2026-01-10", "event", "C001", "pep_meeting_held", "--on", "2026-01-07")
    code, out, _ = cli("--db", url, "--today", "2026-01-10", "deadlines", "--child", "C001")
    assert code == 0 and "Initial PEP" in out and "met late by 1 working day" in out
    code, out, _ = cli("--db", url, "history", "C001")
    assert code == 0 and " 7 Jan 2026  PEP meeting held (recorded " in out and "Closed: Initial PEP met late" in out


def test_demo_has_peps_in_many_states_and_some_overdue(cli):
    code, out, err = cli("--today", "2026-11-23", "demo")
    assert code == 0, err
    states = out.split("Current PEPs by state:")[1].splitlines()[0]
    for state in ("meeting arranged", "meeting held", "submitted", "in quality assurance", "returned for changes",
                  "approved", "sent to everyone"):
        assert state in states
    assert "suspended" in out.split("Exclusions by state:")[1].splitlines()[0]
    assert "permanently excluded 1" in out
    overdue = int(out.split("PEP deadlines overdue today:")[1].split()[0])
    assert overdue > 0


def test_the_service_log_has_no_line_per_state_machine_callback(tmp_path, caplog):
    import logging

    from pepflow.cli._common import _logging
    from pepflow.config import load_config
    from pepflow.db import make_engine, session_scope
    from pepflow.intake.csv_import import import_records

    from pepflow.intake.csv_reading import read_csv

    from .conftest import d
    from .support.cases import DATA, add_child, event
    _logging()
    config = load_config()
    engine = make_engine(f"sqlite:///{tmp_path / 'log.db'}")
    with session_scope(engine) as s:
        for kind in ("people", "schools"):
            import_records(s, config, kind, read_csv(DATA / f"{kind}.csv", kind), d("2025-12-01"))
    add_child(engine, config, d("2025-12-18"))
    with caplog.at_level(logging.INFO):
        event(engine, config, "C100", "pep_meeting_held", "2026-01-05")
    assert not [r for r in caplog.records if r.name.startswith("transitions")]
    engine.dispose()


def test_an_event_date_may_be_written_dd_mm_yyyy_and_an_impossible_one_is_named(cli, tmp_path):
    url = _imported(cli, tmp_path)
    code, _, err = cli("--db", url, "--today", "2026-03-10", "event", "C001", "pep_meeting_held", "--on", "31/02/2026")
    assert code == 1 and "--on = '31/02/2026': is not a date: there is no 31 February 2026" in err
    code, out, err = cli("--db", url, "--today", "2026-01-10", "event", "C001", "pep_meeting_held", "--on", "07/01/2026")
    assert code == 0, err
    assert "C001: PEP meeting held recorded, 7 Jan 2026" in out


def test_a_childs_reference_is_matched_whatever_its_case_and_a_slip_is_answered_with_did_you_mean(cli, tmp_path):
    url = _imported(cli, tmp_path)
    code, out, err = cli("--db", url, "--today", "2026-01-10", "deadlines", "--child", "c001")
    assert code == 0 and "Initial PEP" in out, err
    code, out, err = cli("--db", url, "--today", "2026-01-10", "event", "c001", "pep_meeting_held", "--on", "7 Jan 2026")
    assert code == 0, err
    code, _, err = cli("--db", url, "--today", "2026-01-10", "history", "C01")
    assert code == 1 and "No child with reference 'C01': did you mean C001?" in err
