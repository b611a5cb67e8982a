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
