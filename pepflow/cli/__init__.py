"""The ``pepflow`` command.  Thin: parse, call the package, print.

One module per command group; ``_common`` holds the root command and the shared helpers.
Every ``PepflowError`` becomes one readable message on stderr and exit code 1.  Heavy
modules (the ORM, the web framework) are imported inside the commands that need them,
so ``pepflow --help`` and ``pepflow calendar …`` start quickly (bench/startup.py).

A face: may import anything; nothing imports it.
"""

from __future__ import annotations

import functools
import sys

import typer

from pepflow.errors import PepflowError
from pepflow.cli import attendance, calendar, database, history, lists, pep_document, pp_plus, record_keeping, records, reports, service, users  # noqa: F401  (register the commands)
from pepflow.cli._common import app


@functools.cache
def _command() -> typer.core.TyperGroup:
    """The command tree, built from the typer app once per process: building it is half of an
    in-process call's cost (the tests and bench/fuzz.py call the command thousands of times)."""
    return typer.main.get_command(app)


def run(argv: list[str] | None = None) -> None:
    """Console entry point: readable errors, non-zero exit."""
    try:
        code = _command()(args=argv, prog_name="pepflow", standalone_mode=False)
        if isinstance(code, int) and code != 0:  # typer.Exit(n) comes back as a return value here
            sys.exit(code)
    except PepflowError as exc:
        typer.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except typer.Abort:
        typer.echo("Aborted.", err=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):  # usage errors from typer's click
            exc.show()
            sys.exit(exc.exit_code)
        # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
        from pepflow.environment import environment

        try:
            debug = environment().debug
        except PepflowError:
            debug = False
        if debug:
            raise
        # imported here, not at the top: `pepflow --help` and every command load only what they use (start-up time, bench/startup.py)
        from pepflow.db.problems import explain

        explained = explain(exc)
        if explained:
            typer.echo(f"Error: {explained}", err=True)
        else:
            typer.echo(f"Error: unexpected {type(exc).__name__}: {str(exc)[:300]} "
                       "(set PEPFLOW_DEBUG=1 to see the details)", err=True)
        sys.exit(2)
