"""pepflow pp-plus: the year's Pupil Premium Plus ledger, and the payments for finance (the payments
due for a term as CSV, a batch of them, and the batch paid with finance's reference)."""

from __future__ import annotations

import typer

from pepflow.cli._common import _app, _print_json, pp_plus_app

BY = "the command line"


@pp_plus_app.command("ledger")
def ledger_command(
    ctx: typer.Context,
    year: str = typer.Option("", "--year", help='The financial year, as "2026-27" (default: this one).'),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Grant received, kept centrally, committed, paid and left; by school, child and category; and
    the targets the money funded, with their review at the next PEP."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.db.connection import session_scope
    from pepflow.reports.pp_plus_ledger import current_year, ledger, ledger_text

    from pepflow.audit.disclosures import disclosed

    a = _app(ctx)
    with session_scope(a.engine) as s:
        figures = ledger(s, a.config, year.strip() or current_year(a.today()))
        disclosed(s, "pp_plus_viewed", a.today(), BY, {"what": f"ledger {figures['financial_year']}",
                                                       "children": len(figures["by_child"])})
    if as_json:
        _print_json(figures)
    else:
        typer.echo(ledger_text(figures))


@pp_plus_app.command("payments")
def payments_command(
    ctx: typer.Context,
    term: str = typer.Option(..., "--term", help='The term, as "autumn 2026-27".'),
    status: str = typer.Option("due", "--status", help="due (default), batched, paid, or all."),
    as_csv: bool = typer.Option(False, "--csv", help="CSV for the finance team (else a list)."),
) -> None:
    """The payments of a term: to which school, for which child, how much."""
    from pepflow.db.connection import session_scope
    from pepflow.errors import InputError
    from pepflow.rules.pp_plus_rules import pounds
    from pepflow.service.pp_plus_payments import payments, payments_csv, record_download

    if status not in ("due", "batched", "paid", "all"):
        raise InputError("status", status, "must be due, batched, paid or all")
    a = _app(ctx)
    label = " ".join(term.lower().split())
    with session_scope(a.engine) as s:
        rows = payments(s, term=label, status=None if status == "all" else status)
        record_download(s, rows, f"payments {status} {label}", BY, a.today())
    if as_csv:
        typer.echo(payments_csv(rows), nl=False)
        return
    for r in rows:
        typer.echo(f"{r.payee} ({r.school_urn or 'no school'}): {r.child_ref} {pounds(r.amount_pence)} [{r.status}]")
    typer.echo(f"{len(rows)} payment(s), {pounds(sum(r.amount_pence for r in rows))} in all, {status}, {label}.")


@pp_plus_app.command("batch")
def batch_command(
    ctx: typer.Context,
    term: str = typer.Option(..., "--term", help='The term, as "autumn 2026-27".'),
) -> None:
    """Put every payment due for the term in one batch for finance."""
    from pepflow.db.connection import session_scope
    from pepflow.rules.pp_plus_rules import pounds
    from pepflow.service.pp_plus_payments import make_batch

    a = _app(ctx)
    with session_scope(a.engine) as s:
        batch = make_batch(s, term, BY, a.today())
        words = f"Batch {batch.id}: {batch.payments} payment(s), {pounds(batch.total_pence)}, {batch.term}."
    typer.echo(words)


@pp_plus_app.command("paid")
def paid_command(
    ctx: typer.Context,
    batch: int = typer.Option(..., "--batch", help="The batch's number."),
    reference: str = typer.Option(..., "--reference", help="Finance's reference for the payment."),
    paid_on: str = typer.Option("", "--paid-on", help="When it was paid (default: today)."),
) -> None:
    """Finance paid a batch: its payments are paid, with their reference."""
    from pepflow.db.connection import session_scope
    from pepflow.values import date_value
    from pepflow.errors import InputError
    from pepflow.service.pp_plus_payments import mark_paid

    a = _app(ctx)
    try:
        day = date_value(paid_on) if paid_on else a.today()
    except ValueError as exc:
        raise InputError("paid_on", paid_on, str(exc)) from None
    with session_scope(a.engine) as s:
        done = mark_paid(s, batch, reference, day, BY, a.today())
        words = f"Batch {done.id} paid on {done.paid_on.isoformat()} (reference {done.finance_ref})."
    typer.echo(words)
