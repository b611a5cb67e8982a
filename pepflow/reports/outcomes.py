"""A deadline's compliance outcome, defined once (``outcome``), and the report's counts of
outcomes made by the database (``timescale_outcomes``), which tests/test_compliance_outcome.py
holds equal to judging every deadline with ``outcome``."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import and_, case, func, literal
from sqlmodel import Session, select

from pepflow.db.planner import not_for_index
from pepflow.db.models import Deadline
from pepflow.statuses import DeadlineStatus


def outcome(d: Any, as_of: dt.date) -> str:
    """A deadline's outcome judged on ``as_of`` (``d`` is a Deadline or a row of its columns)."""
    if d.closed_on is not None and d.closed_on <= as_of and d.status != DeadlineStatus.OPEN:
        return d.status
    return "breached" if d.due_on < as_of else "pending"


def timescale_outcomes(session: Session, start: dt.date, end: dt.date, as_of: dt.date
                        ) -> tuple[dict[str, dict[str, Any]], dict[str, Counter]]:
    """Deadlines due in the period by kind and outcome as of ``as_of``, and days late.

    A deadline's outcome is its closing status if it was closed by ``as_of``, else breached
    (past due) or pending.  Judging that row by row is a sort of every deadline; instead
    (bench/report.py):

    - the counts by status and kind are the report's one unavoidable GROUP BY, streamed
      from the index (status, kind, due_on, …);
    - open deadlines, a small part, are split into breached and pending by their due date;
    - each kind's rule versions and unit are found by a few seeks in (kind, rule_version,
      due_on, unit), not read off every row;
    - days late are counted kind by kind among those met late;
    - the few rows closed after ``as_of`` are moved back to breached or pending.
    """
    D = Deadline.__table__.c
    in_period = (D.due_on >= start, D.due_on <= end)
    # SQLite's statistics lead it to skip-scan every status for a range of due dates, even
    # with one status named (0.4 s where reading that status's part of the index takes
    # 0.02 s): where a status is named, the due date is not offered to it for an index
    due = not_for_index(D.due_on)
    one_status_in_period = (due >= start, due <= end)
    by_status: dict[str, Counter] = defaultdict(Counter)
    for status, kind, n in session.execute(select(D.status, D.kind, func.count()).where(*in_period)
                                           .group_by(D.status, D.kind)):
        by_status[kind][status] += n
    overdue_open = dict(session.execute(
        select(D.kind, func.count()).where(D.status == DeadlineStatus.OPEN, *one_status_in_period, due < as_of)
        .group_by(D.kind)).all())
    timescales: dict[str, dict[str, Any]] = {}
    flags: set[str] = set()  # kinds with items no rule governs (rule_version ""): not timescales
    for kind, statuses in by_status.items():
        versions = _rule_versions(session, kind, start, end)
        if "" in versions:
            flags.add(kind)
        ruled = {v: unit for v, unit in versions.items() if v}
        if not ruled:
            continue  # only flags
        outcomes: Counter = Counter()
        for status, n in statuses.items():
            if status == DeadlineStatus.OPEN:
                outcomes["breached"] += overdue_open.get(kind, 0)
                outcomes["pending"] += n - overdue_open.get(kind, 0)
            else:
                outcomes[status] += n
        timescales[kind] = {"kind": kind, "unit": min(ruled.values()), "outcomes": outcomes,
                            "rule_versions": set(ruled)}
    late_counts: dict[str, Counter] = defaultdict(Counter)
    for kind in timescales:  # kind by kind: one kind's days late sort in a fraction of the time
        for days_late, n in session.execute(
                select(D.days_late, func.count())
                .where(D.status == DeadlineStatus.MET_LATE, D.kind == kind, *one_status_in_period, D.rule_version != "",
                       D.days_late.is_not(None)).group_by(D.days_late)):
            late_counts[kind][days_late] += n
    # less those closed after as_of, which were still open then (found through the
    # closed_on index; there are none when the report is as of today)
    # (SQLite with statistics would rather scan the (status, kind, due_on) index and look up
    # every row of the period for its closed_on: 3.3 s of a 6.6 s report at 1,200,000
    # deadlines, bench/report.py; so status and due_on are not offered to it for an index)
    overdue_then = case((D.due_on < as_of, 1), else_=0)
    for status, kind, version, overdue, days_late, n in session.execute(
            select(D.status, D.kind, D.rule_version, overdue_then, D.days_late, func.count())
            .where(D.closed_on > as_of, not_for_index(D.status) != "open", *one_status_in_period)
            .group_by(D.status, D.kind, D.rule_version, overdue_then, D.days_late)):
        if kind not in timescales:
            continue
        outcomes = timescales[kind]["outcomes"]  # flags too: they are taken out below as they stood then
        outcomes[status] -= n
        outcomes["breached" if overdue else "pending"] += n
        if status == DeadlineStatus.MET_LATE and version != "" and days_late is not None:
            late_counts[kind][days_late] -= n
            if not late_counts[kind][days_late]:
                del late_counts[kind][days_late]
    mixed = flags & set(timescales)
    if mixed:  # a kind used both by a rule and as a flag: take the flags back out
        judged_as = case((and_(D.closed_on.is_not(None), D.closed_on <= as_of, D.status != DeadlineStatus.OPEN), D.status),
                         (D.due_on < as_of, literal("breached")), else_=literal("pending"))
        for kind, result, n in session.execute(
                select(D.kind, judged_as, func.count()).where(*in_period, D.rule_version == "", D.kind.in_(mixed))
                .group_by(D.kind, judged_as)):
            timescales[kind]["outcomes"][result] -= n
    return timescales, late_counts


def _rule_versions(session: Session, kind: str, start: dt.date, end: dt.date) -> dict[str, str]:
    """The rule versions (with their units) that judged deadlines of ``kind`` due in the
    period: a walk along the (kind, rule_version, due_on, unit) index, one version at a time,
    asking of each whether it has a deadline in the period ("" is a flag's version)."""
    D = Deadline.__table__.c
    found: dict[str, str] = {}
    version: str | None = None
    while True:
        after = [D.kind == kind] + ([D.rule_version > version] if version is not None else [])
        version = session.execute(select(func.min(D.rule_version)).where(*after)).scalar()
        if version is None:
            return found
        unit = session.execute(select(D.unit).where(D.kind == kind, D.rule_version == version,
                                                    D.due_on >= start, D.due_on <= end).limit(1)).scalar()
        if unit is not None:
            found[version] = unit
