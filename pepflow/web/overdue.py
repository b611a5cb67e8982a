"""Overdue PEPs: VS admin's list of open PEP deadlines past due, its counts, filter lists and
CSV, for one signed-in user at 100,000 children (bench/web.py, bench/web_load.py).

The list filters, sorts, counts and pages in SQL, limited by ``roles.child_scope``; only the
page's rows become dicts.  Counts and filter lists are kept while nothing has changed
(``freshness.py``); a page in due order, and the whole list for a CSV, are merged from each
deadline kind's index instead of sorted whole.
"""

from __future__ import annotations

import datetime as dt
import functools
import heapq
from dataclasses import dataclass
from typing import Any, Iterator, NamedTuple

from sqlalchemy import and_, func, select, union_all
from sqlalchemy.orm import aliased
from sqlmodel import Session

from pepflow.cohort import KEY_STAGES, birth_dates_for_year_groups, key_stage, year_group, year_group_label
from pepflow.config import Config
from pepflow.db.connection import small_cache
from pepflow.db.models import Child, Deadline, Pep, Person, School, UserAccount
from pepflow.engine.deadlines import OverdueOn
from pepflow.reports.listings import PEP_KINDS
from pepflow.rules.due_dates import Lateness
from pepflow.accounts.access import child_scope
from pepflow.web.freshness import Fresh, Options
from pepflow.web.views import PAGE_SIZE, ListPage, _page_of
from pepflow.statuses import DeadlineStatus

__all__ = ["KEY_STAGES", "OVERDUE_CSV_COLUMNS", "OVERDUE_SORTS", "OverdueFilters", "filter_options", "overdue_count", "overdue_csv_rows",
           "overdue_peps"]

SW, DTP = aliased(Person), aliased(Person)
# column and whether "ascending" on the page means ascending in SQL (year group rises as
# the date of birth falls)
OVERDUE_SORTS = {
    "due": (Deadline.due_on, True), "child": (Deadline.child_ref, True), "year": (Child.dob, False),
    "school": (School.name, True), "sw": (SW.name, True), "dt": (DTP.name, True),
    "state": (Pep.state, True), "what": (Deadline.kind, True),
}
DEADLINE_SORTS = ("due", "child", "what")


@dataclass(frozen=True)
class OverdueFilters:
    school: str = ""
    sw: str = ""
    key_stage: str = ""
    state: str = ""
    min_days: int | None = None
    sort: str = "due"
    descending: bool = False
    page: int = 1


def _overdue_query(columns, user: "UserAccount | Viewer", as_of: dt.date, f: OverdueFilters, rows: bool = False):
    """Open PEP deadlines past due, joined only to what the filters (or the shown rows) need.

    Counting 60,000 overdue deadlines among a million reads only the covering index
    ``ix_deadline_ledger``; every join multiplies that (bench/web.py).  Children who
    left care have no open deadlines (``left_care`` cancels them all), so the child row is
    needed only to filter or show."""
    q = (select(*columns).select_from(Deadline)
         .where(Deadline.status == DeadlineStatus.OPEN, Deadline.kind.in_(PEP_KINDS), Deadline.due_on < as_of))
    children = _children_filtered(user, as_of, f)
    if children is not None:
        # a few hundred children: found first by their own indexes, then their deadlines
        q = q.where(Deadline.child_ref.in_(children))
    # the PEP state filter is a list of children too: joined on the state, SQLite without
    # statistics reads every PEP in that state for each deadline (a minute, not 0.1 s)
    current = select(Pep.child_ref).where(Pep.is_current)
    if f.state == "none":
        q = q.where(Deadline.child_ref.not_in(current))
    elif f.state:
        q = q.where(Deadline.child_ref.in_(current.where(Pep.state == f.state)))
    if rows:
        q = _with_display_joins(q)
    if f.min_days:
        q = q.where(Deadline.due_on <= as_of - dt.timedelta(days=f.min_days))
    return q


def _with_display_joins(q):
    """Join what a row of the list shows: the child, their PEP, school, social worker and DT."""
    return (q.join(Child, Child.ref == Deadline.child_ref)
            .outerjoin(Pep, and_(Pep.child_ref == Deadline.child_ref, Pep.is_current))
            .outerjoin(School, School.urn == Child.school_urn)
            .outerjoin(SW, SW.ref == Child.social_worker_ref)
            .outerjoin(DTP, DTP.ref == School.dt_ref))


