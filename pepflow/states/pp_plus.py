"""Pupil Premium Plus asked for, line by line, against a PEP's targets, and the Virtual School's
decisions (issue 40).  A line waits for a decision; the Virtual School approves it (in full or in
part), rejects it with a reason, or asks a question, which the school answers and the line waits
again.  Each step is an event, so the history says who did what and when; the clocks for deciding
and for answering are timescales (``pp_plus_decision``, ``pp_plus_vsh_decision``, ``pp_plus_reply``).

The council's model for the financial year the line's term starts in (``pp_plus.toml``) decides
what may be funded, the caps, and whether an officer or only the Virtual School Head may approve it.
An approved line becomes a payment due to the child's school (``service/pp_plus_payments.py``).
A flat model's termly allowance is released by the PEP's quality assurance (``release_allowance``).

    waiting ─► approved | part_approved | rejected
       │  ▲
       ▼  │ pp_plus_answered
    questioned ─► rejected
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from sqlalchemy import func
from sqlmodel import select

from pepflow.calendars import Term, format_day
from pepflow.cohort import year_group
from pepflow.config import Config
from pepflow.config.pp_plus import YearModel, pence
from pepflow.db import cases
from pepflow.db.models import Pep, PepSection, PpPlusLine, PpPlusPayment, School
from pepflow.engine.deadlines import calendar_for, close_deadline, open_deadline, open_deadlines
from pepflow.engine.events import CaseNow, EventContext, EventSpec, Outcome, Param, register
from pepflow.errors import InputError
from pepflow.role_table import VIRTUAL_SCHOOL_ROLES
from pepflow.rules.pp_plus_rules import ALLOWED, REFUSED, TO_VSH, flat_allowance, line_cost, may_fund, pounds, \
    who_decides, within_caps
from pepflow.db.unit import UnitOfWork
from pepflow.values import clean, free_text, number_between, optional_date, optional_free_text, optional_text, text
from pepflow.vocabulary import role_with_article, state_label, value_words

PROCESS = "pp_plus"
WAITING, QUESTIONED, APPROVED, PART_APPROVED, REJECTED = "waiting", "questioned", "approved", "part_approved", "rejected"
UNDECIDED = (WAITING, QUESTIONED)
GRANTED = (APPROVED, PART_APPROVED)
DECISION_CLOCKS = ("pp_plus_decision", "pp_plus_vsh_decision")
SCHOOL_AGE = (0, 11)  # Reception to Year 11: the grant's own children (conditions of grant)


# ---- values -------------------------------------------------------------------------

def money(value: str) -> str:
    """Pounds and pence as typed ("1250.5"), checked and said as the history says it ("£1,250.50");
    ``pence`` reads it back.  More than nothing."""
    amount = pence(clean(value, 40))
    if amount <= 0:
        raise ValueError("must be more than £0")
    return pounds(amount)


def hours(value: str) -> float:
    """A number of hours (12, or 1.5), more than 0 and at most 500."""
    try:
        number = Decimal(clean(value, 20))
    except InvalidOperation:
        raise ValueError("must be a number of hours, like 12 or 1.5") from None
    if not (0 < number <= 500) or number != number.quantize(Decimal("0.01")):
        raise ValueError("must be more than 0 and at most 500 hours, to two decimal places")
    return float(number)


def term_label(value: str) -> str:
    """A term as the calendars name it: "autumn 2026-27"."""
    return " ".join(clean(value, 40).lower().split())


# ---- what the rows say ----------------------------------------------------------------

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


def counted(line: PpPlusLine) -> int:
    """What a line counts against the caps: what was approved, or what is asked while undecided."""
    return line.approved_pence if line.status in GRANTED else line.amount_pence if line.status in UNDECIDED else 0


def _so_far(session: UnitOfWork, child_ref: str, term: str, year: str, statuses: tuple[str, ...],
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


def _term(ctx: EventContext, label: str | None) -> Term:
    """The term the money is for: the one named, else the term of the day (or the next one)."""
    cal = calendar_for(ctx.session, ctx.config, ctx.child)
    if not label:
        return cal.current_or_next_term(ctx.on)
    found = next((t for t in cal.terms if t.label.lower() == label), None)
    if found is None:
        near = [t.label for t in cal.terms if abs((t.start - ctx.on).days) < 400][:6]
        raise InputError("term", label, f"is not a term of the child's school calendar ({', '.join(near)})")
    return found


def _pot(model: YearModel, group: int) -> tuple[str, int]:
    """Which pot a child of this year group is paid from, and its most for a year (pence)."""
    if SCHOOL_AGE[0] <= group <= SCHOOL_AGE[1]:
        return "school_age", pence(model.per_year_cap)
    pot, most = ("early_years", model.early_years_per_year) if group < 0 else ("post_16", model.post_16_per_year)
    if not most:
        raise InputError("child", f"year group {group}", f"is {value_words(pot)}: this year's model has no "
                         f"{value_words(pot)} pot (early years pupil premium is a separate grant; PP+ is for "
                         f"Reception to Year 11)")
    return pot, min(pence(most), pence(model.per_year_cap))


def _caps(model: YearModel, year_cap: int) -> YearModel:
    """The model with the pot's cap for the year (a post-16 pot is smaller than the grant's)."""
    return model if year_cap == pence(model.per_year_cap) else model.model_copy(
        update={"per_year_cap": year_cap / 100, "per_term_cap": min(model.per_term_cap, year_cap / 100)})


def _sentence(words: str) -> str:
    return words[:1].upper() + words[1:]


def _largest_officer_limit(model: YearModel) -> int:
    return max((model.limit_of(role) for role in model.approval_limits if role != "vsh"), default=0)


def _school_name(session: UnitOfWork, urn: str | None) -> str:
    school = cases.school(session, urn) if urn else None
    return school.name if isinstance(school, School) else ""


# ---- events -----------------------------------------------------------------------------

def on_requested(ctx: EventContext) -> Outcome:
    """A line asked for against one of the current PEP's targets, checked against the year's model."""
    p, child = ctx.params, ctx.child
    pep = cases.current_pep(ctx.session, child.ref)
    if pep is None or not child.looked_after:
        raise InputError("child", child.ref, "is not looked after now: Pupil Premium Plus through the Virtual "
                         "School is for looked-after children (a previously looked-after child's school is paid "
                         "through the census)")
    targets = targets_of(ctx.session, ctx.config, pep)
    number = p["target"]
    if not targets:
        raise InputError("target", number, "this PEP has no targets yet: save its targets first, then ask for "
                         "Pupil Premium Plus against one of them")
    if number > len(targets):
        raise InputError("target", number, f"is not one of this PEP's targets (it has {len(targets)}: "
                         f"1 to {len(targets)})")
    term = _term(ctx, p.get("term"))
    if term.end < child.entered_care:
        raise InputError("term", term.label, f"ended before {child.ref} entered care on {format_day(child.entered_care)}")
    if (term.start - ctx.on).days > 366:
        raise InputError("term", term.label, "is more than a year away: ask for it nearer the time")
    year, model = ctx.config.funding_model.for_day(term.start)
    pot, year_cap = _pot(model, year_group(child.dob, term.start))
    category = p["category"]
    if p.get("cost") and (p.get("hours") is not None or p.get("rate")):
        raise InputError("cost", p["cost"], "give hours and a rate, or a fixed cost, not both")
    try:
        amount = line_cost(p.get("hours"), p.get("rate"), p.get("cost"))
    except ValueError as exc:
        raise InputError("rate" if p.get("hours") is not None else "cost", "", str(exc)) from None
    funded = may_fund(model, amount, category)
    if funded.outcome == REFUSED:
        about_category = category not in model.categories or category in model.refused_categories
        raise InputError("category" if about_category else "cost",
                         value_words(category) if about_category else pounds(amount), funded.why)
    if model.model == "needs" and not p.get("exit_plan"):
        raise InputError("exit_plan", "", "is needed: say what happens when the funding ends")
    if p.get("starts") and p.get("ends") and p["ends"] < p["starts"]:
        raise InputError("ends", format_day(p["ends"]), f"is before it starts ({format_day(p['starts'])})")
    if model.model == "tiers":
        asked = [line for line in lines_of(ctx.session, child.ref)
                 if line.term == term.label and line.status in (*UNDECIDED, *GRANTED)]
        if asked:
            raise InputError("cost", pounds(amount), f"{term.label} already has {pounds(asked[0].amount_pence)} asked "
                             "for: this year's model is one amount a term")
    term_so_far, year_so_far = _so_far(ctx.session, child.ref, term.label, year, (*UNDECIDED, *GRANTED))
    capped = within_caps(_caps(model, year_cap), amount, term_so_far, year_so_far)
    if capped.outcome == REFUSED:
        raise InputError("cost", pounds(amount), f"is over a cap: {capped.why}")
    for_vsh = [capped.why] if capped.outcome == TO_VSH else []
    if category in model.vsh_categories:
        for_vsh.append(f"{value_words(category)} needs the Virtual School Head's approval")
    elif amount > _largest_officer_limit(model):
        for_vsh.append(f"{pounds(amount)} is over what an officer may approve ({pounds(_largest_officer_limit(model))})")
    line = PpPlusLine(
        child_ref=child.ref, pep_id=pep.id, kind="request", target_number=number, target=targets[number - 1][:500],
        category=category, what=p["what"], provider=p.get("provider") or "", how_often=p.get("how_often") or "",
        hours=p.get("hours"), rate_pence=pence(p["rate"]) if p.get("rate") else None,
        amount_pence=amount, starts_on=p.get("starts"), ends_on=p.get("ends"), exit_plan=p.get("exit_plan") or "",
        term=term.label, term_starts_on=term.start, financial_year=year, pot=pot, school_urn=child.school_urn,
        status=WAITING, for_vsh=bool(for_vsh), vsh_reason=_sentence("; ".join(for_vsh)), requested_by=ctx.actor or "",
        requested_on=ctx.on, decided_by="", decision_reason="", question="", answer="", outcome="")
    ctx.session.add(line)
    ctx.session.flush()
    clock = _open_decision_clock(ctx, line)
    words = f"{pounds(amount)} asked for {term.label} ({value_words(category)}: {line.what})"
    return Outcome(PROCESS, line.id, None, WAITING,
                   payload={"line": line.id, "amount": pounds(amount), "term": term.label, "financial_year": year,
                            **({"for_vsh": line.vsh_reason} if line.for_vsh else {})},
                   messages=[f"Line {line.id}: {words}. " + (f"The Virtual School Head decides it ({line.vsh_reason})"
                             if line.for_vsh else "The Virtual School decides it") + f" by {format_day(clock.due_on)}."])


def on_approved(ctx: EventContext) -> Outcome:
    """Approved in full, or in part with a reason; the amount becomes a payment due."""
    line = _line(ctx, (WAITING,))
    amount = pence(ctx.params["amount"]) if ctx.params.get("amount") else line.amount_pence
    reason = ctx.params.get("reason") or ""
    if amount > line.amount_pence:
        raise InputError("amount", pounds(amount), f"is more than was asked for ({pounds(line.amount_pence)})")
    if amount < line.amount_pence and not reason:
        raise InputError("reason", "", f"is needed when approving less than was asked for ({pounds(line.amount_pence)})")
    _, model = ctx.config.funding_model.for_day(line.term_starts_on)
    role = ctx.role or ""
    _may_decide(line, role)
    who = who_decides(model, role, amount, line.category)
    if who.outcome != ALLOWED:
        raise InputError("line", line.id, f"is for the Virtual School Head to approve: {who.why}")
    term_so_far, year_so_far = _so_far(ctx.session, line.child_ref, line.term, line.financial_year, GRANTED, line.id)
    pot_cap = _pot(model, year_group(ctx.child.dob, line.term_starts_on))[1]
    capped = within_caps(_caps(model, pot_cap), amount, term_so_far, year_so_far)
    if capped.outcome == REFUSED or (capped.outcome == TO_VSH and role != "vsh"):
        raise InputError("amount", pounds(amount), f"is over a cap: {capped.why}" +
                         ("; only the Virtual School Head may approve it" if capped.outcome == TO_VSH else ""))
    before = line.status
    line.status = APPROVED if amount == line.amount_pence else PART_APPROVED
    line.approved_pence, line.decision_reason = amount, reason
    _decided(ctx, line)
    payment = add_payment(ctx.session, line, ctx.on)
    return Outcome(PROCESS, line.id, before, line.status,
                   payload={"line": line.id, "approved": pounds(amount), "asked": pounds(line.amount_pence)},
                   messages=[f"Line {line.id}: {pounds(amount)} approved for {line.term}, to be paid to "
                             f"{payment.payee or 'the provider'}."])


def on_rejected(ctx: EventContext) -> Outcome:
    line = _line(ctx, UNDECIDED)
    _may_decide(line, ctx.role or "")
    before, line.status, line.decision_reason = line.status, REJECTED, ctx.params["reason"]
    _decided(ctx, line)
    _close_clocks(ctx, line, ("pp_plus_reply",), "not approved")
    return Outcome(PROCESS, line.id, before, REJECTED, payload={"line": line.id},
                   messages=[f"Line {line.id} not approved: {line.decision_reason}"])


def on_questioned(ctx: EventContext) -> Outcome:
    """Anyone of the Virtual School may ask (a question decides no money), the VSH's lines too."""
    line = _line(ctx, (WAITING,))
    line.status, line.question, line.answer = QUESTIONED, ctx.params["question"], ""
    ctx.session.add(line)
    _close_clocks(ctx, line, DECISION_CLOCKS)
    reply = open_deadline(ctx.session, ctx.config, ctx.child, "pp_plus_reply", ctx.on, PROCESS, line.id)
    return Outcome(PROCESS, line.id, WAITING, QUESTIONED, payload={"line": line.id},
                   messages=[f"Line {line.id}: the question waits for the school's answer, due "
                             f"{format_day(reply.due_on)}."])


