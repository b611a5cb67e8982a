"""The approved PEP's PDF: made once when first asked for (the case page, the QA page's approval,
``pepflow pep pdf``), kept with its document's hash, and written to the folder the social-care
system collects from when the council sets one (``pep_pdf_folder``)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from sqlmodel import Session, select

from pepflow.config import Config
from pepflow.db.models import Child, Pep, PepPdf
from pepflow.errors import InputError
from pepflow.reports.pep_pdf import pep_pdf
from pepflow.states.pep_document import document

APPROVED = ("approved", "distributed", "superseded")  # a PEP quality assurance approved


def pdf_for(session: Session, config: Config, child: Child, pep: Pep, now: dt.datetime, on: dt.date) -> PepPdf:
    """The PEP's PDF, made now if it has none yet; refused for a PEP not approved."""
    kept = session.execute(select(PepPdf).where(PepPdf.pep_id == pep.id)).scalars().first()
    if kept is not None:
        return kept
    if pep.state not in APPROVED or pep.approved_on is None:
        raise InputError("pep", child.ref, "has no approved PEP yet: its PDF is made once quality assurance approves it")
    pdf, digest = pep_pdf(child, pep, document(session, config, child, pep, pep.approved_on),
                          config.settings.authority_name, now)
    made = PepPdf(pep_id=pep.id, made_at=now, document_sha256=digest, pdf=pdf)
    session.add(made)
    session.flush()
    if config.settings.pep_pdf_folder:
        _drop(Path(config.settings.pep_pdf_folder), f"{child.ref}-{pep.id}.pdf", pdf)
    return made


def latest_approved(session: Session, child_ref: str) -> Pep | None:
    """The child's newest PEP that quality assurance approved."""
    return session.execute(select(Pep).where(Pep.child_ref == child_ref, Pep.approved_on.is_not(None))
                           .order_by(Pep.approved_on.desc(), Pep.id.desc())).scalars().first()


def approved_in_term(session: Session, config: Config, child: Child, term: str) -> Pep | None:
    """The child's PEP approved in a term named as the calendar names it ("autumn 2026-27")."""
    wanted = " ".join(term.lower().split())
    calendar = config.calendar(school_urn=child.school_urn)
    known = {f"{t.name} {t.academic_year}".lower(): t for t in calendar.terms}
    chosen = known.get(wanted)
    if chosen is None:
        raise InputError("--term", term, "is not a term of the child's school calendar (for example "
                         f"{next(iter(known), 'autumn 2026-27')!r})")
    return session.execute(select(Pep).where(Pep.child_ref == child.ref, Pep.approved_on >= chosen.start,
                                             Pep.approved_on <= chosen.end).order_by(Pep.approved_on.desc())
                           ).scalars().first()


def _drop(folder: Path, name: str, pdf: bytes) -> None:
    """Written whole then renamed, so the collecting system never reads half a file."""
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f".{name}.part"
    part.write_bytes(pdf)
    os.replace(part, folder / name)
