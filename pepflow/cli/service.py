"""The service and its parts: sweep, dispatch, outbox, simulate, run, web."""

from __future__ import annotations

from typing import Optional

import typer

from pepflow.statuses import OutboxStatus
from pepflow.calendars import format_day, format_moment, format_units
from pepflow.notify.describe import step_words, what_was_due
from pepflow.vocabulary import outcome_label
from pepflow.clock import parse_date
from pepflow.errors import InputError
from pepflow.cli.progress import progress_bar
from pepflow.cli._common import (
    HOST_OPTION,
    PORT_OPTION,
    _app,
    _logging,
    _print_json,
    _print_table,
    app,
)


@app.command("sweep")
def sweep_command(
    ctx: typer.Context,
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Sweep as of this date (default: today)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what would be sent, to whom and why; write nothing."),
) -> None:
    """Write the reminders and escalations due today to the outbox (safe to repeat)."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.notify.sweep import sweep

    a = _app(ctx)
    when = parse_date(as_of, "--as-of") if as_of else a.today()
    result = sweep(a.engine, a.config, when, dry_run=dry_run, clock=a.clock)
    if not dry_run:
        # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
        from pepflow.service.upkeep import after_sweep

        for gap in after_sweep(a.engine, a.config, when, a.clock).runway:
            typer.echo(f"  for VS admin: {gap.sentence()}")
    if not result.working_day:
        typer.echo(f"{format_day(when)} is not a working day: no reminders are due.")
        return
    if result.already is not None:
        done = result.already
        typer.echo(f"{format_day(when)} was already swept, on {format_moment(done.swept_at)} by {done.swept_by}: "
                   f"{done.written} notification(s) written then. A day is swept once; nothing more to do.")
        return
    if dry_run:
        typer.echo(f"Dry run for {format_day(when)}: {len(result.planned)} notification(s) would be written.")
        for n in result.planned:
            p = n["payload"]
            late = f", overdue by {format_units(p['days_overdue'], p.get('overdue_unit', 'working'))}" if p.get("days_overdue") else ""
            typer.echo(f"  {step_words(n['step'])} to {n['recipient_ref']} <{n['recipient_email']}> ({p['why']}): "
                       f"case {p['child_ref']}, {what_was_due(p)}{late}")
        for n in result.skipped:
            typer.echo(f"  not sent: {step_words(n['step']).lower()} for case {n['child_ref']}, "
                       f"{what_was_due(n['payload'])}: {n['payload']['reason']}")
    else:
        typer.echo(f"Sweep {format_day(when)}: {result.deadlines_due} deadline(s) with a step due; "
                   f"{result.written} notification(s) written, {len(result.skipped)} stale step(s) skipped.")
    for problem in result.problems:
        typer.echo(f"  for VS admin: {problem}")


@app.command("dispatch")
def dispatch_command(ctx: typer.Context) -> None:
    """Send the pending emails now (the service does this every minute)."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.notify.mailers import mailer_from_env
    from pepflow.notify.outbox import dispatch

    a = _app(ctx)
    mailer = mailer_from_env(a.outbox_folder(), a.environment)
    result = dispatch(a.engine, a.config, mailer, a.clock)
    if result.paused_until is not None and not result.claimed:
        typer.echo(f"Nothing sent: delivery is paused after the mail relay failed ({result.relay_error}); "
                   f"it is tried again from {format_moment(result.paused_until)}.")
        return
    typer.echo(f"{result.emails_sent} email(s) sent via {mailer.describe()} for {result.notifications_sent} "
               f"notification(s); {result.failed_for_now} to retry, {result.failed_for_good} failed.")
    if result.relay_error:
        typer.echo(f"  The mail relay failed ({result.relay_error}): {result.released} notification(s) wait for "
                   "it, none is lost.", err=True)
    else:
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
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.db.connection import session_scope
    from pepflow.notify.outbox import relay_status, retry_failed
    from pepflow.reports.email_lists import outbox_rows
    from pepflow.notify.relay import describe as describe_relay

    a = _app(ctx)
    if retry:
        with session_scope(a.engine) as session:
            count = retry_failed(session)
        typer.echo(f"{count} failed email(s) queued again.")
        return
    status = OutboxStatus.FAILED if failed else OutboxStatus.PENDING if pending else None
    rows = outbox_rows(a.engine, status)
    if as_json:
        _print_json([{"id": r.id, "key": r.key, "status": r.status, "to": r.recipient_ref,
                      "email": r.recipient_email, "child_ref": r.child_ref, "step": r.step,
                      "attempts": r.attempts, "last_error": r.last_error, "message_id": r.message_id,
                      "created_at": r.created_at.isoformat() if r.created_at else None,
                      "sent_at": r.sent_at.isoformat() if r.sent_at else None,
                      "payload": r.payload} for r in rows])
        return
    relay = relay_status(a.engine, a.config, a.clock.now())
    if relay.down:
        typer.echo(("For VS admin: " if relay.alert else "") + describe_relay(relay, a.clock.now()))
    typer.echo(f"Outbox{' (' + status + ')' if status else ''}: {len(rows)} shown, newest first")
    if rows:
        _print_table(["#", "status", "to", "case", "email", "what was due", "sent", "attempts", "last error"], [
            [f"#{r.id}", outcome_label(r.status), r.recipient_ref, r.child_ref, step_words(r.step),
             what_was_due(r.payload), format_moment(r.sent_at) if r.sent_at else "", r.attempts, r.last_error]
            for r in rows])


