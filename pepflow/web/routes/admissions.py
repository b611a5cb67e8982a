"""School admissions and their 20-school-day clocks."""

from __future__ import annotations

from fastapi import APIRouter, Request

from pepflow.reports.listings import admission_list
from pepflow.web import views
from pepflow.web.site import DatabaseDep, SiteDep, VisitorDep, csv_download, sorted_items

router = APIRouter()


@router.get("/admissions")
def admissions(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, show: str = "open",
               sort: str = "identified_on", order: str = "asc", format: str = "html"):
    data = admission_list(s, site.app.config, site.app.today(), open_only=show == "open",
                          breaching=show == "breaching")
    refs = views.visible_refs(s, visitor.user, site.app.today())
    items = sorted_items([i for i in data["items"] if refs is None or i["child_ref"] in refs],
                         sort, order, ("child_ref", "reason", "state", "school_urn", "identified_on",
                                       "school_days_used"), "identified_on")
    if format == "csv":
        columns = ["child_ref", "child_name", "reason", "state", "school_urn", "school_name", "route", "identified_on", "due_on",
                   "school_days_used", "school_days_left", "breaching", "started_on"]
        return csv_download(request, site, s, visitor, "admissions.csv", columns, views.csv_rows(items, columns))
    return site.render(request, "admissions.html.j2", 200, visitor, items=items, show=show,
                       breaching=sum(1 for i in items if i["breaching"]), sort=sort, order=order,
                       query=dict(request.query_params))
