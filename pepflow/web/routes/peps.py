"""Overdue PEPs: VS admin's list, with filters and a CSV download."""

from __future__ import annotations

from fastapi import APIRouter, Request

from pepflow.states.pep import PepState
from pepflow.web import overdue
from pepflow.web.site import DatabaseDep, SiteDep, VisitorDep, csv_download, int_or

router = APIRouter()
STATE_CHOICES = [(st.value, st.value.replace("_", " ")) for st in PepState] + [("none", "no current PEP")]


@router.get("/peps/overdue")
def overdue_page(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, school: str = "", sw: str = "",
            key_stage: str = "", state: str = "", min_days: str = "", sort: str = "due", order: str = "asc",
            page: int = 1, format: str = "html"):
    errors: list[tuple[str, str]] = []
    filters = overdue.OverdueFilters(school=school, sw=sw, key_stage=key_stage, state=state,
                                   min_days=int_or(min_days, None, "min_days", errors),
                                   sort=sort if sort in overdue.OVERDUE_SORTS else "due",
                                   descending=order == "desc", page=page)
    if format == "csv":
        count, rows = overdue.overdue_csv(site.app.engine, site.app.config, visitor.user, site.app.today(), filters)
        return csv_download(request, site, s, visitor, "overdue-peps.csv", overdue.OVERDUE_CSV_COLUMNS, rows, count)
    result = overdue.overdue_peps(s, site.app.config, visitor.user, site.app.today(), filters, fresh=site.fresh)
    options = overdue.filter_options(s, visitor.user, site.fresh)
    return site.render(request, "overdue.html.j2", 400 if errors else 200, visitor, result=result, f=filters,
                       options=options, errors=errors, query=dict(request.query_params), states=STATE_CHOICES,
                       key_stages=[(k, k) for k in overdue.KEY_STAGES], go_live=site.go_live(s))
