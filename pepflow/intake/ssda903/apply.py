"""Bring an SSDA903 return into pepflow's roll, as what happened.

Each child of the return is checked on its own (``rules/care_periods.py``): a child whose rows
contradict each other is held back (quarantined) with every problem named, and the others
load.  A child pepflow does not hold yet, looked after on the extract date, is added and their
PEP and care-review clocks started (``states/care.bring_in``).  For a child pepflow holds,
each difference is recorded as the event it is, on the day it took effect, with "import of …"
as the actor: ``left_care``, ``entered_care``, ``legal_status_changed``,
``care_placement_changed``, ``social_worker_changed`` and ``care_review_held``; the history,
deadlines and audit then follow exactly as if someone had recorded it by hand.  The date of
birth, UPN and first entry into care are corrections of the record, written and audited as
an import's changes are.  Importing the same return again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, select

from pepflow.audit import audit
from pepflow.audit.snapshots import child_fields
from pepflow.config import Config
from pepflow.db.models import CarePlacement, Child, HeldBackChild, Person
from pepflow.errors import ImportFileError
from pepflow.engine.go_live import note_first_import
from pepflow.intake.csv_import import audit_import
from pepflow.intake.reimport import Seen, record_happened, what_happened
from pepflow.role_table import CASELOAD_ROLES
from pepflow.rules.care_periods import CareRecord, care_record, upn_check
from pepflow.intake.ssda903.read import Return

# the order of a child's events on one day: the old period ends before the new one begins


@dataclass
class Ssda903Report:
    extract_date: dt.date
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    left_care: list[str] = field(default_factory=list)
    looked_after: int = 0
    short_breaks_left_out: int = 0
    quarantined: list[tuple[str, list[str]]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)  # "C123: left care on 2026-11-02"
    before_go_live: int = 0  # changes a first return dated before go-live, recorded as facts

    def as_json(self) -> dict[str, Any]:
        return {"extract_date": self.extract_date.isoformat(),
                "children": {"added": len(self.added), "changed": len(self.changed),
                             "unchanged": len(self.unchanged), "left_care": len(self.left_care)},
                "looked_after": self.looked_after, "short_breaks_left_out": self.short_breaks_left_out,
                "quarantined": [{"child": c, "problems": p} for c, p in self.quarantined],
                "warnings": self.warnings, "events": self.events}

    def summary(self, checking: bool = False) -> str:
        counts = (f"{len(self.added)} added, {len(self.changed)} changed, {len(self.unchanged)} unchanged, "
                  f"{len(self.left_care)} left care, {len(self.quarantined)} held back")
        lines = [f"SSDA903 return extracted {self.extract_date:%d %b %Y}: " + (
            f"the import would give {counts}; {self.looked_after} looked after. Nothing was written (--check)."
            if checking else f"{counts}; {self.looked_after} looked after now.")]
        if self.short_breaks_left_out:
            lines.append(f"{self.short_breaks_left_out} child(ren) on short breaks (V3/V4) left out "
                         "(ssda903_short_breaks in pepflow.toml brings them in)")
        if self.events:
            lines.append(f"{len(self.events)} event(s) {'to record' if checking else 'recorded'}:")
            lines += [f"  {e}" for e in self.events]
        if self.quarantined:
            lines.append(f"{len(self.quarantined)} child(ren) held back, nothing written for them "
                         "(correct their rows in the return and import again):")
            for child, problems in self.quarantined:
                lines.append(f"  {child}:")
                lines += [f"    - {p}" for p in problems]
        lines += [f"  warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def assess(ret: Return, extract: dt.date) -> tuple[dict[str, tuple[CareRecord, str]], list[tuple[str, list[str]]],
                                                   list[str]]:
    """Each child's ``CareRecord`` (with the UPN reason kept), or their problems; warnings."""
    records: dict[str, tuple[CareRecord, str]] = {}
    quarantined, warnings = [], list(ret.warnings)
    for ref in sorted(ret.children):
        raw = ret.children[ref]
        problems = list(raw.problems)
        if not raw.header_at:
            problems.append("has episodes, reviews or social worker rows but no row in the Header table")
        if raw.dob is None or problems:
            quarantined.append((ref, problems or ["no date of birth"]))
            continue
        record, found = care_record(raw.dob, raw.episodes, raw.reviews, raw.workers, extract)
        if record is None:
            quarantined.append((ref, found))
            continue
        warnings += [f"{ref}: {w}" for w in record.warnings]
        record.upn, record.upn_unknown, warning = upn_check(raw.upn)
        if warning:
            warnings.append(f"{ref}: {warning}")
        records[ref] = (record, raw.header_at)
    if ret.ignored:
        warnings.append(f"tables not used by pepflow, read and left alone: {', '.join(ret.ignored)}")
    return records, quarantined, warnings


