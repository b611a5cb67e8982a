"""Turn outbox rows into email messages, from templates a council may override.

A template in the council's ``templates/`` folder (beside its config) replaces the shipped
one of the same name: ``digest.txt.j2`` and ``digest.html.j2``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import quopri
import uuid
from dataclasses import dataclass
from email.header import Header
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined, select_autoescape

from pepflow.calendars import format_day, format_iso_day, format_moment, format_units
from pepflow.clock import LONDON
from pepflow.config import Config
from pepflow.vocabulary import kind_label

ACCOUNT_STEP = "account_link"  # notify/account_emails.py


def environment(config: Config) -> Environment:
    loaders = []
    council = Path(config.directory) / "templates"
    if council.is_dir():
        loaders.append(FileSystemLoader(str(council)))
    loaders.append(PackageLoader("pepflow.notify", "templates"))
    # made afresh for each dispatch, so a council's edited template is used from the next one;
    # within a dispatch, templates are not checked on disk again for every email
    return Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape(["html", "html.j2"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, auto_reload=False)


def reason(item: dict[str, Any]) -> str:
    step = item.get("step", "")
    if step.startswith("remind"):
        return "A reminder: it is yours to do."
    if step.startswith("escalate"):
        return f"An escalation: it is overdue ({item.get('why', '')})."
    if step == "chase":
        return f"A reminder sent now, {item.get('why', 'asked for by the Virtual School')}: it is yours to do."
    if step == "missing_contact":
        return "Please complete the record so reminders can be sent."
    if step == "notice":
        return f"For you to know without delay (as {item.get('why', '')})."
    if step == "delivery_failed":
        return "An email pepflow could not deliver: someone has not been told."
    return ""


def message_id(first_notification_id: int, recipient: str, domain: str) -> str:
    """Stable for a digest: a retry of the same email carries the same Message-ID."""
    digest = hashlib.sha256(recipient.lower().encode()).hexdigest()[:12]
    return f"<pepflow.{first_notification_id}.{digest}@{domain}>"


@dataclass(frozen=True)
class OutgoingEmail:
    """A rendered email: who it is from and to, its Message-ID, and its bytes (RFC 5322)."""

    sender: str
    to: str
    message_id: str
    raw: bytes


def _what_is_due(config: Config, kind: str) -> str:
    """ "Termly PEP review: PEP reviewed each school term …", the label not said twice."""
    label, description = kind_label(kind), config.timescales.describe(kind)
    return description if description.lower().startswith(label.lower()) else f"{label}: {description}"


def describe_items(config: Config, payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Add what the templates show (what is due, how late, the link) to outbox payloads."""
    base = config.settings.base_url.rstrip("/")
    items = []
    for p in payloads:
        if p.get("step") == ACCOUNT_STEP:  # about the person's own account: its own link, no case
            items.append({**p, "reason": ""})
            continue
        what = p.get("what") or _what_is_due(config, p["kind"])
        overdue = p.get("days_overdue") or 0
        # payloads written before the unit was recorded counted working days
        items.append({"child_name": "", **p, "what": what,
                      "overdue_text": format_units(overdue, p.get("overdue_unit", "working")) if overdue else "",
                      "due_text": format_iso_day(p.get("due_on")),
                      "link": f"{base}/children/{p['child_ref']}", "reason": reason(p)})
    return items


def _header(value: str) -> str:
    return value if value.isascii() else Header(value, "utf-8").encode()


def _part(content_type: str, text: str) -> bytes:
    body = quopri.encodestring(text.replace("\r\n", "\n").encode("utf-8")).replace(b"\n", b"\r\n")
    return (f"Content-Type: {content_type}; charset=\"utf-8\"\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n").encode() + body


def build_message(config: Config, env: Environment, recipient: str, payloads: list[dict[str, Any]],
                  first_id: int, now: dt.datetime) -> OutgoingEmail:
    """One email (text and HTML alternatives) listing ``payloads`` for ``recipient``.

    Written straight to bytes: the standard library's EmailMessage spent ten times longer
    folding headers than the rest of delivery (bench/sweep.py)."""
    delivery = config.notifications.delivery
    items = describe_items(config, payloads)
    context = {"items": items, "authority": config.settings.authority_name,
               "today": format_day(now.astimezone(LONDON).date()), "reason": reason}
    overdue = sum(1 for i in items if i.get("days_overdue"))
    subject = items[0].get("subject") if len(items) == 1 else None  # a notice names itself
    subject = subject or (f"pepflow: {len(items)} item{'s' if len(items) != 1 else ''} for you"
                          + (f", {overdue} overdue" if overdue else ""))
    domain = delivery.from_address.split("@")[-1] or "pepflow.local"
    mid = message_id(first_id, recipient, domain)
    boundary = f"=_pepflow_{uuid.uuid4().hex}"
    head = (f"From: {delivery.from_address}\r\nTo: {recipient}\r\nSubject: {_header(subject)}\r\n"
            f"Date: {format_datetime(now)}\r\nMessage-ID: {mid}\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n").encode()
    if items[0].get("step") == ACCOUNT_STEP:  # a password link goes alone (notify/account_emails.py)
        context["expires"] = format_moment(dt.datetime.fromisoformat(items[0]["expires_at"]))
        name = "account"
    else:
        name = "digest"
    raw = b"".join([
        head, f"--{boundary}\r\n".encode(), _part("text/plain", env.get_template(f"{name}.txt.j2").render(context)),
        f"\r\n--{boundary}\r\n".encode(), _part("text/html", env.get_template(f"{name}.html.j2").render(context)),
        f"\r\n--{boundary}--\r\n".encode()])
    return OutgoingEmail(delivery.from_address, recipient, mid, raw)
