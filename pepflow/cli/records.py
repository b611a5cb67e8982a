"""Recording and reading a case: import, demo, event, events, deadlines, history."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from pepflow.statuses import DeadlineStatus
from pepflow.calendars import format_day, format_iso_day, format_units
from pepflow.clock import parse_date
from pepflow.vocabulary import event_label, kind_label, outcome_label, role_label, state_change_words, value_words
from pepflow.errors import InputError
from pepflow.cli.progress import progress_bar
from pepflow.cli._common import _app, _parse_sets, _print_json, _print_table, _read, app


@app.command("import")
def import_file(
    ctx: typer.Context,
    kind: str = typer.Argument(..., help="children, schools, people, school-staff (each school's DT and head by "
                                "URN), inspections (Ofsted) or ssda903"),
    files: list[Path] = typer.Argument(..., help="The CSV file with a header row (ssda903: the return's CSV "
                                       "tables, a folder holding them, or its XML file)"),
    mapping: Optional[Path] = typer.Option(None, "--mapping", help="TOML file mapping your column names to pepflow's."),
    gias: bool = typer.Option(False, "--gias", help="schools only: FILE is the Get Information About Schools "
                              "establishment file (as downloaded, Windows-1252)."),
    extract_date: Optional[str] = typer.Option(None, "--extract-date", help="ssda903 only: the date the return "
                                               "was extracted (DD/MM/YYYY or YYYY-MM-DD); who is looked after "
                                               "is worked out on it."),
    check: bool = typer.Option(False, "--check", help="ssda903 only: print what the import would do and the "
                               "children it would hold back, and write nothing (exit 1 if any is held back)."),
    as_json: bool = typer.Option(False, "--json", help="ssda903 only: print the summary as JSON."),
) -> None:
    """Import a CSV list (all or nothing, and safe to repeat) or the council's SSDA903 return."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.intake.csv_columns import KINDS
    from pepflow.service.use_cases import import_file as do_import, import_gias, import_inspections_file

    if kind == "ssda903":
        _import_ssda903(ctx, files, extract_date, check, as_json)
        return
    if extract_date or check or as_json:
        raise InputError("kind", kind, "--extract-date, --check and --json are for pepflow import ssda903")
    if len(files) != 1:
        raise InputError("FILE", " ".join(map(str, files)), f"give one file to import {kind}")
    file = files[0]
    if kind == "inspections":
        typer.echo(import_inspections_file(_app(ctx), file).summary())
        return
    if kind not in KINDS:
        raise InputError("kind", kind, f"must be one of {', '.join(KINDS)}, inspections or ssda903")
    if gias and kind != "schools":
        raise InputError("--gias", kind, "is for the schools list only (pepflow import schools FILE --gias)")
    with progress_bar(f"Importing {file.name}"):
        report = import_gias(_app(ctx), file) if gias else do_import(_app(ctx), kind, file, mapping)
    typer.echo(report.summary())


def _import_ssda903(ctx: typer.Context, files: list[Path], extract_date: Optional[str], check: bool,
                    as_json: bool) -> None:
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.service.use_cases import import_ssda903
    from pepflow.values import date_value

    if not extract_date:
        raise InputError("--extract-date", "", "is required for an SSDA903 return: the date it was extracted, "
                         "such as 31/03/2026")
    try:
        extract = date_value(extract_date)
    except ValueError as bad:
        raise InputError("--extract-date", extract_date, str(bad)) from None
    with progress_bar("Reading and checking the SSDA903 return"):
        report = import_ssda903(_app(ctx), files, extract, check)
    if as_json:
        _print_json(report.as_json())
    else:
        typer.echo(report.summary(checking=check))
    if check and report.quarantined:
        raise typer.Exit(1)


