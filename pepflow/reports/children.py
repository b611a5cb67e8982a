"""Finding a child: the Virtual School's children page, a social worker's "My children" and a
designated teacher's "My pupils" are one list, limited to the children the person may see
(``accounts.access.child_scope``).

One search box takes what a person has to hand: part of a name (each word must begin a first
or last name), a reference (whatever its case), a UPN, or a date of birth as the pages print it
("18 Dec 2015") or typed (18/12/2015, 2015-12-18).  Filters narrow by school, year group,
social worker and whether the child is looked after now.  Each row has the child's school and
social worker by name, their PEP's state and how many of their deadlines are open and overdue.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from pepflow.accounts.access import child_scope
from pepflow.cohort import birth_dates_for_year_groups, year_group, year_group_label
from pepflow.db.child_refs import child_by_ref, near_child_refs
from pepflow.db.models import Child, Deadline, Pep, Person, School, UserAccount
from pepflow.db.planner import not_for_index
from pepflow.statuses import DeadlineStatus
from pepflow.values import date_value

PAGE_SIZE = 50
UPN = re.compile(r"[A-Za-z][0-9]{11}[0-9A-Za-z]")
LOOKED_AFTER = ("now", "left", "all")  # looked after now (the default), left care, or both
SORTS = ("name", "ref", "dob", "school")


@dataclass(frozen=True)
class ChildFilters:
    q: str = ""
    school: str = ""
    year: str = ""  # a year group, "-3" (nursery) to "14"
    sw: str = ""
    looked_after: str = "now"
    sort: str = "name"
    page: int = 1


@dataclass
class ChildrenPage:
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    searched_as: str = ""  # how the search text was read: "name", "reference", "UPN", "date of birth"
    near: list[str] = field(default_factory=list)  # references close to one that matched nothing


def read_search(text: str) -> tuple[str, Any]:
    """What the search text is: a date of birth, a UPN, or words of a name or a reference."""
    text = " ".join(text.split())[:100]
    if not text:
        return "", None
    try:
        return "date of birth", date_value(text)
    except ValueError:
        pass
    if UPN.fullmatch(text):
        return "UPN", text.upper()
    return "name or reference", text


def find_children(session: Session, user: UserAccount, as_of: dt.date, f: ChildFilters) -> ChildrenPage:
    """One page of the children this user may see that match ``f``, sorted by name."""
    conditions = []
    scope = child_scope(user, as_of)
    if scope is not None:
        conditions.append(scope)
    how, value = read_search(f.q)
    if how == "date of birth":
        conditions.append(Child.dob == value)
    elif how == "UPN":
        conditions.append(func.upper(Child.upn) == value)
    elif how:
        ref = _reference(session, value)
        conditions.append(Child.ref == ref if ref else _by_name(value))
    if f.school:
        conditions.append(Child.school_urn == f.school)
    if f.sw:
        conditions.append(Child.social_worker_ref == f.sw)
    if f.year.lstrip("-").isdigit():
        first, last = birth_dates_for_year_groups(int(f.year), int(f.year), as_of)
        conditions.append(Child.dob.between(first, last))
    # a search or filter that picks out a few children: SQLite must find them, not walk ix_child_by_name
    # (which leads with looked_after) row by row (bench/children.py: 148 ms against 45 for a UPN)
    selective = how in ("date of birth", "UPN") or bool(f.school or f.sw or f.year)
    looked_after = not_for_index(Child.looked_after) if selective else Child.looked_after
    if f.looked_after == "now":
        conditions.append(looked_after == True)  # noqa: E712  (a column, compared in SQL)
    elif f.looked_after == "left":
        conditions.append(looked_after == False)  # noqa: E712
    total = session.execute(select(func.count()).select_from(Child).where(*conditions)).scalar_one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, f.page), pages)
    worker = aliased(Person)
    # by name, the order of ix_child_by_name: a page of the whole list is read from it in order; the
    # few children a search or filter picks out are sorted instead
    name = (not_for_index(Child.last_name), Child.first_name) if selective else (Child.last_name, Child.first_name)
    order = {"ref": (Child.ref,), "dob": (Child.dob, Child.ref),
             "school": (School.name, *name, Child.ref)}.get(f.sort, (*name, Child.ref))
    rows = session.execute(
        select(Child.ref, Child.first_name, Child.last_name, Child.dob, Child.upn, Child.looked_after,
               Child.school_urn, School.name.label("school_name"), worker.name.label("sw_name"),
               Pep.state.label("pep_state"))
        .outerjoin(School, School.urn == Child.school_urn)
        .outerjoin(worker, worker.ref == Child.social_worker_ref)
        .outerjoin(Pep, and_(Pep.child_ref == Child.ref, Pep.is_current))
        .where(*conditions).order_by(*order).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    open_counts = _open_deadlines(session, [r.ref for r in rows], as_of)
    out = [{"ref": r.ref, "name": f"{r.first_name} {r.last_name}".strip() or r.ref, "dob": r.dob,
            "upn": r.upn or "", "year_group": year_group_label(year_group(r.dob, as_of)),
            "looked_after": r.looked_after, "school_urn": r.school_urn or "", "school": r.school_name or "",
            "social_worker": r.sw_name or "", "pep_state": r.pep_state or "none",
            "open": open_counts.get(r.ref, (0, 0))[0], "overdue": open_counts.get(r.ref, (0, 0))[1]}
           for r in rows]
    near = _near_references(session, user, value) if how == "name or reference" and not total else []
    return ChildrenPage(out, total, page, pages, how, near)


def _reference(session: Session, text: str) -> str | None:
    """The reference typed, as it is kept (references are matched whatever their case): found
    through the primary key, not by reading every child."""
    child = child_by_ref(session, text)
    return child.ref if child else None


def _by_name(text: str) -> Any:
    """Each word begins a first or last name, or a part of one ("Smith-Jones", "de Souza"),
    whatever its case."""
    words = [w.lower() for w in text.split(" ") if w]
    return and_(*[or_(*[func.lower(column).like(pattern, escape="\\")
                           for column in (Child.first_name, Child.last_name)
                           for pattern in (f"{_escaped(w)}%", f"% {_escaped(w)}%", f"%-{_escaped(w)}%")])
                   for w in words])


def _escaped(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _open_deadlines(session: Session, refs: list[str], as_of: dt.date) -> dict[str, tuple[int, int]]:
    """Open and overdue deadlines of each child of the page (one query, through the child index)."""
    if not refs:
        return {}
    found = session.execute(
        select(Deadline.child_ref, func.count(), func.sum(case((Deadline.due_on < as_of, 1), else_=0)))
        .where(Deadline.child_ref.in_(refs), Deadline.status == DeadlineStatus.OPEN)
        .group_by(Deadline.child_ref)).all()
    return {ref: (n, overdue or 0) for ref, n, overdue in found}


def _near_references(session: Session, user: UserAccount, text: str) -> list[str]:
    """References like the one typed, among the children this user may see ("did you mean")."""
    return near_child_refs(session, text, child_scope(user))
