"""The ``pepflow`` command.  Thin: parse, call the package, print.

Every ``PepflowError`` becomes one readable message on stderr and exit code 1.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Optional

import typer

from .app import App
from .calendars import COUNTINGS, UNITS, UNIT_LABELS, format_units
from .clock import parse_date
from .errors import InputError, PepflowError

app = typer.Typer(help="pepflow: PEPs, school moves and exclusions for a Virtual School, on time.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
calendar_app = typer.Typer(help="Count school days, working days and terms.", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")
pep_app = typer.Typer(help="PEPs: what is due and overdue.", no_args_is_help=True)
app.add_typer(pep_app, name="pep")
admission_app = typer.Typer(help="School admissions and their 20-school-day clocks.", no_args_is_help=True)
app.add_typer(admission_app, name="admission")
report_app = typer.Typer(help="Compliance and annual reports.", no_args_is_help=True)
app.add_typer(report_app, name="report")
export_app = typer.Typer(help="Data for the council's own analysis.", no_args_is_help=True)
app.add_typer(export_app, name="export")
audit_app = typer.Typer(help="The tamper-evident history.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
exclusion_app = typer.Typer(help="Exclusions and their statutory clocks.", no_args_is_help=True)
app.add_typer(exclusion_app, name="exclusion")
user_app = typer.Typer(help="Web accounts: who may sign in, with which role.", no_args_is_help=True)
app.add_typer(user_app, name="user")


def _app(ctx: typer.Context) -> App:
    return ctx.find_root().obj


@app.callback()
def main(
    ctx: typer.Context,
    db: Optional[str] = typer.Option(None, "--db", help="Database URL (default: PEPFLOW_DATABASE_URL, else sqlite:///pepflow.db)."),
    config: Optional[Path] = typer.Option(None, "--config", help="Council config directory (default: PEPFLOW_CONFIG, else the shipped config/)."),
    today: Optional[str] = typer.Option(None, "--today", help="Act as if today were this date, YYYY-MM-DD (default: PEPFLOW_TODAY, else the real date in Europe/London)."),
) -> None:
    ctx.obj = App(database_url=db, config_dir=str(config) if config else None, today_override=today)


def _check_unit(unit: str) -> str:
    if unit not in UNITS:
        raise InputError("--unit", unit, f"must be one of {', '.join(UNITS)}")
    return unit


@calendar_app.command("add")
def calendar_add(
    ctx: typer.Context,
    start: str = typer.Option(..., "--from", help="Start date, YYYY-MM-DD."),
    days: int = typer.Option(..., "--days", help="How many units to add (negative counts back)."),
    unit: str = typer.Option("school", "--unit", help=f"One of: {', '.join(UNITS)}."),
    calendar: Optional[str] = typer.Option(None, "--calendar", help="Calendar name (default: the LA default)."),
    school: Optional[str] = typer.Option(None, "--school", help="Apply this school's own INSET days (URN)."),
    counting: str = typer.Option("after", "--counting", help=f"One of: {', '.join(COUNTINGS)}."),
) -> None:
    """Print the date N units after a date, alone on a line."""
    a = _app(ctx)
    cal = a.config.calendar(calendar, school)
    typer.echo(cal.add(parse_date(start, "--from"), days, _check_unit(unit), counting).isoformat())


@calendar_app.command("between")
def calendar_between(
    ctx: typer.Context,
    start: str = typer.Option(..., "--from", help="Start date, YYYY-MM-DD (not counted)."),
    end: str = typer.Option(..., "--to", help="End date, YYYY-MM-DD (counted)."),
    unit: str = typer.Option("school", "--unit", help=f"One of: {', '.join(UNITS)}."),
    calendar: Optional[str] = typer.Option(None, "--calendar"),
    school: Optional[str] = typer.Option(None, "--school"),
) -> None:
    """Print how many units lie after --from up to and including --to."""
    cal = _app(ctx).config.calendar(calendar, school)
    typer.echo(str(cal.between(parse_date(start, "--from"), parse_date(end, "--to"), _check_unit(unit))))


@calendar_app.command("terms")
def calendar_terms(ctx: typer.Context, calendar: Optional[str] = typer.Option(None, "--calendar")) -> None:
    """List a calendar's terms, half terms and school-day counts."""
    cal = _app(ctx).config.calendar(calendar)
    typer.echo(f"Calendar '{cal.name}'")
    for term in cal.terms:
        ht = f"half term {term.half_term[0]}..{term.half_term[1]}" if term.half_term else "no half term"
        days = len(cal.school_days(term.start, term.end))
        deadline = f", PEP deadline {term.pep_deadline}" if term.pep_deadline else ""
        typer.echo(f"  {term.label:<16} {term.start}..{term.end}  {ht}, {days} school days{deadline}")


