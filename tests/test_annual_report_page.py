"""The Virtual School Head's annual report on the web (issue 38 item 7): a page for a school
year and its PDF, from the same figures and template as `pepflow report annual`; a download is
in the history; the charts are drawn once for the same figures."""

from __future__ import annotations

from sqlalchemy import select

from pepflow.db.connection import session_scope
from pepflow.db.models import Event
from pepflow.reports import html

from .support.web import signed_in_client


def test_the_annual_report_is_a_page_and_a_pdf_for_those_who_see_reports(fresh_site):
    head = signed_in_client(fresh_site, "vsh")
    page = head.get("/compliance/annual")
    assert page.status_code == 200
    assert "Virtual School Head annual report 2026-27" in page.text and "Personal Education Plans" in page.text
    assert "<svg" in page.text  # its charts, inline
    older = head.get("/compliance/annual?year=2025-26")
    assert "annual report 2025-26" in older.text
    pdf = head.get("/compliance/annual?year=2026-27&format=pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and len(pdf.content) > 5000
    with session_scope(fresh_site.app.engine) as s:
        said = s.execute(select(Event.payload).where(Event.name == "report_downloaded")).scalars().all()
    assert said and said[-1]["year"] == "2026-27"
    assert signed_in_client(fresh_site, "social_worker").get("/compliance/annual").status_code == 403


def test_the_same_figures_are_charted_once(fresh_site, monkeypatch):
    head = signed_in_client(fresh_site, "vsh")
    head.get("/compliance/annual?year=2025-26")
    drawn = []
    real = html._charts
    monkeypatch.setattr(html, "_charts", lambda report: drawn.append(1) or real(report))
    head.get("/compliance/annual?year=2025-26")
    head.get("/compliance/annual?year=2025-26&format=pdf")
    assert drawn == []  # the page again, and its PDF, reuse the charts already drawn


def test_the_figures_kept_between_views_are_those_a_recount_gives(fresh_site):
    """The compliance figures are worked out once until the history moves on: a change (a child
    leaves care) shows at the next view."""
    import re

    from pepflow.db.models import Child
    from pepflow.engine.recording import record_event

    from .websupport import TODAY

    head = signed_in_client(fresh_site, "vsh")

    def on_roll() -> int:
        return int(re.search(r"(\d+) children looked after;", head.get("/compliance").text).group(1))

    before = on_roll()
    assert on_roll() == before
    with session_scope(fresh_site.app.engine) as s:
        ref = s.execute(select(Child.ref).where(Child.looked_after).order_by(Child.ref)).scalars().first()
        record_event(s, fresh_site.app.config, ref, "left_care", TODAY, TODAY, role="vs_admin")
    assert on_roll() == before - 1
