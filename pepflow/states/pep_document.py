"""A PEP's document: its sections (config/pep.toml) as their owners saved them, what pepflow
already knows filled in from its records, and each section's status.

A section is saved whole, by a role that fills it in (its ``owner``, or one of ``also``), while the
PEP is being written (due, meeting arranged or held, returned for changes); a save made from a
form opened before someone else's save is refused, naming who saved it and when, and nothing is
written.  Every save is a row of the child's history (``pep_section_saved``: which fields changed,
never their words, so the record can be purged while the history still proves itself).

Once a PEP's document is in use (a section saved), "PEP submitted" is refused until every
required field of every section is filled, and says which are missing.  A council that keeps its
PEPs in another ePEP records the steps only, as before.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from pepflow.audit import audit
from pepflow.calendars import format_day, format_moment, school_year_start
from pepflow.cohort import year_group, year_group_label
from pepflow.config import Config
from pepflow.config.pep_template import FieldSpec, Section
from pepflow.db.models import AttendanceRecord, CarePlacement, Child, Pep, PepSection, Person, School, Suspension
from pepflow.errors import InputError
from pepflow.states.attendance_marks import figures as attendance_figures
from pepflow.states.pp_plus_lines import record_impact
from pepflow.rules.pep_values import is_filled, read_value
from pepflow.vocabulary import value_words

EDITABLE = ("due", "meeting_scheduled", "meeting_held", "returned")  # the PEP is being written
NOT_STARTED, IN_PROGRESS, COMPLETED, NEEDS_CHANGES = "not_started", "in_progress", "completed", "needs_changes"


@dataclass(frozen=True)
class SectionView:
    """One section as a page shows it: its template, what is kept and known, and where it stands."""

    spec: Section
    values: dict[str, Any]  # what was saved (facts pepflow knows are in ``known``)
    known: dict[str, str]  # fields filled from pepflow's records
    status: str
    version: int
    saved_by: str
    saved_at: dt.datetime | None
    qa_grade: str = ""  # the Virtual School's grade of this section, and its comment
    qa_comment: str = ""

    @property
    def missing(self) -> list[FieldSpec]:
        return [f for f in self.spec.fields if f.required and not f.prefill and not is_filled(f, self.values.get(f.key))]


def child_sections(config: Config, child: Child, on: dt.date) -> list[Section]:
    """The sections of this child's PEP, by their year group, EHCP and school."""
    return config.pep_template.sections_for(year_group(child.dob, on), ehcp=child.sen_status == "ehcp",
                                            on_roll=bool(child.school_urn))


def facts(session: Session, child: Child, on: dt.date) -> dict[str, str]:
    """What pepflow knows that a PEP shows (``pep_template.KNOWN_FACTS``), in words."""
    school = session.get(School, child.school_urn) if child.school_urn else None
    people = {p.ref: p.name for p in session.execute(select(Person).where(Person.ref.in_(
        [r for r in (child.social_worker_ref, school.dt_ref if school else None) if r]))).scalars()}
    latest = session.execute(select(AttendanceRecord).where(AttendanceRecord.child_ref == child.ref)
                             .order_by(AttendanceRecord.recorded_on.desc(), AttendanceRecord.id.desc())).scalars().first()
    year_start = dt.date(school_year_start(on), 9, 1)
    suspended = session.execute(select(func.count(), func.coalesce(func.sum(Suspension.days), 0)).where(
        Suspension.child_ref == child.ref, Suspension.first_day >= year_start)).one()
    placements = session.execute(select(func.count()).select_from(CarePlacement)
                                 .where(CarePlacement.child_ref == child.ref)).scalar() or 0
    return {
        "child.name": f"{child.first_name} {child.last_name}", "child.dob": format_day(child.dob),
        "child.upn": child.upn or "not known", "child.legal_status": value_words(child.legal_status),
        "child.entered_care": format_day(child.entered_care),
        "child.placement_type": value_words(child.placement_type) if child.placement_type else "not recorded",
        "child.placements": str(placements), "child.year_group": year_group_label(year_group(child.dob, on)),
        "child.sen_status": value_words(child.sen_status), "school.name": school.name if school else "no school",
        "school.urn": school.urn if school else "", "child.social_worker": people.get(child.social_worker_ref or "", ""),
        "school.designated_teacher": people.get(school.dt_ref or "", "not recorded") if school else "no school",
        "attendance.latest": f"{latest.percent:g}% ({latest.half_term})" if latest else "none recorded",
        "attendance.this_year": _from_the_register(session, child.ref, year_start, on),
        "exclusions.suspensions_this_year": (f"{suspended[0]} ({suspended[1]} school days)" if suspended[0]
                                             else "none"),
        "exclusions.permanent": "",
    }


