"""The ``pepflow`` command.  Thin: parse, call the package, print.

Every ``PepflowError`` becomes one readable message on stderr and exit code 1.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Optional

import typer

from .app import App
from .calendars import COUNTINGS, UNITS, UNIT_LABELS
from .clock import parse_date
from .errors import InputError, PepflowError

app = typer.Typer(help="pepflow: PEPs, school moves and exclusions for a Virtual School, on time.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
calendar_app = typer.Typer(help="Count school days, working days and terms.", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")


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


def run(argv: list[str] | None = None) -> None:
    """Console entry point: readable errors, non-zero exit."""
    try:
        app(args=argv, prog_name="pepflow", standalone_mode=False)
    except PepflowError as exc:
        typer.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except typer.Abort:
        typer.echo("Aborted.", err=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    run()
