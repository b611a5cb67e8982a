"""The purge (issue 43 items 5-6): what has passed its retention date is anonymised or removed as its
rule says, nothing held is purged, the child's name, UPN, date of birth and documents are nowhere in the
database file afterwards, the history still proves itself (``audit verify`` and ``--replay``), the
figures already reported do not change, and a restore of an older backup does the purge again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlmodel import Session, select

from pepflow.audit.replay import replay
from pepflow.audit.verify import verify
from pepflow.config import load_config
from pepflow.db.connection import session_scope
from pepflow.db.models import Child, Event, Pep, PepAttachment, PepSection
from pepflow.reports.compliance_figures import compliance
from pepflow.service.attendance_import import import_register
from pepflow.service.purge import compact, log_purge, purge, purge_log_beside, reapply
from pepflow.service.retention import place_hold
from pepflow.states.pep_attachments import add_attachment

from .support.cases import add_child, event, save_targets
from .conftest import d

NOW = dt.datetime(2026, 1, 20, 10, 0, tzinfo=dt.timezone.utc)
TODAY = d("2026-01-20")
SECRET = b"%PDF-1.4\n% Ada's confidential school report\n"


@pytest.fixture
def council(tmp_path):
    """A council whose case records are anonymised 10 years from birth (so a child of 11 is due)."""
    folder = tmp_path / "council"
    folder.mkdir()
    (folder / "retention.toml").write_text(
        'effective_from = 2026-01-01\n[[rules]]\nrecord = "case"\nfrom = "birth"\nyears = 10\naction = "anonymise"\n'
        'source = "a test council"\n', encoding="utf-8")
    return load_config(folder)


def a_child(world, config, tmp_path, ref, first, last, upn, dob):
    add_child(world, config, d("2025-12-18"), ref=ref, first_name=first, last_name=last, upn=upn, dob=dob)
    event(world, config, ref, "pep_meeting_held", "2026-01-05")
    save_targets(world, config, ref, "2026-01-05", f"{first} {last} reads every day")
    with session_scope(world) as s:
        child = s.get(Child, ref)
        pep = s.exec(select(Pep).where(Pep.child_ref == ref, Pep.is_current)).one()
        add_attachment(s, config, child, pep, "attendance", f"{last}-report.pdf", SECRET if ref == "C100" else b"%PDF-1.4\n",
                       "designated_teacher", "user:dt1@example.org", NOW, d("2026-01-06"))
    marks = tmp_path / f"{ref}.csv"
    marks.write_text(f"child_ref,school_urn,date,session,code\n{ref},100001,2026-01-12,AM,/\n")
    with session_scope(world) as s:
        import_register(s, config, marks, TODAY, "user:vsa@example.org")


def run_purge(world, config, dry_run=False):
    with session_scope(world) as s:
        done = purge(s, config, TODAY, "the test", dry_run)
        log_purge(world, s, done, TODAY)
    if not dry_run:
        compact(world)
    return done


def test_a_case_past_its_date_is_anonymised_and_the_history_still_proves_itself(world, council, tmp_path):
    a_child(world, council, tmp_path, "C100", "Ada", "Lovelace", "A123456789012", "2014-03-17")
    a_child(world, council, tmp_path, "C200", "Bob", "Young", "B987654321098", "2019-05-06")  # 6: not due
    with Session(world) as s:
        before = compliance(s, council, d("2025-09-01"), d("2026-01-19"), as_of=d("2026-01-19"))
    done = run_purge(world, council)
    assert done.counts == {("case", "anonymise"): 1} and done.children == {"C100"}
    with Session(world) as s:
        ada, bob = s.get(Child, "C100"), s.get(Child, "C200")
        assert (ada.first_name, ada.last_name, ada.upn, ada.dob) == ("", "", "", d("2013-09-01"))
        assert bob.first_name == "Bob"
        assert not s.exec(select(PepAttachment).join(Pep).where(Pep.child_ref == "C100")).all()
        assert not s.exec(select(PepSection).join(Pep).where(Pep.child_ref == "C100")).all()
        stones = [e.payload for e in s.exec(select(Event).where(Event.child_ref == "C100"))]
        assert stones and all("purged" in p for p in stones)
        assert all("C100" not in p["purged"]["subject"] for p in stones)
        (row,) = s.exec(select(Event).where(Event.name == "records_purged")).all()
        assert "Ada" not in str(row.payload) and "C100" not in str(row.payload)
        after = compliance(s, council, d("2025-09-01"), d("2026-01-19"), as_of=d("2026-01-19"))
    assert verify(world).ok
    assert replay(world, council).ok, replay(world, council).differences[:5]
    before.pop("as_of", None), after.pop("as_of", None)
    assert {k: v for k, v in after.items() if k != "breakdowns"} == {k: v for k, v in before.items() if k != "breakdowns"}


@pytest.fixture
def sqlite_world(tmp_path, config):
    """A SQLite world of its own: its file's bytes are searched (PostgreSQL's VACUUM frees the space a
    purge leaves for reuse, and its files are the server's)."""
    from pepflow.db import make_engine
    from pepflow.intake.csv_import import import_records
    from pepflow.intake.csv_reading import read_csv

    from .support.cases import DATA

    engine = make_engine(f"sqlite:///{tmp_path / 'world.db'}")
    with session_scope(engine) as s:
        for kind in ("people", "schools"):
            import_records(s, config, kind, read_csv(DATA / f"{kind}.csv", kind), d("2025-12-01"))
    yield engine
    engine.dispose()