def _children_filtered(user: "UserAccount | Viewer", as_of: dt.date, f: OverdueFilters):
    """The children the scope and filters allow, as a subquery (None: no limit)."""
    conditions = []
    scope = child_scope(user)
    if scope is not None:
        conditions.append(scope)
    if f.school:
        conditions.append(Child.school_urn == f.school)
    if f.sw:
        conditions.append(Child.social_worker_ref == f.sw)
    if f.key_stage in KEY_STAGES:
        first, last = birth_dates_for_year_groups(*KEY_STAGES[f.key_stage], as_of)
        conditions += [Child.dob >= first, Child.dob <= last]
    if not conditions:
        return None
    return select(Child.ref).where(Child.looked_after, *conditions)


OVERDUE_COLUMNS = (Child.ref, Child.first_name, Child.last_name, Child.dob, Child.school_urn,
                   School.name.label("school_name"),
                   Child.social_worker_ref, SW.name.label("sw_name"), DTP.name.label("dt_name"),
                   Pep.state.label("pep_state"), Deadline.kind, Deadline.due_on, Deadline.owner_role,
                   Deadline.unit, Deadline.calendar)


class Viewer(NamedTuple):
    """What decides which children a user sees (``roles.child_scope``): a key for caches."""

    role: str
    person_ref: str | None
    school_urn: str | None

    @classmethod
    def of(cls, user: UserAccount) -> "Viewer":
        return cls(user.role, user.person_ref, user.school_urn)


def overdue_peps(session: Session, config: Config, user: UserAccount, as_of: dt.date, f: OverdueFilters,
                 everything: bool = False, fresh: Fresh | None = None) -> ListPage:
    """A page of overdue PEP deadlines (or all of them), with the counts by kind.  ``fresh``
    keeps the counts while nothing has changed (``freshness.py``)."""
    if f.min_days:
        return _overdue_at_least(session, config, user, as_of, f, everything)
    viewer = Viewer.of(user)
    by_kind = _counts_by_kind(session, viewer, as_of, f, fresh)
    total = sum(by_kind.values())
    order = _overdue_order(f)
    page, pages = _page_of(total, f.page)
    if not everything and f.sort == "due" and page * PAGE_SIZE <= MERGE_PAGES_UP_TO:
        chosen = list(session.execute(_soonest_due_statement(viewer, as_of, f, page)).scalars())
        query = _with_display_joins(select(*OVERDUE_COLUMNS).select_from(Deadline)
                                    .where(Deadline.id.in_(chosen))).order_by(*order)
    elif not everything and f.sort in DEADLINE_SORTS:
        # the page's 50 deadlines chosen from the index alone, then joined for display
        chosen = [i for (i,) in session.execute(_overdue_query([Deadline.id], user, as_of, f).order_by(*order)
                                                 .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))]
        query = _with_display_joins(select(*OVERDUE_COLUMNS).select_from(Deadline)
                                    .where(Deadline.id.in_(chosen))).order_by(*order)
    else:
        query = _overdue_query(OVERDUE_COLUMNS, user, as_of, f, rows=True).order_by(*order)
        if not everything:
            query = query.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)
    late = OverdueOn(config, as_of).of
    rows = [overdue_row(r, as_of, late(r)) for r in session.execute(query)]
    return ListPage(rows, total, page, pages, by_kind)


# Up to this many rows into the list, a page in due order is merged from each kind's own
# soonest (below); deeper pages sort the whole list, which is then the quicker.
MERGE_PAGES_UP_TO = 1000


@functools.lru_cache(maxsize=256)
def _soonest_due_statement(viewer: Viewer, as_of: dt.date, f: OverdueFilters, page: int) -> Any:
    """The ids of a page of the list in due order, merged from each kind's soonest deadlines.

    The covering index ``ix_deadline_ledger`` holds each kind's open deadlines in due order,
    but the list mixes nine kinds: ordering them all sorted 60,000 entries for 50 rows
    (6.5 ms of the 15 ms budget at 100,000 children).  Taking the first ``page`` × 50 of
    each kind in index order and merging those reads a few hundred (0.3 ms; bench/web.py).
    The statement of ten selects is kept once built (building it took 2 ms)."""
    wanted = page * PAGE_SIZE
    due = Deadline.due_on.desc() if f.descending else Deadline.due_on.asc()
    parts = [_overdue_query([Deadline.due_on, Deadline.child_ref, Deadline.id], viewer, as_of, f)
             .where(Deadline.kind == kind).order_by(due, Deadline.child_ref, Deadline.id).limit(wanted).subquery()
             for kind in PEP_KINDS]
    merged = union_all(*(select(p.c.due_on, p.c.child_ref, p.c.id) for p in parts)).subquery()
    merged_due = merged.c.due_on.desc() if f.descending else merged.c.due_on.asc()
    return (select(merged.c.id).order_by(merged_due, merged.c.child_ref, merged.c.id)
            .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))


