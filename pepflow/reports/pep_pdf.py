"""A PEP's document as the PDF the care record keeps: every section with what it holds, in words
(dates as "26 Mar 2027", choices as words), what pepflow knew marked as such, the Virtual School's
grades, and a footer with the document's hash and when it was made (WeasyPrint: reports/pdf.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from pepflow.calendars import format_day, format_iso_day, format_moment
from pepflow.reports.pdf import pdf_of
from pepflow.vocabulary import value_words


def document_json(sections: list[Any]) -> dict[str, Any]:
    """The document as data (``pepflow pep show --json`` prints the same): what its hash is of."""
    return {"sections": [{"key": v.spec.key, "title": v.spec.title, "known": v.known, "values": v.values,
                          "qa_grade": v.qa_grade, "qa_comment": v.qa_comment} for v in sections]}


def document_hash(sections: list[Any]) -> str:
    return hashlib.sha256(json.dumps(document_json(sections), sort_keys=True, default=str).encode()).hexdigest()


def _words(column: Any, value: Any) -> str:
    if value in (None, ""):
        return ""
    if column.type == "date":
        return format_iso_day(str(value))
    if column.type in ("choice", "yes_no"):
        return value_words(str(value)).capitalize()
    return str(value)


def pep_html(child: Any, pep: Any, sections: list[Any], authority: str, made_at: dt.datetime, digest: str) -> str:
    shown = []
    for view in sections:
        fields = []
        for f in view.spec.fields:
            if f.type == "table":
                rows = [[_words(c, row.get(c.key)) for c in f.columns] for row in view.values.get(f.key) or []]
                fields.append({"type": "table", "label": f.label, "columns": [c.label for c in f.columns], "rows": rows})
            elif f.prefill:
                fields.append({"label": f.label, "value": view.known.get(f.key, ""), "known": True})
            else:
                fields.append({"label": f.label, "value": _words(f, view.values.get(f.key))})
        qa = f"{value_words(view.qa_grade)}" + (f": {view.qa_comment}" if view.qa_comment else "") if view.qa_grade else ""
        shown.append({"title": view.spec.title, "fields": fields, "qa": qa})
    env = Environment(loader=PackageLoader("pepflow.reports", "templates"), autoescape=select_autoescape(["html", "j2"]))
    footer = f"Made by pepflow {format_moment(made_at)} · document SHA-256 {digest}"
    return env.get_template("pep.html.j2").render(
        child_name=f"{child.first_name} {child.last_name}", child_ref=child.ref, authority=authority,
        cycle=value_words(pep.cycle).capitalize(), meeting=format_day(pep.meeting_held_on) if pep.meeting_held_on else "",
        approved=format_day(pep.approved_on) if pep.approved_on else "", rating=pep.quality_rating or "",
        sections=shown, footer=footer)


def pep_pdf(child: Any, pep: Any, sections: list[Any], authority: str, made_at: dt.datetime) -> tuple[bytes, str]:
    """The PDF and the hash of the document it shows."""
    digest = document_hash(sections)
    return pdf_of(pep_html(child, pep, sections, authority, made_at, digest)), digest
