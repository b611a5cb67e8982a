"""Exclusions and their statutory clocks."""

from __future__ import annotations

from fastapi import APIRouter, Request

from pepflow.reports.listings import exclusion_list
from pepflow.web import views
from pepflow.web.site import DatabaseDep, SiteDep, VisitorDep, csv_download, sorted_items

router = APIRouter()


@router.get("/exclusions")
def exclusions(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, show: str = "open",
               sort: str = "opened_on", order: str = "asc", format: str = "html"):
    data = exclusion_list(s, site.app.today(), open_only=show == "open")
    refs = views.visible_refs(s, visitor.user, site.app.today())
    items = sorted_items([i for i in data["items"] if refs is None or i["child_ref"] in refs],
                         sort, order, ("child_ref", "school_year", "state", "opened_on", "suspension_days"),
                         "opened_on")
    if format == "csv":
        columns = ["child_ref", "child_name", "school_year", "school_urn", "school_name", "state", "opened_on", "suspensions",
                   "suspension_days", "permanently_excluded_on", "no_pre_exclusion_meeting"]
        return csv_download(request, site, s, visitor, "exclusions.csv", columns, views.csv_rows(items, columns))
    return site.render(request, "exclusions.html.j2", 200, visitor, items=items, show=show, sort=sort,
                       order=order, query=dict(request.query_params))
