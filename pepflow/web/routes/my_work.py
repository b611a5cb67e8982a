"""My work: the deadlines a person (or their team) owns."""

from __future__ import annotations

from sqlmodel import select
from fastapi import APIRouter, Request

from pepflow.reports.email_lists import delivery_problems
from pepflow.web import views
from pepflow.web.site import DatabaseDep, SiteDep, VisitorDep, csv_download, int_or
from pepflow.calendars import format_day
from pepflow.db.models import HeldBackChild

router = APIRouter()


@router.get("/my-work")
def my_work(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, within: str = "28",
            page: int = 1, sort: str = "due", order: str = "asc", format: str = "html"):
    errors: list[tuple[str, str]] = []
    within_days = int_or(within, 28, "within", errors) if within != "all" else None
    sort = sort if sort in views.MY_WORK_SORTS else "due"
    result = views.my_work(s, site.app.config, visitor.user, site.app.today(), within_days, page,
                           everything=format == "csv", sort=sort, descending=order == "desc")
    if format == "csv":
        columns = ["child_ref", "child_name", "what", "process", "due_on", "days_overdue", "overdue_unit", "owner_role", "note"]
        return csv_download(request, site, s, visitor, "my-work.csv", columns, views.csv_rows(result.rows, columns))
    problems = (delivery_problems(site.app.engine, site.app.config, site.app.clock.now())
                if visitor.role.sees_outbox else None)
    runway = site.runway() if visitor.role.sees_outbox else []
    held_back = _held_back(s) if visitor.role.sees_outbox else []
    return site.render(request, "my_work.html.j2", 400 if errors else 200, visitor, result=result, within=within,
                       errors=errors, query=dict(request.query_params), sort=sort, order=order, problems=problems,
                       runway=runway, held_back=held_back, go_live=site.go_live(s))


def _held_back(s) -> list[dict]:
    """The children the SSDA903 return held back, for VS admin (until a later return loads them)."""


    rows = s.exec(select(HeldBackChild).order_by(HeldBackChild.child_ref).limit(200)).all()
    return [{"child_ref": r.child_ref, "since": format_day(r.first_held_on), "files": r.files,
             "problems": r.problems[:3], "more": max(0, len(r.problems) - 3)} for r in rows]
