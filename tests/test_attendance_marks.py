"""Attendance from the register (issue 41): marks and totals imported row by row, the figures as the
DfE computes them on hand-worked cases, the bands and stages from the marks, and the alerts the same
day.  The child (C100) entered care and joined Riverside Primary (URN 100001) on 18 December 2025;
the spring term 2025-26 starts on Monday 5 January 2026 in the default calendar."""

from __future__ import annotations

import json

import pytest
from sqlmodel import Session, select

from pepflow.config import load_config, shipped_config_dir
from pepflow.db.connection import session_scope
from pepflow.db.models import AttendanceAlert, AttendanceMark, AttendanceRecord, Deadline, Event
from pepflow.errors import ImportFileError
from pepflow.service.attendance_import import import_register
from pepflow.states.attendance_marks import figures

from .support.cases import add_child, event
from .conftest import d

HEADER = "child_ref,school_urn,date,session,code\n"


def marks_file(tmp_path, rows, name="marks.csv", header=HEADER):
    path = tmp_path / name
    path.write_text(header + "".join(",".join(r) + "\n" for r in rows), encoding="utf-8")
    return path


def week(codes, ref="C100", urn="100001", monday=12):
    """Ten sessions from Monday 12 January 2026, AM then PM, with these codes."""
    return [(ref, urn, f"2026-01-{monday + i // 2:02d}", "AM" if i % 2 == 0 else "PM", code)
            for i, code in enumerate(codes)]


def load(world, config, path, today="2026-01-23", totals=False):
    with session_scope(world) as s:
        done, after = import_register(s, config, path, d(today), "user:vsa@example.org", totals)
        return done, after


@pytest.fixture
def child(world, config):
    add_child(world, config, d("2025-12-18"))
    return "C100"


def test_each_category_counts_as_the_dfe_counts_it(world, config, child, tmp_path):
    """14 present (/ and \\), 1 late, 1 off-site activity, 1 ill, 1 unexplained, 1 transport, 1 closure:
    possible 18, attending 16 = 88.9%, absent 2 of 18 (11.1%): persistently absent, not severely."""
    codes = ["/", "\\"] * 7 + ["L", "B", "I", "O", "Y1", "#"]
    rows = [(child, "100001", f"2026-01-{12 + i // 2 + (2 if i >= 10 else 0):02d}", "AM" if i % 2 == 0 else "PM", c)
            for i, c in enumerate(codes)]
    done, _ = load(world, config, marks_file(tmp_path, rows))
    assert (done.added, done.set_aside) == (20, [])
    with Session(world) as s:
        shown = figures(s, child, d("2026-01-05"), d("2026-01-23"))
    assert shown.as_dict() == {"possible_sessions": 18, "attending": 15, "approved_activity": 1,
                               "authorised_absence": 1, "unauthorised_absence": 1, "not_possible": 2,
                               "percentage": 88.9, "persistent_absence": True, "severe_absence": False}


def test_possible_sessions_count_from_the_childs_admission_to_the_school(world, config, child, tmp_path):
    """Moved to Hillcrest Academy on Wednesday 14 January: its marks count from then."""
    event(world, config, child, "school_changed", "2026-01-14", today="2026-01-14", school_urn="100002")
    done, _ = load(world, config, marks_file(tmp_path, week(["N"] * 4 + ["/", "\\"] * 3, urn="100002")))
    assert done.added == 6 and [s.line for s in done.set_aside] == [2, 3, 4, 5]
    assert "C100 is not on this school's roll on 12 Jan 2026" in str(done.set_aside[0])
    with Session(world) as s:
        assert figures(s, child, d("2026-01-05"), d("2026-01-16")).percentage == 100.0


