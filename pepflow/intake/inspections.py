"""Importing Ofsted inspections (``pepflow import inspections FILE``).

Two files are read.  pepflow's own columns (``urn``, ``inspected_on``, ``framework``,
``overall``, ``safeguarding`` and a column per graded area, the names in
``rules/inspections.py``) hold any of the three frameworks.  Ofsted's monthly management
information file for state-funded schools ("URN", "Inspection start date", "Overall
effectiveness" 1-4 or "Not judged", the key judgements 1-4 and "Safeguarding is effective?")
is recognised by its columns; its rows for schools pepflow does not hold are left out and
counted.  A file is imported all or nothing, and importing it again changes nothing.  Each
inspection added or changed is a history row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from pepflow import values
from pepflow.audit import audit
from pepflow.db.models import Inspection, School
from pepflow.errors import ImportFileError, quoted
from pepflow.rules.ofsted import FIVE_POINTS, FOUR_POINTS, FRAMEWORKS, KEY_JUDGEMENTS, REPORT_CARD_AREAS, SAFEGUARDING

MI_GRADES = {"1": "outstanding", "2": "good", "3": "requires_improvement", "4": "inadequate"}
MI_JUDGEMENTS = {"Quality of education": "quality_of_education", "Behaviour and attitudes": "behaviour_and_attitudes",
                 "Personal development": "personal_development",
                 "Effectiveness of leadership and management": "leadership_and_management",
                 "Early years provision (where applicable)": "early_years",
                 "Sixth form provision (where applicable)": "sixth_form"}


@dataclass
class InspectionReport:
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    unknown_schools: int = 0
    not_inspected: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"inspections: {self.added} added, {self.changed} changed, {self.unchanged} unchanged"
        if self.unknown_schools:
            text += f"; {self.unknown_schools} row(s) for schools pepflow does not hold left out"
        if self.not_inspected:
            text += f"; {self.not_inspected} school(s) not yet inspected"
        return text


def parse_inspections(rows: list[tuple[int, dict[str, str]]], known: set[str], report: InspectionReport
                      ) -> list[tuple[int, dict[str, Any]]]:
    """The rows as inspections (line, values); problems are added to ``report``."""
    if not rows:
        return []
    mi = "Inspection start date" in rows[0][1]
    parsed = []
    for line, raw in rows:
        try:
            found = _from_mi(raw) if mi else _from_own(raw)
        except ValueError as exc:
            report.problems.append(f"line {line}, {exc}")
            continue
        if found is None:
            report.not_inspected += 1
            continue
        if found["urn"] not in known:
            if mi:
                report.unknown_schools += 1
            else:
                report.problems.append(f"line {line}, column urn: {quoted(found['urn'])} is not in the schools list")
            continue
        parsed.append((line, found))
    return parsed


def _from_own(raw: dict[str, str]) -> dict[str, Any] | None:
    urn = _field("urn", values.ref, raw.get("urn", ""))
    framework = _field("framework", values.choice(*FRAMEWORKS), raw.get("framework", ""))
    on = _field("inspected_on", values.date_value, raw.get("inspected_on", ""))
    scale, areas = (FIVE_POINTS, REPORT_CARD_AREAS) if framework == "report_card" else (FOUR_POINTS, KEY_JUDGEMENTS)
    grades = {a: _field(a, values.choice(*scale), raw[a]) for a in areas if raw.get(a, "").strip()}
    overall = _field("overall", values.choice(*FOUR_POINTS), raw["overall"]) \
        if framework == "overall_grade" and raw.get("overall", "").strip() else ""
    if framework == "overall_grade" and not overall:
        raise ValueError("column overall: an overall_grade inspection needs its grade")
    if framework == "report_card" and not grades:
        raise ValueError(f"column {REPORT_CARD_AREAS[0]}: a report card needs the grade of at least one area")
    safeguarding = _field("safeguarding", values.choice(*SAFEGUARDING[framework]), raw.get("safeguarding", "")) \
        if raw.get("safeguarding", "").strip() or framework == "report_card" else ""
    return {"urn": urn, "inspected_on": on, "framework": framework, "overall": overall, "grades": grades,
            "safeguarding": safeguarding}


def _from_mi(raw: dict[str, str]) -> dict[str, Any] | None:
    urn = _field("URN", values.ref, raw.get("URN", ""))
    when = raw.get("Inspection start date", "").strip()
    if not when:
        return None
    on = _field("Inspection start date", values.date_value, when)
    overall = MI_GRADES.get(raw.get("Overall effectiveness", "").strip(), "")
    grades = {key: MI_GRADES[raw[column].strip()] for column, key in MI_JUDGEMENTS.items()
              if raw.get(column, "").strip() in MI_GRADES}
    effective = raw.get("Safeguarding is effective?", "").strip().lower()
    safeguarding = {"yes": "effective", "no": "not_effective"}.get(effective, "")
    if overall:
        return {"urn": urn, "inspected_on": on, "framework": "overall_grade", "overall": overall, "grades": grades,
                "safeguarding": ""}
    if grades or safeguarding:
        return {"urn": urn, "inspected_on": on, "framework": "key_judgements", "overall": "", "grades": grades,
                "safeguarding": safeguarding}
    return None  # an ungraded or monitoring visit: the graded inspection before it still stands


def _field(name: str, parse, value: str) -> Any:
    try:
        return parse(value)
    except ValueError as exc:
        raise ValueError(f"column {name}: {quoted(value)} {exc}") from None


def import_inspections(session: Session, rows: list[tuple[int, dict[str, str]]], today: dt.date,
                       file: str) -> InspectionReport:
    """Check every row, then add or update the inspections in ``session`` (the caller commits)."""
    report = InspectionReport()
    known = set(session.exec(select(School.urn)))
    parsed = parse_inspections(rows, known, report)
    if report.problems:
        raise ImportFileError(file, report.problems)
    existing = {(i.urn, i.inspected_on): i for i in session.exec(select(Inspection))}
    latest: dict[str, dict[str, Any]] = {}
    for _, found in parsed:
        current = existing.get((found["urn"], found["inspected_on"]))
        payload = {"file": file.rsplit("/", 1)[-1], "urn": found["urn"],
                   **{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in found.items() if k != "urn"}}
        if current is None:
            session.add(Inspection(**found))
            report.added += 1
            audit(session, None, "roll", "inspection_added", today, payload)
        elif any(getattr(current, k) != v for k, v in found.items()):
            for k, v in found.items():
                setattr(current, k, v)
            session.add(current)
            report.changed += 1
            audit(session, None, "roll", "inspection_changed", today, payload)
        else:
            report.unchanged += 1
        if found["framework"] == "overall_grade" and (
                found["urn"] not in latest or found["inspected_on"] > latest[found["urn"]]["inspected_on"]):
            latest[found["urn"]] = found
    for urn, found in latest.items():  # the school's own grade follows its latest graded inspection
        school = session.get(School, urn)
        if school.ofsted_date is None or found["inspected_on"] >= school.ofsted_date:
            school.ofsted, school.ofsted_date = found["overall"], found["inspected_on"]
            session.add(school)
    session.flush()
    return report
