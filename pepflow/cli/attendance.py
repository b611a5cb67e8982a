"""pepflow attendance: import the register's marks (or totals), and a child's figures for a period."""

from __future__ import annotations

from pathlib import Path

import typer

from pepflow.cli._common import _app, _print_json, attendance_app


@attendance_app.command("import")
def import_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A CSV of session marks: child_ref (or upn), school_urn, date, session "
                                "(AM or PM), code."),
    totals: bool = typer.Option(False, "--totals", help="The file holds totals instead: child_ref (or upn), "
                                "school_urn, from, to, possible, attending, authorised, unauthorised."),
) -> None:
    """Import the register: rows that are wrong are set aside and named; the rest are kept."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.db.connection import session_scope
    from pepflow.service.attendance_import import import_register

    a = _app(ctx)
    with session_scope(a.engine) as s:
        done, after = import_register(s, a.config, file, a.today(), "the command line", totals)
    for line in done.lines():
        typer.echo(line)
    typer.echo(f"{after.bands} half-term figure(s) worked out; {after.alerts} alert(s) raised.")
    for message in (after.messages or [])[:50]:
        typer.echo(f"  {message}")


@attendance_app.command("summary")
def summary_command(
    ctx: typer.Context,
    child: str = typer.Option(..., "--child", help="The child's reference."),
    start: str = typer.Option(..., "--from", help="The first day (DD/MM/YYYY or YYYY-MM-DD)."),
    end: str = typer.Option(..., "--to", help="The last day."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """A child's attendance for a period, as the DfE computes it."""
    from pepflow.audit.disclosures import disclosed
    from pepflow.db.child_refs import require_child
    from pepflow.db.connection import session_scope
    from pepflow.errors import InputError
    from pepflow.states.attendance_marks import figures
    from pepflow.values import date_value

    days = []
    for name, text in (("--from", start), ("--to", end)):
        try:
            days.append(date_value(text))
        except ValueError as exc:
            raise InputError(name, text, str(exc)) from None
    if days[1] < days[0]:
        raise InputError("--to", end, "is before --from")
    a = _app(ctx)
    with session_scope(a.engine) as s:
        found = require_child(s, child)
        shown = figures(s, found.ref, days[0], days[1])
        disclosed(s, "attendance_viewed", a.today(), "the command line",
                  {"what": "attendance summary", "from": days[0].isoformat(), "to": days[1].isoformat()}, found.ref)
        ref = found.ref
    data = {"child_ref": ref, "from": days[0].isoformat(), "to": days[1].isoformat(), **shown.as_dict()}
    if as_json:
        _print_json(data)
        return
    pct = "no possible session" if shown.percentage is None else f"{shown.percentage:.1f}%"
    typer.echo(f"{ref}, {days[0].isoformat()} to {days[1].isoformat()}: {pct} of {shown.possible_sessions} possible "
               f"sessions ({shown.attending} attending, {shown.approved_activity} approved activity, "
               f"{shown.authorised_absence} authorised and {shown.unauthorised_absence} unauthorised absence; "
               f"{shown.not_possible} not possible)" + ("; severe absence" if shown.severe_absence else
                                                         "; persistent absence" if shown.persistent_absence else ""))
