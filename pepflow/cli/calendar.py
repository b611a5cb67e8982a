"""pepflow calendar … and pepflow timescales: dates and rules, no database."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from pepflow.calendars import COUNTINGS, UNITS, format_units, format_day
from pepflow.clock import parse_date
from pepflow.errors import InputError
from pepflow.cli._common import _app, _print_table, app, calendar_app


def _check_unit(unit: str) -> str:
    if unit not in UNITS:
        raise InputError("--unit", unit, f"must be one of {', '.join(UNITS)}")
    return unit


@calendar_app.command("add")
def calendar_add(
    ctx: typer.Context,
    start: str = typer.Option(..., "--from", help="Start date, DD/MM/YYYY or YYYY-MM-DD."),
    days: int = typer.Option(..., "--days", help="How many units to add (negative counts back)."),
    unit: str = typer.Option("school", "--unit", help=f"One of: {', '.join(UNITS)}."),
    calendar: Optional[str] = typer.Option(None, "--calendar", help="Calendar name (default: the LA default)."),
    school: Optional[str] = typer.Option(None, "--school", help="Apply this school's own INSET days (URN)."),
    counting: str = typer.Option("after", "--counting", help=f"One of: {', '.join(COUNTINGS)}."),
    iso: bool = typer.Option(False, "--iso", help="Print the date as YYYY-MM-DD, for a script to read."),
) -> None:
    """Print the date N units after a date, alone on a line ("23 Sep 2026")."""
    a = _app(ctx)
    cal = a.config.calendar(calendar, school)
    day = cal.add(parse_date(start, "--from"), days, _check_unit(unit), counting)
    typer.echo(day.isoformat() if iso else format_day(day))


@calendar_app.command("between")
def calendar_between(
    ctx: typer.Context,
    start: str = typer.Option(..., "--from", help="Start date, DD/MM/YYYY or YYYY-MM-DD (not counted)."),
    end: str = typer.Option(..., "--to", help="End date, DD/MM/YYYY or YYYY-MM-DD (counted)."),
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
        [term.label, f"{format_day(term.start)} to {format_day(term.end)}",
         f"{format_day(term.half_term[0])} to {format_day(term.half_term[1])}" if term.half_term else "none",
         len(cal.school_days(term.start, term.end)), format_day(term.pep_deadline) if term.pep_deadline else ""]
        for term in cal.terms])
    years: dict[str, int] = {}
    for term in cal.terms:
        years[term.academic_year] = years.get(term.academic_year, 0) + len(cal.school_days(term.start, term.end))
    typer.echo("School days in each school year: " + ", ".join(f"{y} {n}" for y, n in years.items()) +
               " (schools must open for 190 days a year, less up to five INSET days).")


def _council_folder(a) -> Path:
    """The council's own configuration folder; pepflow never writes into the shipped one."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pathlib import Path

    from pepflow.config import shipped_config_dir

    chosen = a.config_dir or a.environment.config
    if not chosen or Path(chosen).resolve() == shipped_config_dir().resolve():
        raise InputError("--config", chosen or None, "must name the council's own configuration folder (the "
                         "shipped configuration is never written to): pepflow --config FOLDER calendar import …")
    folder = Path(chosen)
    if not folder.is_dir():
        raise InputError("--config", str(folder), "is not a folder")
    return folder


@calendar_app.command("import")
def calendar_import(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The calendar's name (the file written is calendars/NAME.toml)."),
    file: Path = typer.Argument(..., help="The iCalendar (.ics) file of term dates."),
    school: Optional[str] = typer.Option(None, "--school", help="Add this school's own INSET and closure days "
                                         "to calendar NAME, from the school's own file (URN)."),
) -> None:
    """Write a calendar from a published iCalendar file: one event a school day, or the holidays."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.intake.calendar_import import check_names, import_calendar

    a = _app(ctx)
    check_names(name, school)
    folder = _council_folder(a)
    if not file.is_file():
        raise InputError("file", str(file), "does not exist")
    written = import_calendar(a.config, folder, name, file.read_bytes(), file.name, school)
    if school:
        typer.echo(f"Added {written.own_days} day(s) of school {school}'s own to {written.path}.")
        return
    typer.echo(f"Wrote {written.path}: {written.terms} terms ({', '.join(written.years)}), {written.school_days} school "
               f"days, {written.inset_days} INSET day(s), read as one event per {written.one_event_per}. "
               "Check them with: pepflow calendar terms --calendar " + name)
    for note in written.notes:
        typer.echo(f"  note: {note}")


@calendar_app.command("export")
def calendar_export(
    ctx: typer.Context,
    name: Optional[str] = typer.Argument(None, help="The calendar (default: the LA default)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write to this file (default: standard output)."),
) -> None:
    """Write a calendar's terms, half terms and INSET days as iCalendar, for the council's diaries."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    import sys

    from pepflow.intake.term_dates import calendar_ics

    a = _app(ctx)
    data = calendar_ics(a.config.calendar(name), a.clock.now())
    if out:
        out.write_bytes(data)
        typer.echo(f"Wrote {out}.")
    else:
        sys.stdout.buffer.write(data)


@app.command("timescales")
def timescales(ctx: typer.Context, on: Optional[str] = typer.Option(None, "--on", help="Show the rules in force on this date (default: today).")) -> None:
    """List every timescale in force: number, unit, owner and source."""
    a = _app(ctx)
    when = parse_date(on, "--on") if on else a.today()
    rules = a.config.timescales.all_on(when)
    typer.echo(f"Timescales in force on {format_day(when)}:")
    _print_table(["timescale", "time allowed", "counted from", "owner", "since", "what it is", "source"], [
        [t.key, format_units(t.number, t.unit) + (", first day counts" if t.counting == "beginning_with" else ""),
         t.start_event, t.owner, t.version, t.description, t.source] for t in rules])
    for gap in _runway(a, when):
        typer.echo(f"Warning: {gap.sentence()}.", err=True)
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.config.examples import example_settings_in_force

    for sentence in example_settings_in_force(a.config):
        typer.echo(f"Warning: example setting still in force: {sentence}.", err=True)


def _runway(a, when):
    """The calendars' runway, with the open deadlines of the database when there is one (this
    command never creates a database)."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pathlib import Path

    from pepflow.service.runway import calendar_runway, gaps

    url = a.url
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///"):]).exists():
        return gaps(a.config, when, {}, {a.config.settings.default_calendar})
    return calendar_runway(a.engine, a.config, when)