def on_answered(ctx: EventContext) -> Outcome:
    line = _line(ctx, (QUESTIONED,))
    line.status, line.answer = WAITING, ctx.params["answer"]
    ctx.session.add(line)
    _close_clocks(ctx, line, ("pp_plus_reply",))
    clock = _open_decision_clock(ctx, line)
    return Outcome(PROCESS, line.id, QUESTIONED, WAITING, payload={"line": line.id},
                   messages=[f"Line {line.id}: answered; the Virtual School decides it by {format_day(clock.due_on)}."])


_DONE = {"pp_plus_approved": "approved", "pp_plus_rejected": "rejected", "pp_plus_questioned": "questioned",
         "pp_plus_answered": "answered"}


def _line(ctx: EventContext, states: tuple[str, ...]) -> PpPlusLine:
    number = ctx.params["line"]
    line = ctx.session.get(PpPlusLine, number)
    if line is None or line.child_ref != ctx.child.ref:
        raise InputError("line", number, f"is not a line of Pupil Premium Plus asked for {ctx.child.ref}")
    if line.status not in states:
        waiting = f" (it waits for the school's answer to: {line.question})" if line.status == QUESTIONED else ""
        raise InputError("line", number, f"is {state_label(PROCESS, line.status).lower()}{waiting}: it cannot be "
                         f"{_DONE[ctx.event]} now")
    return line


