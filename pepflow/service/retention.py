"""Retention as the council's schedule sets it (issue 43 items 3 and 4): what reaches its date, when
and why (``pepflow records due``), and legal holds, which keep a child's records (or everyone's,
during an inquiry) from any purge.  Placing and lifting a hold are rows of the history."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from sqlalchemy import func, or_, select

from pepflow.audit import audit
from pepflow.audit.disclosures import ACCESS_PROCESS
from pepflow.config import Config
from pepflow.config.retention import RECORDS
from pepflow.db.models import Child, Event, LegalHold, Notification
from pepflow.db.unit import UnitOfWork
from pepflow.errors import InputError, NotFound
from pepflow.rules.retention_rules import ChildFacts, add_years, retention_date
from pepflow.values import clean

PROCESS = "records"


@dataclass(frozen=True)
class DueItem:
    child_ref: str
    record: str
    due_on: str
    action: str
    why: str
    source: str
    rows: int | None  # for emails and views: how many rows reach their date
    held: bool
    rule: str = ""  # the rule in words, without the child's dates (rules/retention_rules.rule_words)

    def as_dict(self) -> dict:
        return asdict(self)


def held_children(session: UnitOfWork, on: dt.date) -> tuple[bool, set[str]]:
    """Whether everything is on hold, and the children whose records are."""
    everyone, children = False, set()
    for child_ref, in session.execute(select(LegalHold.child_ref).where(
            LegalHold.placed_on <= on, or_(LegalHold.lifted_on.is_(None), LegalHold.lifted_on > on))):
        if child_ref is None:
            everyone = True
        else:
            children.add(child_ref)
    return everyone, children


def records_due(session: UnitOfWork, config: Config, as_of: dt.date, within_days: int = 0) -> list[DueItem]:
    """Every child's record that reaches its date by ``as_of`` + ``within_days``, soonest first."""
    schedule, until = config.retention, as_of + dt.timedelta(days=within_days)
    everyone, held = held_children(session, as_of)
    items: list[DueItem] = []
    per_row = {r: retention_date(schedule, r, ChildFacts("", dt.date(2000, 1, 1))) for r in ("emails", "views")}
    for ref, dob, died, left, ehcp in session.execute(select(Child.ref, Child.dob, Child.died_on, Child.left_care_on,
                                                             Child.ever_ehcp)):
        facts = ChildFacts(ref, dob, died, left, bool(ehcp))
        for record in RECORDS:
            if record in per_row:
                continue
            found = retention_date(schedule, record, facts)
            if found is not None and found.due_on <= until:
                items.append(DueItem(ref, record, found.due_on.isoformat(), found.rule.action, found.why,
                                     found.rule.source, None, everyone or ref in held, found.rule_words))
    for record, found in per_row.items():
        if found is None:
            continue
        cutoff = dt.datetime.combine(add_years(until, -found.rule.years), dt.time(), tzinfo=dt.timezone.utc)
        if record == "emails":
            query = select(Notification.child_ref, func.count(), func.min(Notification.created_at)).where(
                Notification.child_ref.is_not(None), Notification.created_at < cutoff).group_by(Notification.child_ref)
        else:
            query = select(Event.child_ref, func.count(), func.min(Event.recorded_at)).where(
                Event.process == ACCESS_PROCESS, Event.child_ref.is_not(None), Event.recorded_at < cutoff
            ).group_by(Event.child_ref)
        for ref, count, oldest in session.execute(query):
            due = add_years(oldest.date(), found.rule.years)
            items.append(DueItem(ref, record, due.isoformat(), found.rule.action,
                                 f"{count} row(s) more than {found.rule.years} years old", found.rule.source, count,
                                 everyone or ref in held, found.rule_words))
    return sorted(items, key=lambda i: (i.due_on, i.child_ref, i.record))


def place_hold(session: UnitOfWork, child_ref: str | None, reason: str, by: str, on: dt.date) -> LegalHold:
    """Keep a child's records (or, with no child, everyone's) from any purge until lifted."""
    reason = clean(reason, 500).strip()
    if not reason:
        raise InputError("reason", "", "is needed: why the records must be kept (the inquiry, the claim)")
    if child_ref is not None and session.get(Child, child_ref) is None:
        raise NotFound("child", child_ref)
    hold = LegalHold(child_ref=child_ref, reason=reason, placed_on=on, placed_by=by, lifted_by="")
    session.add(hold)
    session.flush()
    audit(session, child_ref, PROCESS, "legal_hold_placed", on,
          {"hold": hold.id, "reason": reason, "scope": "child" if child_ref else "all records"}, actor=by)
    return hold


def lift_hold(session: UnitOfWork, number: int, by: str, on: dt.date) -> LegalHold:
    hold = session.get(LegalHold, number)
    if hold is None:
        raise NotFound("legal hold", str(number))
    if hold.lifted_on is not None:
        raise InputError("hold", number, f"was lifted on {hold.lifted_on.isoformat()}")
    hold.lifted_on, hold.lifted_by = on, by
    session.add(hold)
    audit(session, hold.child_ref, PROCESS, "legal_hold_lifted", on, {"hold": hold.id}, actor=by)
    return hold


def holds(session: UnitOfWork) -> list[LegalHold]:
    return list(session.execute(select(LegalHold).order_by(LegalHold.id)).scalars())
