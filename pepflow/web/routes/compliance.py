"""The compliance report for the Virtual School Head (and Ofsted), with its charts."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pepflow.calendars import academic_year_of, academic_year_start, format_day
from pepflow.audit.disclosures import disclosed
from pepflow.reports.html import charts, render
from pepflow.reports.pdf import pdf_of
from pepflow.reports.text import BREAKDOWN_LABELS, as_rows
from pepflow.reports.compliance_figures import compliance as compliance_report
from pepflow.values import date_value
from pepflow.web.dates import parts_of, read_date
from pepflow.web.site import DatabaseDep, SiteDep, VisitorDep, csv_download, require

router = APIRouter()


@router.get("/compliance")
def compliance(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, start: str = "",
               end: str = "", format: str = "html"):
    require(visitor, "sees_reports")
    today = site.app.today()
    default_start = dt.date(academic_year_start(academic_year_of(today)), 9, 1)
    errors: list[tuple[str, str]] = []
    bad_parts: dict[str, tuple[str, ...]] = {}
    query = request.query_params
    first, last = default_start, today
    for name, label in (("start", "From"), ("end", "To")):
        entered = read_date(query, name, label, required=False)
        if entered.error:
            errors.append((name, entered.error))
            bad_parts[name] = entered.bad_parts
        elif entered.text:
            parsed = date_value(entered.text)
            first, last = (parsed, last) if name == "start" else (first, parsed)
    if not errors and last < first:
        errors.append(("end", "The last date must be on or after the first date"))
    if not errors and last > today:
        errors.append(("end", f"The last date must be today ({format_day(today)}) or earlier"))
    report = None if errors else _figures(site, s, first, last, today)
    if report is not None and format == "csv":
        return csv_download(request, site, s, visitor, f"compliance-{first}-{last}.csv",
                            ["section", "measure", "group", "value"], as_rows(report))
    return site.render(request, "compliance.html.j2", 400 if errors else 200, visitor, report=report,
                       charts=charts(report) if report else {}, errors=errors,
                       breakdown_labels=BREAKDOWN_LABELS,
                       bad_parts=bad_parts, dates=_boxes(query, first, last), first=first, last=last)


def _figures(site, s, first: dt.date, last: dt.date, today: dt.date) -> dict:
    """The report's figures, worked out once until the history moves on (``freshness``): every
    change writes a history row (views do not count), so a kept report is the one a recount would give.  At 100,000
    children the count is two seconds of SQLite's time (bench/children.py)."""
    return site.fresh.reading(s).get(("compliance", first, last, today),
                                     lambda: compliance_report(s, site.app.config, first, last, today))


def _boxes(query, first: dt.date, last: dt.date) -> dict[str, str]:
    """What the From and To boxes show: what was typed, else the dates used."""
    shown = {f"start-{k}": v for k, v in parts_of(first).items()} | {f"end-{k}": v for k, v in parts_of(last).items()}
    typed = {k: query[k] for k in shown if k in query}
    return shown | typed if typed else shown


def _school_years(today: dt.date) -> list[str]:
    """The school years a report can cover: this one and the five before it ("2026-27" …)."""
    this = academic_year_start(academic_year_of(today))
    return [f"{y}-{(y + 1) % 100:02d}" for y in range(this, this - 6, -1)]


@router.get("/compliance/annual")
def annual_report(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, year: str = "",
                  format: str = "html"):
    """The Virtual School Head's annual report for a school year, as a page and as a PDF."""
    require(visitor, "sees_reports")
    today = site.app.today()
    years = _school_years(today)
    chosen = year if year in years else years[0]
    first = dt.date(int(chosen[:4]), 9, 1)
    last = min(today, dt.date(int(chosen[:4]) + 1, 8, 31))
    report = _figures(site, s, first, last, today)
    title = f"Virtual School Head annual report {chosen}"
    if format == "pdf":
        disclosed(s, "report_downloaded", today, visitor.actor, {"report": "annual", "year": chosen,
                                                                 "account": visitor.user.email,
                                                                 "role": visitor.user.role})
        s.commit()
        return Response(pdf_of(render(report, title=title)), media_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="annual-report-{chosen}.pdf"'})
    return site.render(request, "annual_report.html.j2", 200, visitor, r=report, charts=charts(report), title=title,
                       breakdown_labels=BREAKDOWN_LABELS, years=[(y, y) for y in years], year=chosen)
