"""pepflow calendar … and pepflow timescales: dates and rules, no database."""

from __future__ import annotations

from typing import Optional

import typer

from ..calendars import COUNTINGS, UNITS, format_units
from ..clock import parse_date
from ..errors import InputError
from ._common import _app, _print_table, app, calendar_app


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
    _print_table(["term", "dates", "half term", "school days", "PEP deadline"], [
        [term.label, f"{term.start}..{term.end}",
         f"{term.half_term[0]}..{term.half_term[1]}" if term.half_term else "none",
         len(cal.school_days(term.start, term.end)), term.pep_deadline] for term in cal.terms])


@app.command("timescales")
def timescales(ctx: typer.Context, on: Optional[str] = typer.Option(None, "--on", help="Show the rules in force on this date (default: today).")) -> None:
    """List every timescale in force: number, unit, owner and source."""
    a = _app(ctx)
    when = parse_date(on, "--on") if on else a.today()
    rules = a.config.timescales.all_on(when)
    typer.echo(f"Timescales in force on {when.isoformat()}:")
    _print_table(["timescale", "time allowed", "counted from", "owner", "since", "what it is", "source"], [
        [t.key, format_units(t.number, t.unit) + (", first day counts" if t.counting == "beginning_with" else ""),
         t.start_event, t.owner, t.version, t.description, t.source] for t in rules])
    for gap in _runway(a, when):
        typer.echo(f"Warning: {gap.sentence()}.", err=True)


def _runway(a, when):
    """The calendars' runway, with the open deadlines of the database when there is one (this
    command never creates a database)."""
    from pathlib import Path

    from ..runway import calendar_runway, gaps

    url = a.url
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        return gaps(a.config, when, {}, {a.config.settings.default_calendar})
    return calendar_runway(a.engine, a.config, when)
