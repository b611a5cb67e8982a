"""A child's record for subject access on the web (issue 43 item 2): VS admin (or the VSH) exports
it as a zip (``/children/REF/export``); the export is a disclosure in the history."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pepflow.service.record_export import export_record
from pepflow.web import views
from pepflow.web.site import CheckedFormDep, DatabaseDep, Refused, SiteDep, Visitor, VisitorDep

router = APIRouter()
EXPORTERS = ("vs_admin", "vsh")


def _exporter(visitor: Visitor) -> None:
    if visitor.user.role not in EXPORTERS:
        raise Refused()


@router.get("/children/{ref}/export")
def export_page(request: Request, ref: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep):
    _exporter(visitor)
    child = views.visible_child(s, visitor.user, ref, site.app.today())
    return site.render(request, "record_export.html.j2", 200, visitor,
                       child=views.child_summary(s, child, site.app.today()))


@router.post("/children/{ref}/export")
def export_download(ref: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, form: CheckedFormDep):
    _exporter(visitor)
    child = views.visible_child(s, visitor.user, ref, site.app.today())
    data, _ = export_record(s, child.ref, visitor.actor, site.app.today(), site.app.clock.now())
    s.commit()
    return Response(data, media_type="application/zip", headers={
        "Content-Disposition": f'attachment; filename="record-{child.ref}-{site.app.today().isoformat()}.zip"'})
