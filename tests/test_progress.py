"""Progress bars (issue 20 item 7): drawn at a terminal, never in piped or captured output."""

from __future__ import annotations

import io

from rich.console import Console

from pepflow.cli.progress import progress_bar


def test_a_progress_bar_is_drawn_at_a_terminal():
    out = io.StringIO()
    with progress_bar("Checking the history", 3, Console(file=out, force_terminal=True, width=80)) as advance:
        for _ in range(3):
            advance(1)
    assert "Checking the history" in out.getvalue()


def test_no_progress_bar_reaches_a_file_or_a_pipe():
    out = io.StringIO()
    with progress_bar("Importing children.csv", None, Console(file=out, force_terminal=False)) as advance:
        advance(5)
    assert out.getvalue() == ""


def test_simulate_captured_by_a_program_prints_no_progress_bar(cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'sim.db'}"
    assert cli("--db", url, "--today", "2026-09-01", "demo", "--children", "20", "--schools", "4")[0] == 0
    code, out, err = cli("--db", url, "--today", "2026-09-30", "simulate", "--from", "07/09/2026", "--to",
                         "11/09/2026")
    assert code == 0, err
    assert "━" not in out + err  # captured output has no bar in it
