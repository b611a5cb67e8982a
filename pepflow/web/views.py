"""What each page shows, read from the database for one signed-in user.

Lists filter, sort, count and page in SQL; only the rows of the page shown are turned into
dicts.  Every query here is limited by ``roles.child_scope``.  Overdue PEPs, the list that
must stay fast at 100,000 children, has a module of its own (``overdue.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterator

from sqlalchemy import and_, case, func, or_, select
from sqlmodel import Session

from pepflow.calendars import format_units
from pepflow.cohort import key_stage, year_group, year_group_label
from pepflow.config import Config
from pepflow.db.child_refs import child_by_ref
from pepflow.db.models import Child, Deadline, Person, School, UserAccount
from pepflow.engine import deadlines
from pepflow.engine.deadlines import calendar_for
from pepflow.audit.disclosures import security_event
from pepflow.errors import CalendarRangeError, NotFound
from pepflow.engine.deadlines import OverdueOn
from pepflow.rules.due_dates import how_late
from pepflow.accounts.access import child_scope
from pepflow.statuses import DeadlineStatus

PAGE_SIZE = 50


def scoped(query, user: UserAccount, today: dt.date | None = None):
    condition = child_scope(user, today)
    return query if condition is None else query.where(condition)


def visible_child(session: Session, user: UserAccount, ref: str, on: dt.date) -> Child:
    """The child, if this user may see them; NotFound otherwise (whether or not they exist).
    A look-up the user may not see is a security event (``disclosures``), committed before the
    refusal, and says no more to the visitor than "not found"."""
    found = child_by_ref(session, ref)  # whatever its case
    child = session.exec(scoped(select(Child).where(Child.ref == found.ref), user, on)).scalars().first() if found else None
    if child is None:
        security_event(session, "out_of_scope", on, {"ref": ref[:40], "account": user.email, "role": user.role},
                       actor=f"user:{user.email}")
        session.commit()
        raise NotFound("child", ref)
    return child


def visible_refs(session: Session, user: UserAccount, today: dt.date | None = None) -> set[str] | None:
    """Every child reference this user may see (None: everyone)."""
    condition = child_scope(user, today)
    if condition is None:
        return None
    return set(session.execute(select(Child.ref).where(condition)).scalars())


@dataclass
class ListPage:
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    counts: dict[str, int] = field(default_factory=dict)


def _page_of(total: int, page: int) -> tuple[int, int]:
    pages = max(1, -(-total // PAGE_SIZE))
    return min(max(1, page), pages), pages


# ---- My work --------------------------------------------------------------------------

MY_WORK_SORTS = {"due": Deadline.due_on, "child": Deadline.child_ref, "what": Deadline.kind}


def my_work(session: Session, config: Config, user: UserAccount, as_of: dt.date, within_days: int | None, page: int,
            everything: bool = False, sort: str = "due", descending: bool = False) -> ListPage:
    """Open deadlines this person owns (or their role owns, where no one is named), soonest first."""
    mine = []
    if user.person_ref:
        mine.append(Deadline.owner_ref == user.person_ref)
    # deadlines of a team rather than a person (VS admin's QA, "no DT email for school …")
    mine.append(and_(Deadline.owner_ref.is_(None), Deadline.owner_role == user.role))
    q = (select(func.count()).select_from(Deadline).join(Child, Child.ref == Deadline.child_ref)
         .where(Deadline.status == DeadlineStatus.OPEN, or_(*mine)))
    if within_days is not None:
        q = q.where(Deadline.due_on <= as_of + dt.timedelta(days=within_days))
    q = scoped(q, user)
    total, overdue = session.execute(q.add_columns(func.sum(case((Deadline.due_on < as_of, 1), else_=0)))).one()
    overdue = overdue or 0
    page, pages = _page_of(total, page)
    column = MY_WORK_SORTS.get(sort, Deadline.due_on)
    rows_q = q.with_only_columns(Deadline.id, Deadline.child_ref, Child.first_name, Child.last_name, Deadline.kind,
                                 Deadline.process, Deadline.due_on,
                                 Deadline.owner_role, Deadline.note, Deadline.unit, Deadline.calendar,
                                 Child.school_urn).order_by(
        column.desc() if descending else column.asc(), Deadline.due_on, Deadline.child_ref, Deadline.id)
    if not everything:
        rows_q = rows_q.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    late = OverdueOn(config, as_of).of
    rows = [{"child_ref": r.child_ref, "child_name": f"{r.first_name} {r.last_name}".strip(), "what": r.kind,
             "process": r.process, "due_on": r.due_on,
             "days_overdue": (lateness := late(r)).count, "overdue_unit": lateness.unit,
             "overdue_text": lateness.text, "owner_role": r.owner_role, "note": r.note}
            for r in session.execute(rows_q)]
    return ListPage(rows, total, page, pages, {"overdue": overdue, "due": total - overdue})


# ---- a child's case -----------------------------------------------------------------

def clock_text(used: int | None, total: int | None, unit: str) -> str:
    """'12 of 20 school days used', '3 of 20 school days over'."""
    if used is None or total is None:
        return ""
    if used > total:
        return f"{format_units(used - total, unit)} over ({total} allowed)"
    return f"{used} of {format_units(total, unit)} used"


def deadline_clock(session: Session, config: Config, child: Child, d: Deadline, as_of: dt.date) -> str:
    """How much of a deadline's time is used, in its own unit for school and working days and
    in calendar days otherwise (a term or a month has no fixed number of days to count)."""
    unit = d.unit if d.unit in ("school", "working") else "calendar"
    try:
        cal = calendar_for(session, config, child, name=d.calendar)
        if d.due_on <= d.opened_on:  # e.g. brought in from a council's records already late
            late = how_late(d.due_on, as_of, d.unit, cal)
            return f"{late.text} over" if late else "due now"
        used = cal.between(d.opened_on, max(as_of, d.opened_on), unit)
        total = cal.between(d.opened_on, d.due_on, unit)
    except CalendarRangeError:
        unit = "calendar"
        used, total = max(0, (as_of - d.opened_on).days), (d.due_on - d.opened_on).days
    return clock_text(used, total, unit)


def child_summary(session: Session, child: Child, as_of: dt.date) -> dict[str, Any]:
    school = session.get(School, child.school_urn) if child.school_urn else None
    names = {p.ref: p for p in session.execute(select(Person).where(Person.ref.in_(
        [r for r in (child.social_worker_ref, child.iro_ref, school.dt_ref if school else None) if r]))).scalars()}
    group = year_group(child.dob, as_of)

    def name(ref):
        return names[ref].name if ref in names else (ref or "not recorded")

    return {"ref": child.ref, "name": f"{child.first_name} {child.last_name}",
            "year_group": year_group_label(group), "key_stage": key_stage(group),
            "school": f"{school.name} ({school.urn})" if school else "no school recorded",
            "school_name": school.name if school else "", "school_urn": child.school_urn or "",
            "social_worker": name(child.social_worker_ref), "iro": name(child.iro_ref),
            "designated_teacher": name(school.dt_ref) if school else "not recorded",
            "legal_status": child.legal_status, "sen_status": child.sen_status,
            "entered_care": child.entered_care, "looked_after": child.looked_after,
            "left_care_on": child.left_care_on, "in_area": child.in_area}


def open_deadlines(session: Session, config: Config, child: Child, as_of: dt.date) -> list[dict[str, Any]]:
    """A child's open deadlines, each with its owner by name (their reference where the people list lacks them)."""
    rows = deadlines.open_deadlines(session, child.ref)
    names = dict(session.execute(select(Person.ref, Person.name).where(
        Person.ref.in_({d.owner_ref for d in rows if d.owner_ref}))).all()) if rows else {}
    return [{"id": d.id, "kind": d.kind, "what": config.timescales.describe(d.rule_key), "due_on": d.due_on,
             "overdue": d.due_on < as_of, "clock": deadline_clock(session, config, child, d, as_of),
             "owner_role": d.owner_role, "owner_ref": d.owner_ref, "owner_name": names.get(d.owner_ref or "", ""),
             "source": d.source, "note": d.note}
            for d in rows]


def closed_deadlines(session: Session, child: Child, limit: int = 30) -> list[Deadline]:
    return list(session.execute(select(Deadline).where(Deadline.child_ref == child.ref, Deadline.status != DeadlineStatus.OPEN)
                                .order_by(Deadline.closed_on.desc(), Deadline.id.desc()).limit(limit)).scalars())


def csv_rows(rows: list[dict[str, Any]], columns: list[str]) -> Iterator[list[Any]]:
    for r in rows:
        yield [r[c].isoformat() if isinstance(r[c], dt.date) else r[c] for c in columns]