@app.command("timescales")
def timescales(ctx: typer.Context, on: Optional[str] = typer.Option(None, "--on", help="Show the rules in force on this date (default: today).")) -> None:
    """List every timescale in force: number, unit, owner and source."""
    a = _app(ctx)
    when = parse_date(on, "--on") if on else a.today()
    typer.echo(f"Timescales in force on {when.isoformat()}:")
    for t in a.config.timescales.all_on(when):
        counting = ", first day counts" if t.counting == "beginning_with" else ""
        typer.echo(f"  {t.key:<34} {t.number:>3} {UNIT_LABELS[t.unit]:<13} from {t.start_event}, "
                   f"owner {t.owner}{counting} (since {t.version})")
        typer.echo(f"  {'':<34} {t.description}")
        typer.echo(f"  {'':<34} source: {t.source}")


@app.command("import")
def import_file(
    ctx: typer.Context,
    kind: str = typer.Argument(..., help="children, schools or people"),
    file: Path = typer.Argument(..., help="CSV file with a header row"),
    mapping: Optional[Path] = typer.Option(None, "--mapping", help="TOML file mapping your column names to pepflow's."),
) -> None:
    """Import a CSV list; all or nothing, and safe to repeat."""
    from .importing import KINDS
    from .services import import_file as do_import

    if kind not in KINDS:
        raise InputError("kind", kind, f"must be one of {', '.join(KINDS)}")
    report = do_import(_app(ctx), kind, file, mapping)
    typer.echo(report.summary())


@app.command("demo")
def demo(
    ctx: typer.Context,
    children: int = typer.Option(300, "--children", min=1, max=100000),
    schools: int = typer.Option(40, "--schools", min=2, max=2000),
    reset: bool = typer.Option(False, "--reset", help="Empty a database that already has data first."),
) -> None:
    """Create a database with a synthetic cohort (default file pepflow-demo.db) and summarise it."""
    from .services import run_demo

    a = _app(ctx)
    if a.database_url is None:
        a.database_url = "sqlite:///pepflow-demo.db"
        reset = True
    for line in run_demo(a, children=children, schools=schools, reset=reset):
        typer.echo(line)


