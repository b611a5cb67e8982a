"""pepflow records: what the retention schedule brings to its date (``due``), and legal holds
(``hold``, ``holds``, ``lift``)."""

from __future__ import annotations

from typing import Optional

import typer

from pepflow.cli._common import _app, _print_json, records_app

BY = "the command line"


@records_app.command("due")
def due_command(
    ctx: typer.Context,
    within: int = typer.Option(0, "--within", min=0, max=3650, help="Also what reaches its date within this many days."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """What reaches its retention date (config/retention.toml), when, why, and whether it is on hold."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.db.connection import session_scope
    from pepflow.service.retention import records_due

    a = _app(ctx)
    with session_scope(a.engine) as s:
        items = records_due(s, a.config, a.today(), within)
    if as_json:
        _print_json({"as_of": a.today().isoformat(), "within_days": within, "count": len(items),
                     "items": [i.as_dict() for i in items]})
        return
    for i in items:
        typer.echo(f"{i.due_on} {i.child_ref} {i.record}: {i.action} ({i.why})" + (" — ON HOLD" if i.held else ""))
    typer.echo(f"{len(items)} record(s) reach their date by {a.today().isoformat()}"
               + (f" + {within} days" if within else "") + ".")


@records_app.command("hold")
def hold_command(
    ctx: typer.Context,
    child: Optional[str] = typer.Option(None, "--child", help="The child whose records are kept."),
    everyone: bool = typer.Option(False, "--all", help="Keep every child's records (an inquiry)."),
    reason: str = typer.Option(..., "--reason", help="Why: the inquiry or the claim."),
) -> None:
    """Keep records from any purge until the hold is lifted."""
    from pepflow.db.child_refs import require_child
    from pepflow.db.connection import session_scope
    from pepflow.errors import InputError
    from pepflow.service.retention import place_hold

    if bool(child) == everyone:
        raise InputError("--child", child or "", "give a child (--child REF) or --all, one of the two")
    a = _app(ctx)
    with session_scope(a.engine) as s:
        ref = require_child(s, child).ref if child else None
        hold = place_hold(s, ref, reason, BY, a.today())
        words = f"Legal hold {hold.id} placed on {ref + chr(39) + 's records' if ref else 'every record'}."
    typer.echo(words)


@records_app.command("holds")
def holds_command(ctx: typer.Context) -> None:
    """Every legal hold, placed and lifted."""
    from pepflow.db.connection import session_scope
    from pepflow.service.retention import holds

    a = _app(ctx)
    with session_scope(a.engine) as s:
        for h in holds(s):
            state = f"lifted {h.lifted_on.isoformat()}" if h.lifted_on else "in place"
            typer.echo(f"{h.id}: {h.child_ref or 'every record'}, placed {h.placed_on.isoformat()}, {state}: {h.reason}")


@records_app.command("lift")
def lift_command(ctx: typer.Context, hold: int = typer.Option(..., "--hold", help="The hold's number.")) -> None:
    """Lift a legal hold: the records may be purged on their dates again."""
    from pepflow.db.connection import session_scope
    from pepflow.service.retention import lift_hold

    a = _app(ctx)
    with session_scope(a.engine) as s:
        lifted = lift_hold(s, hold, BY, a.today())
        words = f"Legal hold {lifted.id} lifted."
    typer.echo(words)


@records_app.command("export")
def export_command(
    ctx: typer.Context,
    child: str = typer.Option(..., "--child", help="The child's reference."),
    out: str = typer.Option(..., "--out", help="The zip file to write."),
) -> None:
    """Every row pepflow keeps about the child, as JSON with its schema, a readable page and the
    documents, for a subject access request; the export is in the history."""
    from pathlib import Path

    from pepflow.db.child_refs import require_child
    from pepflow.db.connection import session_scope
    from pepflow.service.record_export import export_record

    a = _app(ctx)
    with session_scope(a.engine) as s:
        found = require_child(s, child)
        data, counts = export_record(s, found.ref, BY, a.today(), a.clock.now())
        ref = found.ref
    Path(out).write_bytes(data)
    typer.echo(f"{ref}'s record: {sum(counts.values())} row(s) from {len(counts)} table(s), written to {out} "
               f"({len(data):,} bytes). List the people named in it for redaction before sending (record.html).")


@records_app.command("purge")
def purge_command(
    ctx: typer.Context,
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would be purged; change nothing."),
) -> None:
    """Anonymise or remove what has passed its retention date, except what is on legal hold (the
    service does this each night)."""
    from pepflow.db.connection import session_scope
    from pepflow.service.purge import compact, log_purge, purge

    a = _app(ctx)
    with session_scope(a.engine) as s:
        done = purge(s, a.config, a.today(), BY, dry_run)
        log_purge(a.engine, s, done, a.today())
    if not dry_run and done.counts:
        compact(a.engine)
    for line in done.lines():
        typer.echo(line)
