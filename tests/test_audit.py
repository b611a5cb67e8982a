"""The history is tamper-evident: a changed, inserted or deleted row breaks the chain."""

from __future__ import annotations

from sqlalchemy import text

from pepflow.audit import verify

from .conftest import d
from .test_pep import add_child, event, world  # noqa: F401  (fixture)


def history(engine, config):
    add_child(engine, config, d("2025-12-18"))
    event(engine, config, "C100", "pep_meeting_held", "2026-01-05")
    event(engine, config, "C100", "pep_submitted", "2026-01-08")
    event(engine, config, "C100", "pep_approved", "2026-01-12", rating="green")
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT id FROM event ORDER BY id"))]


def test_an_untouched_history_verifies(world, config):  # noqa: F811
    ids = history(world, config)
    result = verify(world)
    assert result.ok and result.rows == len(ids) == 4


def test_a_changed_row_is_named(world, config):  # noqa: F811
    ids = history(world, config)
    with world.begin() as conn:
        conn.execute(text("UPDATE event SET effective_on = '2026-01-04' WHERE id = :i"), {"i": ids[1]})
    result = verify(world)
    assert result.first_bad_id == ids[1] and "changed" in result.problem


def test_a_deleted_row_is_found_at_the_row_after_it(world, config):  # noqa: F811
    ids = history(world, config)
    with world.begin() as conn:
        conn.execute(text("DELETE FROM event WHERE id = :i"), {"i": ids[2]})
    result = verify(world)
    assert result.first_bad_id == ids[3] and "deleted or inserted" in result.problem


def test_audit_verify_exits_non_zero_on_a_broken_chain(world, config, cli):  # noqa: F811
    ids = history(world, config)
    code, out, _ = cli("--db", str(world.url), "audit", "verify")
    assert code == 0 and "History intact: 4 rows" in out
    with world.begin() as conn:
        conn.execute(text("UPDATE event SET payload = '{\"rating\": \"amber\"}' WHERE id = :i"), {"i": ids[3]})
    code, _, err = cli("--db", str(world.url), "audit", "verify")
    assert code == 1 and f"row {ids[3]}" in err