def _overdue_order(f: OverdueFilters) -> tuple[Any, ...]:
    """The list's order: the chosen column, then soonest due, then child."""
    column, ascending = OVERDUE_SORTS.get(f.sort, OVERDUE_SORTS["due"])
    first = column.asc() if ascending != f.descending else column.desc()
    return (first, Deadline.due_on, Deadline.child_ref, Deadline.id)


OVERDUE_CSV_COLUMNS = ["child_ref", "child_name", "year_group", "school_urn", "school", "social_worker", "designated_teacher",
                       "pep_state", "due", "due_on", "overdue_unit", "days_overdue"]
CSV_BATCH = 1000


def _counts_by_kind(session: Session, viewer: Viewer, as_of: dt.date, f: OverdueFilters,
                    fresh: Fresh | None) -> dict[str, int]:
    """The list's overdue deadlines counted by kind, kept while nothing has changed: the page and
    each download of the same list share them."""
    def count() -> dict[str, int]:
        return dict(session.execute(_overdue_query([Deadline.kind, func.count()], viewer, as_of, f)
                                    .group_by(Deadline.kind)).all())

    if fresh is None:
        return count()
    return fresh.get(("overdue counts", viewer, as_of, f.school, f.sw, f.key_stage, f.state), count)


def overdue_count(s: Session, config: Config, user: UserAccount, as_of: dt.date, f: OverdueFilters,
                  fresh: Fresh | None = None) -> int:
    """How many rows the whole list has (the number a download's disclosure records)."""
    viewer = Viewer.of(user)
    if f.min_days:  # counted in each deadline's own unit: one pass over what SQL can narrow
        late = OverdueOn(config, as_of).of
        query = _overdue_query(OVERDUE_COLUMNS, viewer, as_of, f, rows=True)
        return sum(1 for r in s.execute(query.execution_options(yield_per=5000)) if late(r).count >= f.min_days)
    return sum(_counts_by_kind(s, viewer, as_of, f, fresh).values())


def overdue_csv_rows(engine: Any, config: Config, user: UserAccount, as_of: dt.date, f: OverdueFilters
                     ) -> Iterator[list[Any]]:
    """The whole list's rows for a CSV (``OVERDUE_CSV_COLUMNS``), read as they are written, from a
    session of their own open while the file is made.

    Ten people downloading 60,000 rows at once held 1.7 GB when each built the file as dicts
    and one string, and still hundreds of MB when each had SQLite sort the joined list.  In
    due order (the list's own) the rows come merged from each kind's index as they are read
    (``_overdue_rows_for_csv``), joined only to the child and their PEP; names come from the
    school and person lists, read once.  The page makes the file once a change and shares it
    (``routes/peps.py``)."""
    viewer = Viewer.of(user)
    late = OverdueOn(config, as_of).of
    with Session(engine) as s, small_cache(s):
        names = _names(s)
        year_groups: dict[dt.date, str] = {}
        for r in _overdue_rows_for_csv(s, viewer, as_of, f):
            lateness = late(r)
            if f.min_days and lateness.count < f.min_days:
                continue
            label = year_groups.get(r.dob)
            if label is None:
                label = year_groups[r.dob] = year_group_label(year_group(r.dob, as_of))
            school = names["schools"].get(r.school_urn)
            yield [r.ref, f"{r.first_name} {r.last_name}".strip(), label, r.school_urn or "", school[0] if school else "",
                   names["people"].get(r.social_worker_ref, ""),
                   names["people"].get(school[1], "") if school else "", r.pep_state or "none", r.kind,
                   r.due_on.isoformat(), lateness.unit, lateness.count]


CSV_COLUMNS_READ = (Deadline.id, Child.ref, Child.first_name, Child.last_name, Child.dob, Child.school_urn, Child.social_worker_ref,
                    Pep.state.label("pep_state"), Deadline.kind, Deadline.due_on, Deadline.unit, Deadline.calendar)


