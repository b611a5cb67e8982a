"""Importing the council's lists: all or nothing, idempotent, with clear errors."""

from __future__ import annotations


from sqlalchemy import func
from sqlmodel import Session, select

from pepflow.db import Child, EducationPlacement, Person, School, make_engine

from .conftest import ROOT

DATA = ROOT / "tests" / "data"


def _import_all(cli, db_url):
    for kind in ("people", "schools", "children"):
        code, out, err = cli("--db", db_url, "--today", "2026-01-10", "import", kind,
                             str(DATA / f"{kind}.csv"))
        assert code == 0, err
    return out


def test_import_adds_then_leaves_alone_on_reimport(cli, db_url):
    """Re-importing the same files changes nothing and says so."""
    out = _import_all(cli, db_url)
    assert "children: 2 added, 0 changed, 0 unchanged" in out
    code, out, _ = cli("--db", db_url, "--today", "2026-01-10", "import", "children",
                       str(DATA / "children.csv"))
    assert code == 0 and "0 added, 0 changed, 2 unchanged" in out
    with Session(make_engine(db_url)) as s:
        child = s.get(Child, "C001")
        assert child.school_urn == "100001" and child.sen_status == "none" and child.in_area
        assert s.get(School, "100002").calendar == "default"
        assert s.exec(select(func.count()).select_from(EducationPlacement)).one() == 2


def test_a_changed_row_updates_in_place_and_moves_the_school(cli, db_url, tmp_path):
    _import_all(cli, db_url)
    changed = tmp_path / "children.csv"
    changed.write_text((DATA / "children.csv").read_text().replace(
        "E123456789012,none,care_order,2025-12-18,100001", "E123456789012,none,care_order,2025-12-18,100002"))
    code, out, _ = cli("--db", db_url, "--today", "2026-01-12", "import", "children", str(changed))
    assert code == 0 and "0 added, 1 changed, 1 unchanged" in out
    with Session(make_engine(db_url)) as s:
        history = s.exec(select(EducationPlacement).where(EducationPlacement.child_ref == "C001")
                         .order_by(EducationPlacement.id)).all()
        assert [(p.school_urn, p.end) for p in history][-1] == ("100002", None)
        assert history[0].end is not None


def test_a_bad_row_names_file_line_column_and_value_and_writes_nothing(cli, db_url, tmp_path):
    """All or nothing: one bad date stops the file, and the database is unchanged."""
    cli("--db", db_url, "import", "people", str(DATA / "people.csv"))
    cli("--db", db_url, "import", "schools", str(DATA / "schools.csv"))
    bad = tmp_path / "kids.csv"
    bad.write_text((DATA / "children.csv").read_text().replace("2011-02-03", "2011-02-30"))
    code, out, err = cli("--db", db_url, "import", "children", str(bad))
    assert code == 1
    assert "kids.csv" in err and "line 3, column dob: '2011-02-30'" in err
    assert "Nothing was imported" in err
    with Session(make_engine(db_url)) as s:
        assert s.exec(select(func.count()).select_from(Child)).one() == 0


def test_unknown_references_and_enums_are_each_reported(cli, db_url, tmp_path):
    cli("--db", db_url, "import", "people", str(DATA / "people.csv"))
    bad = tmp_path / "schools.csv"
    bad.write_text("urn,name,type,ofsted,dt_ref\n1,A,grammar,good,DT1\n2,B,academy,great,SW1\n"
                   "3,C,academy,good,NOBODY\n")
    code, _, err = cli("--db", db_url, "import", "schools", str(bad))
    assert code == 1
    assert "line 2, column type: 'grammar' must be one of" in err
    assert "line 3, column ofsted: 'great'" in err
    assert "line 3, column dt_ref: 'SW1' is a social_worker, expected designated_teacher" in err
    assert "line 4, column dt_ref: 'NOBODY' is not a known person" in err


def test_missing_required_column_is_reported_before_any_row(cli, db_url, tmp_path):
    bad = tmp_path / "people.csv"
    bad.write_text("ref,name\nX,Y\n")
    code, _, err = cli("--db", db_url, "import", "people", str(bad))
    assert code == 1 and "missing column(s) role" in err


