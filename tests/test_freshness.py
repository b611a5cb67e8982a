"""Answers kept until the next history row (pepflow/web/freshness.py)."""

from __future__ import annotations

import datetime as dt

from pepflow.audit import audit
from pepflow.db import make_engine
from pepflow.db.unit import UnitOfWork
from pepflow.web.freshness import FreshnessCache, history_stamp


def test_a_kept_answer_is_worked_out_again_after_any_history_row(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'f.db'}")
    cache, made = FreshnessCache(size=2), []

    def answer(value):
        def make():
            made.append(value)
            return value
        return make

    with UnitOfWork(engine) as s:
        assert history_stamp(s) == 0
        assert cache.get(s, "a", answer(1)) == 1
        assert cache.get(s, "a", answer(2)) == 1  # kept: nothing written
        audit(s, None, "security", "sign_in", dt.date(2026, 11, 23), {"account": "x@example.org"})
        s.commit()
        assert history_stamp(s) > 0
        assert cache.get(s, "a", answer(3)) == 3  # a history row: worked out again
        cache.get(s, "b", answer(4))
        cache.get(s, "c", answer(5))  # the least recently used ("a") is dropped
        assert cache.get(s, "a", answer(6)) == 6
    assert made == [1, 3, 4, 5, 6]
