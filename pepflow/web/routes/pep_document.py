"""The PEP as a document on the web: the task list of its sections with their status
(``/children/REF/pep``), and a page for each section (``/children/REF/pep/SECTION``), a form for a
role that fills it in and a read-only page for the others.  Each view shows the child's record,
so it is a disclosure in the history; each save goes through ``states.pep_document``."""

from __future__ import annotations

from typing import Annotated, Any, Mapping
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from pepflow.audit.disclosures import disclosed
from pepflow.config.pep_template import FieldSpec
from pepflow.db.cases import current_pep
from pepflow.db.models import Pep, PepAttachment
from pepflow.errors import InputError, NotFound, PepflowError
from pepflow.role_table import VIRTUAL_SCHOOL_ROLES
from pepflow.rules.file_types import ACCEPTED
from pepflow.service.delegations import acting_role
from pepflow.service.pep_pdf import latest_approved, pdf_for
from pepflow.states.pep_attachments import add_attachment, attachments
from pepflow.states.pep_document import EDITABLE, document, missing_before_submission, record_qa, save_section
from pepflow.web import views
from pepflow.web.sessions import csrf_ok
from pepflow.web.uploads import Upload, uploaded
from pepflow.web.site import (CheckedFormDep, DatabaseDep, Refused, Site, SiteDep, Visitor, VisitorDep, leave_notice,
                              take_notice)

router = APIRouter()
STATUS_WORDS = {"not_started": "Not started", "in_progress": "In progress", "completed": "Completed",
                "needs_changes": "Needs changes"}
SPARE_ROWS = 2  # blank rows a table offers beyond those filled (never beyond its limit)


def _the_pep(s, site: Site, visitor: Visitor, ref: str, what: str):
    child = views.visible_child(s, visitor.user, ref, site.app.today())
    pep = current_pep(s, child.ref)
    if pep is None:
        raise NotFound("PEP", child.ref)
    disclosed(s, "pep_viewed", site.app.today(), visitor.actor,
              {"account": visitor.user.email, "role": visitor.user.role, "what": what}, child.ref)
    return child, pep


@router.get("/children/{ref}/pep")
def pep_task_list(request: Request, ref: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep):
    child, pep = _the_pep(s, site, visitor, ref, "task list")
    today = site.app.today()
    sections = document(s, site.app.config, child, pep, today)
    missing = missing_before_submission(s, site.app.config, child, pep, today, sections)
    notice = take_notice(s, visitor)
    s.commit()
    return site.render(request, "pep.html.j2", 200, visitor, child=views.child_summary(s, child, today), pep=pep,
                       sections=sections, status_words=STATUS_WORDS, missing=missing, notice=notice,
                       editable=pep.state in EDITABLE, role=acting_role(s, visitor.user, child.ref, today),
                       approved=latest_approved(s, child.ref))


def _rows(field: FieldSpec, form: Mapping[str, str]) -> list[dict[str, str]]:
    count = form.get(f"{field.key}-rows", "0")
    count = min(int(count), field.max_rows + SPARE_ROWS) if count.isascii() and count.isdigit() else 0
    return [{c.key: form.get(f"{field.key}-{n}-{c.key}", "") for c in field.columns} for n in range(1, count + 1)]


def _typed(view, form: Mapping[str, str]) -> dict[str, Any]:
    return {f.key: _rows(f, form) if f.type == "table" else form.get(f.key, "") for f in view.spec.fields
            if not f.prefill}


def _section_page(request: Request, site: Site, s, visitor: Visitor, child, pep, key: str,
                  values: dict[str, Any] | None = None, errors: list[tuple[str, str]] | None = None, status: int = 200,
                  notice: str = ""):
    view = next((v for v in document(s, site.app.config, child, pep, site.app.today()) if v.spec.key == key), None)
    if view is None:
        raise NotFound("PEP section", key)
    shown = values if values is not None else view.values
    may_edit = acting_role(s, visitor.user, child.ref, site.app.today()) in view.spec.filled_by and pep.state in EDITABLE
    rows = {f.key: _padded(f, shown.get(f.key)) for f in view.spec.fields if f.type == "table"}
    return site.render(request, "pep_section.html.j2", status, visitor,
                       child=views.child_summary(s, child, site.app.today()), view=view, values=shown, rows=rows,
                       errors=errors or [], may_edit=may_edit, status_words=STATUS_WORDS,
                       documents=attachments(s, pep, key), kinds=ACCEPTED, notice=notice,
                       upload_max_mb=site.app.config.settings.upload_max_mb)


