"""Decisions: a proposed school that needs the Virtual School Head's decision or the
nominated officer's approval, each recorded on a page of its own by the role whose decision
it is (the setting's ``Param.decided_by``), never by typing settings.

Recording one proposes the same school again with the decision (``school_proposed``,
through ``commands.record_event`` like every other event); decisions already recorded stand
(``states.admission.decisions_recorded``), and the finding's flag closes when nothing is left
to decide.  A decision is listed only while the admission can take it (its state allows the
school to be proposed again), read from the admission's findings (``admission_finding``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import select

from pepflow.engine.recording import event_spec, record_event
from pepflow.db.models import Admission, AdmissionFinding, Child, Person, School
from pepflow.db.unit import UnitOfWork
from pepflow.audit.disclosures import disclosed
from pepflow.errors import InputError, PepflowError
from pepflow.accounts.access import may_set
from pepflow.role_table import VIRTUAL_SCHOOL_ROLES
from pepflow.rules.placement import NEEDS_APPROVAL, SETTLED_BY
from pepflow.states.admission import MACHINE
from pepflow.vocabulary import parameter_in_sentence, parameter_label, role_label
from pepflow.web import views
from pepflow.web.site import CheckedFormDep, DatabaseDep, Refused, SiteDep, Visitor, VisitorDep, leave_notice

router = APIRouter()
EVENT = "school_proposed"
# the states in which a school may be proposed again, and so a decision recorded
DECIDABLE_IN = tuple(state.value for state in MACHINE.states if EVENT in MACHINE.allowed(state.value))


@dataclass(frozen=True)
class PendingDecision:
    child_ref: str
    admission_id: int
    school_urn: str
    school_name: str
    opened_on: Any
    what: str  # the finding, in words
    settings: tuple[str, ...]  # what settles it
    whose: str  # whose decision, in words

    def mine(self, role: str) -> tuple[str, ...]:
        """The settings of this decision ``role`` may record."""
        return tuple(name for name in self.settings if may_set(role, EVENT, name))


def pending_decisions(s: UnitOfWork, child_ref: str | None = None) -> list[PendingDecision]:
    """Each proposal with a finding that needs someone's decision, where the admission can take
    that decision now (its state allows the school to be proposed again), with what settles it."""
    query = (select(AdmissionFinding, Admission).join(Admission, Admission.id == AdmissionFinding.admission_id)
             .where(AdmissionFinding.level == NEEDS_APPROVAL, Admission.is_open,
                    Admission.state.in_(DECIDABLE_IN), AdmissionFinding.school_urn == Admission.school_urn)
             .order_by(AdmissionFinding.found_on, Admission.child_ref, AdmissionFinding.id))
    if child_ref:
        query = query.where(Admission.child_ref == child_ref)
    spec = event_spec(EVENT)
    found: dict[int, list[AdmissionFinding]] = {}
    admissions: dict[int, Admission] = {}
    for finding, admission in s.execute(query).all():
        found.setdefault(admission.id, []).append(finding)
        admissions[admission.id] = admission
    out = []
    for admission_id, findings in found.items():  # one per admission: its findings are settled together
        admission = admissions[admission_id]
        settings = tuple(dict.fromkeys(name for f in findings for name in SETTLED_BY.get(f.rule, ())))
        school = s.get(School, admission.school_urn)
        whose = sorted({p.decision for name in settings if (p := spec.param(name)) is not None and p.decided_by})
        out.append(PendingDecision(admission.child_ref, admission.id, admission.school_urn or "",
                                   school.name if school else admission.school_urn or "", findings[0].found_on,
                                   "; ".join(f.message for f in findings), settings, " and ".join(whose)))
    return out


def _allowed(visitor: Visitor) -> None:
    if visitor.user.role not in VIRTUAL_SCHOOL_ROLES:
        raise Refused()


@router.get("/decisions")
def decisions(request: Request, site: SiteDep, s: DatabaseDep, visitor: VisitorDep):
    _allowed(visitor)
    items = pending_decisions(s)
    return site.render(request, "decisions.html.j2", 200, visitor, items=items, role=visitor.user.role)


def _decision_for(s: UnitOfWork, visitor: Visitor, ref: str) -> PendingDecision:
    found = [d for d in pending_decisions(s, ref) if d.mine(visitor.user.role)]
    if not found:
        raise Refused()  # nothing here is this role's to decide
    return found[0]


VERDICT = "vsh_decision"  # the VSH's decision: agree or not, with the reasons (a choice, not a box to type in)
VERDICTS = ("agree", "not_agree")


def _fields(s: UnitOfWork, decision: PendingDecision, role: str) -> list[dict[str, Any]]:
    spec = {p.name: p for p in event_spec(EVENT).params}
    fields = []
    for name in decision.mine(role):
        param = spec[name]
        field: dict[str, Any] = {"name": name, "label": parameter_label(name), "hint": param.help,
                                 "kind": "verdict" if name == VERDICT else "person" if param.person else "text"}
        if param.person:  # chosen from the people who may give it, by name
            people = s.execute(select(Person).where(Person.role.in_(param.person)).order_by(Person.name)).scalars()
            field["options"] = [(p.ref, f"{p.name} ({role_label(p.role)})") for p in people]
        fields.append(field)
    return fields


def _problems(fields: list[dict[str, Any]], values: dict[str, str], verdict: str) -> list[tuple[str, str]]:
    errors = []
    if verdict == "not_agree":  # not agreeing ends the proposal: its other parts are not decided
        fields = [f for f in fields if f["kind"] == "verdict"]
    for f in fields:
        if f["kind"] == "verdict" and verdict not in VERDICTS:
            errors.append(("verdict", "Choose whether you agree to the school"))
        if f["kind"] == "verdict" and not values[f["name"]]:
            errors.append((f["name"], "Enter your reasons and the evidence"))
        elif f["kind"] == "person" and not values[f["name"]]:
            errors.append((f["name"], f"Choose the {parameter_in_sentence(f['name'])}"))
        elif f["kind"] == "text" and not values[f["name"]]:
            errors.append((f["name"], f"Enter {parameter_in_sentence(f['name'])}"))
    return errors


@router.get("/children/{ref}/decision")
def decision_form(request: Request, ref: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep):
    _allowed(visitor)
    child = views.visible_child(s, visitor.user, ref, site.app.today())
    decision = _decision_for(s, visitor, child.ref)
    summary = views.child_summary(s, child, site.app.today())
    # the page shows the child's name and school: a disclosure like the case page
    disclosed(s, "record_form_viewed", site.app.today(), visitor.actor,
              {"account": visitor.user.email, "role": visitor.user.role, "event": EVENT}, child.ref)
    s.commit()
    return site.render(request, "decision.html.j2", 200, visitor, decision=decision, child=summary,
                       fields=_fields(s, decision, visitor.user.role), values={}, errors=[])


@router.post("/children/{ref}/decision")
def record_decision(request: Request, ref: str, site: SiteDep, s: DatabaseDep, visitor: VisitorDep,
                    form: CheckedFormDep):
    _allowed(visitor)
    child: Child = views.visible_child(s, visitor.user, ref, site.app.today())
    decision = _decision_for(s, visitor, child.ref)
    fields = _fields(s, decision, visitor.user.role)
    values = {f["name"]: form.get(f["name"], "").strip() for f in fields}
    verdict = form.get("verdict", "")
    errors = _problems(fields, values, verdict)
    if not errors:
        if verdict == "not_agree":  # the proposal ends; its other parts need no decision
            event, params = "school_not_agreed", {"reason": values[VERDICT]}
        else:
            event, params = EVENT, {"school_urn": decision.school_urn, **values}
        try:
            record_event(s, site.app.config, child.ref, event, site.app.today(), site.app.today(),
                         visitor.user.person_ref, params, actor=visitor.actor, role=visitor.user.role)
            s.commit()
        except InputError as exc:
            s.rollback()
            errors.append((exc.field if exc.field in values else "decision",
                           f"{parameter_label(exc.field)}: {exc.problem}"))
        except PepflowError as exc:
            s.rollback()
            errors.append(("decision", str(exc)))
    if errors:  # shown again with the child's details: a disclosure as the first showing was
        disclosed(s, "record_form_viewed", site.app.today(), visitor.actor,
                  {"account": visitor.user.email, "role": visitor.user.role, "event": EVENT, "again": True},
                  child.ref)
        s.commit()
        return site.render(request, "decision.html.j2", 400, visitor, decision=decision,
                           child=views.child_summary(s, child, site.app.today()), fields=fields, values=form,
                           errors=errors)
    left = pending_decisions(s, child.ref)
    if verdict == "not_agree":
        leave_notice(s, visitor, f"Recorded that you do not agree to {decision.school_name}. "
                     "Another school needs to be proposed.")
    else:
        leave_notice(s, visitor, f"Decision recorded for {decision.school_name}."
                     + (" Another decision is still needed." if left else ""))
    s.commit()
    return RedirectResponse(f"/children/{quote(child.ref)}", status_code=303)
