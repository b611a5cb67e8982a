"""Pupil Premium Plus as money the Virtual School manages (issue 40): each line asked for against
a PEP target and what the Virtual School decided about it, the payment an approved line becomes,
and the batches the finance team pays.  Money in whole pence; a line's term and financial year are
fixed when it is asked for, so the ledger of a past year never moves."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from pepflow.db.models.base import Table


class PpPlusLine(Table, table=True):
    """One thing PP+ is asked to pay for (12 hours of 1:1 tuition at £50 an hour), on one target
    of one PEP, or a flat model's termly allowance released by the PEP's quality assurance."""

    __tablename__ = "pp_plus_line"
    __table_args__ = (Index("ix_pp_plus_line_status", "status", "requested_on"),
                      Index("ix_pp_plus_line_year", "financial_year", "status"))
    id: Optional[int] = Field(default=None, primary_key=True)
    child_ref: str = Field(foreign_key="child.ref", index=True)
    pep_id: int = Field(foreign_key="pep.id", index=True)
    kind: str = "request"  # request (asked for against a target), allowance (a flat model's term)
    target_number: int = 0  # the row of the PEP's targets table (1 = first); 0 for an allowance
    target: str = ""  # the target's words when it was asked for
    category: str = ""  # one of the year's categories (pp_plus.toml)
    what: str = ""
    provider: str = ""  # who provides it
    how_often: str = ""
    hours: Optional[float] = None
    rate_pence: Optional[int] = None  # an hour
    amount_pence: int = 0  # asked for: hours x rate, or a fixed cost
    starts_on: Optional[dt.date] = None
    ends_on: Optional[dt.date] = None
    exit_plan: str = ""
    term: str = ""  # "autumn 2026-27"
    term_starts_on: dt.date = dt.date(2000, 1, 1)
    financial_year: str = ""  # "2026-27": the year the term starts in
    pot: str = "school_age"  # school_age, early_years, post_16
    school_urn: Optional[str] = None  # paid to this school (the child's when asked for)
    status: str = "waiting"  # waiting, questioned, approved, part_approved, rejected
    for_vsh: bool = False  # only the Virtual School Head may decide it
    vsh_reason: str = ""
    requested_by: str = ""
    requested_on: dt.date = dt.date(2000, 1, 1)
    question: str = ""
    answer: str = ""
    decided_by: str = ""
    decided_on: Optional[dt.date] = None
    decision_reason: str = ""
    approved_pence: int = 0
    outcome: str = ""  # met, partly_met, not_met: the target's review at the next PEP
    outcome_on: Optional[dt.date] = None


class PpPlusPayment(Table, table=True):
    """What an approved line (or allowance) pays, to whom and for which term; due until a batch
    takes it, paid when finance says so with their reference."""

    __tablename__ = "pp_plus_payment"
    __table_args__ = (UniqueConstraint("line_id", name="uq_pp_plus_payment_line"),
                      Index("ix_pp_plus_payment_term", "term", "status"))
    id: Optional[int] = Field(default=None, primary_key=True)
    line_id: int = Field(foreign_key="pp_plus_line.id")
    child_ref: str = Field(foreign_key="child.ref", index=True)
    school_urn: Optional[str] = None
    payee: str = ""  # the school's name, or the provider where the child is on no school's roll
    term: str = ""
    financial_year: str = ""
    amount_pence: int = 0
    status: str = "due"  # due, batched, paid
    batch_id: Optional[int] = Field(default=None, foreign_key="pp_plus_batch.id", index=True)
    created_on: dt.date = dt.date(2000, 1, 1)


class PpPlusBatch(Table, table=True):
    """The payments due for a term, taken together for the finance team; paid with one reference."""

    __tablename__ = "pp_plus_batch"
    id: Optional[int] = Field(default=None, primary_key=True)
    term: str
    made_on: dt.date
    made_by: str = ""
    payments: int = 0
    total_pence: int = 0
    paid_on: Optional[dt.date] = None
    finance_ref: str = ""
