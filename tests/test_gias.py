"""Schools from the GIAS establishment file (pepflow/intake/gias.py): types and statuses mapped, the
Windows-1252 file read as served, pepflow's own school data kept, closed schools flagged."""

from __future__ import annotations

from sqlmodel import Session, select

from pepflow.db import Child, Deadline, Event, School, make_engine

from .support.gias_files import gias_file
from .conftest import ROOT

DATA = ROOT / "tests" / "data"




def _base(cli, db_url):
    for kind in ("people", "schools", "children"):
        code, _, err = cli("--db", db_url, "--today", "2026-01-10", "import", kind, str(DATA / f"{kind}.csv"))
        assert code == 0, err


def test_gias_rows_are_mapped_and_pepflows_own_school_data_is_kept(cli, db_url, tmp_path):
    _base(cli, db_url)
    with Session(make_engine(db_url)) as s:
        before = s.get(School, "100001")
        kept = (before.dt_ref, before.head_ref, before.ofsted, before.calendar)
    path = gias_file(tmp_path, [
        "100001,881,Essex,2001,St Mary’s Church of England Primary School,35,Voluntary aided school,1,Open,2,"
        "Primary,4,11,",
        "140000,881,Essex,4000,Café Academy,28,Academy sponsor led,1,Open,4,Secondary,11,18,",
        "150000,881,Essex,1100,Riverside PRU,10,Pupil referral unit,1,Open,0,Not applicable,5,16,",
        "160000,881,Essex,7000,Oak Special School,33,Community special school,1,Open,7,All-through,2,19,",
        "170000,881,Essex,6000,Elm Independent,11,Other independent school,1,Open,4,Secondary,11,16,",
        "180000,881,Essex,8000,Offshore Thing,42,Offshore schools,1,Open,0,Not applicable,,,",
    ])
    code, out, err = cli("--db", db_url, "--today", "2026-01-12", "import", "schools", str(path), "--gias")
    assert code == 0, err
    assert "5 added, 1 changed" in out and "1 establishment(s) of type 'Offshore schools' kept as 'other'" in out
    with Session(make_engine(db_url)) as s:
        school = s.get(School, "100001")
        assert school.name == "St Mary’s Church of England Primary School"  # read as Windows-1252
        assert (school.dt_ref, school.head_ref, school.ofsted, school.calendar) == kept
        assert (school.type, school.phase, school.low_age, school.high_age, school.status) == \
            ("maintained", "Primary", 4, 11, "open")
        types = {u: s.get(School, u).type for u in ("140000", "150000", "160000", "170000", "180000")}
        assert types == {"140000": "academy", "150000": "pru", "160000": "special", "170000": "independent",
                         "180000": "other"}
        assert s.get(School, "140000").name == "Café Academy" and s.get(School, "140000").la == "Essex"
    again = cli("--db", db_url, "--today", "2026-01-12", "import", "schools", str(path), "--gias")[1]
    assert "0 added, 0 changed, 6 unchanged" in again


def test_a_closed_school_with_children_on_roll_is_flagged_for_vs_admin_once(cli, db_url, tmp_path):
    _base(cli, db_url)
    closed = gias_file(tmp_path, ["100001,881,Essex,2001,Hill Primary,1,Community school,2,Closed,2,Primary,4,11,"
                                  "31-08-2026"], encoding="utf-8")
    code, out, err = cli("--db", db_url, "--today", "2026-01-12", "import", "schools", str(closed), "--gias")
    assert code == 0, err
    assert "C001: flagged for VS admin, their school 100001 has closed" in out
    with Session(make_engine(db_url)) as s:
        assert s.get(School, "100001").close_date.isoformat() == "2026-08-31"
        flags = s.exec(select(Deadline).where(Deadline.kind == "school_closed")).all()
        assert [(f.child_ref, f.owner_role, f.status) for f in flags] == [("C001", "vs_admin", "open")]
        assert "closed on 31 Aug 2026" in flags[0].note
        assert s.exec(select(Event).where(Event.name == "school_closed_flagged")).first() is not None
        assert s.get(Child, "C001").school_urn == "100001"
    again = cli("--db", db_url, "--today", "2026-01-13", "import", "schools", str(closed), "--gias")[1]
    assert "flagged" not in again
    code, out, err = cli("--db", db_url, "audit", "verify", "--replay")
    assert code == 0, err


