"""The compliance report for the Virtual School Head (and Ofsted), with its charts."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request

from ...calendars import academic_year_of, academic_year_start
from ...report_html import charts
from ...report_text import as_rows
from ...reports import compliance as compliance_report
from ...values import date_value
from ..site import DatabaseDep, SiteDep, VisitorDep, csv_download, require

router = APIRouter()


@router.get("/compliance")
def compliance(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, start: str = "",
               end: str = "", format: str = "html"):
    require(visitor, "sees_reports")
    today = site.app.today()
    default_start = dt.date(academic_year_start(academic_year_of(today)), 9, 1)
    errors: list[tuple[str, str]] = []
    first, last = default_start, today
    for name, value in (("start", start), ("end", end)):
        if value:
            try:
                parsed = date_value(value)
                first, last = (parsed, last) if name == "start" else (first, parsed)
            except ValueError:
                errors.append((name, f"Enter the {'first' if name == 'start' else 'last'} date as "
                                     f"YYYY-MM-DD (you entered “{value}”)"))
    if not errors and last < first:
        errors.append(("end", "The last date must be on or after the first date"))
    if not errors and last > today:
        errors.append(("end", f"The last date must be today ({today.isoformat()}) or earlier"))
    report = None if errors else compliance_report(s, site.app.config, first, last, today)
    if report is not None and format == "csv":
        return csv_download(request, site, s, visitor, f"compliance-{first}-{last}.csv",
                            ["section", "measure", "group", "value"], as_rows(report))
    return site.render(request, "compliance.html.j2", 400 if errors else 200, visitor, report=report,
                       charts=charts(report) if report else {}, errors=errors,
                       start=start or first.isoformat(), end=end or last.isoformat())
