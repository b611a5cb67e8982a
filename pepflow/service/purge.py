"""The purge (issue 43 item 5): each night (and ``pepflow records purge [--dry-run]``), what has passed
its retention date is anonymised or removed as its rule says, except what is on legal hold.

* ``case`` anonymised: the child's name, UPN and date of birth overwritten (the date of birth moved to
  the first day of their school-year cohort, so the year-group figures already reported stay as they
  were), the words typed about them cleared (contact notes, PEP sections, Pupil Premium Plus lines,
  subject access requests, deadline notes), their documents, PEP PDFs and emails' contents removed, and
  every history row about them tombstoned (``audit/tombstones.py``); the processes and deadlines stay,
  without anything personal, so the statistics for past years do not change and the history still
  proves itself;
* ``pep``: the PEP's sections, PDFs and documents removed (the PEP's dates and states kept);
  ``documents``: the documents; ``attendance``: the marks, totals, alerts and figures; ``emails``: the
  emails' contents older than the rule's years; ``views``: the history rows of who viewed or downloaded
  the record, older than its years, tombstoned.

The purge is recorded in the history (counts by record and rule, never the data), and each child's
purge is written to the purge log kept beside the history's checkpoints, outside the database, so a
restore of an older backup re-applies it before the service starts (``reapply``)."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.engine import Engine

from pepflow.audit import audit
from pepflow.audit.checkpoints import checkpoint_file
from pepflow.audit.disclosures import ACCESS_PROCESS
from pepflow.audit.tombstones import keyed_subject, tombstone
from pepflow.calendars import school_year_start
from pepflow.config import Config
from pepflow.db.models import (AttendanceAlert, AttendanceMark, AttendanceRecord, AttendanceTotal, Child, ContactNote,
                               Deadline, Event, HeldBackChild, Notification, Pep, PepAttachment, PepPdf, PepSection,
                               PpPlusLine, SubjectAccessRequest)
from pepflow.db.unit import UnitOfWork
from pepflow.rules.retention_rules import add_years
from pepflow.service.retention import DueItem, records_due

PROCESS = "records"
CHUNK = 500
EMAIL_KEPT = ("kind", "step", "due_on", "days_overdue", "overdue_unit", "why")  # what the statistics use


@dataclass
class Purged:
    dry_run: bool
    counts: Counter = field(default_factory=Counter)  # (record, action) -> children
    rows: Counter = field(default_factory=Counter)  # what was changed, by table
    held: int = 0
    kept_unkeyed_history: int = 0
    children: set[str] = field(default_factory=set)

    def lines(self) -> list[str]:
        verb = "would be" if self.dry_run else "were"
        said = [f"{n} child(ren)'s {record} record {verb} {'anonymised' if action == 'anonymise' else 'removed'}"
                for (record, action), n in sorted(self.counts.items())]
        said += [f"  {table}: {n} row(s)" for table, n in sorted(self.rows.items())]
        if self.held:
            said.append(f"{self.held} record(s) reached their date but are on legal hold: kept")
        if self.kept_unkeyed_history:
            said.append(f"{self.kept_unkeyed_history} history row(s) written before payloads could be purged "
                        "(before revision 0020) keep their payloads: the chain proves them as they are")
        return said or ["Nothing has passed its retention date."]


def purge(session: UnitOfWork, config: Config, today: dt.date, by: str, dry_run: bool = False) -> Purged:
    """Purge what has passed its date today (``dry_run``: say what, change nothing)."""
    done = Purged(dry_run)
    due = records_due(session, config, today)
    anonymised = {ref for ref, first, last, upn in session.execute(
        select(Child.ref, Child.first_name, Child.last_name, Child.upn)) if not (first or last or upn)}
    cases: dict[str, list[str]] = {}
    for item in due:
        if item.record == "case" and item.child_ref in anonymised:
            continue  # done on an earlier night
        if item.held:
            done.held += 1
            continue
        if dry_run or item.record == "case":  # cases are anonymised together, below
            done.counts[(item.record, item.action)] += 1
            done.children.add(item.child_ref)
            cases.setdefault(item.rule, []).append(item.child_ref) if item.record == "case" else None
            continue
        before = sum(done.rows.values())
        _apply(session, config, item, today, done)
        if sum(done.rows.values()) > before:  # something was still there to purge
            done.counts[(item.record, item.action)] += 1
            done.children.add(item.child_ref)
    if not dry_run:
        for rule, refs in cases.items():
            anonymise_children(session, config, refs, today, rule, done)
    if not dry_run and done.counts:
        audit(session, None, PROCESS, "records_purged", today,
              {"counts": [{"record": r, "action": a, "children": n} for (r, a), n in sorted(done.counts.items())],
               "rows": dict(sorted(done.rows.items())), "held": done.held,
               "rules": sorted({i.rule for i in due if not i.held and (i.record, i.action) in done.counts})},
              actor=by)
    return done


def _apply(session: UnitOfWork, config: Config, item: DueItem, today: dt.date, done: Purged) -> None:
    ref = item.child_ref
    if item.record == "case":
        anonymise_children(session, config, [ref], today, item.rule, done)
    elif item.record == "pep":
        _remove_pep_content(session, config, [ref], done)
    elif item.record == "documents":
        _count(done, "pep_attachment", session.execute(delete(PepAttachment).where(PepAttachment.pep_id.in_(
            select(Pep.id).where(Pep.child_ref == ref)))).rowcount)
    elif item.record == "attendance":
        for model in (AttendanceMark, AttendanceTotal, AttendanceAlert, AttendanceRecord):
            _count(done, model.__tablename__, session.execute(delete(model).where(model.child_ref == ref)).rowcount)
    elif item.record == "emails":
        years = config.retention.rules_for("emails")[0].years
        cutoff = dt.datetime.combine(add_years(today, -years), dt.time(), tzinfo=dt.timezone.utc)
        _scrub_emails(session, [ref], done, Notification.created_at < cutoff)
    elif item.record == "views":
        years = config.retention.rules_for("views")[0].years
        cutoff = dt.datetime.combine(add_years(today, -years), dt.time(), tzinfo=dt.timezone.utc)
        ids = list(session.execute(select(Event.id).where(Event.child_ref == ref, Event.process == ACCESS_PROCESS,
                                                          Event.recorded_at < cutoff)).scalars())
        stones = tombstone(session, ids, today, item.rule, keyed_subject(session, ref))
        _count(done, "event", stones.rows)
        done.kept_unkeyed_history += stones.kept_unkeyed


def anonymise_children(session: UnitOfWork, config: Config, refs: list[str], today: dt.date, rule: str,
                       done: Purged) -> None:
    """Everything personal about these children overwritten or removed; the processes and dates
    kept.  A chunk of children a statement (bench/records.py: one child at a time was 9 s for 1,000)."""
    for start in range(0, len(refs), CHUNK):
        part = refs[start:start + CHUNK]
        cohorts = [{"r": ref, "d": dt.date(school_year_start(dob), 9, 1)}
                   for ref, dob in session.execute(select(Child.ref, Child.dob).where(Child.ref.in_(part)))]
        if cohorts:
            session.execute(update(Child.__table__).where(Child.__table__.c.ref == bindparam("r")).values(
                first_name="", last_name="", upn="", upn_unknown="", dob=bindparam("d")), cohorts)
        _count(done, "child", len(cohorts))
        _count(done, "contact_note", session.execute(update(ContactNote).where(ContactNote.child_ref.in_(part)).values(
            with_whom="", said="")).rowcount)
        _count(done, "subject_access_request", session.execute(update(SubjectAccessRequest).where(
            SubjectAccessRequest.child_ref.in_(part)).values(requester="", identity_checked="", authority_checked="",
                                                             extension_reason="")).rowcount)
        _count(done, "pp_plus_line", session.execute(update(PpPlusLine).where(PpPlusLine.child_ref.in_(part)).values(
            target="", what="", provider="", how_often="", exit_plan="", question="", answer="",
            decision_reason="")).rowcount)
        _count(done, "deadline", session.execute(update(Deadline).where(Deadline.child_ref.in_(part),
                                                                         Deadline.note != "").values(note="")).rowcount)
        _count(done, "held_back_child", session.execute(delete(HeldBackChild).where(
            HeldBackChild.child_ref.in_(part))).rowcount)
        _remove_pep_content(session, config, part, done)
        _scrub_emails(session, part, done)
        by_child: dict[str, list[int]] = {}
        for row_id, ref in session.execute(select(Event.id, Event.child_ref).where(Event.child_ref.in_(part))
                                           .order_by(Event.id)):
            by_child.setdefault(ref, []).append(row_id)
        for ref, ids in by_child.items():
            stones = tombstone(session, ids, today, rule, keyed_subject(session, ref))
            _count(done, "event", stones.rows)
            done.kept_unkeyed_history += stones.kept_unkeyed


def _remove_pep_content(session: UnitOfWork, config: Config, refs: list[str], done: Purged) -> None:
    peps = select(Pep.id).where(Pep.child_ref.in_(refs))
    _count(done, "pep_section", session.execute(delete(PepSection).where(PepSection.pep_id.in_(peps))).rowcount)
    _count(done, "pep_attachment", session.execute(delete(PepAttachment).where(PepAttachment.pep_id.in_(peps))).rowcount)
    pdfs = list(session.execute(select(Pep.child_ref, PepPdf.pep_id).join(Pep, Pep.id == PepPdf.pep_id)
                                .where(PepPdf.pep_id.in_(peps))))
    _count(done, "pep_pdf", session.execute(delete(PepPdf).where(PepPdf.pep_id.in_(peps))).rowcount)
    folder = config.settings.pep_pdf_folder
    if folder:  # the copies the social-care system collects, if it has not yet
        for ref, pep_id in pdfs:
            Path(folder, f"{ref}-{pep_id}.pdf").unlink(missing_ok=True)


def _scrub_emails(session: UnitOfWork, refs: list[str], done: Purged, *older: object) -> None:
    changed = []
    for note_id, payload in session.execute(select(Notification.id, Notification.payload).where(
            Notification.child_ref.in_(refs), *older)):
        kept = {k: v for k, v in (payload or {}).items() if k in EMAIL_KEPT}
        if kept != payload:
            changed.append({"n": note_id, "p": kept})
    if changed:
        N = Notification.__table__
        session.execute(update(N).where(N.c.id == bindparam("n")).values(payload=bindparam("p", type_=N.c.payload.type)),
                        changed)
        _count(done, "notification", len(changed))


def _count(done: Purged, table: str, n: int | None) -> None:
    if n:
        done.rows[table] += n


# ---- the purge log, outside the database: a restored backup re-applies it ------------------

def purge_log_path(engine: Engine) -> Path | None:
    """Beside the history's checkpoints (which are kept apart from the database and its backups)."""
    return purge_log_beside(checkpoint_file(engine))