def _may_decide(line: PpPlusLine, role: str) -> None:
    if line.for_vsh and role != "vsh":
        raise InputError("line", line.id, f"is for the Virtual School Head to decide ({line.vsh_reason}); "
                         f"{role_with_article(role) if role else 'someone with no role'} cannot decide it")


def _decided(ctx: EventContext, line: PpPlusLine) -> None:
    line.decided_by, line.decided_on = ctx.actor or "", ctx.on
    ctx.session.add(line)
    _close_clocks(ctx, line, DECISION_CLOCKS)


def _open_decision_clock(ctx: EventContext, line: PpPlusLine):
    return open_deadline(ctx.session, ctx.config, ctx.child,
                         "pp_plus_vsh_decision" if line.for_vsh else "pp_plus_decision", ctx.on, PROCESS, line.id)


def _close_clocks(ctx: EventContext, line: PpPlusLine, kinds: tuple[str, ...], reason: str = "") -> None:
    for deadline in open_deadlines(ctx.session, ctx.child.ref, kinds, process=PROCESS):
        if deadline.process_id == line.id:
            close_deadline(ctx.session, ctx.config, ctx.child, deadline, ctx.on, reason=reason)


def add_payment(session: UnitOfWork, line: PpPlusLine, on: dt.date) -> PpPlusPayment:
    """The payment an approved line (or allowance) becomes: due to the school it was asked for."""
    payment = PpPlusPayment(line_id=line.id, child_ref=line.child_ref, school_urn=line.school_urn,
                            payee=_school_name(session, line.school_urn) or line.provider, term=line.term,
                            financial_year=line.financial_year, amount_pence=line.approved_pence, status="due",
                            created_on=on)
    session.add(payment)
    return payment