def _parse_sets(values: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError("--set", item, "write it as key=value")
        params[key.strip()] = value
    return params


def _as_of(a: App, value: Optional[str]) -> dt.date:
    """``--as-of`` if given, else today (which honours --today / PEPFLOW_TODAY)."""
    return parse_date(value, "--as-of") if value else a.today()


def _read(a: App, query, *args):
    """Run a read-only query in its own transaction."""
    from .db.engine import session_scope

    with session_scope(a.engine) as session:
        return query(session, *args)


def _print_json(data) -> None:
    import json

    typer.echo(json.dumps(data, indent=2, sort_keys=False))


@app.command("event")
def event(
    ctx: typer.Context,
    child_ref: str = typer.Argument(..., help="The child's reference."),
    name: str = typer.Argument(..., help="The event, e.g. pep_meeting_held (see `pepflow events`)."),
    on: str = typer.Option(..., "--on", help="The date it happened, YYYY-MM-DD (may be in the past)."),
    by: Optional[str] = typer.Option(None, "--by", help="Reference of the person recording it."),
    sets: list[str] = typer.Option([], "--set", help="A detail of the event, key=value (repeatable)."),
) -> None:
    """Record that something happened to a child's case."""
    from .services import record

    outcome = record(_app(ctx), child_ref, name, on, by, _parse_sets(sets))
    change = (f"{outcome.state_before} -> {outcome.state_after}" if outcome.state_before != outcome.state_after
              else f"still {outcome.state_after}")
    typer.echo(f"{child_ref}: {name} recorded on {on} ({outcome.process}: {change}).")
    for message in outcome.messages:
        typer.echo(f"  {message}")


@app.command("events")
def events() -> None:
    """List every event that can be recorded, with its details."""
    from .commands import registry

    for spec in sorted(registry().values(), key=lambda s: (s.process, s.name)):
        typer.echo(f"{spec.name:<28} {spec.help}")
        for p in spec.params:
            need = "required" if p.required else "optional"
            typer.echo(f"    --set {p.name}=…  ({need}) {p.help}")


@pep_app.command("list")
def pep_list(
    ctx: typer.Context,
    overdue: bool = typer.Option(False, "--overdue", help="Only what is past its due date."),
    due_within: Optional[int] = typer.Option(None, "--due-within", min=0, help="Only what is due within N calendar days."),
    school: Optional[str] = typer.Option(None, "--school", help="Only children at this school (URN)."),
    sw: Optional[str] = typer.Option(None, "--sw", help="Only this social worker's children."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Judge as of this date (default: today)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """What is due on each child's PEP: who owns it, when, and how overdue."""
    from .queries import pep_list as query

    a = _app(ctx)
    when = _as_of(a, as_of)
    rows = _read(a, query, a.config, when, overdue, due_within, school, sw)
    if as_json:
        _print_json({"as_of": when.isoformat(), "count": len(rows), "items": rows})
        return
    title = "Overdue PEP deadlines" if overdue else "Open PEP deadlines"
    typer.echo(f"{title} as of {when.isoformat()}: {len(rows)}")
    if not rows:
        return
    typer.echo(f"{'child':<8} {'PEP state':<18} {'what is due':<24} {'owner':<28} {'due':<10}  overdue")
    for r in rows:
        owner = f"{r['owner_ref'] or '-'} ({r['owner_role']})"
        late = format_units(r["days_overdue"], r["overdue_unit"]) if r["days_overdue"] else "-"
        typer.echo(f"{r['child_ref']:<8} {r['pep_state'] or '-':<18} {r['due']:<24} {owner:<28} "
                   f"{r['due_on']:<10}  {late}")


@admission_app.command("list")
def admission_list(
    ctx: typer.Context,
    open_only: bool = typer.Option(False, "--open", help="Only admissions still open."),
    breaching: bool = typer.Option(False, "--breaching", help="Only those past their 20 school days."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Judge as of this date (default: today)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Every admission with school days used and left on its 20-school-day clock."""
    from .queries import admission_list as query

    a = _app(ctx)
    when = _as_of(a, as_of)
    data = _read(a, query, a.config, when, open_only, breaching)
    if as_json:
        _print_json(data)
        return
    typer.echo(f"Admissions as of {when.isoformat()}: {data['count']}")
    if data["items"]:
        typer.echo(f"{'child':<8} {'state':<24} {'reason':<22} {'school':<8} {'due':<10}  clock")
    for r in data["items"]:
        clock = "-" if r["school_days_used"] is None else f"{r['school_days_used']} of 20 school days used"
        flag = "  PAST 20 SCHOOL DAYS" if r["breaching"] else ""
        temp = f", temporary education {r['temporary_hours']} h/week" if r["temporary_hours"] else ""
        typer.echo(f"{r['child_ref']:<8} {r['state']:<24} {r['reason']:<22} {r['school_urn'] or '-':<8} "
                   f"{r['due_on'] or '-':<10}  {clock}{temp}{flag}")
    if data["emergency_moves_by_year"]:
        typer.echo("Emergency care moves by school year: " + ", ".join(
            f"{y} {n}" for y, n in sorted(data["emergency_moves_by_year"].items())))


@exclusion_app.command("list")
def exclusion_list(
    ctx: typer.Context,
    open_only: bool = typer.Option(False, "--open", help="Only processes still open."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Judge as of this date (default: today)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Exclusion processes: suspensions this school year and the statutory clocks running."""
    from .queries import exclusion_list as query

    a = _app(ctx)
    when = _as_of(a, as_of)
    data = _read(a, query, when, open_only)
    if as_json:
        _print_json(data)
        return
    typer.echo(f"Exclusion processes as of {when.isoformat()}: {data['count']}")
    for r in data["items"]:
        clocks = "; ".join(f"{c['kind']} due {c['due_on']}{' OVERDUE' if c['overdue'] else ''}"
                           for c in r["open_clocks"]) or "no clock running"
        extra = "  NO PRE-EXCLUSION MEETING" if r["no_pre_exclusion_meeting"] else ""
        typer.echo(f"  {r['child_ref']:<8} {r['school_year']} {r['state']:<22} {r['suspensions']} suspension(s), "
                   f"{r['suspension_days']} school days; {clocks}{extra}")


def _write(out: Optional[Path], text: str) -> None:
    if out is None:
        typer.echo(text)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError("--out", str(out), f"cannot write the file: {exc.strerror}") from None
    typer.echo(f"Written to {out}")


@report_app.command("compliance")
def report_compliance(
    ctx: typer.Context,
    start: str = typer.Option(..., "--from", help="First day of the period, YYYY-MM-DD."),
    end: str = typer.Option(..., "--to", help="Last day of the period, YYYY-MM-DD."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Judge outcomes as of this date (default: today, or --to if earlier)."),
    fmt: str = typer.Option("table", "--format", help="table, json, csv or html"),
    out: Optional[Path] = typer.Option(None, "--out", help="Write to this file instead of the screen."),
) -> None:
    """Timescale compliance for a period: PEPs, admissions, exclusions, attendance, funding."""
    import csv
    import io
    import json

    from .db.engine import session_scope
    from .reports import as_rows, as_table, compliance

    if fmt not in ("table", "json", "csv", "html"):
        raise InputError("--format", fmt, "must be table, json, csv or html")
    a = _app(ctx)
    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    if last < first:
        raise InputError("--to", end, f"is before --from {start}")
    when = parse_date(as_of, "--as-of") if as_of else min(a.today(), last)
    with session_scope(a.engine) as session:
        report = compliance(session, a.config, first, last, when)
    if fmt == "json":
        text = json.dumps({**report, "admissions": {k: v for k, v in report["admissions"].items()}}, indent=2)
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["section", "measure", "group", "value"])
        writer.writerows(as_rows(report))
        text = buffer.getvalue()
    elif fmt == "html":
        from .report_html import render
        text = render(report)
    else:
        text = as_table(report)
    _write(out, text)


@report_app.command("annual")
def report_annual(
    ctx: typer.Context,
    year: str = typer.Option(..., "--year", help="The school year, e.g. 2025-26."),
    out: Path = typer.Option(..., "--out", help="The HTML file to write."),
) -> None:
    """The Virtual School Head's annual report as one self-contained HTML file with charts."""
    import re

    from .db.engine import session_scope
    from .report_html import render
    from .reports import compliance

    if not re.fullmatch(r"\d{4}-\d{2}", year) or (int(year[:4]) + 1) % 100 != int(year[5:]):
        raise InputError("--year", year, "must be a school year written like 2025-26")
    a = _app(ctx)
    first, last = dt.date(int(year[:4]), 9, 1), dt.date(int(year[:4]) + 1, 8, 31)
    with session_scope(a.engine) as session:
        report = compliance(session, a.config, first, last, min(a.today(), last))
    _write(out, render(report, title=f"Virtual School Head annual report {year}"))


@export_app.command("deadlines")
def export_deadlines_command(
    ctx: typer.Context,
    start: str = typer.Option(..., "--from", help="Deadlines due on or after this date."),
    end: str = typer.Option(..., "--to", help="Deadlines due on or before this date."),
    csv_file: Path = typer.Option(..., "--csv", help="The CSV file to write."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Judge outcomes as of this date (default: today)."),
) -> None:
    """One row per deadline: child, kind, start, due, closed, outcome, units late, rule version."""
    import csv

    from .reports import EXPORT_COLUMNS, export_deadlines

    a = _app(ctx)
    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    if last < first:
        raise InputError("--to", end, f"is before --from {start}")
    count = 0
    try:
        with csv_file.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(EXPORT_COLUMNS)
            from .db.engine import session_scope
            with session_scope(a.engine) as session:
                for row in export_deadlines(session, a.config, first, last, _as_of(a, as_of)):
                    writer.writerow(row)
                    count += 1
    except OSError as exc:
        raise InputError("--csv", str(csv_file), f"cannot write the file: {exc.strerror}") from None
    typer.echo(f"{count} deadlines written to {csv_file}")


@audit_app.command("verify")
def audit_verify(ctx: typer.Context) -> None:
    """Walk the hash chain of the history; name the first row changed, inserted or deleted."""
    from .audit import verify

    result = verify(_app(ctx).engine)
    if result.ok:
        typer.echo(f"History intact: {result.rows} rows, every hash chained to the one before.")
        return
    typer.echo(f"History NOT intact: row {result.first_bad_id} (row {result.rows} in order): {result.problem}.",
               err=True)
    raise typer.Exit(1)


@app.command("deadlines")
def deadlines(
    ctx: typer.Context,
    child: str = typer.Option(..., "--child", help="The child's reference."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Every deadline of a child: kind, due date, unit, source, owner and status."""
    from .queries import child_deadlines

    a = _app(ctx)
    rows = _read(a, child_deadlines, a.config, child, a.today())
    if as_json:
        _print_json({"child_ref": child, "as_of": a.today().isoformat(), "deadlines": rows})
        return
    typer.echo(f"Deadlines of {child} (as of {a.today().isoformat()}):")
    for r in rows:
        status = r["status"]
        if status == "met_late":
            status = f"met late by {format_units(r['days_late'], r['late_unit'])}"
        elif status == "open" and r["days_overdue"]:
            status = f"OVERDUE by {format_units(r['days_overdue'], r['overdue_unit'])}"
        closed = f" closed {r['closed_on']}" if r["closed_on"] else ""
        typer.echo(f"  {r['kind']:<24} due {r['due_on']}  {r['number']} {UNIT_LABELS[r['unit']]:<13} "
                   f"owner {r['owner_ref'] or r['owner_role']:<8} {status}{closed}")
        if r["source"] and r["source"] != "pepflow":
            typer.echo(f"  {'':<24} source: {r['source']}")
        if r["note"] or r["close_reason"]:
            typer.echo(f"  {'':<24} {r['note'] or r['close_reason']}")


@app.command("history")
def history(ctx: typer.Context, child_ref: str = typer.Argument(...),
            as_json: bool = typer.Option(False, "--json"),
            views: bool = typer.Option(False, "--views", help="Also list who viewed the case on the web pages.")
            ) -> None:
    """A child's timeline: every recorded event, oldest first."""
    from .queries import history as query

    a = _app(ctx)
    rows = _read(a, query, child_ref, views)
    if as_json:
        _print_json({"child_ref": child_ref, "events": rows})
        return
    typer.echo(f"History of {child_ref}:")
    for r in rows:
        change = ""
        if r["state_before"] != r["state_after"] and r["state_after"]:
            change = f"  [{r['state_before'] or '-'} -> {r['state_after']}]"
        by = f" by {r['by']}" if r["by"] else ""
        details = ", ".join(f"{k}={v}" for k, v in r["payload"].items() if k != "derived")
        derived = "; ".join(r["payload"].get("derived", []))
        typer.echo(f"  {r['effective_on']}  {r['event']:<24}{by}{change}  {details or derived}")


@app.command("sweep")
def sweep_command(
    ctx: typer.Context,
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Sweep as of this date (default: today)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what would be sent, to whom and why; write nothing."),
) -> None:
    """Write the reminders and escalations due today to the outbox (safe to repeat)."""
    from .sweep import sweep

    a = _app(ctx)
    when = parse_date(as_of, "--as-of") if as_of else a.today()
    result = sweep(a.engine, a.config, when, dry_run=dry_run)
    if not result.working_day:
        typer.echo(f"{when.isoformat()} is not a working day: no reminders are due.")
        return
    if dry_run:
        typer.echo(f"Dry run for {when.isoformat()}: {len(result.planned)} notification(s) would be written.")
        for n in result.planned:
            p = n["payload"]
            late = f", overdue by {format_units(p['days_overdue'], p.get('overdue_unit', 'working'))}" if p.get("days_overdue") else ""
            typer.echo(f"  to {n['recipient_ref']} <{n['recipient_email']}> ({p['why']}): case {p['child_ref']} "
                       f"{p['kind']} due {p['due_on']}{late} [{n['step']}]")
        for n in result.skipped:
            typer.echo(f"  skipped {n['step']} of case {n['child_ref']} {n['payload']['kind']}: {n['payload']['reason']}")
    else:
        typer.echo(f"Sweep {when.isoformat()}: {result.deadlines_due} deadline(s) with a step due; "
                   f"{result.written} notification(s) written, {len(result.skipped)} stale step(s) skipped.")
    for problem in result.problems:
        typer.echo(f"  for VS admin: {problem}")


@app.command("dispatch")
def dispatch_command(ctx: typer.Context) -> None:
    """Send the pending emails now (the service does this every minute)."""
    from .notify.mailers import mailer_from_env
    from .notify.outbox import dispatch

    a = _app(ctx)
    mailer = mailer_from_env(a.config.notifications.delivery.folder)
    result = dispatch(a.engine, a.config, mailer, a.clock.now())
    typer.echo(f"{result.emails_sent} email(s) sent via {mailer.describe()} for {result.notifications_sent} "
               f"notification(s); {result.failed_for_now} to retry, {result.failed_for_good} failed.")
    for error in result.errors:
        typer.echo(f"  {error}", err=True)


@app.command("outbox")
def outbox_command(
    ctx: typer.Context,
    failed: bool = typer.Option(False, "--failed", help="Only emails that failed for good."),
    pending: bool = typer.Option(False, "--pending", help="Only emails waiting to be sent."),
    retry: bool = typer.Option(False, "--retry", help="Put every failed email back in the queue."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """The email outbox: what is waiting, sent, skipped or failed."""
    from .db.engine import session_scope
    from .notify.outbox import outbox_rows, retry_failed

    a = _app(ctx)
    if retry:
        with session_scope(a.engine) as session:
            count = retry_failed(session)
        typer.echo(f"{count} failed email(s) queued again.")
        return
    status = "failed" if failed else "pending" if pending else None
    rows = outbox_rows(a.engine, status)
    if as_json:
        _print_json([{"id": r.id, "key": r.key, "status": r.status, "to": r.recipient_ref,
                      "email": r.recipient_email, "child_ref": r.child_ref, "step": r.step,
                      "attempts": r.attempts, "last_error": r.last_error, "message_id": r.message_id,
                      "created_at": r.created_at.isoformat() if r.created_at else None,
                      "sent_at": r.sent_at.isoformat() if r.sent_at else None,
                      "payload": r.payload} for r in rows])
        return
    typer.echo(f"Outbox{' (' + status + ')' if status else ''}: {len(rows)} shown, newest first")
    for r in rows:
        error = f"  last error: {r.last_error}" if r.last_error else ""
        typer.echo(f"  #{r.id:<6} {r.status:<8} to {r.recipient_ref or '-':<8} case {r.child_ref or '-':<8} "
                   f"{r.payload.get('kind', ''):<24} {r.step:<16} attempts {r.attempts}{error}")


@app.command("simulate")
def simulate_command(
    ctx: typer.Context,
    start: str = typer.Option(..., "--from", help="First day, YYYY-MM-DD."),
    end: str = typer.Option(..., "--to", help="Last day, YYYY-MM-DD."),
    seed: int = typer.Option(2026, "--seed", help="Change it for a different run of the same span."),
) -> None:
    """Advance a clock day by day: people act, the sweep reminds, emails go to the outbox folder."""
    from .notify.mailers import mailer_from_env
    from .simulate import simulate

    a = _app(ctx)
    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    if last < first:
        raise InputError("--to", end, f"is before --from {start}")
    mailer = mailer_from_env(a.config.notifications.delivery.folder)
    for line in simulate(a.engine, a.config, first, last, mailer, seed).lines():
        typer.echo(line)
    typer.echo(f"Emails went to {mailer.describe()}.")


def _logging() -> None:
    import logging

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        datefmt="%Y-%m-%d %H:%M:%S")
    # the state machine library logs every callback of every transition at INFO: thousands of
    # lines a day that say nothing to the people reading the log (pepflow's own lines do)
    logging.getLogger("transitions").setLevel(logging.WARNING)


HOST_OPTION = typer.Option("127.0.0.1", "--host", help="Address the web pages listen on.")
PORT_OPTION = typer.Option(8000, "--port", help="Port of the web pages.")


@app.command("run")
def run_command(
    ctx: typer.Context,
    demo: bool = typer.Option(False, "--demo", help="Fill an empty database with the demo cohort first."),
    host: str = HOST_OPTION,
    port: int = PORT_OPTION,
    no_web: bool = typer.Option(False, "--no-web", help="Run the scheduler only, without the web pages."),
) -> None:
    """Run the service: the web pages, the sweep on working-day mornings and email delivery every minute."""
    from .scheduler import run_service
    from .services import database_is_empty, run_demo
    from .web.server import WebThread, check_port

    _logging()
    a = _app(ctx)
    check_port(port)
    if demo and database_is_empty(a):
        for line in run_demo(a):
            typer.echo(line)
    web = None if no_web else WebThread(a, host, port).start()
    try:
        run_service(a)
    finally:
        if web:
            web.stop()


@app.command("web")
def web_command(ctx: typer.Context, host: str = HOST_OPTION, port: int = PORT_OPTION) -> None:
    """Serve the web pages only (no sweep, no email delivery)."""
    from .web.server import serve

    _logging()
    serve(_app(ctx), host, port)


def _password(confirm: bool = True) -> str:
    """A new password: asked twice at a terminal, or read as one line from standard input."""
    if sys.stdin.isatty():
        return typer.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    return sys.stdin.readline().rstrip("\n")


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    email: str = typer.Option(..., "--email", help="Their email address: what they sign in with."),
    role: str = typer.Option(..., "--role", help="vsh, vs_admin, vs_officer, social_worker, team_manager, "
                                                 "designated_teacher, iro or read_only."),
    person: Optional[str] = typer.Option(None, "--person", help="Their reference in the people list (their caseload)."),
    school: Optional[str] = typer.Option(None, "--school", help="A designated teacher's school (URN)."),
) -> None:
    """Add a web account. The password is asked for (or read from standard input)."""
    from .db import session_scope
    from .accounts import add_user, check_new_account, check_password_rules
    from .web.roles import ROLES

    a = _app(ctx)
    if role not in ROLES:
        raise InputError("--role", role, f"must be one of {', '.join(ROLES)}")
    with session_scope(a.engine) as session:
        check_new_account(session, email, role, person, school)
    password = _password()
    check_password_rules(password)
    with session_scope(a.engine) as session:
        user = add_user(session, email, role, password, person, school, a.clock.now())
        typer.echo(f"Added {user.email} ({ROLES[role].label}). They can sign in at {a.config.settings.base_url}/sign-in")


@user_app.command("set-password")
def user_set_password(
    ctx: typer.Context,
    email: str = typer.Option(..., "--email", help="The account's email address."),
) -> None:
    """Set a new password (also unlocks the account and signs it out everywhere)."""
    from .db import session_scope
    from .accounts import check_password_rules, find_user, set_password
    from .web.sessions import end_sessions_of

    a = _app(ctx)
    with session_scope(a.engine) as session:
        find_user(session, email)
    password = _password()
    check_password_rules(password)
    with session_scope(a.engine) as session:
        user = set_password(session, email, password, a.clock.now())
        end_sessions_of(session, user.id)
        typer.echo(f"Password changed for {user.email}; the account is unlocked and signed out everywhere.")


@user_app.command("list")
def user_list(ctx: typer.Context) -> None:
    """The web accounts, their roles and whether they are locked."""
    from sqlmodel import select

    from .db import session_scope
    from .db.models import UserAccount

    a = _app(ctx)
    now = a.clock.now()
    with session_scope(a.engine) as session:
        users = list(session.exec(select(UserAccount).order_by(UserAccount.email)))
    if not users:
        typer.echo("No web accounts yet: add one with pepflow user add --email … --role …")
    for u in users:
        locked = " LOCKED" if u.locked_until and u.locked_until > now else ""
        scope = u.person_ref or u.school_urn or "everyone"
        typer.echo(f"{u.email:<32} {u.role:<20} {scope}{locked}")


def run(argv: list[str] | None = None) -> None:
    """Console entry point: readable errors, non-zero exit."""
    try:
        code = app(args=argv, prog_name="pepflow", standalone_mode=False)
        if isinstance(code, int) and code != 0:  # typer.Exit(n) comes back as a return value here
            sys.exit(code)
    except PepflowError as exc:
        typer.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except typer.Abort:
        typer.echo("Aborted.", err=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # usage errors from typer's click
            exc.show()
            sys.exit(exc.exit_code)
        if os.environ.get("PEPFLOW_DEBUG"):
            raise
        from sqlalchemy.exc import OperationalError

        if isinstance(exc, OperationalError):
            typer.echo(f"Error: the database could not be used: {str(exc.orig)[:300]}. If it was made by an older "
                       "version of pepflow, start a fresh database (this version has no migrations yet).",
                       err=True)
        else:
            typer.echo(f"Error: unexpected {type(exc).__name__}: {str(exc)[:300]} "
                       "(set PEPFLOW_DEBUG=1 to see the details)", err=True)
        sys.exit(2)


if __name__ == "__main__":
    run()
