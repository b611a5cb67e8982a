"""Turn outbox rows into email messages, from templates a council may override.

A template in the council's ``templates/`` folder (beside its config) replaces the shipped
one of the same name: ``digest.txt.j2`` and ``digest.html.j2``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined, select_autoescape

from ..config import Config


def environment(config: Config) -> Environment:
    loaders = []
    council = Path(config.directory) / "templates"
    if council.is_dir():
        loaders.append(FileSystemLoader(str(council)))
    loaders.append(PackageLoader("pepflow.notify", "templates"))
    return Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape(["html", "html.j2"]),
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def reason(item: dict[str, Any]) -> str:
    step = item.get("step", "")
    if step.startswith("remind"):
        return "A reminder: it is yours to do."
    if step.startswith("escalate"):
        return f"An escalation: it is overdue ({item.get('why', '')})."
    if step == "missing_contact":
        return "Please complete the record so reminders can be sent."
    return ""


def message_id(first_notification_id: int, recipient: str, domain: str) -> str:
    """Stable for a digest: a retry of the same email carries the same Message-ID."""
    digest = hashlib.sha256(recipient.lower().encode()).hexdigest()[:12]
    return f"<pepflow.{first_notification_id}.{digest}@{domain}>"


def build_message(config: Config, env: Environment, recipient: str, items: list[dict[str, Any]],
                  first_id: int, now: dt.datetime) -> EmailMessage:
    delivery = config.notifications.delivery
    today = now.date().isoformat()
    context = {"items": items, "authority": config.settings.authority_name, "today": today,
               "reason": reason}
    overdue = sum(1 for i in items if i.get("days_overdue"))
    subject = (f"pepflow: {len(items)} item{'s' if len(items) != 1 else ''} for you"
               + (f", {overdue} overdue" if overdue else ""))
    msg = EmailMessage()
    msg["From"] = delivery.from_address
    msg["To"] = recipient
    msg["Subject"] = subject
    msg["Date"] = format_datetime(now)
    domain = delivery.from_address.split("@")[-1] or "pepflow.local"
    msg["Message-ID"] = message_id(first_id, recipient, domain)
    msg.set_content(env.get_template("digest.txt.j2").render(context))
    msg.add_alternative(env.get_template("digest.html.j2").render(context), subtype="html")
    return msg