# ---- impact: a funded target's review at the next PEP --------------------------------------

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


# ---- a flat model's termly allowance -----------------------------------------------------

def release_allowance(ctx: EventContext, pep: Pep) -> dict[str, str]:
    """At a PEP's approval under a flat model: the term's amount, when the PEP's grade is at least
    the council's, once a term, within the caps (over one: not released, or sent to the VSH, as the
    model says).  Returns what happened, for the event's history row."""
    cal = calendar_for(ctx.session, ctx.config, ctx.child)
    term = cal.current_or_next_term(pep.meeting_held_on or ctx.on)
    try:
        year, model = ctx.config.funding_model.for_day(term.start)
    except Exception:  # no model for the year: nothing automatic (said in the history)
        return {"allowance": "none", "why": f"no funding model for the term {term.label}"}
    if model.model != "flat":
        return {}
    group = year_group(ctx.child.dob, term.start)
    amount = flat_allowance(model, pep.quality_rating or "", ctx.config.pep_template.qa.scale)
    why = ("rated below the grade that releases it" if not amount else
           "not of Reception to Year 11" if not SCHOOL_AGE[0] <= group <= SCHOOL_AGE[1] else
           "not on a school's roll" if not ctx.child.school_urn else "")
    already = ctx.session.exec(select(func.count()).select_from(PpPlusLine).where(
        PpPlusLine.child_ref == ctx.child.ref, PpPlusLine.kind == "allowance", PpPlusLine.term == term.label)).one()
    why = why or ("released for this term already" if already else "")
    if why:
        return {"allowance": "none", "term": term.label, "why": why}
    term_so_far, year_so_far = _so_far(ctx.session, ctx.child.ref, term.label, year, GRANTED)
    capped = within_caps(model, amount, term_so_far, year_so_far)
    if capped.outcome == REFUSED:
        return {"allowance": "none", "term": term.label, "why": capped.why}
    line = PpPlusLine(
        child_ref=ctx.child.ref, pep_id=pep.id, kind="allowance", target_number=0, target="", category="allowance",
        what=f"Termly allowance on a PEP rated {pep.quality_rating}", provider="", how_often="", amount_pence=amount,
        exit_plan="", term=term.label, term_starts_on=term.start, financial_year=year, pot="school_age",
        school_urn=ctx.child.school_urn, status=WAITING, for_vsh=capped.outcome == TO_VSH, vsh_reason=capped.why,
        requested_by=ctx.actor or "", requested_on=ctx.on, question="", answer="", decided_by="",
        decision_reason="", outcome="")
    ctx.session.add(line)
    ctx.session.flush()
    if line.for_vsh:
        return {"allowance": pounds(amount), "term": term.label, "line": str(line.id), "for_vsh": capped.why}
    line.status, line.approved_pence, line.decided_by, line.decided_on = APPROVED, amount, ctx.actor or "", ctx.on
    add_payment(ctx.session, line, ctx.on)
    return {"allowance": pounds(amount), "term": term.label, "line": str(line.id)}


