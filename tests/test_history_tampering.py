"""The history proves itself: each of fifteen tamperings with a database is detected and named,
on SQLite and on PostgreSQL, by ``pepflow audit verify`` (the chain and the checkpoints) or
``pepflow audit verify --replay`` (the tables against the history).

Each tampering is done as an administrator of the database would: the triggers that refuse
to change history are dropped first (``test_the_database_refuses_to_change_history`` shows
that without that the database refuses)."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from pepflow.audit import FIELDS, _encode_body, _plain, row_hash
from pepflow.audit.checkpoints import write as checkpoint
from pepflow.audit.keys import keyring_for
from pepflow.audit.replay import replay
from pepflow.audit.verify import verify
from pepflow.db.history_guard import unguard

from .conftest import d
from .test_pep import add_child, event, world  # noqa: F401  (fixture)


@pytest.fixture
def case(world, config):  # noqa: F811
    """Three children with PEP events: about twenty history rows, checkpointed."""
    for ref in ("C100", "C101", "C102"):
        add_child(world, config, d("2025-12-18"), ref=ref)
        event(world, config, ref, "pep_meeting_held", "2026-01-05")
        event(world, config, ref, "pep_submitted", "2026-01-08")
    checkpoint(world)
    return world


def ids(engine) -> list[int]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT id FROM event ORDER BY id"))]


def tamper(engine, *statements: str, **params) -> None:
    with engine.begin() as conn:
        unguard(conn)
        for statement in statements:
            conn.execute(text(statement), params)


def rows(engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text("SELECT * FROM event ORDER BY id"))]


def plain_sha256(previous: str, row: dict) -> str:
    """What a forger without the key can compute: the chain's old, unkeyed hash."""
    payload = row["payload"] if isinstance(row["payload"], dict) else json.loads(row["payload"])
    fields = [_plain({**row, "payload": payload}.get(f)) for f in FIELDS] + [row["key_id"]]
    return hashlib.sha256((previous + _encode_body(fields)).encode()).hexdigest()


def problems(engine) -> str:
    result = verify(engine)
    assert not result.ok, "the tampering was not detected"
    return " | ".join(result.problems)


def replay_differences(engine, config) -> str:
    assert verify(engine).ok
    found = replay(engine, config)
    assert not found.ok, "the tampering was not detected"
    return " | ".join(found.differences)


def test_an_untouched_history_verifies_and_replays(case, config):
    result = verify(case)
    assert result.ok and result.rows == len(ids(case)) and len(result.checkpoints) == 1
    found = replay(case, config)
    assert found.ok and found.deadlines > 0 and found.children == 3, found.differences


def test_the_database_refuses_to_change_history(case):
    middle = ids(case)[3]
    for statement in ("UPDATE event SET name = 'x' WHERE id = :i", "DELETE FROM event WHERE id = :i"):
        with pytest.raises(DBAPIError, match="history rows cannot be changed or deleted"):
            with case.begin() as conn:
                conn.execute(text(statement), {"i": middle})
    assert verify(case).ok


# ---- 1-7: a row in the middle ----------------------------------------------------------

def test_1_a_changed_effective_date_is_named(case):
    middle = ids(case)[4]
    tamper(case, "UPDATE event SET effective_on = '2026-01-04' WHERE id = :i", i=middle)
    assert f"row {middle}: its contents do not match its keyed hash" in problems(case)


def test_2_a_changed_payload_is_named(case):
    middle = ids(case)[5]
    tamper(case, "UPDATE event SET payload = '{}' WHERE id = :i", i=middle)
    assert f"row {middle}: its contents do not match" in problems(case)


def test_3_a_changed_actor_is_named(case):
    middle = ids(case)[5]
    tamper(case, "UPDATE event SET actor_ref = 'VSH1' WHERE id = :i", i=middle)
    assert f"row {middle}: its contents do not match" in problems(case)


def test_4_a_deleted_middle_row_is_found_at_the_row_after_it(case):
    all_ids = ids(case)
    tamper(case, "DELETE FROM event WHERE id = :i", i=all_ids[3])
    found = problems(case)
    assert f"row {all_ids[4]}: its link to the row before does not match" in found
    assert "rows were deleted or inserted before it" in found


def test_5_a_changed_hash_is_named(case):
    middle = ids(case)[2]
    tamper(case, "UPDATE event SET hash = :h WHERE id = :i", h="f" * 64, i=middle)
    assert f"row {middle}: its contents do not match" in problems(case)


def test_6_two_rows_swapped_are_named(case):
    a, b = ids(case)[2], ids(case)[3]
    tamper(case, "UPDATE event SET id = -1 WHERE id = :a", "UPDATE event SET id = :a WHERE id = :b",
           "UPDATE event SET id = :b WHERE id = -1", a=a, b=b)
    assert f"row {a}: its link to the row before does not match" in problems(case)


def test_7_an_unkeyed_row_among_keyed_ones_is_named(case):
    middle = ids(case)[6]
    tamper(case, "UPDATE event SET key_id = '' WHERE id = :i", i=middle)
    assert f"row {middle}: it is not signed with the history key" in problems(case)


# ---- 8-12: the end of the history, and forgeries ---------------------------------------

def test_8_the_last_row_deleted_is_named(case):
    last = ids(case)[-1]
    tamper(case, "DELETE FROM event WHERE id = :i", i=last)
    assert "1 rows were deleted from its end" in problems(case)


