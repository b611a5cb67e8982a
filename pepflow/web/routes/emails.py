"""The email outbox: what was sent, what failed, and VS admin's retry button."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from ...audit import audit
from ...notify.outbox import delivery_problems, outbox_rows, retry_failed
from .. import views
from ..site import CheckedFormDep, DatabaseDep, SiteDep, VisitorDep, csv_download, require

router = APIRouter()
STATUSES = ("failed", "pending", "sending", "sent", "skipped")


@router.get("/outbox")
def outbox(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, status: str = "failed", format: str = "html"):
    require(visitor, "sees_outbox")
    rows = outbox_rows(site.app.engine, status if status in STATUSES else None, limit=500)
    items = [{"id": r.id, "child_ref": r.child_ref or "", "to": r.recipient_email or r.recipient_ref or "",
              "step": r.step, "status": r.status, "attempts": r.attempts, "last_error": r.last_error,
              "created_at": r.created_at, "sent_at": r.sent_at} for r in rows]
    if format == "csv":
        columns = ["id", "child_ref", "to", "step", "status", "attempts", "last_error"]
        return csv_download(request, site, s, visitor, "outbox.csv", columns, views.csv_rows(items, columns))
    return site.render(request, "outbox.html.j2", 200, visitor, items=items, status=status, statuses=STATUSES,
                       retried=request.query_params.get("retried"),
                       problems=delivery_problems(site.app.engine, site.app.config, site.app.clock.now()))


@router.post("/outbox/retry")
def outbox_retry(site: SiteDep, s: DatabaseDep, visitor: VisitorDep, form: CheckedFormDep):
    require(visitor, "retries_emails")
    ids = [int(form["id"])] if form.get("id", "").isdigit() else None
    count = retry_failed(s, ids)
    audit(s, None, "outbox", "email_retry_requested", site.app.today(),
          {"notifications": ids or "all failed", "count": count}, actor=visitor.actor)
    s.commit()
    return RedirectResponse(f"/outbox?status=pending&retried={count}", status_code=303)