def _error(view, exc: InputError) -> tuple[str, str]:
    """The error summary's line, in the form's words: the field's label ("Targets, row 2, By when")."""
    key, _, rest = (exc.field or "").partition(",")
    field = view.spec.field(key)
    if field is None:  # about the section as a whole (whose it is, saved by someone else)
        return "section", f"{exc.value}: {exc.problem}"
    return key, f"{field.label}{',' + rest if rest else ''}: {exc.problem}"


def _padded(field: FieldSpec, rows: Any) -> list[dict[str, Any]]:
    filled = [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
    spare = max(0, min(field.max_rows - len(filled), SPARE_ROWS)) if filled else min(field.max_rows, SPARE_ROWS + 1)
    return filled + [{} for _ in range(spare)]


@router.get("/children/{ref}/pep/pdf")
def pep_pdf_download(ref: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep):
    """The latest approved PEP as the PDF the care record keeps (made at its first download)."""
    child = views.visible_child(s, visitor.user, ref, site.app.today())
    pep = latest_approved(s, child.ref)
    if pep is None:
        raise NotFound("approved PEP", child.ref)
    made = pdf_for(s, site.app.config, child, pep, site.app.clock.now(), site.app.today())
    disclosed(s, "pep_pdf_downloaded", site.app.today(), visitor.actor,
              {"account": visitor.user.email, "role": visitor.user.role, "pep_id": pep.id,
               "sha256": made.document_sha256}, child.ref)
    s.commit()
    return Response(made.pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="PEP-{child.ref}-{pep.approved_on.isoformat()}.pdf"'})


@router.get("/children/{ref}/pep/qa")
def pep_qa_form(request: Request, ref: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep):
    _virtual_school(visitor)
    child, pep = _the_pep(s, site, visitor, ref, "quality assurance")
    response = _qa_page(request, site, s, visitor, child, pep, {}, [])
    s.commit()
    return response


@router.post("/children/{ref}/pep/qa")
def pep_qa(request: Request, ref: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, form: CheckedFormDep):
    _virtual_school(visitor)
    child, pep = _the_pep(s, site, visitor, ref, "quality assurance")
    today = site.app.today()
    keys = [v.spec.key for v in document(s, site.app.config, child, pep, today)]
    grades = {key: (form.get(f"{key}-grade", ""), form.get(f"{key}-comment", "")) for key in keys}
    try:
        outcome, back = record_qa(s, site.app.config, child, pep, grades, visitor.user.role, visitor.actor, today, today)
    except PepflowError as exc:
        s.rollback()
        field = getattr(exc, "field", "") or "section"
        problem = getattr(exc, "problem", str(exc))
        title = next((v.spec.title for v in document(s, site.app.config, child, pep, today) if v.spec.key == field), "")
        _the_pep(s, site, visitor, ref, "quality assurance")
        response = _qa_page(request, site, s, visitor, child, pep, dict(form),
                            [(f"{field}-grade" if title else "section", f"{title}: {problem}" if title else problem)], 400)
        s.commit()
        return response
    if not back:  # approved: its PDF made now, and dropped for the care record if the council collects them
        pdf_for(s, site.app.config, child, pep, site.app.clock.now(), today)
    leave_notice(s, visitor, f"Returned to be changed: {', '.join(back)}." if back
                 else f"Approved, rated {outcome}. Its PDF is made.")
    s.commit()
    return RedirectResponse(f"/children/{quote(child.ref)}/pep", status_code=303)


def _virtual_school(visitor: Visitor) -> None:
    if visitor.user.role not in VIRTUAL_SCHOOL_ROLES:
        raise Refused()


def _qa_page(request: Request, site: Site, s, visitor: Visitor, child, pep, values: Mapping[str, str],
             errors: list[tuple[str, str]], status: int = 200):
    return site.render(request, "pep_qa.html.j2", status, visitor,
                       child=views.child_summary(s, child, site.app.today()), pep=pep,
                       sections=document(s, site.app.config, child, pep, site.app.today()),
                       scale=site.app.config.pep_template.qa.scale, values=values, errors=errors,
                       open_for_qa=pep.state in ("submitted", "in_qa"), status_words=STATUS_WORDS)


@router.post("/children/{ref}/pep/{key}/documents")
def upload_document(request: Request, ref: str, key: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep,
                    upload: Annotated[Upload, Depends(uploaded)]):
    if not csrf_ok(visitor.session_row, upload.fields.get("csrf_token")):
        raise Refused()
    child, pep = _the_pep(s, site, visitor, ref, key[:40])
    try:
        add_attachment(s, site.app.config, child, pep, key, upload.filename, upload.data,
                       acting_role(s, visitor.user, child.ref, site.app.today()), visitor.actor, site.app.clock.now(),
                       site.app.today())
    except InputError as exc:
        s.rollback()
        _the_pep(s, site, visitor, ref, key[:40])
        response = _section_page(request, site, s, visitor, child, pep, key, None,
                                 [("document", f"The file {exc.value}: {exc.problem}" if exc.field == "document"
                                   else f"{exc.value}: {exc.problem}")], 400)
        s.commit()
        return response
    leave_notice(s, visitor, f"Document added: {upload.filename[:80]}.")
    s.commit()
    return RedirectResponse(f"/children/{quote(child.ref)}/pep/{key}", status_code=303)


@router.get("/children/{ref}/pep/documents/{number}")
def download_document(ref: str, number: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep):
    """A document, only ever as a download of the type its content has (never shown as a page)."""
    child = views.visible_child(s, visitor.user, ref, site.app.today())
    found = s.get(PepAttachment, int(number)) if number.isascii() and number.isdigit() and len(number) < 10 else None
    pep = s.get(Pep, found.pep_id) if found else None
    if found is None or pep is None or pep.child_ref != child.ref:
        raise NotFound("document", number)
    disclosed(s, "pep_document_downloaded", site.app.today(), visitor.actor,
              {"account": visitor.user.email, "role": visitor.user.role, "document": found.id, "sha256": found.sha256},
              child.ref)
    s.commit()
    return Response(found.data, media_type=found.content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.filename)}"})


@router.get("/children/{ref}/pep/{key}")
def pep_section(request: Request, ref: str, key: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep):
    child, pep = _the_pep(s, site, visitor, ref, key[:40])
    response = _section_page(request, site, s, visitor, child, pep, key, notice=take_notice(s, visitor))
    s.commit()
    return response


@router.post("/children/{ref}/pep/{key}")
def save_pep_section(request: Request, ref: str, key: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep,
                     form: CheckedFormDep):
    child, pep = _the_pep(s, site, visitor, ref, key[:40])
    view = next((v for v in document(s, site.app.config, child, pep, site.app.today()) if v.spec.key == key), None)
    if view is None:
        raise NotFound("PEP section", key)
    typed = _typed(view, form)
    seen = form.get("version", "")
    try:
        save_section(s, site.app.config, child, pep, key, typed, acting_role(s, visitor.user, child.ref, site.app.today()),
                     visitor.actor,
                     int(seen) if seen.isascii() and seen.isdigit() and len(seen) < 9 else -1,
                     site.app.clock.now(), site.app.today())
    except InputError as exc:
        s.rollback()
        errors = [_error(view, exc)]
        _the_pep(s, site, visitor, ref, key[:40])  # shown again with the child's record: a disclosure again
        response = _section_page(request, site, s, visitor, child, pep, key, typed, errors, 400)
        s.commit()
        return response
    leave_notice(s, visitor, f"Saved: {view.spec.title}.")
    s.commit()
    return RedirectResponse(f"/children/{quote(child.ref)}/pep", status_code=303)