def _from_the_register(session: Session, child_ref: str, start: dt.date, on: dt.date) -> str:
    """This school year's attendance from the register's marks, in words (issue 41)."""
    shown = attendance_figures(session, child_ref, start, on)
    if shown.percentage is None:
        return "no marks from the register"
    band = "; severe absence" if shown.severe_absence else "; persistent absence" if shown.persistent_absence else ""
    return (f"{shown.percentage:.1f}% of {shown.possible_sessions} possible sessions (authorised absence "
            f"{shown.authorised_absence}, unauthorised {shown.unauthorised_absence}){band}")


def document(session: Session, config: Config, child: Child, pep: Pep, on: dt.date) -> list[SectionView]:
    """Every section of the child's PEP, in the template's order."""
    saved = {row.section: row for row in session.execute(select(PepSection).where(PepSection.pep_id == pep.id)).scalars()}
    known_facts = facts(session, child, on)
    out = []
    for spec in child_sections(config, child, on):
        row = saved.get(spec.key)
        known = {f.key: known_facts.get(f.prefill, "") for f in spec.fields if f.prefill}
        values = dict(row.values) if row else carried(session, pep, spec)
        out.append(SectionView(spec, values, known, row.status if row else NOT_STARTED,
                               row.version if row else 0, row.saved_by if row else "", row.saved_at if row else None,
                               row.qa_grade if row else "", row.qa_comment if row else ""))
    return out


def carried(session: Session, pep: Pep, spec: Section) -> dict[str, Any]:
    """What a section not yet saved starts with: the rows its tables carry from the child's last
    PEP (``carry_from``: last term's targets, to be reviewed), their cells of the same columns."""
    out: dict[str, Any] = {}
    for field in spec.fields:
        if not field.carry_from:
            continue
        section, _, name = field.carry_from.partition(".")
        last = session.execute(select(PepSection.values).join(Pep, Pep.id == PepSection.pep_id).where(
            Pep.child_ref == pep.child_ref, Pep.id < pep.id, PepSection.section == section)
            .order_by(Pep.id.desc())).scalars().first()
        rows = (last or {}).get(name) or []
        keys = [c.key for c in field.columns]
        out[field.key] = [{k: row.get(k, "") for k in keys} for row in rows if isinstance(row, dict)][:field.max_rows]
    return out


def writable_section(config: Config, child: Child, pep: Pep, key: str, role: str, on: dt.date,
                     field: str = "section") -> Section:
    """The section, if ``role`` fills it in and the PEP is being written; else why not (naming ``field``)."""
    spec = next((s for s in child_sections(config, child, on) if s.key == key), None)
    if spec is None:
        raise InputError("section", key, f"is not a section of {child.first_name}'s PEP")
    if role not in spec.filled_by:
        raise InputError(field, spec.title, f"is filled in by the {value_words(spec.owner)}; you may read it")
    if pep.state not in EDITABLE:
        raise InputError(field, spec.title, "cannot be changed now: the PEP has been submitted")
    return spec


def save_section(session: Session, config: Config, child: Child, pep: Pep, key: str, typed: dict[str, Any],
                 role: str, actor: str, seen_version: int, now: dt.datetime, on: dt.date) -> PepSection:
    """Save one section as typed; refused, with nothing written, for a role that does not fill it
    in, a PEP not being written, a form opened before someone else's save, or a bad value."""
    spec = writable_section(config, child, pep, key, role, on, "section")
    row = session.execute(select(PepSection).where(PepSection.pep_id == pep.id, PepSection.section == key)
                          ).scalars().first()
    if pep.state == "returned" and (row is None or row.status != NEEDS_CHANGES):
        raise InputError("section", spec.title, "was not sent back for changes: only the sections the Virtual "
                                                "School returned can change now")
    if (row.version if row else 0) != seen_version:
        raise InputError("section", spec.title, f"was saved by {row.saved_by.removeprefix('user:')} at "
                                                f"{format_moment(row.saved_at)} after you opened it: look at their "
                                                "changes, then save yours again")
    values = {f.key: read_value(f, typed.get(f.key)) for f in spec.fields if not f.prefill}
    before = dict(row.values) if row else {}
    changed = sorted(k for k in values if values[k] != before.get(k, ""))
    missing = [f for f in spec.fields if f.required and not f.prefill and not is_filled(f, values[f.key])]
    status = IN_PROGRESS if missing else COMPLETED
    stale = InputError("section", spec.title, "was saved by someone else at the same moment: look at their "
                                              "changes, then save yours again")
    if row is None:
        row = PepSection(pep_id=pep.id, section=key, values=values, status=status, version=1, saved_by=actor,
                         saved_at=now, returned_count=0)
        try:
            with session.begin_nested():  # two first saves at once: the section's unique key lets one in
                session.add(row)
                session.flush()
        except IntegrityError:
            raise stale from None
    else:
        # the version read is the version replaced, or nothing is: of two saves from one form at once,
        # one is kept and the other refused, on PostgreSQL as on SQLite
        taken = session.execute(update(PepSection).where(PepSection.id == row.id, PepSection.version == row.version)
                                .values(values=values, status=status, version=row.version + 1, saved_by=actor,
                                        saved_at=now).execution_options(synchronize_session=False)).rowcount
        if taken != 1:
            raise stale
        session.refresh(row)
    review = config.pep_template.review_table()
    tied = record_impact(session, config, child.ref, pep, values, on) if review and review[0].key == key else 0
    audit(session, child.ref, "pep", "pep_section_saved", on, {"section": key, "version": row.version,
                                                                "changed": changed, "status": status,
                                                                **({"pp_plus_reviewed": tied} if tied else {})},
          process_id=pep.id, actor=actor)
    return row


