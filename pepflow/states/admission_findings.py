"""What the school proposed for an admission is checked against (the school's latest Ofsted
judgement, the schools the child was permanently excluded from), and what the check found and
who decided what, kept as rows (``admission_finding``, ``admission_decision``) rather than read
back out of the history."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete
from sqlmodel import Session, select

from pepflow.db.models import (Admission, AdmissionDecision, AdmissionFinding, Inspection,
                               PermanentExclusionRecord, School)
from pepflow.rules.ofsted import Judgement
from pepflow.rules.placement import DECISION_SETTINGS


def excluded_from(session: Session, child_ref: str) -> frozenset[str]:
    return frozenset(session.exec(select(PermanentExclusionRecord.school_urn)
                                  .where(PermanentExclusionRecord.child_ref == child_ref)))


def latest_inspection(session: Session, school: School) -> Judgement:
    """The school's latest Ofsted inspection in its framework's terms; without any imported, the
    grade on the school's own row (the schools file's ``ofsted`` and ``ofsted_date``)."""
    latest = session.exec(select(Inspection).where(Inspection.urn == school.urn)
                          .order_by(Inspection.inspected_on.desc())).first()
    if latest is None or (school.ofsted_date and school.ofsted not in ("", "none")
                          and school.ofsted_date > latest.inspected_on):
        return Judgement.overall_grade(school.ofsted, school.ofsted_date)
    return Judgement(latest.framework, latest.inspected_on, latest.overall, dict(latest.grades), latest.safeguarding)


def decisions_recorded(session: Session, admission: Admission, urn: str) -> dict[str, str]:
    """The decisions (and reasons) already recorded for proposing this school on this
    admission: a decision stands when the school is proposed again, so the Virtual School Head
    and the nominated officer can each record theirs in turn."""
    return dict(session.exec(select(AdmissionDecision.setting, AdmissionDecision.value).where(
        AdmissionDecision.admission_id == admission.id, AdmissionDecision.school_urn == urn)).all())


def keep_decisions(session: Session, admission: Admission, urn: str, recorded: dict[str, str],
                    given: dict[str, str], on: dt.date) -> None:
    """The decisions given with this proposal, kept beside those already recorded."""
    for setting in DECISION_SETTINGS:
        value = given.get(setting)
        if value and recorded.get(setting) != value:
            row = session.exec(select(AdmissionDecision).where(
                AdmissionDecision.admission_id == admission.id, AdmissionDecision.school_urn == urn,
                AdmissionDecision.setting == setting)).first()
            if row is None:
                row = AdmissionDecision(admission_id=admission.id, school_urn=urn, setting=setting, value=value,
                                        recorded_on=on)
            row.value, row.recorded_on = value, on
            session.add(row)


def replace_findings(session: Session, admission: Admission, urn: str, findings: list, on: dt.date) -> None:
    """The findings of this proposal replace those of the one before."""
    session.execute(delete(AdmissionFinding).where(AdmissionFinding.admission_id == admission.id))
    session.add_all([AdmissionFinding(admission_id=admission.id, school_urn=urn, rule=f.rule, level=f.level,
                                      message=f.message, source=f.source, found_on=on) for f in findings])