def test_the_purged_childs_details_are_nowhere_in_the_database_file(sqlite_world, council, tmp_path):
    world, db_url = sqlite_world, str(sqlite_world.url)
    a_child(world, council, tmp_path, "C100", "Ada", "Lovelace", "A123456789012", "2014-03-17")
    run_purge(world, council)
    world.dispose()
    database = Path(db_url.removeprefix("sqlite:///"))
    stored = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*") if p.is_file())
    for personal in (b"Lovelace", b"A123456789012", b"2014-03-17", b"confidential school report"):
        assert personal not in stored, personal


def test_nothing_held_is_purged(world, council, tmp_path):
    a_child(world, council, tmp_path, "C100", "Ada", "Lovelace", "A123456789012", "2014-03-17")
    with session_scope(world) as s:
        place_hold(s, "C100", "a claim about C100's care", "user:vsh@example.org", TODAY)
    done = run_purge(world, council)
    assert (done.counts, done.held) == ({}, 1)
    with Session(world) as s:
        assert s.get(Child, "C100").last_name == "Lovelace"


def test_a_dry_run_says_what_and_changes_nothing(world, council, tmp_path):
    a_child(world, council, tmp_path, "C100", "Ada", "Lovelace", "A123456789012", "2014-03-17")
    done = run_purge(world, council, dry_run=True)
    assert done.counts == {("case", "anonymise"): 1} and "would be anonymised" in done.lines()[0]
    with Session(world) as s:
        assert s.get(Child, "C100").last_name == "Lovelace"
        assert not s.exec(select(Event).where(Event.name == "records_purged")).all()


def test_a_second_night_purges_nothing_more(world, council, tmp_path):
    a_child(world, council, tmp_path, "C100", "Ada", "Lovelace", "A123456789012", "2014-03-17")
    run_purge(world, council)
    assert run_purge(world, council).counts == {}


def test_a_restore_of_a_backup_from_before_the_purge_does_the_purge_again(sqlite_world, council, tmp_path):
    world = sqlite_world
    from pepflow.audit.checkpoints import checkpoint_file, file_for
    from pepflow.db import make_engine
    from pepflow.db.backup import backup, restore

    a_child(world, council, tmp_path, "C100", "Ada", "Lovelace", "A123456789012", "2014-03-17")
    saved = tmp_path / "before.db"
    manifest = backup(world, saved, NOW)
    run_purge(world, council)
    restored = f"sqlite:///{tmp_path / 'restored.db'}"
    _, differences = restore(saved, restored)
    assert differences == []
    engine = make_engine(restored, create=False)
    try:
        with session_scope(engine) as s:
            assert s.get(Child, "C100").last_name == "Lovelace"  # as it was when backed up
            log = purge_log_beside(file_for(manifest.database) if checkpoint_file(world) is None
                                   else checkpoint_file(world))
            assert reapply(s, council, log, "the test") == 1
        with Session(engine) as s:
            assert s.get(Child, "C100").last_name == ""
        assert verify(engine, also=checkpoint_file(world)).ok
    finally:
        engine.dispose()


def test_after_the_purge_neither_an_export_nor_the_logs_hold_the_childs_details(world, council, tmp_path, caplog):
    import io
    import logging
    import zipfile

    from pepflow.service.record_export import export_record

    a_child(world, council, tmp_path, "C100", "Ada", "Lovelace", "A123456789012", "2014-03-17")
    with caplog.at_level(logging.DEBUG):
        done = run_purge(world, council)
    said = "\n".join(done.lines()) + caplog.text
    with session_scope(world) as s:
        data, _ = export_record(s, "C100", "user:vsa@example.org", TODAY, NOW)
    archive = zipfile.ZipFile(io.BytesIO(data))
    everything = b"".join(archive.read(n) for n in archive.namelist()) + said.encode()
    for personal in (b"Lovelace", b"A123456789012", b"2014-03-17", b"confidential school report"):
        assert personal not in everything, personal