# ---- registration -------------------------------------------------------------------------

def _offered_with_a_pep(now: CaseNow, event: str) -> bool:
    return now.child.looked_after and cases.current_pep(now.session, now.child.ref) is not None


def _offered_with_lines(states: tuple[str, ...]):
    def offered(now: CaseNow, event: str) -> bool:
        return now.memo(f"pp_plus_{'_'.join(states)}", lambda: now.session.exec(
            select(func.count()).select_from(PpPlusLine).where(PpPlusLine.child_ref == now.child.ref,
                                                                PpPlusLine.status.in_(states))).one()) > 0
    return offered


_LINE = Param("line", number_between(1, 10**12, ""), True, "the line's number (on the PP+ page)")
_VS = VIRTUAL_SCHOOL_ROLES
_ASKERS = frozenset({*_VS, "designated_teacher"})
for spec in (
    EventSpec("pp_plus_requested", PROCESS, on_requested,
              (Param("target", number_between(1, 50, ""), True, "which of the PEP's targets (1 for the first)"),
               Param("category", text, True, "what kind of thing: one of the categories of the council's model"),
               Param("what", free_text, True, "what it pays for (12 hours of 1:1 maths tuition)"),
               Param("provider", optional_text, False, "who provides it"),
               Param("how_often", optional_text, False, "how often (weekly, one hour)"),
               Param("hours", hours, False, "hours, with a rate"),
               Param("rate", money, False, "pounds an hour"),
               Param("cost", money, False, "a fixed cost in pounds, instead of hours and a rate"),
               Param("starts", optional_date, False, "when it starts"),
               Param("ends", optional_date, False, "when it ends"),
               Param("exit_plan", optional_free_text, False, "what happens when the funding ends"),
               Param("term", term_label, False, "the term it is for (autumn 2026-27); the current one if not given")),
              recorded_by=_ASKERS, offered=_offered_with_a_pep, opens=DECISION_CLOCKS),
    EventSpec("pp_plus_approved", PROCESS, on_approved,
              (_LINE, Param("amount", money, False, "pounds approved, if less than asked for"),
               Param("reason", optional_free_text, False, "why less than asked for")),
              recorded_by=_VS, offered=_offered_with_lines((WAITING,))),
    EventSpec("pp_plus_rejected", PROCESS, on_rejected,
              (_LINE, Param("reason", free_text, True, "why it is not approved")),
              recorded_by=_VS, offered=_offered_with_lines(UNDECIDED)),
    EventSpec("pp_plus_questioned", PROCESS, on_questioned,
              (_LINE, Param("question", free_text, True, "what the school is asked")),
              recorded_by=_VS, offered=_offered_with_lines((WAITING,)), opens=("pp_plus_reply",)),
    EventSpec("pp_plus_answered", PROCESS, on_answered,
              (_LINE, Param("answer", free_text, True, "the school's answer")),
              recorded_by=_ASKERS, offered=_offered_with_lines((QUESTIONED,)), opens=DECISION_CLOCKS),
):
    register(spec)
