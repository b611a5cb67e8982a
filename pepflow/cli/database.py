"""pepflow db …: the database's schema revision, and upgrading it."""

from __future__ import annotations

from pathlib import Path

import typer

from pepflow.cli._common import _app, app

db_app = typer.Typer(help="The database: its schema revision, and upgrading it.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Print the schema revision the database is at, and the one this version uses."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.db.connection import make_engine
    from pepflow.db.migrate import HEAD, current_revision

    a = _app(ctx)
    engine = make_engine(a.url, create=False)
    with engine.connect() as connection:
        revision = current_revision(connection)
    engine.dispose()
    state = ("up to date" if revision == HEAD else "no version recorded (any pepflow command records it)"
             if revision is None else f"needs `pepflow db upgrade` to reach {HEAD}")
    typer.echo(f"{a.shown_url}: {revision or 'none'} ({state})")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Bring the database's tables up to this version of pepflow (back it up first)."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.db.connection import make_engine
    from pepflow.db.migrate import HEAD

    a = _app(ctx)
    engine = make_engine(a.url, upgrade=True)
    engine.dispose()
    typer.echo(f"{a.shown_url}: at schema revision {HEAD}.")


@db_app.command("summaries")
def db_summaries(ctx: typer.Context) -> None:
    """Write every child's summary for the compliance report again (after rows were loaded around pepflow)."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.db.connection import session_scope
    from pepflow.engine.child_summaries import rebuild

    a = _app(ctx)
    with session_scope(a.engine) as s:
        count = rebuild(s)
    typer.echo(f"{a.shown_url}: {count:,} children's summaries written.")


@db_app.command("grant")
def db_grant(
    ctx: typer.Context,
    role: str = typer.Argument(..., help="The PostgreSQL role pepflow's services connect as."),
) -> None:
    """PostgreSQL: let the application's role use the tables but only read and add to the history.

    Run it as the role that owns the tables (the one that runs `pepflow db upgrade`), after each
    upgrade.  The services then connect as ROLE: it cannot UPDATE, DELETE or TRUNCATE history rows."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.db.connection import make_engine
    from pepflow.db.history_guard import grant_statements
    from pepflow.errors import InputError

    a = _app(ctx)
    engine = make_engine(a.url)
    if engine.dialect.name != "postgresql":
        raise InputError("--db", a.url, "roles and grants are PostgreSQL's; on SQLite the history's triggers "
                         "refuse changes, and the file's permissions say who may write it")
    if not role or len(role) > 63 or not role.replace("_", "").replace("-", "").isalnum() or not role.isascii():
        raise InputError("role", role, "must be a PostgreSQL role name of letters, digits, - and _")
    with engine.begin() as connection:
        for statement in grant_statements(role):
            connection.exec_driver_sql(statement)
    engine.dispose()
    typer.echo(f"{role} may now read and write pepflow's tables, and only read and add to the history "
               "(no UPDATE, DELETE or TRUNCATE on it). Connect the services as this role.")


@db_app.command("backup")
def db_backup(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="The backup file to write (a new file; its manifest FILE.json is "
                                "written beside it)."),
) -> None:
    """Back the database up while the service runs: SQLite's online backup, or pg_dump of one snapshot."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.db.backup import backup
    from pepflow.db.connection import make_engine

    a = _app(ctx)
    a.check_exists()
    engine = make_engine(a.url, create=False)
    try:
        manifest = backup(engine, file, a.clock.now())
    finally:
        engine.dispose()
    rows = sum(manifest.tables.values())
    typer.echo(f"Backed up {manifest.database} to {file}: {len(manifest.tables)} tables, {rows:,} rows, history to "
               f"row {manifest.history_last_id}, schema {manifest.revision}. Keep the history key apart from it.")


@db_app.command("restore")
def db_restore(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A backup made by pepflow db backup (with its FILE.json)."),
) -> None:
    """Restore a backup into a new database (--db: a SQLite file that does not exist yet, or an empty
    PostgreSQL database), then check every table's rows against the backup's manifest."""
    # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
    from pepflow.audit.checkpoints import file_for
    from pepflow.audit.verify import verify
    from pepflow.db.backup import restore
    from pepflow.db.connection import make_engine

    a = _app(ctx)
    manifest, differences = restore(file, a.url)
    if differences:
        typer.echo("The restored database does not match the backup:\n" + "\n".join(f"  {d}" for d in differences),
                   err=True)
        raise typer.Exit(1)
    # the restored history, against every checkpoint of the database it was taken from (by its identity)
    engine = make_engine(a.url, create=False)
    try:
        result = verify(engine, also=file_for(manifest.database, a.environment.history_checkpoint_file))
    finally:
        engine.dispose()
    if not result.ok:
        typer.echo(f"Restored {file} into {a.shown_url}, but its history does NOT verify:", err=True)
        for problem in result.problems:
            typer.echo(f"  - {problem}.", err=True)
        raise typer.Exit(1)
    # purges made since the backup was taken, done again before anything else uses the database (issue 43)
    from pepflow.db.connection import session_scope
    from pepflow.service.purge import compact, purge_log_beside, reapply

    engine = make_engine(a.url, create=False)
    try:
        with session_scope(engine) as s:
            again = reapply(s, a.config, purge_log_beside(file_for(manifest.database,
                                                                    a.environment.history_checkpoint_file)),
                            "the command line")
        if again:
            compact(engine)
            typer.echo(f"Re-applied the purges of {again} child(ren) made since the backup was taken.")
    finally:
        engine.dispose()
    against = (f"and matches {len(result.checkpoints)} checkpoints of the database it was taken from"
               if result.checkpoints else "(no checkpoint of the database it was taken from was found to compare)")
    typer.echo(f"Restored {file} into {a.shown_url}; every table has the rows the backup recorded, and its history "
               f"of {result.rows:,} rows verifies {against}. Now run `pepflow audit verify --replay` to compare the "
               "tables with the history.")