def test_a_mapping_file_renames_the_councils_columns(cli, db_url, tmp_path):
    text = (DATA / "people.csv").read_text().replace("ref,role,name", "Person ID,Job,Full name", 1)
    (tmp_path / "people.csv").write_text(text)
    (tmp_path / "map.toml").write_text(
        '[columns]\n"Person ID" = "ref"\n"Job" = "role"\n"Full name" = "name"\n')
    code, out, err = cli("--db", db_url, "import", "people", str(tmp_path / "people.csv"),
                         "--mapping", str(tmp_path / "map.toml"))
    assert code == 0, err
    assert "7 added" in out
    with Session(make_engine(db_url)) as s:
        assert s.get(Person, "SW1").manager_ref == "TM1"


def test_dates_in_the_future_are_refused(cli, db_url):
    cli("--db", db_url, "import", "people", str(DATA / "people.csv"))
    cli("--db", db_url, "import", "schools", str(DATA / "schools.csv"))
    code, _, err = cli("--db", db_url, "--today", "2025-12-01", "import", "children",
                       str(DATA / "children.csv"))
    assert code == 1 and "column entered_care: '2025-12-18' is in the future" in err


def _reimport(cli, db_url, tmp_path, old: str, new: str, today: str = "2026-01-12"):
    changed = tmp_path / "children.csv"
    changed.write_text((DATA / "children.csv").read_text().replace(old, new))
    code, out, err = cli("--db", db_url, "--today", today, "import", "children", str(changed))
    assert code == 0, err
    return out


def _events(db_url, ref):
    from pepflow.db import Event

    with Session(make_engine(db_url)) as s:
        return [(e.name, e.actor_ref, e.effective_on.isoformat()) for e in s.exec(
            select(Event).where(Event.child_ref == ref, Event.process != "roll").order_by(Event.id))]


def test_a_new_school_in_a_reimport_is_recorded_as_a_school_change_with_its_early_pep_review(cli, db_url, tmp_path):
    from pepflow.db import Deadline

    for kind in ("people", "schools", "children"):  # the day after C001 came into care: initial PEP in time
        assert cli("--db", db_url, "--today", "2025-12-19", "import", kind, str(DATA / f"{kind}.csv"))[0] == 0
    before = _events(db_url, "C001")
    out = _reimport(cli, db_url, tmp_path, "care_order,2025-12-18,100001", "care_order,2025-12-18,100002",
                    today="2026-01-12")
    assert "1 event(s) recorded" in out and "C001: school changed (Early PEP review due" in out
    assert _events(db_url, "C001")[len(before):] == [("school_changed", "import of children.csv", "2026-01-12")]
    with Session(make_engine(db_url)) as s:
        assert s.get(Child, "C001").school_urn == "100002"
        assert s.exec(select(Deadline).where(Deadline.child_ref == "C001",
                                             Deadline.kind == "pep_significant_change")).first() is not None
    # the same file again records nothing more
    again = _reimport(cli, db_url, tmp_path, "care_order,2025-12-18,100001", "care_order,2025-12-18,100002",
                      today="2026-01-12")
    assert "event(s) recorded" not in again and len(_events(db_url, "C001")) == len(before) + 1


def test_a_new_care_placement_in_a_reimport_is_recorded_as_a_care_move_that_starts_the_school_clock(
        cli, db_url, tmp_path):
    from pepflow.db import Deadline

    _import_all(cli, db_url)
    header = (DATA / "children.csv").read_text().splitlines()[0]
    assert header.endswith("in_area")
    out = _reimport(cli, db_url, tmp_path, "100001,SW1,IRO1,CR1,yes", "100002,SW1,IRO1,CR1,no")
    assert "C001: care placement changed" in out and "incomplete" in out  # C001's PEP record lacks its dates
    assert _events(db_url, "C001")[-1] == ("care_placement_changed", "import of children.csv", "2026-01-12")
    with Session(make_engine(db_url)) as s:
        child = s.get(Child, "C001")
        assert child.school_urn == "100002" and child.in_area is False
        kinds = {d.kind for d in s.exec(select(Deadline).where(Deadline.child_ref == "C001",
                                                                Deadline.status == "open"))}
    assert "notify_destination_vs" in kinds  # out of area, as a hand-recorded move would flag


