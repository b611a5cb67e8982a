"""The register on the web (issue 41): VS admin imports a file of session marks (or totals) and sees
what was kept, what was set aside and which alerts were raised (``/attendance/import``)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from pepflow.errors import ImportFileError, PepflowError
from pepflow.service.attendance_import import import_register
from pepflow.web.sessions import csrf_ok
from pepflow.web.site import DatabaseDep, Refused, SiteDep, Visitor, VisitorDep
from pepflow.web.uploads import Upload, uploaded

router = APIRouter()


def _imports(visitor: Visitor) -> None:
    if visitor.user.role not in ("vs_admin", "vsh"):
        raise Refused()


@router.get("/attendance/import")
def import_form(request: Request, site: SiteDep, visitor: VisitorDep):
    _imports(visitor)
    return site.render(request, "attendance_import.html.j2", 200, visitor, result=None, errors=[])


@router.post("/attendance/import")
def import_file(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep,
                upload: Annotated[Upload, Depends(uploaded)]):
    _imports(visitor)
    if not csrf_ok(visitor.session_row, upload.fields.get("csrf_token")):
        raise Refused()
    if not upload.filename or not upload.data:
        return site.render(request, "attendance_import.html.j2", 400, visitor, result=None,
                           errors=[("file", "Choose a CSV file of marks or totals")])
    if len(upload.data) > site.app.config.settings.upload_max_mb * 1024 * 1024:
        return site.render(request, "attendance_import.html.j2", 400, visitor, result=None,
                           errors=[("file", f"The file is larger than {site.app.config.settings.upload_max_mb} MB")])
    name = Path(upload.filename).name[:100] or "marks.csv"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(upload.data)
        try:
            done, after = import_register(s, site.app.config, path, site.app.today(), visitor.actor,
                                          totals=upload.fields.get("kind") == "totals")
        except ImportFileError as exc:
            s.rollback()
            return site.render(request, "attendance_import.html.j2", 400, visitor, result=None,
                               errors=[("file", p) for p in exc.problems[:50]])
        except PepflowError as exc:
            s.rollback()
            return site.render(request, "attendance_import.html.j2", 400, visitor, result=None,
                               errors=[("file", str(exc))])
    s.commit()
    return site.render(request, "attendance_import.html.j2", 200, visitor, result=done, after=after, errors=[])
