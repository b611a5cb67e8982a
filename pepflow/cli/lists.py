"""pepflow pep|admission|exclusion list: what is due and overdue."""

from __future__ import annotations

from typing import Optional

import typer

from ..calendars import format_units
from ._common import (_app, _as_of, _print_json, _read, pep_app, admission_app, exclusion_app)


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
    from ..queries import pep_list as query

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
    from ..queries import admission_list as query

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
    from ..queries import exclusion_list as query

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
