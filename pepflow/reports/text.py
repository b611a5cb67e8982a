"""A compliance report (``reports.compliance``) as a text table for the terminal and as CSV
rows (section, measure, group, value) for the web download and ``--format csv``."""

from __future__ import annotations

from typing import Any

from pepflow.calendars import format_iso_day
from pepflow.vocabulary import kind_label, value_words

BREAKDOWN_LABELS = {"key_stage": "Key stage", "year_group": "Year group", "sen_status": "SEN status",
                    "legal_status": "Legal status", "placement_type": "Placement type", "area": "Area",
                    "school_ofsted": "School's Ofsted judgement"}


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def _median(value: float | None) -> str:
    return "none placed yet" if value is None else f"{value:g}"


def as_table(report: dict[str, Any]) -> str:
    r = report
    lines = [f"Compliance report, {r['authority']}: {format_iso_day(r['from'])} to {format_iso_day(r['to'])}, as of {format_iso_day(r['as_of'])}",
             ""]
    roll = r["roll"]
    lines.append(f"Children on roll: {roll['children_on_roll']}; with an up-to-date PEP: {roll['up_to_date_pep']} "
                 f"({_pct(roll['up_to_date_percent'])}); out of area: {roll['out_of_area']}")
    lines += ["", f"{'timescale':<38} {'due':>5} {'met':>5} {'late':>5} {'breached':>9} {'missed':>7} "
                  f"{'pending':>8} {'on time':>8}  rule versions"]
    for kind, t in r["timescales"].items():
        o = t["outcomes"]
        due = sum(o.values())
        lines.append(f"{kind_label(kind):<38} {due:>5} {o.get('met', 0):>5} {o.get('met_late', 0):>5} "
                     f"{o.get('breached', 0):>9} {o.get('missed', 0):>7} {o.get('pending', 0):>8} "
                     f"{_pct(t['on_time_percent']):>8}  {', '.join(format_iso_day(v) for v in t['rule_versions'])}")
    if not r["timescales"]:
        lines.append("No deadline was due in the period.")
    lines += ["", "PEP meetings held per term: " + (", ".join(f"{k} {v}" for k, v in r["pep_meetings_per_term"].items())
                                                    or "none")]
    for term, counts in r["qa_ratings_per_term"].items():
        lines.append(f"PEP quality ratings {term}: " + ", ".join(f"{value_words(k)} {v}" for k, v in counts.items()))
    a = r["admissions"]
    median = a["median_school_days_to_place"]
    lines += ["", f"Admissions: {a['needs']} needs; within 20 school days {a['within_20_school_days']} of "
                  f"{a['judged']} ({_pct(a['within_percent'])}); median school days to a place: in area "
                  f"{_median(median['in_area'])}, out of area {_median(median['out_of_area'])}",
              f"Directions made {a['directions_made']}, referred {a['directions_referred_to_adjudicator']}, upheld "
              f"by the Adjudicator {a['directions_upheld_by_adjudicator']}; Secretary of State requests "
              f"{a['secretary_of_state_requests']}, directed {a['secretary_of_state_directed']}; emergency care "
              f"moves {a['emergency_care_moves']}"]
    x = r["exclusions"]
    lines.append(f"Suspensions {x['suspensions']} ({x['suspension_days']} school days); permanent exclusions "
                 f"{x['permanent_exclusions']}, {x['with_pre_exclusion_meeting']} with a pre-exclusion meeting")
    lines.append("Attendance bands: " + (", ".join(f"{value_words(k)} {v}" for k, v in r["attendance_bands"].items())
                                         or "no attendance recorded this period"))
    lines.append("Pupil Premium Plus approved: " + (", ".join(
        f"{k} {v['approved']} (£{v['amount']:,})" for k, v in r["pp_plus_approved_per_term"].items())
        or "none approved this period"))
    lines += ["", "Up-to-date PEPs by group (percentages hidden for groups under 5):"]
    for name, groups in r["breakdowns"].items():
        lines.append(f"  {BREAKDOWN_LABELS.get(name, name)}: " + "; ".join(
            f"{value_words(g['group'])} {g['up_to_date_pep']}/{g['children']} {_pct(g['percent'])}" for g in groups))
    return "\n".join(lines)


def as_rows(report: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    """Flat (section, measure, group, value) rows for CSV."""
    rows: list[tuple[str, str, str, Any]] = []
    for k, v in report["roll"].items():
        rows.append(("roll", k, "", v))
    for kind, t in report["timescales"].items():
        for o, n in t["outcomes"].items():
            rows.append(("timescales", o, kind, n))
        rows.append(("timescales", "on_time_percent", kind, t["on_time_percent"]))
    for term, n in report["pep_meetings_per_term"].items():
        rows.append(("pep_meetings_per_term", "meetings", term, n))
    for term, counts in report["qa_ratings_per_term"].items():
        for rating, n in counts.items():
            rows.append(("qa_ratings_per_term", rating, term, n))
    for k, v in report["admissions"].items():
        if isinstance(v, dict):
            for g, n in v.items():
                rows.append(("admissions", k, g, n))
        elif not isinstance(v, list):
            rows.append(("admissions", k, "", v))
    for k, v in report["exclusions"].items():
        if isinstance(v, dict):
            for g, n in v.items():
                rows.append(("exclusions", k, g, n))
        else:
            rows.append(("exclusions", k, "", v))
    for band, n in report["attendance_bands"].items():
        rows.append(("attendance_bands", band, "", n))
    for term, v in report["pp_plus_approved_per_term"].items():
        rows.append(("pp_plus", "approved", term, v["approved"]))
        rows.append(("pp_plus", "amount", term, v["amount"]))
    register = report.get("attendance_from_the_register") or {}
    for measure in ("children_with_marks", "percentage", "persistent_absence", "persistent_absence_percent",
                    "severe_absence", "national_percentage", "national_persistent_absence_percent"):
        if register.get(measure) is not None and register.get("children_with_marks"):
            rows.append(("attendance_from_the_register", measure, "", register[measure]))
    for category, v in report.get("pp_plus_impact", {}).items():
        for measure in ("spent", "targets_funded", "met", "partly_met", "not_met", "not_reviewed"):
            rows.append(("pp_plus_impact", measure, category, v[measure]))
    for term, sections in report.get("pep_qa", {}).get("grades_by_term", {}).items():
        for section, counts in sections.items():
            for grade, n in counts.items():
                rows.append(("pep_qa_grades", grade, f"{term}: {section}", n))
    for section, n in report.get("pep_qa", {}).get("sections_returned", {}).items():
        rows.append(("pep_qa", "sections_returned", section, n))
    for outcome, n in report.get("pep_qa", {}).get("last_terms_targets", {}).items():
        rows.append(("pep_qa", "last_terms_targets", outcome, n))
    for name, groups in report["breakdowns"].items():
        for g in groups:
            rows.append((f"breakdown:{name}", "children", g["group"], g["children"]))
            rows.append((f"breakdown:{name}", "up_to_date_pep", g["group"], g["up_to_date_pep"]))
            rows.append((f"breakdown:{name}", "percent", g["group"], g["percent"]))
    return rows
