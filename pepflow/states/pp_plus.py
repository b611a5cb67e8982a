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

from decimal import Decimal, InvalidOperation

from sqlalchemy import func, update
from sqlmodel import select

from pepflow.calendars import Term, format_day
from pepflow.cohort import year_group
from pepflow.config.pp_plus import YearModel, pence
from pepflow.db import cases
from pepflow.db.models import PpPlusLine
from pepflow.engine.deadlines import calendar_for, close_deadline, open_deadline, open_deadlines
from pepflow.engine.events import CaseNow, EventContext, EventSpec, Outcome, Param, register
from pepflow.errors import InputError
from pepflow.role_table import VIRTUAL_SCHOOL_ROLES
from pepflow.rules.pp_plus_rules import ALLOWED, REFUSED, TO_VSH, line_cost, may_fund, pounds, \
    who_decides, within_caps
from pepflow.values import clean, free_text, number_between, optional_date, optional_free_text, optional_text, text
from pepflow.vocabulary import role_with_article, state_label, value_words
from pepflow.states.pp_plus_lines import (APPROVED, GRANTED, PART_APPROVED, PROCESS, QUESTIONED, REJECTED, SCHOOL_AGE,
                                          UNDECIDED, WAITING, add_payment, lines_of, so_far, targets_of)

DECISION_CLOCKS = ("pp_plus_decision", "pp_plus_vsh_decision")


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
    term_so_far, year_so_far = so_far(ctx.session, child.ref, term.label, year, (*UNDECIDED, *GRANTED))
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
    term_so_far, year_so_far = so_far(ctx.session, line.child_ref, line.term, line.financial_year, GRANTED, line.id)
    pot_cap = _pot(model, year_group(ctx.child.dob, line.term_starts_on))[1]
    capped = within_caps(_caps(model, pot_cap), amount, term_so_far, year_so_far)
    if capped.outcome == REFUSED or (capped.outcome == TO_VSH and role != "vsh"):
        raise InputError("amount", pounds(amount), f"is over a cap: {capped.why}" +
                         ("; only the Virtual School Head may approve it" if capped.outcome == TO_VSH else ""))
    before = line.status
    line.status = _claim(ctx, line, before, APPROVED if amount == line.amount_pence else PART_APPROVED)
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
    before, line.decision_reason = line.status, ctx.params["reason"]
    line.status = _claim(ctx, line, before, REJECTED)
    _decided(ctx, line)
    _close_clocks(ctx, line, ("pp_plus_reply",), "not approved")
    return Outcome(PROCESS, line.id, before, REJECTED, payload={"line": line.id},
                   messages=[f"Line {line.id} not approved: {line.decision_reason}"])


def on_questioned(ctx: EventContext) -> Outcome:
    """Anyone of the Virtual School may ask (a question decides no money), the VSH's lines too."""
    line = _line(ctx, (WAITING,))
    line.status, line.question, line.answer = _claim(ctx, line, WAITING, QUESTIONED), ctx.params["question"], ""
    ctx.session.add(line)
    _close_clocks(ctx, line, DECISION_CLOCKS)
    reply = open_deadline(ctx.session, ctx.config, ctx.child, "pp_plus_reply", ctx.on, PROCESS, line.id)
    return Outcome(PROCESS, line.id, WAITING, QUESTIONED, payload={"line": line.id},
                   messages=[f"Line {line.id}: the question waits for the school's answer, due "
                             f"{format_day(reply.due_on)}."])


def on_answered(ctx: EventContext) -> Outcome:
    line = _line(ctx, (QUESTIONED,))
    line.status, line.answer = _claim(ctx, line, QUESTIONED, WAITING), ctx.params["answer"]
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


def _claim(ctx: EventContext, line: PpPlusLine, before: str, after: str) -> str:
    """Move the line from ``before`` to ``after`` in one conditional UPDATE: of two decisions on a line
    at the same moment one is recorded and the other refused, on PostgreSQL as on SQLite."""
    T = PpPlusLine.__table__
    moved = ctx.session.execute(update(T).where(T.c.id == line.id, T.c.status == before).values(status=after)).rowcount
    if moved != 1:
        raise InputError("line", line.id, "was decided or answered by someone else at the same moment: look at it "
                         "again")
    return after


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
