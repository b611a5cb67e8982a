"""``pepflow audit …``: prove the history, checkpoint its head, rotate its key."""

from __future__ import annotations

from typing import Optional

import typer

from pepflow.cli._common import _app, audit_app
from pepflow.cli.progress import progress_bar


@audit_app.command("verify")
def audit_verify(
    ctx: typer.Context,
    replay: bool = typer.Option(False, "--replay", help="Also rebuild every process and deadline from the "
                                "history and compare them with the tables."),
) -> None:
    """Walk the keyed chain of the history and check it against the checkpoints; name what does not fit."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.audit.checkpoints import write
    from pepflow.audit.verify import history_size, verify

    a = _app(ctx)
    with progress_bar("Checking the history", history_size(a.engine)) as advance:
        result = verify(a.engine, on_rows=advance)
    if not result.ok:
        typer.echo(f"History NOT intact ({result.rows} rows read):", err=True)
        for problem in result.problems:
            typer.echo(f"  - {problem}.", err=True)
        raise typer.Exit(1)
    keys = ", ".join(f"{n} under key {k}" for k, n in result.rows_by_key.items()) or "no keyed rows"
    unkeyed = f"; {result.unkeyed_rows} from before the history was keyed" if result.unkeyed_rows else ""
    typer.echo(f"History intact: {result.rows} rows, each keyed and chained to the one before ({keys}{unkeyed}).")
    typer.echo(f"The database's seal holds: every row from row {result.keyed_from} on is signed with the history key.")
    if result.checkpoints:
        latest = result.checkpoints[-1]
        which = f"all {len(result.checkpoints)} checkpoints" if len(result.checkpoints) > 1 else "the checkpoint"
        typer.echo(f"It matches {which} in {result.checkpoint_file}; the latest, of {latest.at}, recorded "
                   f"row {latest.last_id} ({latest.rows} rows).")
    elif result.checkpoint_file is not None:
        typer.echo(f"No checkpoint of this database in {result.checkpoint_file} yet, so rows taken off the end "
                   "could not be noticed; one is written now, and at every sweep.")
    if replay:
        # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
        from pepflow.audit.replay import replay as run_replay

        found = run_replay(a.engine, a.config, progress=lambda text: typer.echo(text, err=True))
        for line in found.notes():
            typer.echo(line)
        if not found.ok:
            typer.echo(f"The tables do NOT match the history ({len(found.differences)} differences):", err=True)
            for difference in found.differences[:200]:
                typer.echo(f"  - {difference}", err=True)
            if len(found.differences) > 200:
                typer.echo(f"  … and {len(found.differences) - 200} more.", err=True)
            raise typer.Exit(1)
        typer.echo(found.summary())
    written = write(a.engine)
    if result.checkpoint_file is not None:
        typer.echo(f"Checkpoint written: row {written.last_id}, {written.rows} rows.")


@audit_app.command("checkpoint")
def audit_checkpoint(ctx: typer.Context) -> None:
    """Record the history's head (last row, number of rows, keyed hash) in the checkpoint file and the log, once
    what was added since the last checkpoint verifies."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.audit.checkpoints import checkpoint_file
    from pepflow.audit.verify import checkpoint

    a = _app(ctx)
    written = checkpoint(a.engine)
    typer.echo(f"Checkpoint written to {checkpoint_file(a.engine)}: row {written.last_id}, {written.rows} rows, "
               f"hash {written.hash[:16] or '-'}…")


@audit_app.command("init-key")
def audit_init_key(ctx: typer.Context) -> None:
    """Make the history key file, readable by its owner only: run it as the user pepflow runs as,
    before the database is made (pepflow makes it itself beside a new SQLite database)."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.db.history_keys import create, key_file_for

    a = _app(ctx)
    env = a.environment
    if env.history_key:
        typer.echo("The history key comes from PEPFLOW_HISTORY_KEY, so no key file is needed.", err=True)
        raise typer.Exit(1)
    path = key_file_for(a.url, env.history_key_file)
    if path.exists():
        typer.echo(f"{path} already exists: it holds this database's history key. Keep it, and keep a copy apart "
                   "from the database; `pepflow audit rotate-key` adds a new key to it.", err=True)
        raise typer.Exit(1)
    ring = create(path, a.shown_url)
    typer.echo(f"Made the history key {ring.current} in {path} (readable by its owner only). Back the file up now, "
               "apart from the database: without it the history cannot be proved.")


@audit_app.command("rotate-key")
def audit_rotate_key(ctx: typer.Context) -> None:
    """Add a new history key: rows from now on are signed with it, older rows still verify under theirs."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.audit.checkpoints import database_name
    from pepflow.db.history_keys import key_file_for, rotate

    a = _app(ctx)
    env = a.environment
    if env.history_key:
        typer.echo("The history key comes from PEPFLOW_HISTORY_KEY: add the new key there as "
                   "'id=<64 hex digits>' after the others, then restart pepflow.", err=True)
        raise typer.Exit(1)
    path = key_file_for(database_name(a.engine), env.history_key_file)
    key_id = rotate(path)
    typer.echo(f"New history key {key_id} added to {path}. Back the file up again, apart from the database; "
               "restart running pepflow services so they sign with it.")


@audit_app.command("security")
def audit_security(
    ctx: typer.Context,
    since: Optional[str] = typer.Option(None, "--since", help="Only events on or after this date."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per event."),
) -> None:
    """List the security events: sign-ins, failed sign-ins, sign-outs, password changes, out-of-scope look-ups."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    import json

    from sqlalchemy import select

    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.clock import parse_date
    from pepflow.db.models import Event
    from pepflow.audit.disclosures import SECURITY_PROCESS

    a = _app(ctx)
    query = select(Event).where(Event.process == SECURITY_PROCESS)
    if since:
        query = query.where(Event.effective_on >= parse_date(since, "--since"))
    with a.engine.connect() as conn:
        rows = conn.execute(query.order_by(Event.id)).all()
    if as_json:
        for r in rows:
            typer.echo(json.dumps({"id": r.id, "event": r.name, "on": r.effective_on.isoformat(),
                                   "recorded_at": str(r.recorded_at), "by": r.actor_ref, **r.payload}))
        return
    typer.echo(f"{len(rows)} security events" + (f" since {since}" if since else "") + ":")
    for r in rows:
        details = ", ".join(f"{k}={v}" for k, v in r.payload.items())
        typer.echo(f"  {str(r.recorded_at)[:16]}  {r.name:<16} {details}")
