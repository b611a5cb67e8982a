"""A progress bar (rich) for commands that take more than a second: imports, simulate,
reports and audit verify.  Drawn on standard error at a terminal only, and cleared when the
work is done, so piped or captured output (cron, scripts, the tests) is never changed."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                           TimeElapsedColumn)


@contextmanager
def progress_bar(description: str, total: int | None = None, console: Console | None = None
                 ) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n)``; with no ``total`` a spinner shows that work goes on."""
    console = console or Console(stderr=True)
    columns = [SpinnerColumn(), TextColumn("{task.description}")]
    if total is not None:
        columns += [BarColumn(), MofNCompleteColumn()]
    columns.append(TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n=1: progress.advance(task, n)
