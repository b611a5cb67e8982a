"""pepflow db …: the database's schema revision, and upgrading it."""

from __future__ import annotations

import typer

from ._common import _app, app

db_app = typer.Typer(help="The database: its schema revision, and upgrading it.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Print the schema revision the database is at, and the one this version uses."""
    from ..db.engine import make_engine
    from ..db.migrate import HEAD, current_revision

    a = _app(ctx)
    engine = make_engine(a.url, create=False)
    with engine.connect() as connection:
        revision = current_revision(connection)
    engine.dispose()
    state = ("up to date" if revision == HEAD else "no version recorded (any pepflow command records it)"
             if revision is None else f"needs `pepflow db upgrade` to reach {HEAD}")
    typer.echo(f"{a.url}: {revision or 'none'} ({state})")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Bring the database's tables up to this version of pepflow (back it up first)."""
    from ..db.engine import make_engine
    from ..db.migrate import HEAD

    a = _app(ctx)
    engine = make_engine(a.url, upgrade=True)
    engine.dispose()
    typer.echo(f"{a.url}: at schema revision {HEAD}.")


@db_app.command("grant")
def db_grant(
    ctx: typer.Context,
    role: str = typer.Argument(..., help="The PostgreSQL role pepflow's services connect as."),
) -> None:
    """PostgreSQL: let the application's role use the tables but only read and add to the history.

    Run it as the role that owns the tables (the one that runs `pepflow db upgrade`), after each
    upgrade.  The services then connect as ROLE: it cannot UPDATE, DELETE or TRUNCATE history rows."""
    from ..db.engine import make_engine
    from ..db.history_guard import grant_statements
    from ..errors import InputError

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
