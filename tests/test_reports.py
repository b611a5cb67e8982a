"""Compliance reports come from the ledger: the same numbers whenever they are run."""

from __future__ import annotations

import datetime as dt
import json

from sqlmodel import Session

from pepflow.reports import compliance, percent

from .conftest import d
from .test_pep import add_child, event, world  # noqa: F401  (fixture)


def scenario(engine, config):
    """Two children entering care in December 2025; one initial PEP late, one on time."""
    add_child(engine, config, d("2025-12-18"), ref="C100")
    add_child(engine, config, d("2025-12-18"), ref="C101")
    event(engine, config, "C100", "pep_meeting_held", "2026-01-05")
    event(engine, config, "C101", "pep_meeting_held", "2026-01-08")  # due 6 Jan: 2 working days late
    event(engine, config, "C100", "pep_submitted", "2026-01-09")
    event(engine, config, "C100", "pep_approved", "2026-01-12", rating="green")


def test_initial_peps_within_timescale_and_qa_ratings(world, config):  # noqa: F811
    scenario(world, config)
    with Session(world) as s:
        r = compliance(s, config, d("2025-09-01"), d("2026-08-31"), d("2026-01-20"))
    initial = r["timescales"]["initial_pep"]
    assert initial["outcomes"] == {"met": 1, "met_late": 1}
    assert initial["rule_versions"] == ["2010-04-01"]
    assert initial["on_time_percent"] is None  # 2 deadlines: too few for a percentage
    assert r["qa_ratings_per_term"] == {"spring 2025-26": {"green": 1}}
    assert r["pep_meetings_per_term"] == {"spring 2025-26": 2}
    assert r["roll"]["children_on_roll"] == 2


def test_a_past_period_gives_the_same_numbers_when_run_later(world, config):  # noqa: F811
    scenario(world, config)
    with Session(world) as s:
        before = compliance(s, config, d("2025-12-01"), d("2026-01-31"), d("2026-01-31"))
    event(world, config, "C101", "pep_submitted", "2026-02-20")  # later events do not change January
    with Session(world) as s:
        after = compliance(s, config, d("2025-12-01"), d("2026-01-31"), d("2026-01-31"))
    assert json.dumps(before, sort_keys=True) == json.dumps(after, sort_keys=True)


def test_open_deadlines_past_due_are_breached_at_the_report_date(world, config):  # noqa: F811
    scenario(world, config)
    with Session(world) as s:
        r = compliance(s, config, d("2026-01-01"), d("2026-01-31"), d("2026-01-31"))
    completion = r["timescales"]["pep_completion"]["outcomes"]
    assert completion == {"breached": 1, "met": 1}  # C101's DT never submitted


def test_small_groups_show_counts_but_no_percentage():
    assert percent(3, 4) is None and percent(4, 5) == 80.0


def test_report_formats(world, config, cli, tmp_path):  # noqa: F811
    scenario(world, config)
    url = str(world.url)
    code, out, _ = cli("--db", url, "--today", "2026-02-01", "report", "compliance", "--from", "2025-09-01",
                       "--to", "2026-08-31")
    assert code == 0 and "Initial PEP" in out and "Children on roll: 2" in out
    code, out, _ = cli("--db", url, "--today", "2026-02-01", "report", "compliance", "--from", "2025-09-01",
                       "--to", "2026-08-31", "--format", "json")
    data = json.loads(out)
    assert set(data) >= {"roll", "timescales", "admissions", "exclusions", "attendance_bands", "breakdowns"}
    code, out, _ = cli("--db", url, "--today", "2026-02-01", "report", "compliance", "--from", "2025-09-01",
                       "--to", "2026-08-31", "--format", "csv")
    assert out.splitlines()[0] == "section,measure,group,value" and "timescales,met_late,initial_pep,1" in out
    code, out, _ = cli("--db", url, "--today", "2026-02-01", "report", "annual", "--year", "2025-26",
                       "--out", str(tmp_path / "annual.html"))
    html = (tmp_path / "annual.html").read_text()
    assert code == 0 and "<svg" in html and "annual report 2025-26" in html and "http" not in html.split("<svg")[0]
    code, _, err = cli("--db", url, "report", "annual", "--year", "2025", "--out", str(tmp_path / "x.html"))
    assert code == 1 and "--year = '2025'" in err


