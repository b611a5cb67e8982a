"""What every command group shares: the root command, its options and the helpers that
read, print and write."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Optional

import typer

from pepflow.service.application import App
from pepflow.clock import parse_date
from pepflow.errors import InputError

app = typer.Typer(help="pepflow: PEPs, school moves and exclusions for a Virtual School, on time.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
calendar_app = typer.Typer(help="Count school days, working days and terms.", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")
pep_app = typer.Typer(help="PEPs: what is due and overdue.", no_args_is_help=True)
app.add_typer(pep_app, name="pep")
attendance_app = typer.Typer(help="Attendance from the register: import marks, a child's figures.",
                             no_args_is_help=True)
app.add_typer(attendance_app, name="attendance")
records_app = typer.Typer(help="A child's record and the law: retention, legal holds.", no_args_is_help=True)
app.add_typer(records_app, name="records")
pp_plus_app = typer.Typer(help="Pupil Premium Plus: the year's ledger and the payments for finance.",
                          no_args_is_help=True)
app.add_typer(pp_plus_app, name="pp-plus")
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
    today: Optional[str] = typer.Option(None, "--today", help="Act as if today were this date, DD/MM/YYYY or YYYY-MM-DD (default: PEPFLOW_TODAY, else the real date in Europe/London)."),
) -> None:
    ctx.obj = App(database_url=db, config_dir=str(config) if config else None, today_override=today,
                  may_create=ctx.invoked_subcommand in MAY_CREATE)


# Commands that may begin a database; every other refuses one that is not there (App.check_exists)
MAY_CREATE = frozenset({"import", "demo", "run", "user", "db"})



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
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.db.connection import session_scope

    with session_scope(a.engine) as session:
        return query(session, *args)


def _print_json(data) -> None:
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    import json

    typer.echo(json.dumps(data, indent=2, sort_keys=False))



def _write(out: Optional[Path], text: str) -> None:
    if out is None:
        typer.echo(text)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError("--out", str(out), f"cannot write the file: {exc.strerror}") from None
    typer.echo(f"Written to {out}")



def _logging() -> None:
    """The service's logs, as PEPFLOW_LOG_FORMAT says (text or json; pepflow/logs.py)."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.logs import FORMATS, configure
    from pepflow.environment import environment

    env = environment()
    if env.log_format not in FORMATS:
        raise InputError(env.variable("log_format"), env.log_format, "must be text or json")
    configure(env.log_format)


HOST_OPTION = typer.Option("127.0.0.1", "--host", help="Address the web pages listen on.")
PORT_OPTION = typer.Option(8000, "--port", help="Port of the web pages.")



def _password(confirm: bool = True) -> str:
    """A new password: asked twice at a terminal, or read as one line from standard input."""
    if sys.stdin.isatty():
        return typer.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    return sys.stdin.readline().rstrip("\n")


def _print_table(columns: list[str], rows: list[list[object]]) -> None:
    """Rows under their column headings, with rich (already installed through typer).

    At a terminal the table fits its width; piped to a file or another program each row
    stays on one line, so it can be searched.  Cells are plain text, never rich markup
    (a source such as "[Handbook §2e]" is printed as it is)."""
    # imported here, not at the top: rich loads only for the work that needs it (start-up time, bench/startup.py)
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, show_edge=False, header_style="bold", highlight=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(Text("-" if cell in (None, "") else str(cell)) for cell in row))
    terminal = sys.stdout.isatty()
    Console(file=sys.stdout, width=None if terminal else 10_000, no_color=not terminal,
            highlight=False).print(table)
