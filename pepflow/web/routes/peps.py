"""Overdue PEPs: VS admin's list, with filters and a CSV download.

The busiest page of the Virtual School's day, asked for again and again while nothing has
changed: the list (counts, table, pages) is kept as written, per change stamp, viewer, day
and address (``freshness.py``), and a kept list is placed in the page on the event loop,
without a trip to the thread pool; the whole list's CSV is made once per change stamp and
shared by everyone downloading it meanwhile (``shared_downloads.py``).  Issue 42,
bench/web_load.py.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request
from markupsafe import Markup

from pepflow.states.pep import PepState
from pepflow.web import overdue
from pepflow.web.shared_downloads import shared_download
from pepflow.web.site import (DatabaseDep, ListVisitorDep, Site, SiteDep, Visitor, attachment, disclose_download,
                              int_or)
from pepflow.spreadsheets import stream

router = APIRouter()
STATE_CHOICES = [(st.value, st.value.replace("_", " ")) for st in PepState] + [("none", "no current PEP")]
KEY_STAGE_CHOICES = [(k, k) for k in overdue.KEY_STAGES]


@router.get("/peps/overdue")
async def overdue_page(request: Request, site: SiteDep, s: DatabaseDep, visitor: ListVisitorDep, school: str = "",
                       sw: str = "", key_stage: str = "", state: str = "", min_days: str = "", sort: str = "due",
                       order: str = "asc", page: int = 1, format: str = "html"):
    errors: list[tuple[str, str]] = []
    filters = overdue.OverdueFilters(school=school, sw=sw, key_stage=key_stage, state=state,
                                     min_days=int_or(min_days, None, "min_days", errors),
                                     sort=sort if sort in overdue.OVERDUE_SORTS else "due",
                                     descending=order == "desc", page=page)
    if format == "csv":
        return await _download(request, site, s, visitor, filters)
    viewer = overdue.Viewer.of(visitor.user)
    today = site.app.today()
    list_key = ("overdue list", viewer, today, request.url.query)
    options_key = ("filter options", viewer)
    list_html, options = visitor.fresh.kept(list_key), visitor.fresh.kept(options_key)
    if list_html is None or options is None:
        def work_out() -> tuple[Markup, Any]:
            made = visitor.fresh.get(list_key, lambda: _list_html(request, site, s, visitor, filters))
            return made, overdue.filter_options(s, visitor.user, visitor.fresh)

        list_html, options = await anyio.to_thread.run_sync(work_out)
    return site.render(request, "overdue.html.j2", 400 if errors else 200, visitor, list_html=list_html, f=filters,
                       options=options, errors=errors, states=STATE_CHOICES, key_stages=KEY_STAGE_CHOICES)


def _list_html(request: Request, site: Site, s: DatabaseDep, visitor: Visitor,
               filters: overdue.OverdueFilters) -> Markup:
    result = overdue.overdue_peps(s, site.app.config, visitor.user, site.app.today(), filters, fresh=visitor.fresh)
    return Markup(site.env.get_template("overdue_list.html.j2").render(
        result=result, f=filters, query=dict(request.query_params), go_live=site.go_live(s)))


async def _download(request: Request, site: Site, s: DatabaseDep, visitor: Visitor, filters: overdue.OverdueFilters):
    """The whole list as a CSV: counted and recorded as a disclosure for each download, the file
    itself made once at this change stamp and shared."""
    engine, config, today = site.app.engine, site.app.config, site.app.today()

    def count_and_disclose() -> None:
        count = overdue.overdue_count(s, config, visitor.user, today, filters, visitor.fresh)
        disclose_download(request, site, s, visitor, "overdue-peps.csv", count)
        # the connection goes back to the pool now, not when the file has been sent: fifty downloads
        # held every connection while they were sent, and no page could sign its visitor in
        s.close()

    await anyio.to_thread.run_sync(count_and_disclose)
    key = ("overdue csv", overdue.Viewer.of(visitor.user), today, dataclasses.replace(filters, page=1))

    def make():
        return site.in_turn(stream(overdue.OVERDUE_CSV_COLUMNS,
                                   overdue.overdue_csv_rows(engine, config, visitor.user, today, filters)))

    return attachment("overdue-peps.csv", shared_download(site.downloads, visitor.fresh.stamp, key, make).read())