def test_column_names_are_matched_whatever_their_case(cli, db_url, tmp_path):
    people = tmp_path / "people.csv"
    people.write_text((DATA / "people.csv").read_text().replace("ref,role,name,email,manager_ref",
                                                                "REF,Role,NAME,Email,Manager_Ref", 1))
    code, out, err = cli("--db", db_url, "--today", "2026-01-10", "import", "people", str(people))
    assert code == 0 and "added" in out, err


def test_a_new_legal_status_or_social_worker_in_a_reimport_is_recorded_as_what_happened(cli, db_url, tmp_path):
    """A care order made, a new social worker allocated: events by the import, not bare edits."""
    from pepflow.db import Deadline

    people = tmp_path / "people.csv"
    people.write_text((DATA / "people.csv").read_text() + "SW2,social_worker,Sam Second,sw2@example.org,TM1\n")
    for kind, file in (("people", people), ("schools", DATA / "schools.csv"), ("children", DATA / "children.csv")):
        assert cli("--db", db_url, "--today", "2025-12-19", "import", kind, str(file))[0] == 0
    out = _reimport(cli, db_url, tmp_path, "care_order,2025-12-18,100001,SW1", "interim_care_order,2025-12-18,100001,SW2")
    assert "C001: legal status changed" in out and "C001: social worker changed" in out
    assert [e[0] for e in _events(db_url, "C001")[-2:]] == ["legal_status_changed", "social_worker_changed"]
    with Session(make_engine(db_url)) as s:
        child = s.get(Child, "C001")
        assert (child.legal_status, child.social_worker_ref) == ("interim_care_order", "SW2")
        owners = {d.owner_ref for d in s.exec(select(Deadline).where(
            Deadline.child_ref == "C001", Deadline.status == "open", Deadline.owner_role == "social_worker"))}
    assert owners <= {"SW2"}


def test_csv_dates_may_be_written_dd_mm_yyyy_and_an_impossible_one_names_the_row(cli, db_url, tmp_path):
    _import_all(cli, db_url)
    text = (DATA / "children.csv").read_text().replace("2015-10-01", "01/10/2015")
    written = tmp_path / "children.csv"
    written.write_text(text)
    code, out, err = cli("--db", db_url, "--today", "2026-01-10", "import", "children", str(written))
    assert code == 0 and "0 added, 0 changed, 2 unchanged" in out, err  # the same date, written the UK way
    written.write_text(text.replace("01/10/2015", "31/02/2015"))
    code, _, err = cli("--db", db_url, "--today", "2026-01-10", "import", "children", str(written))
    assert code == 1 and "'31/02/2015'" in err and "there is no 31 February 2015" in err


def test_the_import_summary_lists_the_columns_ignored_and_the_children_flagged(cli, db_url, tmp_path):
    for kind in ("people", "schools"):
        assert cli("--db", db_url, "--today", "2026-01-10", "import", kind, str(DATA / f"{kind}.csv"))[0] == 0
    text = (DATA / "children.csv").read_text().replace("first_name", "FIRST_NAME").replace(",in_area", ",in_area,Frist_Nam,notes")
    lines = [line + (",x,y" if i else "") for i, line in enumerate(text.splitlines())]
    written = tmp_path / "children.csv"
    written.write_text("\n".join(lines) + "\n")
    code, out, err = cli("--db", db_url, "--today", "2026-01-10", "import", "children", str(written))
    assert code == 0, err
    assert "columns ignored (pepflow does not read them): 'Frist_Nam' (did you mean first_name or last_name?), 'notes'" in out
    assert "FIRST_NAME" not in out  # matched whatever its case
    assert "child(ren) flagged for VS admin to act on" in out and "C002: Record incomplete: add the date of" in out
