"""A flat Pupil Premium Plus model's termly allowance (issue 40): released by a PEP's quality
assurance when its grade is at least the council's, once a term, within the caps (over one: not
released, or sent to the Virtual School Head, as the model says)."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import insert

from pepflow.cohort import year_group
from pepflow.db.models import Pep, PpPlusLine
from pepflow.engine.deadlines import calendar_for
from pepflow.engine.events import EventContext
from pepflow.errors import ConfigError
from pepflow.rules.pp_plus_rules import REFUSED, TO_VSH, flat_allowance, pounds, within_caps
from pepflow.states.pp_plus_lines import APPROVED, SCHOOL_AGE, WAITING, add_payment, allowance_so_far


def release_allowance(ctx: EventContext, pep: Pep) -> dict[str, str]:
    """At a PEP's approval under a flat model: the term's amount, when the PEP's grade is at least
    the council's, once a term, within the caps (over one: not released, or sent to the VSH, as the
    model says).  Returns what happened, for the event's history row."""
    cal = calendar_for(ctx.session, ctx.config, ctx.child)
    term = cal.current_or_next_term(pep.meeting_held_on or ctx.on)
    try:
        year, model = ctx.config.funding_model.for_day(term.start)
    except ConfigError:  # no model for the year: nothing automatic (said in the history)
        return {"allowance": "none", "why": f"no funding model for the term {term.label}"}
    if model.model != "flat":
        return {}
    group = year_group(ctx.child.dob, term.start)
    amount = flat_allowance(model, pep.quality_rating or "", ctx.config.pep_template.qa.scale)
    why = ("rated below the grade that releases it" if not amount else
           "not of Reception to Year 11" if not SCHOOL_AGE[0] <= group <= SCHOOL_AGE[1] else
           "not on a school's roll" if not ctx.child.school_urn else "")
    if why:
        return {"allowance": "none", "term": term.label, "why": why}
    term_so_far, year_so_far, already = allowance_so_far(ctx.session, ctx.child.ref, term.label, year)
    if already:
        return {"allowance": "none", "term": term.label, "why": "released for this term already"}
    capped = within_caps(model, amount, term_so_far, year_so_far)
    if capped.outcome == REFUSED:
        return {"allowance": "none", "term": term.label, "why": capped.why}
    for_vsh = capped.outcome == TO_VSH
    line = dict(
        child_ref=ctx.child.ref, pep_id=pep.id, kind="allowance", target_number=0, target="", category="allowance",
        what=f"Termly allowance on a PEP rated {pep.quality_rating}", provider="", how_often="", amount_pence=amount,
        exit_plan="", term=term.label, term_starts_on=term.start, financial_year=year, pot="school_age",
        school_urn=ctx.child.school_urn, status=WAITING if for_vsh else APPROVED, for_vsh=for_vsh,
        vsh_reason=capped.why, requested_by=ctx.actor or "", requested_on=ctx.on, question="", answer="",
        decided_by="" if for_vsh else ctx.actor or "", decided_on=None if for_vsh else ctx.on,
        approved_pence=0 if for_vsh else amount, decision_reason="", outcome="")
    # inserted by the connection, its id returned: through the session, its id meant a flush of
    # everything the event had changed so far, and a batch of events flushed at each approval
    # (bench/pep_machine.py)
    line["id"] = ctx.session.connection().execute(_INSERT_LINE, line).scalar_one()
    if for_vsh:
        return {"allowance": pounds(amount), "term": term.label, "line": str(line["id"]), "for_vsh": capped.why}
    add_payment(ctx.session, SimpleNamespace(**line), ctx.on)
    return {"allowance": pounds(amount), "term": term.label, "line": str(line["id"])}


_INSERT_LINE = insert(PpPlusLine.__table__).returning(PpPlusLine.__table__.c.id)