def test_cancelled_deadlines_are_counted_with_their_reason(world, config):  # noqa: F811
    scenario(world, config)
    event(world, config, "C101", "left_care", "2026-01-20", reason="returned home")
    with Session(world) as s:
        r = compliance(s, config, d("2026-01-01"), d("2026-12-31"), d("2026-06-01"))
    assert r["timescales"]["pep_completion"]["outcomes"] == {"cancelled": 1, "met": 1}
    assert r["roll"]["children_on_roll"] == 1


def test_a_config_change_does_not_change_a_past_report(world, config, tmp_path):  # noqa: F811
    from pepflow.config import load_config

    scenario(world, config)
    with Session(world) as s:
        before = compliance(s, config, d("2025-12-01"), d("2026-01-31"), d("2026-01-31"))
    (tmp_path / "timescales.toml").write_text(
        '[initial_pep]\neffective_from = 2010-04-01\nnumber = 20\nsource = "a later local policy"\n')
    changed = load_config(tmp_path)
    assert changed.timescales.rule("initial_pep", d("2026-01-01")).number == 20
    with Session(world) as s:
        after = compliance(s, changed, d("2025-12-01"), d("2026-01-31"), d("2026-01-31"))
    assert json.dumps(before, sort_keys=True) == json.dumps(after, sort_keys=True)


def test_export_deadlines_writes_one_row_per_deadline(world, config, cli, tmp_path):  # noqa: F811
    import csv

    scenario(world, config)
    out = tmp_path / "deadlines.csv"
    code, text, _ = cli("--db", str(world.url), "--today", "2026-02-01", "export", "deadlines",
                        "--from", "2026-01-01", "--to", "2026-01-31", "--csv", str(out))
    rows = list(csv.DictReader(out.open()))
    assert code == 0 and f"{len(rows)} deadlines written" in text
    late = [r for r in rows if r["child_ref"] == "C101" and r["kind"] == "initial_pep"]
    assert late[0]["outcome"] == "met_late" and late[0]["units_late"] == "2" and late[0]["rule_version"] == "2010-04-01"


def _outcomes_row_by_row(session, start, end, as_of):
    """The plain definition, one CASE per deadline: what the fast counting must agree with."""
    from collections import Counter, defaultdict

    from sqlalchemy import and_, case, literal, select

    from pepflow.db.models import Deadline

    D = Deadline.__table__.c
    judged = case((and_(D.closed_on.is_not(None), D.closed_on <= as_of, D.status != "open"), D.status),
                  (D.due_on < as_of, literal("breached")), else_=literal("pending"))
    outcomes, versions, late = defaultdict(Counter), defaultdict(set), defaultdict(Counter)
    for kind, result, version, days_late in session.execute(
            select(D.kind, judged, D.rule_version, D.days_late)
            .where(D.due_on >= start, D.due_on <= end, D.rule_version != "")):
        outcomes[kind][result] += 1
        versions[kind].add(version)
        if result == "met_late" and days_late is not None:
            late[kind][days_late] += 1
    return ({k: {o: n for o, n in v.items() if n} for k, v in outcomes.items()},
            {k: sorted(v) for k, v in versions.items()}, dict(late))


def test_outcomes_counted_from_the_index_agree_with_judging_each_deadline(engine, config):
    from pepflow.demo import create_demo_cohort
    from pepflow.db import session_scope
    from pepflow.reports import _timescale_outcomes

    today = dt.date(2026, 11, 23)
    with session_scope(engine) as s:
        create_demo_cohort(s, config, today, children=80, schools=8)
    with session_scope(engine) as s:
        for start, end, as_of in ((dt.date(2025, 9, 1), today, today), (dt.date(2026, 1, 1), dt.date(2026, 10, 1),
                                                                          dt.date(2026, 10, 15)),
                                  (dt.date(2026, 9, 1), today, dt.date(2026, 11, 2))):
            fast, late = _timescale_outcomes(s, start, end, as_of)
            outcomes, versions, late_ref = _outcomes_row_by_row(s, start, end, as_of)
            assert {k: {o: n for o, n in e["outcomes"].items() if n} for k, e in fast.items()} == outcomes
            assert {k: sorted(e["rule_versions"]) for k, e in fast.items()} == versions
            assert {k: dict(v) for k, v in late.items() if v} == {k: dict(v) for k, v in late_ref.items()}
            assert outcomes  # the demo's history has deadlines in each of these periods
