"""The ``pepflow`` command run in this process, for many cases quickly: (exit code, stdout, stderr)."""

from __future__ import annotations

import contextlib
import io


def in_process(argv: list[str]) -> tuple[int, str, str]:
    from pepflow.cli import run

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            run(list(argv))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return code, out.getvalue(), err.getvalue()
