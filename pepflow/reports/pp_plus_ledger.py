"""The year's Pupil Premium Plus ledger (issue 40 items 3 and 4): for one financial year, the grant
received (what the council entered, or an estimate from the children looked after on 1 April),
what is kept centrally, committed (approved, not yet paid), paid and left; by school, by child and
by category; and beside each category the targets it funded and how their review at the next PEP
went (met, partly met, not met).  A line belongs to the financial year its term starts in, fixed
when it was asked for, so a past year's ledger does not move.  Amounts are pounds (two decimals)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import select

from pepflow.cohort import year_group
from pepflow.config import Config
from pepflow.config.pp_plus import financial_year_of, pence
from pepflow.db.models import Child, PpPlusLine, PpPlusPayment, School
from pepflow.db.unit import UnitOfWork
from pepflow.errors import InputError
from pepflow.rules.pp_plus_rules import pounds

GRANTED = ("approved", "part_approved")
UNDECIDED = ("waiting", "questioned")
OUTCOMES = ("met", "partly_met", "not_met")


def _money(amount: int) -> float:
    return round(amount / 100, 2)


def children_on_first_day(session: UnitOfWork, year: str) -> int:
    """Children of Reception to Year 11 looked after on 1 April of the year (the estimate's count)."""
    first = dt.date(int(year[:4]), 4, 1)
    return sum(1 for dob, entered, left in session.execute(select(Child.dob, Child.entered_care, Child.left_care_on))
               if entered <= first and (left is None or left > first) and 0 <= year_group(dob, first) <= 11)


def ledger(session: UnitOfWork, config: Config, year: str) -> dict[str, Any]:
    """The ledger of one financial year ("2026-27")."""
    model = config.funding_model.years.get(year)
    if model is None:
        known = ", ".join(sorted(config.funding_model.years)) or "none"
        raise InputError("year", year, f"has no funding model in pp_plus.toml (its years: {known})")
    if model.grant_received is not None:
        grant, children, estimated = pence(model.grant_received), None, False
    else:
        children = children_on_first_day(session, year)
        grant, estimated = children * pence(model.grant_per_child), True
    central = int(round(grant * model.central_share_percent / 100))
    paid_lines = {line_id for line_id, in session.execute(select(PpPlusPayment.line_id).where(
        PpPlusPayment.financial_year == year, PpPlusPayment.status == "paid"))}
    names = dict(session.execute(select(School.urn, School.name)).all())
    totals = {"committed": 0, "paid": 0, "waiting": 0}
    by: dict[str, dict[str, dict[str, int]]] = {k: defaultdict(lambda: {"committed": 0, "paid": 0})
                                                for k in ("school", "child", "category")}
    impact: dict[str, dict[str, int]] = defaultdict(lambda: {"spent": 0, "targets_funded": 0, **{o: 0 for o in OUTCOMES},
                                                             "not_reviewed": 0})
    for line in session.execute(select(PpPlusLine).where(PpPlusLine.financial_year == year)).scalars():
        if line.status in UNDECIDED:
            totals["waiting"] += line.amount_pence
            continue
        if line.status not in GRANTED:
            continue
        how = "paid" if line.id in paid_lines else "committed"
        totals[how] += line.approved_pence
        school = f"{names.get(line.school_urn, 'No school')} ({line.school_urn})" if line.school_urn else "No school"
        for key, value in (("school", school), ("child", line.child_ref), ("category", line.category)):
            by[key][value][how] += line.approved_pence
        if line.kind == "request":
            figures = impact[line.category]
            figures["spent"] += line.approved_pence
            figures["targets_funded"] += 1
            figures[line.outcome if line.outcome in OUTCOMES else "not_reviewed"] += 1

    def pounds_of(table: dict[str, dict[str, int]]) -> dict[str, dict[str, Any]]:
        return {k: {m: _money(v) if m in ("committed", "paid", "spent") else v for m, v in figures.items()}
                for k, figures in sorted(table.items())}

    return {
        "report": "pp_plus_ledger", "financial_year": year, "model": model.model, "source": model.source,
        "grant_received": _money(grant), "grant_estimated": estimated,
        "children_counted": children, "grant_per_child": model.grant_per_child,
        "kept_centrally": _money(central), "central_share_percent": model.central_share_percent,
        "kept_centrally_for": model.central_for,
        "committed": _money(totals["committed"]), "paid": _money(totals["paid"]),
        "waiting_for_a_decision": _money(totals["waiting"]),
        "left": _money(grant - central - totals["committed"] - totals["paid"]),
        "by_school": pounds_of(by["school"]), "by_child": pounds_of(by["child"]),
        "by_category": pounds_of(by["category"]), "impact": pounds_of(impact),
    }


def ledger_text(figures: dict[str, Any]) -> str:
    """The ledger as the command prints it."""
    def money(value: float) -> str:
        return pounds(int(round(value * 100)))

    grant = money(figures["grant_received"]) + (
        f" (estimated: {figures['children_counted']} children at £{figures['grant_per_child']:,.0f})"
        if figures["grant_estimated"] else "")
    lines = [f"Pupil Premium Plus, financial year {figures['financial_year']} ({figures['model']} model)",
             f"  Grant received          {grant}",
             f"  Kept centrally          {money(figures['kept_centrally'])} ({figures['central_share_percent']:g}%"
             + (f": {figures['kept_centrally_for']})" if figures['kept_centrally_for'] else ")"),
             f"  Committed               {money(figures['committed'])}",
             f"  Paid                    {money(figures['paid'])}",
             f"  Left                    {money(figures['left'])}",
             f"  Waiting for a decision  {money(figures['waiting_for_a_decision'])}"]
    for title, key in (("By school", "by_school"), ("By category", "by_category"), ("By child", "by_child")):
        if figures[key]:
            lines.append(f"{title}:")
            lines += [f"  {name}: committed {money(v['committed'])}, paid {money(v['paid'])}"
                      for name, v in figures[key].items()]
    if figures["impact"]:
        lines.append("Impact (targets funded, reviewed at the next PEP):")
        lines += [f"  {name}: {money(v['spent'])} on {v['targets_funded']} target(s): {v['met']} met, "
                  f"{v['partly_met']} partly met, {v['not_met']} not met, {v['not_reviewed']} not yet reviewed"
                  for name, v in figures["impact"].items()]
    return "\n".join(lines)


def current_year(today: dt.date) -> str:
    return financial_year_of(today)