def test_a_dual_registered_child_counts_once_where_they_were(world, config, child, tmp_path):
    """Riverside marks D (at the other school); Hillcrest, where they are not on roll in pepflow, marks
    present and absent: the sessions count once, at Hillcrest."""
    rows = week(["D"] * 4) + week(["/", "\\", "I", "\\"], urn="100002") + week(["/"], urn="100002", monday=14)
    done, _ = load(world, config, marks_file(tmp_path, rows))
    assert done.added == 8 and [(s.line, s.column) for s in done.set_aside] == [(10, "school_urn")]  # no D for it
    assert any("D, which since 19 August 2024 not a possible attendance" in n for n in done.notes)
    with Session(world) as s:
        shown = figures(s, child, d("2026-01-12"), d("2026-01-16"))
    assert (shown.possible_sessions, shown.attending, shown.not_possible) == (4, 3, 4)


def test_a_school_closure_day_takes_only_a_closure_code(world, tmp_path):
    council = tmp_path / "council"
    (council / "calendars").mkdir(parents=True)
    text = (shipped_config_dir() / "calendars" / "default.toml").read_text(encoding="utf-8")
    (council / "calendars" / "default.toml").write_text(text.replace("closures = []", "closures = [2026-01-16]", 1),
                                                        encoding="utf-8")
    config = load_config(council)
    add_child(world, config, d("2025-12-18"))
    rows = [("C100", "100001", "2026-01-16", "AM", "#"), ("C100", "100001", "2026-01-16", "PM", "/"),
            ("C100", "100001", "2026-01-17", "AM", "/")]
    done, _ = load(world, config, marks_file(tmp_path, rows))
    assert done.added == 1 and [(s.line, s.column) for s in done.set_aside] == [(3, "date"), (4, "date")]
    assert "no session on 16 Jan 2026" in str(done.set_aside[0]) and "17 Jan 2026" in str(done.set_aside[1])
    with Session(world) as s:
        assert figures(s, "C100", d("2026-01-16"), d("2026-01-16")).not_possible == 1


def test_a_retired_code_is_set_aside_and_named_in_the_summary(world, config, child, tmp_path):
    done, _ = load(world, config, marks_file(tmp_path, week(["/", "J", "H", "\\"])))
    assert [(s.line, s.column, s.value) for s in done.set_aside] == [(3, "code", "J"), (4, "code", "H")]
    assert "retired on 19 August 2024 (now J1" in str(done.set_aside[0])
    assert any("1 row(s) use the retired code J" in n for n in done.notes)


def test_each_bad_row_is_named_with_its_line_column_and_value_and_the_rest_kept(world, config, child, tmp_path):
    rows = week(["/", "\\"]) + [("C999", "100001", "2026-01-13", "AM", "/"), (child, "999999", "2026-01-13", "AM", "/"),
                                (child, "100001", "2026-01-13", "EVE", "/"), (child, "100001", "2026-02-30", "AM", "/"),
                                (child, "100001", "2026-01-26", "AM", "/"), (child, "100001", "2026-01-13", "AM", "Q9")]
    done, _ = load(world, config, marks_file(tmp_path, rows))
    said = [str(s) for s in done.set_aside]
    assert said[0].startswith("line 4, child_ref 'C999': is not a child pepflow knows")
    assert said[1].startswith("line 5, school_urn '999999'") and said[2].startswith("line 6, session 'EVE'")
    assert said[3].startswith("line 7, date '2026-02-30'") and "in the future" in said[4]
    assert said[5].startswith("line 9, code 'Q9': is not an attendance code")
    assert done.added == 2


def test_a_file_whose_rows_are_all_bad_writes_nothing(world, config, child, tmp_path):
    with pytest.raises(ImportFileError, match="line 2, code 'ZZ'"):
        load(world, config, marks_file(tmp_path, [(child, "100001", "2026-01-12", "AM", "ZZ")]))
    with Session(world) as s:
        assert s.exec(select(AttendanceMark)).all() == []
        assert s.exec(select(Event).where(Event.name == "attendance_marks_imported")).all() == []


