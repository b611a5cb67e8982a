"""The email outbox: what was sent, what failed, and VS admin's retry button."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse

from pepflow.audit import audit
from pepflow.calendars import format_moment
from pepflow.errors import quoted
from pepflow.notify.outbox import retry_failed
from pepflow.reports.email_lists import OUTBOX_TABS, delivery_problems, outbox_counts, outbox_page
from pepflow.notify.describe import step_words, what_was_due
from pepflow.vocabulary import outcome_label
from pepflow.web import views
from pepflow.web.site import (CheckedFormDep, DatabaseDep, SiteDep, VisitorDep, csv_download, leave_notice, require,
                    take_notice)

router = APIRouter()
PER_PAGE = 50
MAX_ID_DIGITS = 18  # an email's number fits the database's 64-bit integer
TAB_LABELS = {"waiting": "Failed and waiting", "failed": "Failed", "pending": "Waiting to be sent", "sent": "Sent",
              "skipped": "Not sent", "all": "All"}


@router.get("/outbox")
def outbox(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, status: str = "waiting",
           format: str = "html", page: str = "1"):
    require(visitor, "sees_outbox")
    tab = status if status in OUTBOX_TABS else "waiting"
    number = int(page) if page.isascii() and page.isdigit() and 0 < len(page) < 7 else 1
    if format == "csv":  # the CSV holds the whole tab, not a page of it
        rows, _ = outbox_page(site.app.engine, tab, 1, per_page=100_000)
    else:
        rows, total = outbox_page(site.app.engine, tab, max(number, 1), PER_PAGE)
    items = [{"id": r.id, "child_ref": r.child_ref or "", "to": r.recipient_email or r.recipient_ref or "",
              "step": step_words(r.step), "status": outcome_label(r.status), "code": r.status,
              "attempts": r.attempts, "last_error": r.last_error, "what": what_was_due(r.payload or {}),
              "created_at": format_moment(r.created_at) if r.created_at else "",
              "sent_at": format_moment(r.sent_at) if r.sent_at else ""} for r in rows]
    if format == "csv":
        columns = ["id", "child_ref", "to", "step", "what", "status", "created_at", "sent_at", "attempts", "last_error"]
        return csv_download(request, site, s, visitor, "outbox.csv", columns, views.csv_rows(items, columns))
    pages = max(1, -(-total // PER_PAGE))
    counts = outbox_counts(site.app.engine)
    return site.render(request, "outbox.html.j2", 200, visitor, items=items, status=tab, tabs=TAB_LABELS,
                       counts=counts, total=total, failed=counts["failed"].items,
                       result={"page": min(number, pages), "pages": pages}, query={"status": tab},
                       notice=_taken_notice(s, visitor),
                       problems=delivery_problems(site.app.engine, site.app.config, site.app.clock.now()))


@router.post("/outbox/retry")
def outbox_retry(site: SiteDep, s: DatabaseDep, visitor: VisitorDep, form: CheckedFormDep):
    require(visitor, "retries_emails")
    given = form.get("id", "")
    if given and not (given.isascii() and given.isdigit() and len(given) <= MAX_ID_DIGITS):
        raise HTTPException(400, f"id = {quoted(given)}: is not the number of an email")
    ids = [int(given)] if given else None
    count = retry_failed(s, ids)
    audit(s, None, "outbox", "email_retry_requested", site.app.today(),
          {"notifications": ids or "all failed", "count": count}, actor=visitor.actor)
    leave_notice(s, visitor, f"{count} email{'' if count == 1 else 's'} put back in the queue; delivery tries again "
                             "within a minute.")
    s.commit()
    return RedirectResponse("/outbox?status=pending", status_code=303)


def _taken_notice(s, visitor) -> str:
    """The banner the retry left on the visitor's session (never words from the address)."""
    text = take_notice(s, visitor)
    if text:
        s.commit()
    return text
