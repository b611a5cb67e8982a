"""Pupil Premium Plus on the web (issue 40 item 5): the request in the child's PEP
(``/children/REF/pp-plus``: the DT asks for lines against the PEP's targets and answers the Virtual
School's questions), the Virtual School's page of lines waiting, oldest first (``/pp-plus``), one
line to decide (``/pp-plus/lines/N``: approve in full or in part, not approve, ask a question), the
year's ledger (``/pp-plus/ledger``) and the payments for finance (``/pp-plus/payments``: batches,
their CSV, marked paid).  Every decision is an event through ``record_event``; every page that
shows a child's lines is a disclosure."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from pepflow.audit.disclosures import disclosed
from pepflow.config.pp_plus import financial_year_of
from pepflow.db.cases import current_pep
from pepflow.db.models import Child, PpPlusLine, School
from pepflow.engine.deadlines import calendar_for
from pepflow.engine.recording import record_event
from pepflow.errors import InputError, NotFound, PepflowError
from pepflow.reports.pp_plus_ledger import ledger
from pepflow.rules.pp_plus_rules import pounds
from pepflow.service.pp_plus_payments import (batches, make_batch, mark_paid, payments, payments_csv,
                                              record_download)
from pepflow.states.pp_plus_lines import GRANTED, QUESTIONED, UNDECIDED, WAITING, lines_of, targets_of
from pepflow.values import date_value
from pepflow.vocabulary import parameter_label, state_label, value_words
from pepflow.web import views
from pepflow.web.site import CheckedFormDep, DatabaseDep, Refused, SiteDep, Visitor, VisitorDep, leave_notice, take_notice

router = APIRouter()
ASKERS = ("designated_teacher",)
LINE_FIELDS = ("target", "category", "what", "provider", "how_often", "hours", "rate", "cost", "starts", "ends",
               "exit_plan", "term")
DECISIONS = {"approve": "pp_plus_approved", "part": "pp_plus_approved", "reject": "pp_plus_rejected",
             "question": "pp_plus_questioned"}


def _virtual_school(visitor: Visitor) -> None:
    if not visitor.role.virtual_school:
        raise Refused()


def _pays(visitor: Visitor) -> None:
    if not visitor.role.pays_pp_plus:
        raise Refused()


def _error(exc: PepflowError) -> tuple[str, str]:
    field = getattr(exc, "field", "") or "line"
    return field, f"{parameter_label(field)}: {getattr(exc, 'problem', str(exc))}"


def _model_for(site, s, child: Child):
    """The term a new line is for (the current one) and the model of its financial year, or None."""
    cal = calendar_for(s, site.app.config, child)
    term = cal.current_or_next_term(site.app.today())
    return term, site.app.config.funding_model.years.get(financial_year_of(term.start))


# ---- the request, in the child's PEP ----------------------------------------------------

@router.get("/children/{ref}/pp-plus")
def pep_pp_plus(request: Request, ref: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep):
    child = views.visible_child(s, visitor.user, ref, site.app.today())
    notice = take_notice(s, visitor)
    response = _pep_page(request, site, s, visitor, child, {}, [], notice=notice)
    s.commit()
    return response


@router.post("/children/{ref}/pp-plus")
def ask_or_answer(request: Request, ref: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep,
                  form: CheckedFormDep):
    child = views.visible_child(s, visitor.user, ref, site.app.today())
    if visitor.user.role not in ASKERS and not visitor.role.virtual_school:
        raise Refused()
    today = site.app.today()
    answering = form.get("line", "")
    if answering:
        event, params = "pp_plus_answered", {"line": answering, "answer": form.get("answer", "")}
    else:
        event, params = "pp_plus_requested", {k: form.get(k, "").strip() for k in LINE_FIELDS if form.get(k, "").strip()}
    try:
        outcome = record_event(s, site.app.config, child.ref, event, today, today, visitor.user.person_ref, params,
                               actor=visitor.actor, role=visitor.user.role)
    except PepflowError as exc:
        s.rollback()
        field, message = _error(exc)
        errors = [(f"answer-{answering}" if answering else field, message)]
        response = _pep_page(request, site, s, visitor, child, dict(form), errors, status=400)
        s.commit()
        return response
    leave_notice(s, visitor, " ".join(outcome.messages))
    s.commit()
    return RedirectResponse(f"/children/{quote(child.ref)}/pp-plus", status_code=303)


def _pep_page(request: Request, site, s, visitor: Visitor, child: Child, values: dict[str, Any],
              errors: list[tuple[str, str]], status: int = 200, notice: str = ""):
    today = site.app.today()
    pep = current_pep(s, child.ref)
    targets = targets_of(s, site.app.config, pep) if pep else []
    term, model = _model_for(site, s, child)
    lines = lines_of(s, child.ref)
    disclosed(s, "pp_plus_viewed", today, visitor.actor,
              {"account": visitor.user.email, "role": visitor.user.role, "lines": len(lines)}, child.ref)
    may_ask = pep is not None and child.looked_after and (visitor.user.role in ASKERS or visitor.role.virtual_school)
    return site.render(request, "pp_plus_pep.html.j2", status, visitor,
                       child=views.child_summary(s, child, today), lines=lines, targets=targets, term=term,
                       model=model, year=financial_year_of(term.start), may_ask=may_ask, values=values, errors=errors, notice=notice,
                       pounds=pounds, status_words=lambda k: state_label("pp_plus", k), words=value_words)


# ---- the Virtual School: lines waiting, one line to decide -----------------------------------

@router.get("/pp-plus")
def waiting(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep):
    _virtual_school(visitor)
    today = site.app.today()
    rows = s.execute(select(PpPlusLine, Child.first_name, Child.last_name, School.name)
                     .join(Child, Child.ref == PpPlusLine.child_ref)
                     .outerjoin(School, School.urn == PpPlusLine.school_urn)
                     .where(PpPlusLine.status.in_(UNDECIDED)).order_by(PpPlusLine.requested_on, PpPlusLine.id)).all()
    items = [{"line": line, "child": f"{first} {last}", "school": school or "",
              "days": (today - line.requested_on).days} for line, first, last, school in rows]
    disclosed(s, "pp_plus_viewed", today, visitor.actor,
              {"account": visitor.user.email, "role": visitor.user.role, "what": "lines waiting",
               "children": sorted({i["line"].child_ref for i in items})[:500]})
    notice = take_notice(s, visitor)
    s.commit()
    return site.render(request, "pp_plus.html.j2", 200, visitor, items=items, notice=notice, pounds=pounds,
                       status_words=lambda k: state_label("pp_plus", k), words=value_words,
                       year=financial_year_of(today), waiting=WAITING, questioned=QUESTIONED)


def _the_line(s, site, visitor: Visitor, number: str) -> tuple[PpPlusLine, Child]:
    line = s.get(PpPlusLine, int(number)) if number.isascii() and number.isdigit() and len(number) < 12 else None
    if line is None:
        raise NotFound("Pupil Premium Plus line", number)
    return line, views.visible_child(s, visitor.user, line.child_ref, site.app.today())


@router.get("/pp-plus/lines/{number}")
def line_page(request: Request, number: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep):
    _virtual_school(visitor)
    line, child = _the_line(s, site, visitor, number)
    response = _line_page(request, site, s, visitor, line, child, {}, [])
    s.commit()
    return response


@router.post("/pp-plus/lines/{number}")
def decide(request: Request, number: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, form: CheckedFormDep):
    _virtual_school(visitor)
    line, child = _the_line(s, site, visitor, number)
    decision, words = form.get("decision", ""), form.get("words", "").strip()
    today = site.app.today()
    if decision not in DECISIONS:
        errors = [("decision", "Decision: choose approve, approve part of it, not approve, or ask a question")]
        response = _line_page(request, site, s, visitor, line, child, dict(form), errors, 400)
        s.commit()
        return response
    params = {"line": str(line.id)}
    if decision == "part":
        params.update(amount=form.get("amount", ""), reason=words)
    elif decision == "reject":
        params["reason"] = words
    elif decision == "question":
        params["question"] = words
    elif words:
        params["reason"] = words
    try:
        outcome = record_event(s, site.app.config, child.ref, DECISIONS[decision], today, today,
                               visitor.user.person_ref, params, actor=visitor.actor, role=visitor.user.role)
    except PepflowError as exc:
        s.rollback()
        field, message = _error(exc)
        field = {"reason": "words", "question": "words", "line": "decision"}.get(field, field)
        response = _line_page(request, site, s, visitor, line, child, dict(form), [(field, message)], 400)
        s.commit()
        return response
    leave_notice(s, visitor, " ".join(outcome.messages))
    s.commit()
    return RedirectResponse("/pp-plus", status_code=303)


def _line_page(request: Request, site, s, visitor: Visitor, line: PpPlusLine, child: Child, values: dict,
               errors: list[tuple[str, str]], status: int = 200):
    today = site.app.today()
    disclosed(s, "pp_plus_viewed", today, visitor.actor,
              {"account": visitor.user.email, "role": visitor.user.role, "line": line.id}, child.ref)
    others = [x for x in lines_of(s, child.ref) if x.id != line.id and x.financial_year == line.financial_year
              and x.status in (*GRANTED, *UNDECIDED)]
    school = s.get(School, line.school_urn) if line.school_urn else None
    return site.render(request, "pp_plus_line.html.j2", status, visitor, line=line,
                       child=views.child_summary(s, child, today), school=school, others=others, values=values,
                       errors=errors, pounds=pounds, status_words=lambda k: state_label("pp_plus", k),
                       words=value_words, choices=_choices(line, visitor))


def _choices(line: PpPlusLine, visitor: Visitor) -> list[tuple[str, str]]:
    """What this visitor may decide about the line now: a line for the VSH only the VSH approves
    or rejects; anyone of the Virtual School may ask the school a question about a line waiting."""
    decides = not line.for_vsh or visitor.user.role == "vsh"
    choices = [("approve", f"Approve {pounds(line.amount_pence)}"), ("part", "Approve part of it")] \
        if decides and line.status == WAITING else []
    choices += [("reject", "Do not approve")] if decides and line.status in UNDECIDED else []
    choices += [("question", "Ask the school a question")] if line.status == WAITING else []
    return choices


# ---- the ledger and the payments -------------------------------------------------------------

@router.get("/pp-plus/ledger")
def ledger_page(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, year: str = ""):
    if not (visitor.role.virtual_school or visitor.role.pays_pp_plus):
        raise Refused()
    chosen = year.strip() or financial_year_of(site.app.today())
    years = sorted(site.app.config.funding_model.years)
    try:
        figures, problem = ledger(s, site.app.config, chosen), ""
    except InputError as exc:
        figures, problem = None, f"{exc.value}: {exc.problem}"
    if figures:  # it names children by reference, with their money
        disclosed(s, "pp_plus_viewed", site.app.today(), visitor.actor,
                  {"account": visitor.user.email, "role": visitor.user.role, "what": f"ledger {chosen}",
                   "children": len(figures["by_child"])})
        s.commit()
    return site.render(request, "pp_plus_ledger.html.j2", 200 if figures else 400, visitor, figures=figures,
                       problem=problem, years=years, chosen=chosen, words=value_words,
                       money=lambda v: pounds(int(round(v * 100))))


@router.get("/pp-plus/payments")
def payments_page(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep):
    _pays(visitor)
    notice = take_notice(s, visitor)
    s.commit()
    return _payments_page(request, site, s, visitor, {}, [], notice=notice)


def _payments_page(request: Request, site, s, visitor: Visitor, values: dict, errors: list[tuple[str, str]],
                   status: int = 200, notice: str = ""):
    due: dict[str, list[int]] = {}
    for row in payments(s, status="due"):
        due.setdefault(row.term, []).append(row.amount_pence)
    return site.render(request, "pp_plus_payments.html.j2", status, visitor,
                       due=[(term, len(amounts), pounds(sum(amounts))) for term, amounts in sorted(due.items())],
                       batches=batches(s), values=values, errors=errors, notice=notice, pounds=pounds)


@router.post("/pp-plus/payments/batches")
def new_batch(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep, form: CheckedFormDep):
    _pays(visitor)
    try:
        batch = make_batch(s, form.get("term", ""), visitor.actor, site.app.today())
    except PepflowError as exc:
        s.rollback()
        return _payments_page(request, site, s, visitor, dict(form), [_error(exc)], 400)
    leave_notice(s, visitor, f"Batch {batch.id} made: {batch.payments} payment(s), {pounds(batch.total_pence)}, "
                             f"{batch.term}. Download its CSV for finance.")
    s.commit()
    return RedirectResponse("/pp-plus/payments", status_code=303)


@router.get("/pp-plus/payments/batches/{number}.csv")
def batch_csv(number: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep):
    _pays(visitor)
    if not (number.isascii() and number.isdigit() and len(number) < 12):
        raise NotFound("payment batch", number)
    rows = payments(s, batch=int(number))
    if not rows:
        raise NotFound("payment batch", number)
    record_download(s, rows, f"batch {number}", visitor.actor, site.app.today())
    s.commit()
    return Response(payments_csv(rows), media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="pp-plus-payments-batch-{number}.csv"'})


@router.post("/pp-plus/payments/batches/{number}/paid")
def batch_paid(request: Request, number: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep,
               form: CheckedFormDep):
    _pays(visitor)
    if not (number.isascii() and number.isdigit() and len(number) < 12):
        raise NotFound("payment batch", number)
    today = site.app.today()
    try:
        typed = form.get("paid_on", "").strip()
        try:
            paid_on = date_value(typed) if typed else today
        except ValueError as exc:
            raise InputError("paid_on", typed, str(exc)) from None
        batch = mark_paid(s, int(number), form.get("finance_reference", ""), paid_on, visitor.actor, today)
    except PepflowError as exc:
        s.rollback()
        field, message = _error(exc)
        return _payments_page(request, site, s, visitor, dict(form), [(f"{field}-{number}", message)], 400)
    leave_notice(s, visitor, f"Batch {batch.id} marked paid on {dt.date.isoformat(batch.paid_on)} "
                             f"(reference {batch.finance_ref}).")
    s.commit()
    return RedirectResponse("/pp-plus/payments", status_code=303)
