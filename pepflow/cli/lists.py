"""pepflow pep|admission|exclusion list: what is due and overdue."""

from __future__ import annotations

from typing import Optional

import typer

from pepflow.calendars import format_day, format_iso_day, format_units
from pepflow.vocabulary import kind_label, role_in_sentence, state_label, value_words
from pepflow.cli._common import (
    _app,
    _as_of,
    _print_json,
    _print_table,
    _read,
    admission_app,
    exclusion_app,
    pep_app,
)


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
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.reports.listings import pep_list as query

    a = _app(ctx)
    when = _as_of(a, as_of)
    rows = _read(a, query, a.config, when, overdue, due_within, school, sw)
    if as_json:
        _print_json({"as_of": when.isoformat(), "count": len(rows), "items": rows})
        return
    title = "Overdue PEP deadlines" if overdue else "Open PEP deadlines"
    typer.echo(f"{title} as of {format_day(when)}: {len(rows)}")
    if not rows:
        return
    _print_table(["child", "PEP state", "what is due", "owner", "due", "overdue by"], [
        [r["child_ref"], state_label("pep", r["pep_state"]) if r["pep_state"] else "no current PEP", kind_label(r["due"]),
         f"{r['owner_ref'] or '-'} ({role_in_sentence(r['owner_role'])})", format_iso_day(r["due_on"]),
         format_units(r["days_overdue"], r["overdue_unit"]) if r["days_overdue"] else ""] for r in rows])


@admission_app.command("list")
def admission_list(
    ctx: typer.Context,
    open_only: bool = typer.Option(False, "--open", help="Only admissions still open."),
    breaching: bool = typer.Option(False, "--breaching", help="Only those past their 20 school days."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Judge as of this date (default: today)."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Every admission with school days used and left on its 20-school-day clock."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.reports.listings import admission_list as query

    a = _app(ctx)
    when = _as_of(a, as_of)
    data = _read(a, query, a.config, when, open_only, breaching)
    if as_json:
        _print_json(data)
        return
    typer.echo(f"Admissions as of {format_day(when)}: {data['count']}")
    if data["items"]:
        _print_table(["child", "state", "reason", "school", "due", "clock"], [
            [r["child_ref"], state_label("admission", r["state"]), value_words(r["reason"] or ""), r["school_urn"],
             format_iso_day(r["due_on"]),
             ("-" if r["school_days_used"] is None else f"{r['school_days_used']} of 20 school days used")
             + (f", temporary education {r['temporary_hours']} h/week" if r["temporary_hours"] else "")
             + ("  PAST 20 SCHOOL DAYS" if r["breaching"] else "")] for r in data["items"]])
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
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.reports.listings import exclusion_list as query

    a = _app(ctx)
    when = _as_of(a, as_of)
    data = _read(a, query, when, open_only)
    if as_json:
        _print_json(data)
        return
    typer.echo(f"Exclusion processes as of {format_day(when)}: {data['count']}")
    if data["items"]:
        _print_table(["child", "year", "state", "suspensions", "clocks running"], [
            [r["child_ref"], r["school_year"], state_label("exclusion", r["state"]),
             f"{r['suspensions']} suspension(s), {r['suspension_days']} school days",
             ("; ".join(f"{kind_label(c['kind'])} due {format_iso_day(c['due_on'])}{' OVERDUE' if c['overdue'] else ''}"
                        for c in r["open_clocks"]) or "no clock running")
             + ("  NO PRE-EXCLUSION MEETING" if r["no_pre_exclusion_meeting"] else "")] for r in data["items"]])
