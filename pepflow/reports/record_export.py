"""A child's whole record for subject access (issue 43 item 2): a zip of every row pepflow keeps
about the child (``record.json``, with its JSON Schema ``schema.json``), the same as a readable page
(``record.html``), and the documents and PEP PDFs as files (``documents/``).  The people other than
the child who appear in it (staff, carers, whoever asked) are listed for redaction before it is sent.

The rows are found from the tables themselves: every table with a ``child_ref`` column, then every
table whose rows belong to a row already found (a PEP's sections, an admission's findings, a
deadline's reminder steps), so a table added later is exported without a change here.  Only rows
of this child are read: nothing of another child can be in it (tests/test_record_export.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import zipfile
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Boolean, Date, DateTime, Float, Integer, LargeBinary, Table, select
from sqlmodel import SQLModel

from pepflow.db.models import Person, School, UserAccount
from pepflow.db.unit import UnitOfWork
from pepflow.vocabulary import column_label

SKIPPED = {"deadline_step"}  # the sweep's bookkeeping of reminders (the emails and the history say what was sent)
PERSON_COLUMNS = ("social_worker_ref", "iro_ref", "carer_ref", "owner_ref", "recipient_ref", "requested_by",
                  "decided_by", "saved_by", "actor_ref", "placed_by", "lifted_by", "uploaded_by")
ZIP_TIME = (2000, 1, 1, 0, 0, 0)  # every file's time in the zip: the same record makes the same bytes


def _tables() -> dict[str, Table]:
    return {name: table for name, table in SQLModel.metadata.tables.items() if name not in SKIPPED}


def rows_about(session: UnitOfWork, child_ref: str) -> dict[str, list[dict[str, Any]]]:
    """Every row about the child, by table: those with the child's reference, then those that
    belong to them (by a foreign key to a row found), until nothing more is found."""
    tables = _tables()
    found: dict[str, list[dict[str, Any]]] = {}
    for name, table in tables.items():
        if name == "child":
            found[name] = [dict(r._mapping) for r in session.execute(select(table).where(table.c.ref == child_ref))]
        elif "child_ref" in table.c:
            found[name] = [dict(r._mapping) for r in session.execute(select(table).where(table.c.child_ref == child_ref))]
    grew = True
    while grew:
        grew = False
        for name, table in tables.items():
            if name in found:
                continue
            for column in table.c:
                for fk in column.foreign_keys:
                    parent = fk.column.table.name
                    ids = [r[fk.column.name] for r in found.get(parent, ()) if r.get(fk.column.name) is not None]
                    if parent in found and ids and parent != "child":
                        found[name] = [dict(r._mapping) for r in session.execute(select(table).where(column.in_(ids)))]
                        grew = True
                        break
                if name in found:
                    break
    return {name: rows for name, rows in sorted(found.items()) if rows}


def _plain(value: Any, files: dict[str, bytes], where: str) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (bytes, memoryview)):
        data = bytes(value)
        path = f"documents/{where}"
        files[path] = data
        return {"file": path, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return value


def _file_name(table: str, row: dict[str, Any], column: str) -> str:
    name = str(row.get("filename") or "")
    safe = re.sub(r"[^A-Za-z0-9._ -]", "_", name)[:80] or f"{column}.pdf"
    return f"{table}-{row.get('id', '')}-{safe}"


def people_in(session: UnitOfWork, tables: dict[str, list[dict[str, Any]]]) -> list[dict[str, str]]:
    """The people other than the child who appear in the record, for redaction before it is sent."""
    refs, emails, named = set(), set(), []
    for rows in tables.values():
        for row in rows:
            for column in PERSON_COLUMNS:
                value = row.get(column)
                if isinstance(value, str) and value:
                    if value.startswith("user:"):
                        emails.add(value.removeprefix("user:"))
                    elif "@" not in value and " " not in value:
                        refs.add(value)
    for row in tables.get("school", []):
        refs.update(r for r in (row.get("dt_ref"), row.get("head_ref")) if r)
    for row in tables.get("subject_access_request", []):
        named.append({"name": row["requester"], "role": row["relationship"], "where": "subject access request"})
    for row in tables.get("contact_note", []):
        named.append({"name": str(row.get("with_whom", "")), "role": "", "where": "contact note"})
    people = [{"ref": p.ref, "name": p.name, "role": p.role, "email": p.email or ""}
              for p in session.execute(select(Person).where(Person.ref.in_(sorted(refs)))).scalars()]
    accounts = [{"email": a.email, "role": a.role} for a in
                session.execute(select(UserAccount).where(UserAccount.email.in_(sorted(emails)))).scalars()]
    return people + accounts + named


def schema() -> dict[str, Any]:
    """The JSON Schema of record.json: each table's rows with their columns' types."""
    kinds = {Integer: "integer", Float: "number", Boolean: "boolean"}
    tables = {}
    for name, table in _tables().items():
        properties = {}
        for column in table.c:
            if isinstance(column.type, LargeBinary):
                kind: dict[str, Any] = {"type": "object", "properties": {"file": {"type": "string"},
                                                                       "bytes": {"type": "integer"},
                                                                       "sha256": {"type": "string"}}}
            elif isinstance(column.type, DateTime):
                kind = {"type": "string", "format": "date-time"}
            elif isinstance(column.type, Date):
                kind = {"type": "string", "format": "date"}
            else:
                base = next((v for k, v in kinds.items() if isinstance(column.type, k)), None)
                kind = {"type": base} if base else {}
            if column.nullable and kind.get("type"):
                kind = {"anyOf": [kind, {"type": "null"}]}
            properties[column.name] = kind
        tables[name] = {"type": "array", "items": {"type": "object", "properties": properties,
                                                   "required": [c.name for c in table.c if not c.nullable],
                                                   "additionalProperties": False}}
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "A child's record in pepflow",
            "type": "object", "required": ["child_ref", "exported_at", "tables", "for_redaction"],
            "properties": {"child_ref": {"type": "string"}, "exported_at": {"type": "string", "format": "date-time"},
                           "tables": {"type": "object", "properties": tables, "additionalProperties": False},
                           "for_redaction": {"type": "array", "items": {"type": "object"}}},
            "additionalProperties": False}


def export_zip(session: UnitOfWork, child_ref: str, now: dt.datetime) -> tuple[bytes, dict[str, int]]:
    """The zip of the child's record, and how many rows of each table it holds."""
    found = rows_about(session, child_ref)
    urns = {r.get("school_urn") for rows in found.values() for r in rows if r.get("school_urn")}
    found_schools = [dict(r._mapping) for r in session.execute(select(School.__table__).where(
        School.__table__.c.urn.in_(sorted(u for u in urns if u))))]
    files: dict[str, bytes] = {}
    tables = {name: [{k: _plain(v, files, _file_name(name, row, k)) for k, v in row.items()} for row in rows]
              for name, rows in found.items()}
    if found_schools:
        tables["school"] = [{k: _plain(v, files, "") for k, v in row.items()} for row in found_schools]
    record = {"child_ref": child_ref, "exported_at": now.astimezone(dt.timezone.utc).isoformat(), "tables": tables,
              "for_redaction": people_in(session, tables)}
    env = Environment(loader=PackageLoader("pepflow.reports", "templates"), autoescape=select_autoescape(["html", "j2"]))
    env.filters["label"] = column_label
    html = env.get_template("record_export.html.j2").render(record=record, shown=_shown)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in [("record.json", json.dumps(record, indent=1, ensure_ascii=False, sort_keys=True).encode()),
                           ("schema.json", json.dumps(schema(), indent=1, sort_keys=True).encode()),
                           ("record.html", html.encode()), *sorted(files.items())]:
            info = zipfile.ZipInfo(path, ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return out.getvalue(), {name: len(rows) for name, rows in tables.items()}


def _shown(value: Any) -> str:
    """A value as the readable page shows it."""
    if value is None or value == "":
        return "–"
    if isinstance(value, dict) and set(value) == {"file", "bytes", "sha256"}:
        return f"{value['file']} ({value['bytes']:,} bytes)"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
