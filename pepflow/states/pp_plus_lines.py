"""Pupil Premium Plus lines as the tables hold them (issue 40): the states a line goes through, what
the PEP's targets say, what a child has asked for and been granted so far, the payment an approved
line becomes, and a funded target's review tied to its money.  Shared by the events
(``states/pp_plus.py``), the flat model's allowance (``states/pp_plus_allowance.py``), the PEP's
review of last term's targets and the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import bindparam, case, func
from sqlmodel import select

from pepflow.config import Config
from pepflow.db import cases
from pepflow.db.models import Pep, PepSection, PpPlusLine, PpPlusPayment, School
from pepflow.db.unit import UnitOfWork

PROCESS = "pp_plus"
WAITING, QUESTIONED, APPROVED, PART_APPROVED, REJECTED = "waiting", "questioned", "approved", "part_approved", "rejected"
UNDECIDED = (WAITING, QUESTIONED)
GRANTED = (APPROVED, PART_APPROVED)
SCHOOL_AGE = (0, 11)  # Reception to Year 11: the grant's own children (conditions of grant)


def targets_of(session: UnitOfWork, config: Config, pep: Pep) -> list[str]:
    """The words of the PEP's targets as saved, first to last (the targets table's ``target``)."""
    where = config.pep_template.targets_table()
    if where is None:
        return []
    section, field = where
    row = session.exec(select(PepSection).where(PepSection.pep_id == pep.id, PepSection.section == section)).first()
    rows = (row.values or {}).get(field) if row else None
    return [str(r.get("target", "")).strip() for r in rows if isinstance(r, dict) and str(r.get("target", "")).strip()] \
        if isinstance(rows, list) else []


def lines_of(session: UnitOfWork, child_ref: str) -> list[PpPlusLine]:
    return list(session.exec(select(PpPlusLine).where(PpPlusLine.child_ref == child_ref).order_by(PpPlusLine.id)))


def so_far(session: UnitOfWork, child_ref: str, term: str, year: str, statuses: tuple[str, ...],
           leaving_out: int | None = None) -> tuple[int, int]:
    """The child's term and financial year so far, in pence, of lines in ``statuses``."""
    term_total, year_total, _ = _totals(session, child_ref, term, year, statuses, leaving_out)
    return term_total, year_total


def allowance_so_far(session: UnitOfWork, child_ref: str, term: str, year: str) -> tuple[int, int, bool]:
    """The child's granted term and financial year so far, in pence, and whether the term's flat
    allowance was released already: one read (``release_allowance`` at each PEP approval)."""
    term_total, year_total, allowances = _totals(session, child_ref, term, year, GRANTED, None)
    return term_total, year_total, bool(allowances)


_L = PpPlusLine.__table__.c
_COUNTED = (_L.financial_year == bindparam("year")) & _L.status.in_(bindparam("statuses", expanding=True)) \
    & (_L.id != bindparam("leaving_out"))
_AMOUNT = case((_L.status.in_(GRANTED), _L.approved_pence), else_=_L.amount_pence)
_IN_TERM = _L.term == bindparam("term")
# summed in the database, one row over the child's lines: loading each line as an object cost a flat
# model's allowance a millisecond at every PEP's approval (issue 42, bench/pep_machine.py).  The
# allowances count whatever their status: one waiting for the VSH, or refused, was released.
_TOTALS = (select(func.coalesce(func.sum(case((_COUNTED & _IN_TERM, _AMOUNT), else_=0)), 0),
                  func.coalesce(func.sum(case((_COUNTED, _AMOUNT), else_=0)), 0),
                  func.count(case((_IN_TERM & (_L.kind == "allowance"), 1))))
           .where(_L.child_ref == bindparam("child")))


def _totals(session: UnitOfWork, child_ref: str, term: str, year: str, statuses: tuple[str, ...],
            leaving_out: int | None) -> tuple[int, int, int]:
    given = {"child": child_ref, "term": term, "year": year, "statuses": list(statuses),
             "leaving_out": -1 if leaving_out is None else leaving_out}
    term_total, year_total, allowances = session.connection().execute(_TOTALS, given).one()
    return int(term_total), int(year_total), int(allowances)


def _school_name(session: UnitOfWork, urn: str | None) -> str:
    school = cases.school(session, urn) if urn else None
    return school.name if isinstance(school, School) else ""


def add_payment(session: UnitOfWork, line: Any, on: dt.date) -> PpPlusPayment:
    """The payment an approved line (or allowance) becomes: due to the school it was asked for.
    ``line`` is a ``PpPlusLine``, or the fields of one just inserted (an allowance)."""
    payment = PpPlusPayment(line_id=line.id, child_ref=line.child_ref, school_urn=line.school_urn,
                            payee=_school_name(session, line.school_urn) or line.provider, term=line.term,
                            financial_year=line.financial_year, amount_pence=line.approved_pence, status="due",
                            created_on=on)
    session.add(payment)
    return payment


OUTCOMES = ("met", "partly_met", "not_met")


def record_impact(session: UnitOfWork, config: Config, child_ref: str, pep: Pep, values: dict,
                  on: dt.date) -> int:
    """When the review of last term's targets is saved, each funded target it reviews (the same
    words as the line's target) takes its outcome: what the money achieved, for the VSH's report.
    Returns how many lines it tied."""
    review = config.pep_template.review_table()
    rows = values.get(review[1].key) if review else None
    if not isinstance(rows, list):
        return 0
    outcomes = {" ".join(str(r.get("target", "")).lower().split()): r.get("outcome") for r in rows
                if isinstance(r, dict) and r.get("outcome") in OUTCOMES}
    tied = 0
    for line in session.exec(select(PpPlusLine).where(PpPlusLine.child_ref == child_ref, PpPlusLine.pep_id != pep.id,
                                                      PpPlusLine.kind == "request", PpPlusLine.status.in_(GRANTED))):
        outcome = outcomes.get(" ".join(line.target.lower().split()))
        if outcome and (line.outcome, line.outcome_on) != (outcome, on):
            line.outcome, line.outcome_on = outcome, on
            session.add(line)
            tied += 1
    return tied


