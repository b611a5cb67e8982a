"""Children: find any child the person may see (the Virtual School), their caseload (a social
worker's "My children") or their school's children in care (a designated teacher's "My pupils")."""

from __future__ import annotations

from fastapi import APIRouter, Request

from pepflow.cohort import year_group_label
from pepflow.reports.children import LOOKED_AFTER, SORTS, ChildFilters, find_children
from pepflow.web import overdue
from pepflow.web.site import DatabaseDep, SiteDep, VisitorDep, children_title

router = APIRouter()
YEAR_GROUPS = [(str(n), year_group_label(n)) for n in range(-1, 15)]  # -1: early years
SHOWN = [("now", "Looked after now"), ("left", "Left care"), ("all", "All")]


@router.get("/children")
def children(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, q: str = "", school: str = "",
             year: str = "", sw: str = "", looked_after: str = "now", sort: str = "name", page: int = 1):
    filters = ChildFilters(q=q[:100], school=school[:20], year=year[:3], sw=sw[:40],
                           looked_after=looked_after if looked_after in LOOKED_AFTER else "now",
                           sort=sort if sort in SORTS else "name", page=page)
    result = find_children(s, visitor.user, site.app.today(), filters)
    return site.render(request, "children.html.j2", 200, visitor, result=result, f=filters,
                       options=overdue.filter_options(s, visitor.user, site.fresh.reading(s)), years=YEAR_GROUPS, shown=SHOWN,
                       title=children_title(visitor),
                       query=dict(request.query_params))