@app.command("demo")
def demo(
    ctx: typer.Context,
    children: int = typer.Option(300, "--children", min=1, max=100000),
    schools: int = typer.Option(40, "--schools", min=2, max=2000),
    reset: bool = typer.Option(False, "--reset", help="Empty a database that already has data first."),
) -> None:
    """Create a database with a synthetic cohort (default file pepflow-demo.db) and summarise it."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.service.use_cases import run_demo

    a = _app(ctx)
    if a.database_url is None:
        a.database_url = "sqlite:///pepflow-demo.db"
        reset = True
    for line in run_demo(a, children=children, schools=schools, reset=reset):
        typer.echo(line)



@app.command("event")
def event(
    ctx: typer.Context,
    child_ref: str = typer.Argument(..., help="The child's reference."),
    name: str = typer.Argument(..., help="The event, e.g. pep_meeting_held (see `pepflow events`)."),
    on: str = typer.Option(..., "--on", help="The date it happened, DD/MM/YYYY or YYYY-MM-DD (may be in the past)."),
    by: Optional[str] = typer.Option(None, "--by", help="Reference of the person recording it."),
    sets: list[str] = typer.Option([], "--set", help="A detail of the event, key=value (repeatable)."),
) -> None:
    """Record that something happened to a child's case."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.engine.recording import registry
    from pepflow.service.use_cases import record

    params = _parse_sets(sets)
    spec = registry().get(name)
    if spec is not None and by is None and (spec.recorded_by is not None or any(
            (p := spec.param(key)) is not None and p.decided_by for key in params)):
        # a decision, or an event only some roles may record: whose it is is checked, as on the web pages
        raise InputError("--by", None, f"is needed: “{event_label(name)}” is recorded by "
                         f"{_whose(spec, params)}; give the reference of the person recording it")
    try:
        outcome = record(_app(ctx), child_ref, name, on, by, params)
    except InputError as exc:  # the domain's field names, as this command's options say them
        if exc.field == "on":
            raise InputError("--on", exc.value, exc.problem) from None
        if spec and exc.field in {p.name for p in spec.params}:
            raise InputError(f"--set {exc.field}", exc.value, exc.problem) from None
        raise
    typer.echo(f"{child_ref}: {event_label(name)} recorded, {format_day(parse_date(on, '--on'))}"
               f"{state_change_words(outcome.process, outcome.state_before, outcome.state_after)}.")
    for message in outcome.messages:
        typer.echo(f"  {message}")
    for warning in outcome.warnings:
        typer.echo(f"  Warning: {warning}")


def _whose(spec, params: dict[str, str]) -> str:
    """Who records this event or sets its decisions, in words ("the Virtual School Head")."""
    roles = set(spec.recorded_by or ())
    for key in params:
        param = spec.param(key)
        if param is not None and param.decided_by:
            roles = (roles & set(param.decided_by)) if roles else set(param.decided_by)
    return " or ".join(role_label(r) for r in sorted(roles)) or "someone of the right role"


@app.command("events")
def events() -> None:
    """List every event that can be recorded, with its details."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.engine.recording import registry

    for spec in sorted(registry().values(), key=lambda s: (s.process, s.name)):
        typer.echo(f"{spec.name:<32} {spec.label}: {spec.help}")
        for p in spec.params:
            need = "required" if p.required else "optional"
            typer.echo(f"    --set {p.name}=…  ({need}) {p.help}")



@app.command("deadlines")
def deadlines(
    ctx: typer.Context,
    child: str = typer.Option(..., "--child", help="The child's reference."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Every deadline of a child: kind, due date, unit, source, owner and status."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.reports.listings import child_deadlines

    a = _app(ctx)
    rows = _read(a, child_deadlines, a.config, child, a.today())
    if as_json:
        _print_json({"child_ref": child, "as_of": a.today().isoformat(), "deadlines": rows})
        return
    typer.echo(f"Deadlines of {child} (as of {format_day(a.today())}):")
    table = []
    for r in rows:
        status = outcome_label(r["status"]).lower()
        if r["status"] == DeadlineStatus.MET_LATE and r["days_late"]:
            status = f"met late by {format_units(r['days_late'], r['late_unit'])}"
        elif r["status"] == DeadlineStatus.OPEN and r["days_overdue"]:
            status = f"OVERDUE by {format_units(r['days_overdue'], r['overdue_unit'])}"
        table.append([kind_label(r["kind"]), format_iso_day(r["due_on"]),
                      format_units(r["number"], r["unit"]), r["owner_ref"] or role_label(r["owner_role"]), status,
                      format_iso_day(r["closed_on"]),
                      r["note"] or value_words(r["close_reason"] or ""),
                      r["source"] if r["source"] != "pepflow" else ""])
    _print_table(["deadline", "due", "time allowed", "owner", "status", "closed", "note", "source"], table)


@app.command("history")
def history(ctx: typer.Context, child_ref: str = typer.Argument(...),
            as_json: bool = typer.Option(False, "--json"),
            views: bool = typer.Option(False, "--views", help="Also list who viewed the case on the web pages.")
            ) -> None:
    """A child's timeline: every recorded event, oldest first."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.reports.listings import history as query, readable_history

    a = _app(ctx)
    if as_json:
        _print_json({"child_ref": child_ref, "events": _read(a, query, child_ref, views)})
        return
    rows = _read(a, readable_history, child_ref, views)
    typer.echo(f"History of {child_ref}:")
    for r in rows:
        typer.echo(f"  {r['on']:>11}  {r['sentence']} (recorded {r['at']} by {r['by']})")
        for detail in r["details"]:
            typer.echo(f"               {detail}")
