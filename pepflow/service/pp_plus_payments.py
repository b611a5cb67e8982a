"""Paying Pupil Premium Plus (issue 40 item 3): the payments due for a term, taken as a batch the
finance team pays, and marked paid with their reference.  Each step is a history row in the same
transaction (a batch names no child; the download of one is a disclosure).  The CSV is what
finance asked for: to whom, for which child and term, how much, in pounds and pence."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass

from sqlalchemy import select, update

from pepflow.audit import audit
from pepflow.audit.disclosures import disclosed
from pepflow.db.models import PpPlusBatch, PpPlusLine, PpPlusPayment, School
from pepflow.db.unit import UnitOfWork
from pepflow.errors import InputError, NotFound
from pepflow.rules.pp_plus_rules import pounds
from pepflow.values import clean
from pepflow.vocabulary import value_words

PROCESS = "pp_plus"
CSV_COLUMNS = ("payment", "batch", "school_urn", "payee", "child_ref", "term", "financial_year", "category",
               "line", "amount", "status", "paid_on", "finance_reference")


@dataclass(frozen=True)
class PaymentRow:
    payment: int
    batch: int | None
    school_urn: str
    payee: str
    child_ref: str
    term: str
    financial_year: str
    category: str
    line: int
    amount_pence: int
    status: str
    paid_on: dt.date | None
    finance_reference: str

    @property
    def amount(self) -> str:
        return pounds(self.amount_pence)


def payments(session: UnitOfWork, term: str | None = None, status: str | None = None,
             batch: int | None = None) -> list[PaymentRow]:
    """Payments, by school then child: of a term, a status (due, batched, paid) or a batch."""
    query = (select(PpPlusPayment, PpPlusLine.category, PpPlusBatch.paid_on, PpPlusBatch.finance_ref, School.name)
             .join(PpPlusLine, PpPlusLine.id == PpPlusPayment.line_id)
             .outerjoin(PpPlusBatch, PpPlusBatch.id == PpPlusPayment.batch_id)
             .outerjoin(School, School.urn == PpPlusPayment.school_urn))
    if term:
        query = query.where(PpPlusPayment.term == term)
    if status:
        query = query.where(PpPlusPayment.status == status)
    if batch is not None:
        query = query.where(PpPlusPayment.batch_id == batch)
    rows = [PaymentRow(p.id, p.batch_id, p.school_urn or "", school or p.payee, p.child_ref, p.term, p.financial_year,
                       category, p.line_id, p.amount_pence, p.status, paid_on if p.status == "paid" else None,
                       ref or "") for p, category, paid_on, ref, school in session.execute(query)]
    return sorted(rows, key=lambda r: (r.payee.lower(), r.school_urn, r.child_ref, r.payment))


def payments_csv(rows: list[PaymentRow]) -> str:
    """The payments as finance takes them: one row each, amounts in pounds and pence (1250.50)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow([r.payment, r.batch or "", r.school_urn, r.payee, r.child_ref, r.term, r.financial_year,
                         value_words(r.category), r.line, f"{r.amount_pence / 100:.2f}", r.status,
                         r.paid_on.isoformat() if r.paid_on else "", r.finance_reference])
    return out.getvalue()


def make_batch(session: UnitOfWork, term: str, by: str, on: dt.date) -> PpPlusBatch:
    """Every payment due for ``term``, taken together for finance; refused when none is due."""
    term = " ".join(term.lower().split())
    due = list(session.execute(select(PpPlusPayment).where(PpPlusPayment.term == term,
                                                            PpPlusPayment.status == "due")).scalars())
    if not due:
        raise InputError("term", term, "has no payments due: nothing to put in a batch")
    batch = PpPlusBatch(term=term, made_on=on, made_by=by, payments=len(due),
                        total_pence=sum(p.amount_pence for p in due), finance_ref="")
    session.add(batch)
    session.flush()
    taken = session.execute(update(PpPlusPayment).where(PpPlusPayment.id.in_([p.id for p in due]),
                                                        PpPlusPayment.status == "due")
                            .values(status="batched", batch_id=batch.id)
                            .execution_options(synchronize_session=False)).rowcount
    if taken != len(due):  # another batch took some at the same moment: this one is not made
        raise InputError("term", term, "was being put in a batch by someone else at the same moment: try again")
    audit(session, None, PROCESS, "pp_plus_batch_made", on,
          {"batch": batch.id, "term": term, "payments": batch.payments, "total": pounds(batch.total_pence)}, actor=by)
    return batch


def mark_paid(session: UnitOfWork, batch_id: int, finance_ref: str, paid_on: dt.date, by: str,
              on: dt.date) -> PpPlusBatch:
    """Finance paid the batch: its payments are paid on ``paid_on`` with their reference."""
    batch = session.get(PpPlusBatch, batch_id)
    if batch is None:
        raise NotFound("payment batch", str(batch_id))
    if batch.paid_on is not None:
        raise InputError("batch", batch_id, f"was marked paid on {batch.paid_on.isoformat()} "
                                            f"(reference {batch.finance_ref})")
    reference = clean(finance_ref, 60).strip()
    if not reference:
        raise InputError("finance_reference", "", "is needed: the reference finance gave the payment")
    if paid_on > on:
        raise InputError("paid_on", paid_on.isoformat(), "is in the future")
    if paid_on < batch.made_on:
        raise InputError("paid_on", paid_on.isoformat(), f"is before the batch was made ({batch.made_on.isoformat()})")
    B = PpPlusBatch.__table__
    if session.execute(update(B).where(B.c.id == batch.id, B.c.paid_on.is_(None)).values(
            paid_on=paid_on, finance_ref=reference)).rowcount != 1:  # two at once: one marks it
        raise InputError("batch", batch_id, "was marked paid by someone else at the same moment")
    batch.paid_on, batch.finance_ref = paid_on, reference
    session.execute(update(PpPlusPayment).where(PpPlusPayment.batch_id == batch.id)
                    .values(status="paid").execution_options(synchronize_session=False))
    audit(session, None, PROCESS, "pp_plus_batch_paid", on,
          {"batch": batch.id, "term": batch.term, "paid_on": paid_on.isoformat(), "finance_reference": reference,
           "total": pounds(batch.total_pence)}, actor=by)
    return batch


def batches(session: UnitOfWork) -> list[PpPlusBatch]:
    return list(session.execute(select(PpPlusBatch).order_by(PpPlusBatch.id.desc())).scalars())


def record_download(session: UnitOfWork, rows: list[PaymentRow], what: str, actor: str, on: dt.date) -> None:
    """A payments CSV names children: its download is a disclosure in the history."""
    disclosed(session, "pp_plus_payments_downloaded", on, actor,
              {"what": what, "payments": len(rows), "children": sorted({r.child_ref for r in rows})[:500]})
