"""Documents uploaded to a PEP's sections: by a role that fills the section in, while the PEP is
being written, of a type read from the content (rules/file_types.py) and no larger than the
council's limit (``upload_max_mb``); each upload a row of the child's history (its type, size and
hash, not its name or content).  Refused, with nothing stored, otherwise."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlmodel import Session, select

from pepflow.audit import audit
from pepflow.config import Config
from pepflow.db.models import Child, Pep, PepAttachment
from pepflow.errors import InputError
from pepflow.rules.file_types import ACCEPTED, EXTENSIONS, file_type
from pepflow.states.pep_document import writable_section
from pepflow.values import clean


def add_attachment(session: Session, config: Config, child: Child, pep: Pep, key: str, filename: str, data: bytes,
                   role: str, actor: str, now: dt.datetime, on: dt.date) -> PepAttachment:
    writable_section(config, child, pep, key, role, on, "document")  # whose it is, and whether it can change now
    limit = config.settings.upload_max_mb * 1024 * 1024
    if not data:
        raise InputError("document", filename[:60] or "(none)", "is empty: choose a file")
    if len(data) > limit:
        raise InputError("document", filename[:60], f"is larger than {config.settings.upload_max_mb} MB")
    kind = file_type(data)
    if kind is None:
        raise InputError("document", filename[:60], "is not a PDF, a Word document, or a PNG or JPEG image "
                                                    "(read from the file itself, not its name)")
    try:
        name = clean(filename.replace("\\", "/").rsplit("/", 1)[-1], 200) or "document"
    except ValueError:
        name = "document"
    if not name.lower().endswith(EXTENSIONS[kind]):
        name += EXTENSIONS[kind]
    digest = hashlib.sha256(data).hexdigest()
    row = PepAttachment(pep_id=pep.id, section=key, filename=name, content_type=kind, size=len(data), sha256=digest,
                        data=data, uploaded_by=actor, uploaded_at=now)
    session.add(row)
    session.flush()
    audit(session, child.ref, "pep", "pep_document_added", on, {"section": key, "type": ACCEPTED[kind],
                                                                 "size": len(data), "sha256": digest},
          process_id=pep.id, actor=actor)
    return row


def attachments(session: Session, pep: Pep, key: str | None = None) -> list:
    """The documents of a PEP (or one section) to list: everything but their content."""
    A = PepAttachment
    query = select(A.id, A.section, A.filename, A.content_type, A.size, A.uploaded_at).where(A.pep_id == pep.id)
    if key:
        query = query.where(A.section == key)
    return list(session.execute(query.order_by(A.id)).all())
