"""The roll the compliance report counts (the children on roll on a day by every characteristic
of its breakdowns, with how many had an up-to-date PEP) and the children's latest attendance
bands: from each child's summary when the summaries hold for that day
(``engine/child_summaries.py``), else from the tables themselves."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from sqlalchemy import and_, case, extract, func, literal, union
from sqlmodel import Session, select

from pepflow.db.models import AttendanceRecord, Child, ChildSummary, Deadline, School
from pepflow.engine import child_summaries
from pepflow.states.pep import REVIEW_KINDS
from pepflow.statuses import DeadlineStatus


class RollGroup(NamedTuple):
    """Children on roll alike in every characteristic a breakdown uses, and how many of them
    had an up-to-date PEP.  ``born_in_school_year`` is the calendar year in which the school
    year of their birth began (September to August), which gives their year group."""

    born_in_school_year: int
    sen_status: str
    legal_status: str
    placement_type: str | None
    in_area: bool
    school_ofsted: str
    children: int
    up_to_date: int


class Roll(NamedTuple):
    groups: list[RollGroup]

    @property
    def children(self) -> int:
        return sum(g.children for g in self.groups)

    @property
    def up_to_date(self) -> int:
        return sum(g.up_to_date for g in self.groups)

    @property
    def out_of_area(self) -> int:
        return sum(g.children for g in self.groups if not g.in_area)


def roll_at(session: Session, as_of: dt.date) -> Roll:
    """The children on roll at ``as_of`` with how many had an up-to-date PEP: from the children's
    summaries when they hold for that day (``engine/child_summaries.py``), else from the tables."""
    if summaries_hold(session, as_of):
        return roll_from_summaries(session, as_of)
    return roll_from_tables(session, as_of)


def summaries_hold(session: Session, day: dt.date) -> bool:
    """Whether the children's summaries equal the full computation for ``day``: it is on or after
    the latest date they hold, and every child has one (a database filled by bulk inserts that
    bypassed pepflow has none until ``child_summaries.rebuild``)."""
    holds_from = child_summaries.holds_from(session)
    if holds_from is None or day < holds_from:
        return False
    counted = session.execute(select(func.count()).select_from(ChildSummary)).scalar_one()
    return counted == session.execute(select(func.count()).select_from(Child)).scalar_one()


def roll_from_summaries(session: Session, as_of: dt.date) -> Roll:
    """The roll counted from the children's summaries: one GROUP BY read in the order of its
    covering index (``ix_child_summary_roll``), by school; each school's Ofsted judgement put in
    afterwards from the few hundred schools (joined in SQL, the groups had to be sorted)."""
    S = ChildSummary.__table__.c
    keys = (S.born_in_school_year, S.sen_status, S.legal_status, S.placement_type, S.in_area, S.school_urn)
    behind = S.pep_behind_since.is_not(None) & (S.pep_behind_since <= as_of)
    ofsted = dict(session.execute(select(School.urn, School.ofsted)).all())
    groups: dict[tuple, list[int]] = {}
    for *key, urn, n, current in session.execute(
            select(*keys, func.count(), func.sum(case((behind, 0), else_=1)))
            .where(S.entered_care <= as_of, (S.left_care_on.is_(None)) | (S.left_care_on > as_of))
            .group_by(*keys)):
        judged = ofsted.get(urn) if urn else None  # as the full count's outer join and coalesce
        counts = groups.setdefault((*key, "no school" if judged is None else judged), [0, 0])
        counts[0] += n
        counts[1] += int(current)
    return Roll([RollGroup(int(k[0]), k[1], k[2], k[3], bool(k[4]), k[5], n, current)
                 for k, (n, current) in groups.items()])


def roll_from_tables(session: Session, as_of: dt.date) -> Roll:
    """The children on roll at ``as_of``, counted by the database in groups alike in every
    characteristic (a few thousand rows for 100,000 children: bench/report.py), each with how
    many had an up-to-date PEP.  A PEP was not up to date if its review deadline was overdue
    (or the record incomplete) at ``as_of``: still open, or open then and closed since."""
    C, D = Child.__table__.c, Deadline.__table__.c
    review = REVIEW_KINDS + ("record_incomplete",)
    behind = union(
        select(D.child_ref).where(D.status == DeadlineStatus.OPEN, D.due_on < as_of, D.kind.in_(REVIEW_KINDS),
                                  D.opened_on <= as_of),
        select(D.child_ref).where(D.status == DeadlineStatus.OPEN, D.kind == "record_incomplete", D.opened_on <= as_of),
        select(D.child_ref).where(D.closed_on > as_of, D.status != DeadlineStatus.OPEN, D.kind.in_(review),
                                  D.opened_on <= as_of, (D.due_on < as_of) | (D.kind == "record_incomplete")))
    born = (extract("year", C.dob) - case((extract("month", C.dob) >= 9, 0), else_=1)).label("born")
    ofsted = func.coalesce(School.__table__.c.ofsted, literal("no school")).label("ofsted")
    characteristics = (born, C.sen_status, C.legal_status, C.placement_type, C.in_area, ofsted)
    rows = session.execute(
        select(*characteristics, func.count(), func.sum(case((C.ref.in_(behind), 0), else_=1)))
        .select_from(Child.__table__.outerjoin(School.__table__, School.__table__.c.urn == C.school_urn))
        .where(C.entered_care <= as_of, (C.left_care_on.is_(None)) | (C.left_care_on > as_of))
        .group_by(*characteristics)).all()
    return Roll([RollGroup(int(r[0]), r[1], r[2], r[3], bool(r[4]), r[5], r[6], int(r[7])) for r in rows])


def latest_attendance_bands(session: Session, start: dt.date, end: dt.date) -> dict[str, int]:
    """Children by the band of their latest attendance record in the period (the latest
    recorded, and of those the last entered): from the children's summaries when they hold on
    the period's last day (each child's latest record then is their latest in the period, if it
    falls in it), else counted by the database, each record asking the (child_ref, recorded_on,
    id) index whether a later one exists."""
    if summaries_hold(session, end):
        S = ChildSummary.__table__.c
        return dict(sorted(session.execute(select(S.latest_band, func.count()).where(
            S.latest_band_on >= start, S.latest_band_on <= end).group_by(S.latest_band)).all()))
    A = AttendanceRecord.__table__
    later = A.alias("later")
    in_period = (A.c.recorded_on >= start, A.c.recorded_on <= end)
    superseded = select(literal(1)).where(
        later.c.child_ref == A.c.child_ref, later.c.recorded_on >= start, later.c.recorded_on <= end,
        (later.c.recorded_on > A.c.recorded_on)
        | and_(later.c.recorded_on == A.c.recorded_on, later.c.id > A.c.id)).exists()
    return dict(sorted(session.execute(select(A.c.band, func.count()).where(*in_period, ~superseded)
                                       .group_by(A.c.band)).all()))