def purge_log_beside(checkpoints: Path | None) -> Path | None:
    return checkpoints.with_name(checkpoints.name + ".purges") if checkpoints else None


def log_purge(engine: Engine, session: UnitOfWork, done: Purged, today: dt.date) -> None:
    """One line a child purged: the day, the keyed child (never the reference), the records."""
    path = purge_log_path(engine)
    if path is None or done.dry_run or not done.children:
        return
    lines = [json.dumps({"on": today.isoformat(), "subject": keyed_subject(session, ref)}, sort_keys=True)
             for ref in sorted(done.children)]
    with open(path, "a", encoding="utf-8") as log:
        log.write("\n".join(lines) + "\n")
        log.flush()
        os.fsync(log.fileno())


def reapply(session: UnitOfWork, config: Config, path: Path | None, by: str) -> int:
    """After a restore of an older backup: each purge the log ``path`` holds whose child is in the
    database again as they were, done again as it was done that day.  Returns how many children."""
    if path is None or not path.exists():
        return 0
    logged: dict[str, dt.date] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            logged[entry["subject"]] = dt.date.fromisoformat(entry["on"])
    again = 0
    for ref, first, last in session.execute(select(Child.ref, Child.first_name, Child.last_name)):
        on = logged.get(keyed_subject(session, ref))
        if on is None or (first == "" and last == ""):
            continue
        done = Purged(False)
        for item in records_due(session, config, on):
            if item.child_ref == ref:
                done.counts[(item.record, item.action)] += 1
                _apply(session, config, item, on, done)
        audit(session, None, PROCESS, "records_purged", on, {"reapplied_after_restore": True,
              "counts": [{"record": r, "action": a, "children": n} for (r, a), n in sorted(done.counts.items())]},
              actor=by)
        again += 1
    return again


def compact(engine: Engine) -> None:
    """On SQLite, what a purge removed leaves no trace in the file: the pages it freed rewritten
    (VACUUM) and the write-ahead log emptied.  PostgreSQL's VACUUM frees the space for reuse."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if engine.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.exec_driver_sql("VACUUM")
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            conn.exec_driver_sql("VACUUM")
