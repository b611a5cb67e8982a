"""pepflow report …, export … and audit …: compliance, data for analysis, the history's proof."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Optional

import typer

from pepflow.clock import parse_date
from pepflow.errors import InputError
from pepflow.cli.progress import progress_bar
from pepflow.cli._common import _app, _as_of, _write, export_app, report_app


@report_app.command("compliance")
def report_compliance(
    ctx: typer.Context,
    start: str = typer.Option(..., "--from", help="First day of the period, DD/MM/YYYY or YYYY-MM-DD."),
    end: str = typer.Option(..., "--to", help="Last day of the period, DD/MM/YYYY or YYYY-MM-DD."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Judge outcomes as of this date (default: today, or --to if earlier)."),
    fmt: str = typer.Option("table", "--format", help="table, json, csv or html"),
    out: Optional[Path] = typer.Option(None, "--out", help="Write to this file instead of the screen."),
) -> None:
    """Timescale compliance for a period: PEPs, admissions, exclusions, attendance, funding."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    import json

    from pepflow.db.connection import session_scope
    from pepflow.reports.text import as_rows, as_table
    from pepflow.reports.compliance_figures import compliance

    if fmt not in ("table", "json", "csv", "html"):
        raise InputError("--format", fmt, "must be table, json, csv or html")
    a = _app(ctx)
    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    if last < first:
        raise InputError("--to", end, f"is before --from {start}")
    when = parse_date(as_of, "--as-of") if as_of else min(a.today(), last)
    with progress_bar("Counting the compliance figures"), session_scope(a.engine) as session:
        report = compliance(session, a.config, first, last, when)
    if fmt == "json":
        text = json.dumps({**report, "admissions": {k: v for k, v in report["admissions"].items()}}, indent=2)
    elif fmt == "csv":
        # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
        from pepflow.spreadsheets import stream

        text = "".join(stream(["section", "measure", "group", "value"], as_rows(report)))
    elif fmt == "html":
        # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
        from pepflow.reports.html import render
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
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    import re

    from pepflow.db.connection import session_scope
    from pepflow.reports.html import render
    from pepflow.reports.compliance_figures import compliance

    if not re.fullmatch(r"\d{4}-\d{2}", year) or (int(year[:4]) + 1) % 100 != int(year[5:]):
        raise InputError("--year", year, "must be a school year written like 2025-26")
    a = _app(ctx)
    first, last = dt.date(int(year[:4]), 9, 1), dt.date(int(year[:4]) + 1, 8, 31)
    with progress_bar(f"Writing the annual report {year}"):
        with session_scope(a.engine) as session:
            report = compliance(session, a.config, first, last, min(a.today(), last))
        html = render(report, title=f"Virtual School Head annual report {year}")
    _write(out, html)


@export_app.command("deadlines")
def export_deadlines_command(
    ctx: typer.Context,
    start: str = typer.Option(..., "--from", help="Deadlines due on or after this date."),
    end: str = typer.Option(..., "--to", help="Deadlines due on or before this date."),
    csv_file: Path = typer.Option(..., "--csv", help="The CSV file to write."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Judge outcomes as of this date (default: today)."),
) -> None:
    """One row per deadline: child, kind, start, due, closed, outcome, units late, rule version."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow import spreadsheets
    from pepflow.reports.export import EXPORT_COLUMNS, export_deadlines

    a = _app(ctx)
    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    if last < first:
        raise InputError("--to", end, f"is before --from {start}")
    count = 0
    try:
        with csv_file.open("w", newline="", encoding="utf-8") as fh:
            writer = spreadsheets.writer(fh)
            writer.writerow(spreadsheets.column_headings(EXPORT_COLUMNS))
            # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
            from pepflow.db.connection import session_scope
            with session_scope(a.engine) as session:
                for row in export_deadlines(session, a.config, first, last, _as_of(a, as_of)):
                    writer.writerow(row)
                    count += 1
    except OSError as exc:
        raise InputError("--csv", str(csv_file), f"cannot write the file: {exc.strerror}") from None
    typer.echo(f"{count} deadlines written to {csv_file}")
