"""What a school's latest Ofsted inspection says about placing a child in care there.

Ofsted has judged schools in three ways, and a school's latest inspection may be in any:

* ``overall_grade`` (to August 2024): one overall effectiveness grade, outstanding, good,
  requires improvement or inadequate;
* ``key_judgements`` (September 2024 to November 2025): no overall grade; quality of
  education, behaviour and attitudes, personal development, leadership and management (and
  early years, sixth form) each graded on the same four points, and safeguarding effective
  or not;
* ``report_card`` (from 10 November 2025): each evaluation area (inclusion, curriculum and
  teaching, achievement, attendance and behaviour, personal development and well-being,
  leadership and governance, early years, sixth form) on five points, exceptional, strong
  standard, expected standard, needs attention, urgent improvement; safeguarding met or not met.

``concern`` reduces an inspection to what the placement rules need: whether the school is to
be treated as inadequate (placed only for exceptional, recorded reasons and with the VSH's
approval) or as needing the VSH's recorded decision, with the reason in words.  An older
inspection keeps counting while it is the latest one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from pepflow.calendars import format_day

FRAMEWORKS = ("overall_grade", "key_judgements", "report_card")
FOUR_POINTS = ("outstanding", "good", "requires_improvement", "inadequate")
FIVE_POINTS = ("exceptional", "strong_standard", "expected_standard", "needs_attention", "urgent_improvement")
KEY_JUDGEMENTS = ("quality_of_education", "behaviour_and_attitudes", "personal_development",
                  "leadership_and_management", "early_years", "sixth_form")
REPORT_CARD_AREAS = ("inclusion", "curriculum_and_teaching", "achievement", "attendance_and_behaviour",
                     "personal_development_and_wellbeing", "leadership_and_governance", "early_years",
                     "sixth_form")
SAFEGUARDING = {"overall_grade": ("",), "key_judgements": ("effective", "not_effective", ""),
                "report_card": ("met", "not_met")}
SOURCE = ("002 Virtual School Handbook §2c i; Ofsted, School inspection handbook (from September 2024, key "
          "judgements without an overall grade; from November 2025, report cards)")

INADEQUATE, NEEDS_DECISION = "inadequate", "needs_decision"


@dataclass(frozen=True)
class Judgement:
    """A school's latest inspection, as the rules read it."""

    framework: str
    inspected_on: dt.date | None = None
    overall: str = ""
    grades: dict[str, str] = field(default_factory=dict)
    safeguarding: str = ""

    @classmethod
    def none(cls) -> "Judgement":
        return cls("overall_grade")

    @classmethod
    def overall_grade(cls, grade: str, on: dt.date | None) -> "Judgement":
        """A grade kept on the school's own row (schools files before inspections were imported)."""
        return cls("overall_grade", on, "" if grade in ("", "none") else grade)


@dataclass(frozen=True)
class Concern:
    level: str  # INADEQUATE or NEEDS_DECISION
    why: str  # "judged inadequate", "safeguarding not met (report card of 3 Mar 2026)"


def concern(j: Judgement) -> Concern | None:
    """What the inspection means for a placement, or None when nothing stands in the way."""
    when = f" ({_framework_words(j.framework)} of {format_day(j.inspected_on)})" if j.inspected_on else ""
    if j.framework == "overall_grade":
        if j.overall == "inadequate":
            return Concern(INADEQUATE, f"judged inadequate{when}")
        if j.overall == "requires_improvement":
            return Concern(NEEDS_DECISION, f"judged to require improvement{when}")
        return None
    if j.framework == "key_judgements":
        if j.safeguarding == "not_effective":
            return Concern(INADEQUATE, f"safeguarding not effective{when}")
        worst = [_words(k) for k, v in j.grades.items() if v == "inadequate"]
        if worst:
            return Concern(INADEQUATE, f"{', '.join(worst)} judged inadequate{when}")
        weak = [_words(k) for k, v in j.grades.items() if v == "requires_improvement"]
        if weak:
            return Concern(NEEDS_DECISION, f"{', '.join(weak)} judged to require improvement{when}")
        return None
    # report cards: safeguarding not met, or the lowest grade in any area, needs the VSH's decision
    reasons = []
    if j.safeguarding == "not_met":
        reasons.append("safeguarding not met")
    urgent = [_words(k) for k, v in j.grades.items() if v == "urgent_improvement"]
    if urgent:
        reasons.append(f"urgent improvement in {', '.join(urgent)}")
    if reasons:
        return Concern(NEEDS_DECISION, "; ".join(reasons) + when)
    return None


def _words(key: str) -> str:
    return key.replace("_", " ").replace("wellbeing", "well-being")


def _framework_words(framework: str) -> str:
    return {"overall_grade": "inspection", "key_judgements": "inspection", "report_card": "report card"}[framework]