_ANY_SECTION = select(PepSection.id).where(PepSection.pep_id == bindparam("pep")).limit(1)  # built once: at each submission


def missing_before_submission(session: Session, config: Config, child: Child, pep: Pep, on: dt.date,
                              views: list[SectionView] | None = None) -> list[str]:
    """What must still be filled in before the PEP can be submitted ("The child's voice: Came to the
    meeting"), or nothing when its document is not in use (no section saved).  A page that has the
    document already passes its ``views``."""
    if views is None:
        # read by the connection, as the table holds it: through the session, the read first wrote
        # the deadlines a batch of events had queued, at each submission (bench/pep_machine.py)
        if session.connection().execute(_ANY_SECTION, {"pep": pep.id}).first() is None:
            return []
        views = document(session, config, child, pep, on)
    elif all(view.version == 0 and not view.qa_grade for view in views):
        return []
    return [f"{view.spec.title}: {field.label}" for view in views for field in view.missing]


def record_qa(session: Session, config: Config, child: Child, pep: Pep, grades: dict[str, tuple[str, str]],
              role: str, actor: str, on: dt.date, today: dt.date) -> tuple[str, list[str]]:
    """The Virtual School's quality assurance of a submitted PEP, section by section: each section
    a grade of the council's scale (``[qa]`` in pep.toml) and, below the best, a comment.  The
    rules decide: sections graded to send it back are marked "needs changes" and the PEP returned
    with their comments (``pep_returned``), else it is approved with the rating they give
    (``pep_approved``).  Returns the outcome and the titles of the sections sent back."""
    from pepflow.engine.recording import record_event  # imported here: recording loads every process (this one too)
    from pepflow.role_table import VIRTUAL_SCHOOL_ROLES

    rules = config.pep_template.qa
    if role not in VIRTUAL_SCHOOL_ROLES:
        raise InputError("section", "Quality assurance", "is the Virtual School's to record")
    if pep.state not in ("submitted", "in_qa"):
        raise InputError("section", "Quality assurance", "is for a PEP that has been submitted")
    views = document(session, config, child, pep, on)
    chosen: dict[str, str] = {}
    for view in views:
        grade, comment = grades.get(view.spec.key, ("", ""))
        if grade not in rules.scale:
            raise InputError(view.spec.key, grade, f"needs a grade: {', '.join(value_words(g) for g in rules.scale)}")
        if grade != rules.scale[0] and not comment.strip():
            raise InputError(view.spec.key, grade, "needs a comment saying what would make it better")
        chosen[view.spec.key] = grade
    outcome, back = rules.outcome(chosen)
    rows = {row.section: row for row in session.execute(select(PepSection).where(PepSection.pep_id == pep.id)).scalars()}
    for view in views:
        row = rows.get(view.spec.key) or PepSection(pep_id=pep.id, section=view.spec.key, values={},
                                                    status=NOT_STARTED, version=0, saved_by="", saved_at=now_of(on),
                                                    returned_count=0)
        row.qa_grade, row.qa_comment = chosen[view.spec.key], grades[view.spec.key][1].strip()[:2000]
        if view.spec.key in back:
            row.status, row.returned_count = NEEDS_CHANGES, (row.returned_count or 0) + 1
        session.add(row)
    titles = [v.spec.title for v in views if v.spec.key in back]
    audit(session, child.ref, "pep", "pep_qa_recorded", on, {"grades": chosen, "outcome": outcome}, process_id=pep.id,
          actor=actor)
    if back:
        reason = "; ".join(f"{v.spec.title}: {grades[v.spec.key][1].strip()}" for v in views if v.spec.key in back)
        record_event(session, config, child.ref, "pep_returned", on, today, None, {"reason": reason[:2000]},
                     actor=actor, role=role)
    else:
        record_event(session, config, child.ref, "pep_approved", on, today, None, {"rating": outcome},
                     actor=actor, role=role)
    return outcome, titles


def now_of(on: dt.date) -> dt.datetime:
    """A section graded before it was ever saved: "saved" at the start of the day it was graded."""
    return dt.datetime.combine(on, dt.time(0), tzinfo=dt.timezone.utc)
