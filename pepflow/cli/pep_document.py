"""pepflow pep show: a child's current PEP as a document (its sections, what was saved, what
pepflow knows), for another system or a person at the command line; the view is in the history."""

from __future__ import annotations

import typer

from pepflow.cli._common import _app, _print_json, pep_app


@pep_app.command("show")
def pep_show(
    ctx: typer.Context,
    child: str = typer.Option(..., "--child", help="The child's reference."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """The child's current PEP: each section, whose it is, where it stands and what it holds."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.audit.disclosures import disclosed
    from pepflow.db.cases import current_pep
    from pepflow.db.child_refs import require_child
    from pepflow.db.connection import session_scope
    from pepflow.errors import NotFound
    from pepflow.states.pep_document import document

    a = _app(ctx)
    today = a.today()
    with session_scope(a.engine) as s:
        found = require_child(s, child)
        pep = current_pep(s, found.ref)
        if pep is None:
            raise NotFound("PEP", found.ref)
        sections = document(s, a.config, found, pep, today)
        disclosed(s, "pep_viewed", today, "the command line", {"what": "pep show", "by": "the command line"},
                  found.ref)
        data = {"child_ref": found.ref, "pep_id": pep.id, "cycle": pep.cycle, "state": pep.state,
                "template": a.config.pep_template.name,
                "sections": [{"key": v.spec.key, "title": v.spec.title, "owner": v.spec.owner, "status": v.status,
                              "version": v.version, "saved_by": v.saved_by.removeprefix("user:"),
                              "saved_at": v.saved_at.isoformat() if v.saved_at else None,
                              "known": v.known, "values": v.values,
                              "missing": [f.label for f in v.missing]} for v in sections]}
    if as_json:
        _print_json(data)
        return
    typer.echo(f"PEP of {found.first_name} {found.last_name} ({found.ref}): {data['cycle']}, {pep.state.replace('_', ' ')}")
    for section in data["sections"]:
        missing = f"; still to fill in: {', '.join(section['missing'])}" if section["missing"] else ""
        typer.echo(f"  {section['title']}: {section['status'].replace('_', ' ')}{missing}")


@pep_app.command("pdf")
def pep_pdf_command(
    ctx: typer.Context,
    child: str = typer.Option(..., "--child", help="The child's reference."),
    term: str = typer.Option("", "--term", help='The term the PEP was approved in, as "autumn 2026-27" '
                             "(default: the latest approved PEP)."),
    out: str = typer.Option(..., "--out", help="The PDF file to write."),
) -> None:
    """The child's approved PEP as a PDF (made once, then the same file every time)."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pathlib import Path

    from pepflow.audit.disclosures import disclosed
    from pepflow.db.child_refs import require_child
    from pepflow.db.connection import session_scope
    from pepflow.errors import NotFound
    from pepflow.service.pep_pdf import approved_in_term, latest_approved, pdf_for

    a = _app(ctx)
    with session_scope(a.engine) as s:
        found = require_child(s, child)
        pep = approved_in_term(s, a.config, found, term) if term else latest_approved(s, found.ref)
        if pep is None:
            raise NotFound("approved PEP", found.ref + (f" in {term}" if term else ""))
        made = pdf_for(s, a.config, found, pep, a.clock.now(), a.today())
        disclosed(s, "pep_pdf_downloaded", a.today(), "the command line",
                  {"pep_id": pep.id, "sha256": made.document_sha256, "by": "the command line"}, found.ref)
        pdf, digest = made.pdf, made.document_sha256
    Path(out).write_bytes(pdf)
    typer.echo(f"Wrote {out}: the PEP of {found.first_name} {found.last_name} approved {pep.approved_on:%d %b %Y} "
               f"(document SHA-256 {digest[:16]}…).")