def test_9_the_last_fifty_rows_deleted_are_named(case, config):
    for n in range(20):  # a longer history
        add_child(case, config, d("2025-12-18"), ref=f"C2{n:02}")
        event(case, config, f"C2{n:02}", "pep_meeting_held", "2026-01-05")
    checkpoint(case)
    cut = ids(case)[-50]
    tamper(case, "DELETE FROM event WHERE id >= :i", i=cut)
    assert "50 rows were deleted from its end" in problems(case)


def test_10_every_row_deleted_is_named(case):
    tamper(case, "DELETE FROM event")
    assert "the history is empty, but the checkpoint of" in problems(case)


def test_11_a_forged_row_appended_with_a_recomputed_hash_is_named(case):
    last = rows(case)[-1]
    forged = {**last, "id": last["id"] + 1, "name": "left_care", "prev_hash": last["hash"]}
    forged["hash"] = plain_sha256(last["hash"], forged)
    columns = [c for c in forged if c != "payload"]
    tamper(case, f"INSERT INTO event ({', '.join(columns)}, payload) VALUES "
           f"({', '.join(':' + c for c in columns)}, '{{}}')", **{c: forged[c] for c in columns})
    assert f"row {forged['id']}: its contents do not match its keyed hash" in problems(case)


def test_12_a_middle_row_edited_and_the_chain_recomputed_after_it_is_named(case):
    history = rows(case)
    edited = 4
    statements, params = ["UPDATE event SET effective_on = '2026-01-01' WHERE id = :e"], {"e": history[edited]["id"]}
    previous = history[edited - 1]["hash"]
    for n, row in enumerate(history[edited:]):
        row = {**row, "prev_hash": previous, **({"effective_on": d("2026-01-01")} if n == 0 else {})}
        previous = plain_sha256(previous, row)
        statements.append(f"UPDATE event SET prev_hash = :p{n}, hash = :h{n} WHERE id = :i{n}")
        params.update({f"p{n}": row["prev_hash"], f"h{n}": previous, f"i{n}": row["id"]})
    tamper(case, *statements, **params)
    assert f"row {history[edited]['id']}: its contents do not match its keyed hash" in problems(case)


def test_12b_even_with_the_key_a_recomputed_chain_differs_from_the_checkpoint(case):
    """Someone who also stole the key can re-chain every row; the checkpoint kept apart still differs."""
    ring = keyring_for(case.url.render_as_string(hide_password=True))
    history = rows(case)
    statements, params, previous = [], {}, history[1]["hash"]
    for n, row in enumerate(history[2:]):
        payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
        row = {**row, "payload": payload, "prev_hash": previous, **({"actor_ref": "VSH1"} if n == 0 else {})}
        previous = row_hash(previous, row, ring)
        statements.append(f"UPDATE event SET prev_hash = :p{n}, hash = :h{n}" + (", actor_ref = 'VSH1'" if n == 0 else "")
                          + f" WHERE id = :i{n}")
        params.update({f"p{n}": row["prev_hash"], f"h{n}": previous, f"i{n}": row["id"]})
    tamper(case, *statements, **params)
    assert "hash is not the one in the checkpoint of" in problems(case)


# ---- 13-15: the tables behind the history's back ---------------------------------------

def test_13_a_deadline_moved_a_year_is_named_by_replay(case, config):
    with case.connect() as conn:
        deadline, due = conn.execute(text("SELECT id, due_on FROM deadline WHERE status = 'open' ORDER BY id")).first()
    moved = (due if isinstance(due, type(d("2026-01-01"))) else d(due)).replace(year=d("2026-01-01").year + 1)
    tamper(case, "UPDATE deadline SET due_on = :due WHERE id = :i", due=moved, i=deadline)
    found = replay_differences(case, config)
    assert f"deadline {deadline} (" in found and f"due_on is {moved.isoformat()} in the table" in found


def test_14_a_deadline_marked_met_is_named_by_replay(case, config):
    with case.connect() as conn:
        deadline = conn.execute(text("SELECT id FROM deadline WHERE status = 'open' ORDER BY id")).scalar()
    tamper(case, "UPDATE deadline SET status = 'met' WHERE id = :i", i=deadline)
    assert "status is met in the table, open in the history" in replay_differences(case, config)


def test_15_a_childs_date_of_birth_changed_is_named_by_replay(case, config):
    tamper(case, "UPDATE child SET dob = '2012-01-01' WHERE ref = 'C101'")
    assert ("child C101: dob is 2012-01-01 in the table, 2015-10-01 in the history"
            in replay_differences(case, config))


def test_a_peps_state_changed_is_named_by_replay(case, config):
    with case.connect() as conn:
        pep = conn.execute(text("SELECT id FROM pep WHERE child_ref = 'C100' AND is_current")).scalar()
    tamper(case, "UPDATE pep SET state = 'distributed' WHERE id = :i", i=pep)
    assert f"pep {pep} of child C100: state is distributed in the table, submitted in the history" in (
        replay_differences(case, config))


def test_a_deadline_deleted_or_added_is_named_by_replay(case, config):
    with case.connect() as conn:
        deadline = conn.execute(text("SELECT id FROM deadline ORDER BY id")).scalar()
    tamper(case, "DELETE FROM deadline_step WHERE deadline_id = :i", "DELETE FROM deadline WHERE id = :i", i=deadline)
    assert f"deadline {deadline} (" in replay_differences(case, config)
    assert "is in the history but not in the table: it was deleted" in replay_differences(case, config)