def test_a_file_that_is_not_from_gias_is_refused_whole(cli, db_url, tmp_path):
    _base(cli, db_url)
    code, _, err = cli("--db", db_url, "import", "schools", str(DATA / "schools.csv"), "--gias")
    assert code == 1 and "not a GIAS establishment file" in err and "'URN'" in err
    bad = gias_file(tmp_path, ["100001,881,Essex,2001,Hill Primary,1,Community school,9,Sort of open,2,Primary,4,"
                               "11,"])
    code, _, err = cli("--db", db_url, "import", "schools", str(bad), "--gias")
    assert code == 1 and "EstablishmentStatus (name)" in err and "Sort of open" in err
    code, _, err = cli("--db", db_url, "import", "children", str(bad), "--gias")
    assert code == 1 and "--gias" in err


def test_gias_as_published_a_college_aged_to_99_loads_and_errors_name_gias_columns(cli, db_url, tmp_path):
    _base(cli, db_url)
    college = gias_file(tmp_path, ["130001,881,Essex,8001,Hill College,18,Further education,1,Open,5,16 plus,16,99,"])
    code, out, err = cli("--db", db_url, "import", "schools", str(college), "--gias")
    assert code == 0, err
    with Session(make_engine(db_url)) as s:
        assert s.get(School, "130001").high_age == 99
    bad = gias_file(tmp_path, ["130001,881,Essex,8001,Hill College,18,Further education,1,Open,5,16 plus,16,old,"])
    code, _, err = cli("--db", db_url, "import", "schools", str(bad), "--gias")
    assert code == 1 and "column StatutoryHighAge" in err and "high_age" not in err


def test_a_children_import_after_gias_flags_children_at_closed_schools(cli, db_url, tmp_path):
    """GIAS first, the children after: the closure is still seen (it was only seen the other way round)."""
    for kind in ("people", "schools"):
        assert cli("--db", db_url, "--today", "2026-01-10", "import", kind, str(DATA / f"{kind}.csv"))[0] == 0
    closed = gias_file(tmp_path, ["100001,881,Essex,2001,Hill Primary,1,Community school,2,Closed,2,Primary,4,11,"
                                  "31-12-2025"])
    assert cli("--db", db_url, "--today", "2026-01-10", "import", "schools", str(closed), "--gias")[0] == 0
    code, out, err = cli("--db", db_url, "--today", "2026-01-10", "import", "children", str(DATA / "children.csv"))
    assert code == 0, err
    with Session(make_engine(db_url)) as s:
        at_closed = s.exec(select(Child.ref).where(Child.school_urn == "100001", Child.looked_after)).all()
        flagged = s.exec(select(Deadline.child_ref).where(Deadline.kind == "school_closed",
                                                          Deadline.status == "open")).all()
    assert at_closed and sorted(flagged) == sorted(at_closed)
    assert "School closed" in out or "school_closed" in out or "closed" in out


def test_designated_teachers_and_heads_are_linked_by_urn_from_a_short_list(cli, db_url, tmp_path):
    """GIAS names no person pepflow knows: a list of URN, DT and head links them (issue 35)."""
    _base(cli, db_url)
    staff = tmp_path / "school-staff.csv"
    staff.write_text("urn,dt_ref,head_ref\n100002,DT1,HT1\n")
    code, out, err = cli("--db", db_url, "import", "school-staff", str(staff))
    assert code == 0, err
    with Session(make_engine(db_url)) as s:
        school = s.get(School, "100002")
        assert (school.dt_ref, school.head_ref, school.name) == ("DT1", "HT1", "Hillcrest Academy")
    staff.write_text("urn,dt_ref,head_ref\n999999,DT1,HT1\n100002,HT1,\n")
    code, _, err = cli("--db", db_url, "import", "school-staff", str(staff))
    assert code == 1 and "'999999' is not a known school" in err and "'HT1' is a head_teacher" in err