def test_a_mark_sent_again_changes_nothing_and_a_changed_mark_is_recorded_as_a_change(world, config, child, tmp_path):
    path = marks_file(tmp_path, week(["/", "\\", "N", "\\"]))
    load(world, config, path)
    again, _ = load(world, config, path)
    assert (again.added, again.changed, again.unchanged) == (0, 0, 4)
    fixed, _ = load(world, config, marks_file(tmp_path, week(["/", "\\", "M", "\\"]), name="fixed.csv"))
    assert (fixed.added, fixed.changed, fixed.unchanged) == (0, 1, 3)
    with Session(world) as s:
        mark = s.exec(select(AttendanceMark).where(AttendanceMark.day == d("2026-01-13"),
                                                   AttendanceMark.session == "AM")).one()
        rows = s.exec(select(Event).where(Event.name == "attendance_marks_imported").order_by(Event.id)).all()
    assert (mark.code, mark.changed_from) == ("M", "N")
    assert rows[-1].payload["changed_marks"] == [{"child": child, "date": "2026-01-13", "session": "AM",
                                                   "school": "100001", "from": "N", "to": "M"}]


def test_totals_are_taken_where_no_marks_come_and_never_counted_twice(world, config, child, tmp_path):
    header = "child_ref,school_urn,from,to,possible,attending,authorised,unauthorised\n"
    totals = marks_file(tmp_path, [(child, "100001", "2026-01-05", "2026-01-09", "10", "8", "1", "1")],
                        name="totals.csv", header=header)
    done, _ = load(world, config, totals, totals=True)
    assert done.added == 1
    overlap, _ = load(world, config, marks_file(tmp_path, [(child, "100001", "2026-01-07", "AM", "/"),
                                                           (child, "100001", "2026-01-12", "AM", "/")]))
    assert overlap.added == 1 and "a session is never counted twice" in str(overlap.set_aside[0])
    with Session(world) as s:
        shown = figures(s, child, d("2026-01-05"), d("2026-01-12"))
    assert (shown.possible_sessions, shown.attending, shown.percentage) == (11, 9, 81.8)


def test_the_half_terms_band_and_stage_one_come_from_the_marks(world, config, child, tmp_path):
    load(world, config, marks_file(tmp_path, week(["/", "\\", "I", "I", "/", "\\", "O", "O", "/", "\\"])))
    with Session(world) as s:
        record = s.exec(select(AttendanceRecord).where(AttendanceRecord.child_ref == child)).one()
        stage = s.exec(select(Deadline).where(Deadline.kind == "attendance_stage_1")).all()
    assert (record.half_term, record.percent, record.band) == ("2025-26-spring-1", 60.0, "persistent_absence")
    assert len(stage) == 1 and "attendance fell to 60.0%" in stage[0].note


def alerts(world, kind=None):
    with Session(world) as s:
        query = select(AttendanceAlert)
        return list(s.exec(query.where(AttendanceAlert.kind == kind) if kind else query))


def items(world, kind):
    with Session(world) as s:
        return sorted((x.owner_role, x.owner_ref or "") for x in s.exec(select(Deadline).where(Deadline.kind == kind)))


def test_absent_without_a_reason_for_four_sessions_in_a_row_raises_one_alert_for_sw_vs_admin_and_dt(
        world, config, child, tmp_path):
    path = marks_file(tmp_path, week(["/", "N", "N", "O", "N", "\\"]))
    done, after = load(world, config, path)
    assert after.alerts == 1
    (alert,) = alerts(world, "attendance_no_reason")
    assert alert.marks == ["2026-01-12 PM N", "2026-01-13 AM N", "2026-01-13 PM O", "2026-01-14 AM N"]
    assert items(world, "attendance_no_reason") == [("designated_teacher", "DT1"), ("social_worker", "SW1"),
                                                    ("vs_admin", "")]
    load(world, config, marks_file(tmp_path, week(["/", "N", "N", "O", "N", "\\", "/"]), name="again.csv"))
    assert len(alerts(world)) == 1  # each alert once


def test_sent_home_with_no_suspension_recorded_reads_as_an_unlawful_exclusion(world, config, child, tmp_path):
    load(world, config, marks_file(tmp_path, week(["/", "E"])))
    (alert,) = alerts(world, "attendance_sent_home")
    with Session(world) as s:
        note = s.exec(select(Deadline.note).where(Deadline.kind == "attendance_sent_home")).first()
    assert "the sign of an unlawful exclusion" in note and alert.marks == ["2026-01-12 PM E"]
    assert items(world, "attendance_sent_home") == [("social_worker", "SW1"), ("vs_admin", "")]