def apply_return(session: Session, config: Config, records: dict[str, tuple[CareRecord, str]],
                 report: Ssda903Report, today: dt.date, files: list[str]) -> list[str]:
    """Write the roll in ``session`` (the caller commits); returns the children added, whose
    clocks the caller starts.  Raises ``ImportFileError`` if an event it implies is refused."""

    actor = "import of " + (", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else ""))
    label = files[0] if len(files) == 1 else "SSDA903 return"
    people = {p.ref: p.role for p in session.exec(select(Person))}
    held = {c.ref: c for c in session.exec(select(Child))}
    # the day each child's latest care placement that pepflow knows of began
    placed = dict(session.exec(select(CarePlacement.child_ref, func.max(CarePlacement.start))
                               .group_by(CarePlacement.child_ref)).all())
    refused, left_before = [], 0
    go_live = note_first_import(session, config, today, label)
    for ref, (rec, _) in records.items():
        if rec.short_breaks and not config.settings.ssda903_short_breaks:
            report.short_breaks_left_out += 1
            continue
        worker = _social_worker(rec, people, ref, report)
        child = held.get(ref)
        if child is None:
            if rec.looked_after:
                _add(session, ref, rec, worker, report, today, label)
            else:
                left_before += 1
            continue
        problem = _contradiction(child, rec)
        if problem:
            report.quarantined.append((ref, [problem]))
            continue
        corrected = _correct(session, child, rec, today, label)
        changes = what_happened(child, _seen(rec, worker, today), placed.get(ref) or child.entered_care)
        if go_live is not None and ref not in placed:  # the child's first return: before go-live is the past
            past = [c for c in changes if c[0] < go_live and c[1] in FACTS_BEFORE_GO_LIVE]
            if past:
                _record_the_past(session, child, past, today, label)
                report.before_go_live += len(past)
                changes = [c for c in changes if c not in past]
                corrected = True
        done = record_happened(session, config, ref, changes, today, actor, dated=True, stop_after_refusal=True)
        refused += done.refused
        report.events += done.lines
        if done.left_care:
            report.left_care.append(ref)
        (report.changed if corrected or changes else report.unchanged).append(ref)
    if refused:
        raise ImportFileError(label, refused)
    session.flush()  # the children first: their placements refer to them
    session.add_all([CarePlacement(child_ref=ref, start=records[ref][0].placement_since,
                                   placement_type=records[ref][0].placement_type) for ref in report.added])
    if left_before:
        report.warnings.append(f"{left_before} child(ren) had left care before pepflow held them: not added")
    if report.before_go_live:
        report.warnings.append(f"{report.before_go_live} change(s) dated before pepflow went live ({go_live:%d %b %Y}) "
                               "recorded as the children's records say, not as events: no task opened for them")
    session.flush()
    report.looked_after = session.exec(select(func.count()).select_from(Child).where(Child.looked_after)).one()
    report.quarantined.sort()
    held = {ref for ref, _ in report.quarantined}
    keep_held_back(session, report.quarantined, [ref for ref in records if ref not in held], today, label)
    return report.added


def keep_held_back(session: Session, held: list[tuple[str, list[str]]], loaded: list[str], today: dt.date,
                   files: str) -> None:
    """VS admin's list of children held back: this return's added or renewed, and those it loaded
    taken off (a later return resolved them)."""
    resolved: list[str] = []
    anyone_held = session.execute(select(HeldBackChild.child_ref).limit(1)).first() is not None
    for chunk in range(0, len(loaded) if anyone_held else 0, 500):  # most returns find nobody held
        resolved += session.execute(delete(HeldBackChild).where(HeldBackChild.child_ref.in_(
            loaded[chunk:chunk + 500])).returning(HeldBackChild.child_ref)).scalars().all()
    if held or resolved:
        audit(session, None, "roll", "children_held_back", today,
              {"file": files, "held_back": [ref for ref, _ in held], "resolved": sorted(resolved)})
    for ref, problems in held:
        row = session.get(HeldBackChild, ref)
        if row is None:
            row = HeldBackChild(child_ref=ref, problems=problems, first_held_on=today, last_held_on=today, files=files)
        else:
            row.problems, row.last_held_on, row.files = problems, today, files
        session.add(row)


def _social_worker(rec: CareRecord, people: dict[str, str], ref: str, report: Ssda903Report) -> str | None:
    """The SW_ID of the open social worker episode, when pepflow knows that person as a social worker."""
    if not rec.social_worker:
        return None
    role = people.get(rec.social_worker)
    if role in CASELOAD_ROLES:
        return rec.social_worker
    report.warnings.append(f"{ref}: social worker {rec.social_worker!r} is " + (
        f"a {role} in the people list, not a social worker" if role else
        "not in the people list (import people first)") + "; the social worker is not changed")
    return None


def _add(session: Session, ref: str, rec: CareRecord, worker: str | None, report: Ssda903Report,
         today: dt.date, label: str) -> None:
    # the return holds no names: the children list (pepflow import children) adds them
    child = Child(ref=ref, first_name="", last_name="", dob=rec.dob, upn=rec.upn, upn_unknown=rec.upn_unknown,
                  legal_status=rec.legal_status, entered_care=rec.entered_care,
                  first_entered_care=rec.first_entered_care, social_worker_ref=worker,
                  placement_type=rec.placement_type, last_care_review=rec.reviews[-1] if rec.reviews else None)
    session.add(child)
    audit_import(session, "children", "child", "added", ref, child, None, {}, today, label)
    report.added.append(ref)
    if rec.entry_before_return:
        report.warnings.append(f"{ref}: the return's first episode of their current period of care "
                               f"({rec.entered_care:%d/%m/%Y}) does not start it (reason for new episode is not S); "
                               "that date is taken as their entry into care")


# what a child's first return says happened before go-live, recorded as the record's facts
FACTS_BEFORE_GO_LIVE = ("care_placement_changed", "legal_status_changed", "social_worker_changed")


def _record_the_past(session: Session, child: Child, past: list[tuple[dt.date, str, dict[str, str]]],
                     today: dt.date, label: str) -> None:
    """Set what these changes before go-live left the record as, each care placement kept with the
    day it began, in one history row of the child's record (``pepflow/engine/go_live.py``)."""
    before = child_fields(child)
    fix: dict[str, Any] = {}
    for on, event, params in past:
        if event == "care_placement_changed":
            fix["placement_type"] = params["placement_type"]
            session.add(CarePlacement(child_ref=child.ref, start=on, placement_type=params["placement_type"]))
        elif event == "legal_status_changed":
            fix["legal_status"] = params["legal_status"]
        elif event == "social_worker_changed":
            fix["social_worker_ref"] = params["social_worker_ref"]
    for column, value in fix.items():
        setattr(child, column, value)
    session.add(child)
    audit_import(session, "children", "child", "changed", child.ref, child, before, fix, today, label)


def _contradiction(child: Child, rec: CareRecord) -> str | None:
    """What the return says that contradicts what pepflow holds, and only a person can settle."""
    if child.looked_after and not rec.looked_after and rec.left_care_on < child.entered_care:
        return (f"the return has the child leaving care on {rec.left_care_on:%d/%m/%Y}, before the period of care "
                f"pepflow holds began ({child.entered_care:%d/%m/%Y})")
    if not child.looked_after and rec.looked_after and child.left_care_on and rec.entered_care < child.left_care_on:
        return (f"the return has the child looked after since {rec.entered_care:%d/%m/%Y}, but pepflow recorded them "
                f"leaving care on {child.left_care_on:%d/%m/%Y}; if they came back into care, record entered_care")
    return None


def _correct(session: Session, child: Child, rec: CareRecord, today: dt.date, label: str) -> bool:
    """Correct the record's facts (not events): date of birth, UPN, first and current entry into care."""
    fix: dict[str, Any] = {}
    if rec.dob != child.dob:
        fix["dob"] = rec.dob
    if rec.upn and (rec.upn != child.upn or child.upn_unknown):
        fix["upn"], fix["upn_unknown"] = rec.upn, ""
    elif rec.upn_unknown and not child.upn and rec.upn_unknown != child.upn_unknown:
        fix["upn_unknown"] = rec.upn_unknown
    first = min(d for d in (child.first_entered_care, rec.first_entered_care) if d)
    if first != child.first_entered_care:
        fix["first_entered_care"] = first
    # the same period of care, dated earlier by the return: pepflow's date was wrong
    if child.looked_after and rec.looked_after and rec.entered_care < child.entered_care:
        fix["entered_care"] = rec.entered_care
    if not fix:
        return False
    before = child_fields(child)
    for column, value in fix.items():
        setattr(child, column, value)
    session.add(child)
    audit_import(session, "children", "child", "changed", child.ref, child, before, fix, today, label)
    return True


def _seen(rec: CareRecord, worker: str | None, today: dt.date) -> Seen:
    """What the return says of a child, for ``reimport.what_happened``."""
    return Seen(
        on=today, looked_after=rec.looked_after, entered_care=rec.entered_care,
        entry_before_return=rec.entry_before_return, left_care_on=rec.left_care_on,
        left_care_reason=f"{rec.left_care_reason} (SSDA903 {rec.left_care_code})" if rec.left_care_code else "",
        previous_end=rec.previous_end, previous_reason=f"{rec.previous_reason} (SSDA903 {rec.previous_code})",
        legal_status=rec.legal_status, legal_status_since=rec.legal_status_since,
        placement_type=rec.placement_type, placement_since=rec.placement_since,
        social_worker_ref=worker, social_worker_since=rec.social_worker_since, reviews=tuple(rec.reviews))