@app.command("simulate")
def simulate_command(
    ctx: typer.Context,
    start: str = typer.Option(..., "--from", help="First day, DD/MM/YYYY or YYYY-MM-DD."),
    end: str = typer.Option(..., "--to", help="Last day, DD/MM/YYYY or YYYY-MM-DD."),
    seed: int = typer.Option(2026, "--seed", help="Change it for a different run of the same span."),
    in_place: bool = typer.Option(False, "--in-place", help="Change this database itself and send its emails "
                                  "as configured. Without it the simulation runs on a copy beside the database "
                                  "(NAME-simulation.db, emails to the outbox-simulation folder)."),
) -> None:
    """Advance a clock day by day: people act, the sweep reminds, emails go to the outbox folder."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.notify.mailers import FolderMailer, mailer_from_env
    from pepflow.service.simulate import simulate

    a = _app(ctx)
    first, last = parse_date(start, "--from"), parse_date(end, "--to")
    if last < first:
        raise InputError("--to", end, f"is before --from {start}")
    if in_place:
        engine, mailer = a.engine, mailer_from_env(a.outbox_folder(), a.environment)
    else:
        engine, copy = _simulation_copy(a)
        mailer = FolderMailer(a.outbox_folder().with_name(a.outbox_folder().name + "-simulation"))
        typer.echo(f"Simulating on a copy of the database: {copy} (the database itself is not changed; "
                   "--in-place changes it).")
    with progress_bar(f"Simulating {format_day(first)} to {format_day(last)}", (last - first).days + 1) as advance:
        summary = simulate(engine, a.config, first, last, mailer, seed, on_day=advance)
    for line in summary.lines():
        typer.echo(line)
    typer.echo(f"Emails went to {mailer.describe()}.")


def _simulation_copy(a):
    """A fresh copy of the SQLite database beside it, for a simulation that must not touch the
    live cases or send their emails; PostgreSQL is refused (its copy is the DBA's job)."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pathlib import Path

    from pepflow.db import make_engine
    from pepflow.db.backup import copy_sqlite

    if a.engine.dialect.name != "sqlite":
        raise InputError("--in-place", "", (
            "is needed to simulate on a PostgreSQL database, which would change the live cases; "
            "simulate on a SQLite copy instead (--db sqlite:///FILE)"))
    original = Path(a.engine.url.database)
    copy = original.with_name(f"{original.stem}-simulation.db")
    for stale in (copy, Path(f"{copy}-wal"), Path(f"{copy}-shm")):
        stale.unlink(missing_ok=True)
    copy_sqlite(a.engine, copy)
    return make_engine(f"sqlite:///{copy}", create=False), copy


ROLES = ("all", "web", "worker")


@app.command("run")
def run_command(
    ctx: typer.Context,
    demo: bool = typer.Option(False, "--demo", help="Fill an empty database with the demo cohort first."),
    host: str = HOST_OPTION,
    port: int = PORT_OPTION,
    role: str = typer.Option("all", "--role", help="all: web pages, sweep and email delivery; web: the pages "
                             "only; worker: the sweep and email delivery only. Run any number of each against one "
                             "PostgreSQL database: each day is swept once and each email sent by one worker."),
    no_web: bool = typer.Option(False, "--no-web", help="The same as --role worker."),
    workers: int = typer.Option(1, "--workers", help="--role web only: how many processes serve the pages."),
) -> None:
    """Run the service: the web pages, the sweep on working-day mornings and email delivery every minute."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.service.scheduler import run_service
    from pepflow.service.use_cases import database_is_empty, demo_sign_in_again, run_demo
    from pepflow.web.server import WebThread, check_port, serve

    if role not in ROLES:
        raise InputError("--role", role, "must be all, web or worker")
    if no_web:
        role = "worker"
    _logging()
    a = _app(ctx)
    _warn_of_examples(a)
    if a.today_override or a.environment.today:
        # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
        from pepflow.clock import PassingClock

        # a service run as of another date still lets time pass: leases run out, retries come due
        a.clock = PassingClock(a.clock.today())
    if role != "worker":
        check_port(port)
    if role == "web":
        # the pages only: a web process never changes the schema (upgrade first: pepflow db upgrade)
        a.open()
        serve(a, host, port, workers)
        return
    if workers != 1:
        raise InputError("--workers", str(workers), "is for --role web (the pages in several processes)")
    a.open(upgrade=True)  # a database from an older version is upgraded before anything runs
    if demo:
        # the demo's sign-in line at every start, not only the first (a new password each time)
        for line in run_demo(a) if database_is_empty(a) else demo_sign_in_again(a):
            typer.echo(line)
    web = None if role == "worker" else WebThread(a, host, port).start()
    try:
        run_service(a)
    finally:
        if web:
            web.stop()


@app.command("web")
def web_command(
    ctx: typer.Context,
    host: str = HOST_OPTION,
    port: int = PORT_OPTION,
    workers: Optional[int] = typer.Option(None, "--workers", help="How many processes serve the pages "
                                          "(default: one per core)."),
) -> None:
    """Serve the web pages only (no sweep, no email delivery)."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.web.server import default_workers, serve

    _logging()
    a = _app(ctx)
    _warn_of_examples(a)
    serve(a, host, port, workers if workers is not None else default_workers())


def _warn_of_examples(a) -> None:
    """Say, as the service starts, which of the shipped example settings are still in force."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    import logging

    from pepflow.config.examples import example_settings_in_force

    for sentence in example_settings_in_force(a.config):
        logging.getLogger("pepflow.run").warning("example setting still in force: %s", sentence)
