"""Answers kept until the next change (pepflow/web/freshness.py): every change writes a history row,
and only those rows, not views, downloads or sign-ins, move the stamp."""

from __future__ import annotations

import datetime as dt

from pepflow.audit import audit
from pepflow.audit.disclosures import disclosed, security_event
from pepflow.db import make_engine
from pepflow.db.unit import UnitOfWork
from pepflow.db.models.history_rows import CHANGES_ONLY
from pepflow.web.freshness import FreshnessCache, change_stamp

DAY = dt.date(2026, 11, 23)


def answer(value, made):
    def make():
        made.append(value)
        return value
    return make


def test_a_kept_answer_is_worked_out_again_after_a_change_and_the_least_used_dropped(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'f.db'}")
    cache, made = FreshnessCache(size=2), []
    with UnitOfWork(engine) as s:
        assert change_stamp(s) == 0
        assert cache.reading(s).get("a", answer(1, made)) == 1
        assert cache.reading(s).get("a", answer(2, made)) == 1  # kept: nothing written
        audit(s, "C1", "pep", "pep_approved", DAY, {})
        s.commit()
        assert change_stamp(s) > 0
        assert cache.reading(s).get("a", answer(3, made)) == 3  # a change: worked out again
        cache.reading(s).get("b", answer(4, made))
        cache.reading(s).get("c", answer(5, made))  # the least recently used ("a") is dropped
        assert cache.reading(s).get("a", answer(6, made)) == 6
    assert made == [1, 3, 4, 5, 6]


def test_views_downloads_and_sign_ins_do_not_end_kept_answers(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'f.db'}")
    cache, made = FreshnessCache(), []
    with UnitOfWork(engine) as s:
        audit(s, "C1", "pep", "pep_approved", DAY, {})
        s.commit()
        stamp = change_stamp(s)
        cache.reading(s).get("list", answer(1, made))
        disclosed(s, "case_viewed", DAY, "user:a@example.org", {"what": "case page"}, child_ref="C1")
        disclosed(s, "csv_downloaded", DAY, "user:a@example.org", {"list": "overdue-peps.csv", "rows": 3})
        security_event(s, "sign_in", DAY, {"account": "a@example.org"})
        s.commit()
        assert change_stamp(s) == stamp
        assert cache.reading(s).get("list", answer(2, made)) == 1


def test_an_answer_worked_out_at_an_older_stamp_is_not_kept_over_a_newer_one(tmp_path):
    """A slow request that read the stamp before a change must not leave its older answer for
    requests that read the newer stamp."""
    cache = FreshnessCache()
    cache.keep(7, "list", "after the change")
    cache.keep(6, "list", "before the change")
    assert cache.kept(7, "list") == "after the change"
    assert cache.kept(6, "list") is None


def test_the_newest_change_is_read_from_its_own_index(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'f.db'}")
    with engine.connect() as c:
        plan = " ".join(str(r) for r in c.exec_driver_sql(
            f"EXPLAIN QUERY PLAN SELECT max(id) FROM event WHERE {CHANGES_ONLY}"))
    assert "ix_event_changes" in plan, plan