def test_a_suspension_recorded_for_the_day_raises_no_alert(world, config, child, tmp_path):
    event(world, config, child, "suspension_started", "2026-01-12", today="2026-01-12", first_day="2026-01-12",
          days="1")
    load(world, config, marks_file(tmp_path, week(["E", "E"])))
    assert alerts(world, "attendance_sent_home") == []


def test_a_part_time_mark_needs_a_part_time_timetable(world, config, child, tmp_path):
    load(world, config, marks_file(tmp_path, week(["/", "C2"])))
    (alert,) = alerts(world, "attendance_part_time")
    event(world, config, child, "ptt_recorded", "2026-01-13", today="2026-01-13", arrangement="part_time_timetable",
          details="mornings only")
    load(world, config, marks_file(tmp_path, week(["/", "C2", "/", "C2"]), name="later.csv"))
    assert len(alerts(world, "attendance_part_time")) == 1  # the timetable covers the later ones


def test_attendance_summary_prints_the_dfes_names(world, config, child, tmp_path, cli, monkeypatch, db_url):
    load(world, config, marks_file(tmp_path, week(["/", "\\", "L", "B", "I", "O", "Y1", "#", "/", "\\"])))
    monkeypatch.setenv("PEPFLOW_DATABASE_URL", db_url)
    monkeypatch.setenv("PEPFLOW_TODAY", "2026-01-23")
    code, out, err = cli("attendance", "summary", "--child", "c100", "--from", "12/1/2026", "--to", "16/1/2026",
                         "--json")
    assert code == 0, err
    data = json.loads(out)
    assert {k: data[k] for k in ("possible_sessions", "attending", "approved_activity", "authorised_absence",
                                  "unauthorised_absence", "not_possible", "percentage", "persistent_absence",
                                  "severe_absence")} == {
        "possible_sessions": 8, "attending": 5, "approved_activity": 1, "authorised_absence": 1,
        "unauthorised_absence": 1, "not_possible": 2, "percentage": 75.0, "persistent_absence": True,
        "severe_absence": False}
    code, out, err = cli("attendance", "summary", "--child", "C100", "--from", "16/1/2026", "--to", "12/1/2026")
    assert code == 1 and "--to" in err


def test_attendance_import_command_says_what_it_set_aside(world, config, child, tmp_path, cli, monkeypatch, db_url):
    monkeypatch.setenv("PEPFLOW_DATABASE_URL", db_url)
    monkeypatch.setenv("PEPFLOW_TODAY", "2026-01-23")
    path = marks_file(tmp_path, week(["/", "\\", "J"]))
    code, out, err = cli("attendance", "import", str(path))
    assert code == 0, err
    assert "2 mark(s) added" in out and "Set aside: line 4, code 'J': is a retired code" in out


def test_the_peps_attendance_section_and_the_compliance_report_read_the_register(world, config, child, tmp_path):
    from pepflow.reports.compliance_figures import compliance
    from pepflow.states.pep_document import facts

    codes = ["/", "\\"] * 7 + ["L", "B", "I", "O", "Y1", "#"]
    rows = [(child, "100001", f"2026-01-{12 + i // 2 + (2 if i >= 10 else 0):02d}", "AM" if i % 2 == 0 else "PM", c)
            for i, c in enumerate(codes)]
    load(world, config, marks_file(tmp_path, rows))
    with Session(world) as s:
        from pepflow.db.models import Child

        known = facts(s, s.get(Child, child), d("2026-01-23"))
        report = compliance(s, config, d("2026-01-01"), d("2026-01-31"), as_of=d("2026-01-31"))
    assert known["attendance.this_year"] == ("88.9% of 18 possible sessions (authorised absence 1, unauthorised 1); "
                                             "persistent absence")
    register = report["attendance_from_the_register"]
    assert (register["children_with_marks"], register["percentage"], register["persistent_absence"]) == (1, 88.9, 1)