def _overdue_rows_for_csv(s: Session, viewer: Viewer, as_of: dt.date, f: OverdueFilters) -> Iterator[Any]:
    """The list's rows for a CSV in the list's order, joined to the child and their PEP.

    In due order (the list's own) each kind's rows are read joined, in the order of its own
    index, and the nine streams merged as they come (``heapq.merge``): nothing is sorted
    whole, nothing read twice.  Read through the connection, not the ORM: 60,000 rows as ORM
    results cost a third of a download more (bench/web_load.py)."""
    connection = s.connection()
    if f.sort != "due":  # another column's order: the database sorts the joined list
        query = _overdue_query(CSV_COLUMNS_READ, viewer, as_of, f, rows=True).order_by(*_overdue_order(f))
        yield from connection.execute(query.execution_options(yield_per=CSV_BATCH))
        return
    due = Deadline.due_on.desc() if f.descending else Deadline.due_on.asc()
    streams = [connection.execute(
        _overdue_query(CSV_COLUMNS_READ, viewer, as_of, f)
        .join(Child, Child.ref == Deadline.child_ref)
        .outerjoin(Pep, and_(Pep.child_ref == Deadline.child_ref, Pep.is_current))
        .where(Deadline.kind == kind).order_by(due, Deadline.child_ref, Deadline.id)
        .execution_options(yield_per=CSV_BATCH)) for kind in PEP_KINDS]
    if f.descending:
        def key(r):
            return (-r.due_on.toordinal(), r.ref, r.id)
    else:
        def key(r):
            return (r.due_on, r.ref, r.id)
    yield from heapq.merge(*streams, key=key)


def _names(s: Session) -> dict[str, dict[str, Any]]:
    """Every school's name and DT, and every person's name, for rows that show them."""
    return {"schools": {u: (n, d) for u, n, d in s.execute(select(School.urn, School.name, School.dt_ref))},
            "people": dict(s.execute(select(Person.ref, Person.name)).all())}


def _overdue_at_least(session: Session, config: Config, user: UserAccount, as_of: dt.date, f: OverdueFilters,
                      everything: bool) -> ListPage:
    """Overdue by at least ``f.min_days`` in each deadline's own unit (``how_late``), which
    SQL cannot count: the database finds those at least that many calendar days overdue
    (no fewer school or working days can have passed), and each is then counted."""
    query = _overdue_query(OVERDUE_COLUMNS, user, as_of, f, rows=True).order_by(*_overdue_order(f))
    late = OverdueOn(config, as_of).of
    rows = [overdue_row(r, as_of, lateness) for r in session.execute(query)
            if (lateness := late(r)).count >= (f.min_days or 0)]
    by_kind: dict[str, int] = {}
    for r in rows:
        by_kind[r["due"]] = by_kind.get(r["due"], 0) + 1
    page, pages = _page_of(len(rows), f.page)
    shown = rows if everything else rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    return ListPage(shown, len(rows), page, pages, by_kind)


def overdue_row(r, as_of: dt.date, late: Lateness) -> dict[str, Any]:
    group = year_group(r.dob, as_of)
    return {"child_ref": r.ref, "child_name": f"{r.first_name} {r.last_name}".strip(),
            "year_group": year_group_label(group), "key_stage": key_stage(group),
            "school_urn": r.school_urn or "", "school": r.school_name or "", "social_worker": r.sw_name or "",
            "designated_teacher": r.dt_name or "", "pep_state": r.pep_state or "none", "due": r.kind,
            "owner_role": r.owner_role, "due_on": r.due_on, "days_overdue": late.count,
            "overdue_unit": late.unit, "overdue_text": late.text}


def filter_options(session: Session, user: UserAccount, fresh: Fresh | None = None
                   ) -> dict[str, list[tuple[str, str]]]:
    """Schools and social workers of the children this user may see, for the filter lists."""
    if fresh is not None:
        return fresh.get(("filter options", Viewer.of(user)), lambda: filter_options(session, user))
    scope = child_scope(user)
    if scope is None:  # everyone: the lists themselves, without reading 100,000 children
        schools = session.execute(select(School.urn, School.name).order_by(School.name)).all()
        workers = session.execute(select(Person.ref, Person.name).where(Person.role == "social_worker")
                                  .order_by(Person.name)).all()
    else:
        schools = session.execute(select(School.urn, School.name).join(Child, Child.school_urn == School.urn)
                                  .where(scope).distinct().order_by(School.name)).all()
        workers = session.execute(select(Person.ref, Person.name).join(Child, Child.social_worker_ref == Person.ref)
                                  .where(scope).distinct().order_by(Person.name)).all()
    return {"schools": Options((u, n) for u, n in schools), "social_workers": Options((r, n) for r, n in workers)}
