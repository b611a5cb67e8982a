"""A child's record exported for subject access (issue 43 item 2): every row about them as JSON that
validates against the schema shipped with it, a readable page, the documents as files, the people
named listed for redaction, the export in the history, and nothing of another child."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import jsonschema
from sqlmodel import Session, select

from pepflow.db.connection import session_scope
from pepflow.db.models import Child, Event, Pep
from pepflow.engine.contact_log import note_contact
from pepflow.service.attendance_import import import_register
from pepflow.service.record_export import export_record
from pepflow.states.pep_attachments import add_attachment

from .support.cases import add_child, event, save_targets
from .conftest import d

NOW = dt.datetime(2026, 1, 20, 10, 0, tzinfo=dt.timezone.utc)


def a_child_with_everything(world, config, tmp_path, ref, first, last, upn, document):
    add_child(world, config, d("2025-12-18"), ref=ref, first_name=first, last_name=last, upn=upn)
    event(world, config, ref, "pep_meeting_held", "2026-01-05")
    save_targets(world, config, ref, "2026-01-05", f"{first} reads every day")
    with session_scope(world) as s:
        child = s.get(Child, ref)
        pep = s.exec(select(Pep).where(Pep.child_ref == ref, Pep.is_current)).one()
        add_attachment(s, config, child, pep, "attendance", f"{last}-report.pdf", document, "designated_teacher",
                       "user:dt1@example.org", NOW, d("2026-01-06"))
    marks = tmp_path / f"{ref}.csv"
    marks.write_text(f"child_ref,school_urn,date,session,code\n{ref},100001,2026-01-12,AM,/\n{ref},100001,2026-01-12,PM,N\n")
    with session_scope(world) as s:
        import_register(s, config, marks, d("2026-01-20"), "user:vsa@example.org")
    event(world, config, ref, "subject_access_requested", "2026-01-19", today="2026-01-19", role="vs_admin",
          requester=f"{first}'s mother", relationship="parent", identity_checked="passport",
          authority_checked="parental responsibility")
    with session_scope(world) as s:
        note_contact(s, s.get(Child, ref), d("2026-01-19"), NOW, "user:sw1@example.org", "2026-01-19",
                     f"Sam Carer (foster carer of {first})", "phone", "doing well")


def exported(world, ref):
    with session_scope(world) as s:
        data, counts = export_record(s, ref, "user:vsa@example.org", d("2026-01-20"), NOW)
    return data, counts


def test_the_export_holds_every_row_about_the_child_validated_by_its_schema(world, config, tmp_path):
    a_child_with_everything(world, config, tmp_path, "C100", "Ada", "Lovelace", "A123456789012",
                            b"%PDF-1.4\n% Ada's school report\n")
    data, counts = exported(world, "C100")
    archive = zipfile.ZipFile(io.BytesIO(data))
    record = json.loads(archive.read("record.json"))
    jsonschema.validate(record, json.loads(archive.read("schema.json")))
    tables = record["tables"]
    for name in ("child", "pep", "pep_section", "pep_attachment", "deadline", "event", "attendance_mark",
                 "subject_access_request", "contact_note", "school"):
        assert tables.get(name), name
    assert tables["child"][0]["first_name"] == "Ada" and len(tables["attendance_mark"]) == 2
    (document,) = tables["pep_attachment"]
    assert archive.read(document["data"]["file"]) == b"%PDF-1.4\n% Ada's school report\n"
    html = archive.read("record.html").decode()
    assert "Ada reads every day" in html and "Lovelace-report.pdf" in html
    redact = record["for_redaction"]
    assert {"Sally Worker", "Ada's mother"} <= {p.get("name") for p in redact}
    with Session(world) as s:
        (row,) = s.exec(select(Event).where(Event.name == "record_exported")).all()
    assert row.child_ref == "C100" and row.payload["rows"] == counts


def test_nothing_of_another_child_is_in_the_export(world, config, tmp_path):
    a_child_with_everything(world, config, tmp_path, "C100", "Ada", "Lovelace", "A123456789012",
                            b"%PDF-1.4\n% Ada's school report\n")
    a_child_with_everything(world, config, tmp_path, "C200", "Zebedee", "Quartermaine", "B987654321098",
                            b"%PDF-1.4\n% Zebedee's secret report\n")
    data, _ = exported(world, "C100")
    archive = zipfile.ZipFile(io.BytesIO(data))
    everything = b"".join(archive.read(name) for name in archive.namelist())
    for other in (b"C200", b"Zebedee", b"Quartermaine", b"B987654321098", b"secret report"):
        assert other not in everything, other


def test_the_same_record_exports_the_same_bytes(world, config, tmp_path):
    a_child_with_everything(world, config, tmp_path, "C100", "Ada", "Lovelace", "A123456789012", b"%PDF-1.4\n%\n")
    first, _ = exported(world, "C100")
    second, _ = exported(world, "C100")
    strip = [n for n in zipfile.ZipFile(io.BytesIO(first)).namelist()]
    assert strip == zipfile.ZipFile(io.BytesIO(second)).namelist()


def test_records_export_command(world, config, tmp_path, cli, monkeypatch, db_url):
    a_child_with_everything(world, config, tmp_path, "C100", "Ada", "Lovelace", "A123456789012", b"%PDF-1.4\n%\n")
    monkeypatch.setenv("PEPFLOW_DATABASE_URL", db_url)
    monkeypatch.setenv("PEPFLOW_TODAY", "2026-01-20")
    out = tmp_path / "ada.zip"
    code, said, err = cli("records", "export", "--child", "c100", "--out", str(out))
    assert code == 0, err
    assert "C100's record" in said and zipfile.ZipFile(out).read("record.json")
