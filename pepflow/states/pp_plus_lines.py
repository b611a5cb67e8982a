"""Pupil Premium Plus lines as the tables hold them (issue 40): the states a line goes through, what
the PEP's targets say, what a child has asked for and been granted so far, the payment an approved
line becomes, and a funded target's review tied to its money.  Shared by the events
(``states/pp_plus.py``), the flat model's allowance (``states/pp_plus_allowance.py``), the PEP's
review of last term's targets and the pages."""

from __future__ import annotations

import datetime as dt

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
    term_total = year_total = 0
    for line in session.exec(select(PpPlusLine).where(PpPlusLine.child_ref == child_ref,
                                                      PpPlusLine.financial_year == year,
                                                      PpPlusLine.status.in_(statuses))):
        if line.id == leaving_out:
            continue
        amount = line.approved_pence if line.status in GRANTED else line.amount_pence
        year_total += amount
        term_total += amount if line.term == term else 0
    return term_total, year_total


def _school_name(session: UnitOfWork, urn: str | None) -> str:
    school = cases.school(session, urn) if urn else None
    return school.name if isinstance(school, School) else ""


def add_payment(session: UnitOfWork, line: PpPlusLine, on: dt.date) -> PpPlusPayment:
    """The payment an approved line (or allowance) becomes: due to the school it was asked for."""
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


