"""Compliance reports come from the ledger: the same numbers whenever they are run."""

from __future__ import annotations

import datetime as dt
import json

from sqlmodel import Session

from pepflow.reports.compliance_figures import compliance, percent

from .conftest import d
from .support.cases import add_child, event


def scenario(engine, config):
    """Two children entering care in December 2025; one initial PEP late, one on time."""
    add_child(engine, config, d("2025-12-18"), ref="C100")
    add_child(engine, config, d("2025-12-18"), ref="C101")
    event(engine, config, "C100", "pep_meeting_held", "2026-01-05")
    event(engine, config, "C101", "pep_meeting_held", "2026-01-08")  # due 6 Jan: 2 working days late
    event(engine, config, "C100", "pep_submitted", "2026-01-09")
    event(engine, config, "C100", "pep_approved", "2026-01-12", rating="green")


def test_initial_peps_within_timescale_and_qa_ratings(world, config):
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


def test_a_past_period_gives_the_same_numbers_when_run_later(world, config):
    scenario(world, config)
    with Session(world) as s:
        before = compliance(s, config, d("2025-12-01"), d("2026-01-31"), d("2026-01-31"))
    event(world, config, "C101", "pep_submitted", "2026-02-20")  # later events do not change January
    with Session(world) as s:
        after = compliance(s, config, d("2025-12-01"), d("2026-01-31"), d("2026-01-31"))
    assert json.dumps(before, sort_keys=True) == json.dumps(after, sort_keys=True)


def test_open_deadlines_past_due_are_breached_at_the_report_date(world, config):
    scenario(world, config)
    with Session(world) as s:
        r = compliance(s, config, d("2026-01-01"), d("2026-01-31"), d("2026-01-31"))
    completion = r["timescales"]["pep_completion"]["outcomes"]
    assert completion == {"breached": 1, "met": 1}  # C101's DT never submitted


def test_small_groups_show_counts_but_no_percentage():
    assert percent(3, 4) is None and percent(4, 5) == 80.0


def test_report_formats(world, config, cli, tmp_path):
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
    assert out.splitlines()[0] == "Section,Measure,Group,Value" and "timescales,met_late,initial_pep,1" in out
    code, out, _ = cli("--db", url, "--today", "2026-02-01", "report", "annual", "--year", "2025-26",
                       "--out", str(tmp_path / "annual.html"))
    html = (tmp_path / "annual.html").read_text()
    assert code == 0 and "<svg" in html and "annual report 2025-26" in html and "http" not in html.split("<svg")[0]
    code, _, err = cli("--db", url, "report", "annual", "--year", "2025", "--out", str(tmp_path / "x.html"))
    assert code == 1 and "--year = '2025'" in err


def test_cancelled_deadlines_are_counted_with_their_reason(world, config):
    scenario(world, config)
    event(world, config, "C101", "left_care", "2026-01-20", reason="returned home")
    with Session(world) as s:
        r = compliance(s, config, d("2026-01-01"), d("2026-12-31"), d("2026-06-01"))
    assert r["timescales"]["pep_completion"]["outcomes"] == {"cancelled": 1, "met": 1}
    assert r["roll"]["children_on_roll"] == 1


def test_a_config_change_does_not_change_a_past_report(world, config, tmp_path):
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


def test_export_deadlines_writes_one_row_per_deadline(world, config, cli, tmp_path):
    import csv

    scenario(world, config)
    out = tmp_path / "deadlines.csv"
    code, text, _ = cli("--db", str(world.url), "--today", "2026-02-01", "export", "deadlines",
                        "--from", "2026-01-01", "--to", "2026-01-31", "--csv", str(out))
    rows = list(csv.DictReader(out.open()))
    assert code == 0 and f"{len(rows)} deadlines written" in text
    late = [r for r in rows if r["Child"] == "C101" and r["Deadline"] == "initial_pep"]
    assert late[0]["Outcome"] == "met_late" and late[0]["Late by"] == "2" and late[0]["Rule version"] == "2010-04-01"


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
    from pepflow.service.demo import create_demo_cohort
    from pepflow.db import session_scope
    from pepflow.reports.outcomes import timescale_outcomes

    today = dt.date(2026, 11, 23)
    with session_scope(engine) as s:
        create_demo_cohort(s, config, today, children=80, schools=8)
    with session_scope(engine) as s:
        for start, end, as_of in ((dt.date(2025, 9, 1), today, today), (dt.date(2026, 1, 1), dt.date(2026, 10, 1),
                                                                          dt.date(2026, 10, 15)),
                                  (dt.date(2026, 9, 1), today, dt.date(2026, 11, 2))):
            fast, late = timescale_outcomes(s, start, end, as_of)
            outcomes, versions, late_ref = _outcomes_row_by_row(s, start, end, as_of)
            assert {k: {o: n for o, n in e["outcomes"].items() if n} for k, e in fast.items()} == outcomes
            assert {k: sorted(e["rule_versions"]) for k, e in fast.items()} == versions
            assert {k: dict(v) for k, v in late.items() if v} == {k: dict(v) for k, v in late_ref.items()}
            assert outcomes  # the demo's history has deadlines in each of these periods


def _roll_child_by_child(session, as_of):
    """The plain definition of the roll's figures: each child on roll, read one by one, judged
    by their own review deadlines and counted under their characteristics."""
    from collections import Counter

    from sqlmodel import select

    from pepflow.cohort import key_stage, year_group, year_group_label
    from pepflow.db.models import Child, Deadline, School
    from pepflow.reports.outcomes import outcome
    from pepflow.states.pep import REVIEW_KINDS

    ofsted = {s.urn: s.ofsted for s in session.exec(select(School))}
    children = [c for c in session.exec(select(Child))
                if c.entered_care <= as_of and (c.left_care_on is None or c.left_care_on > as_of)]
    behind = set()
    for deadline in session.exec(select(Deadline).where(Deadline.opened_on <= as_of)):
        overdue = deadline.kind in REVIEW_KINDS and deadline.due_on < as_of
        if (overdue or deadline.kind == "record_incomplete") and outcome(deadline, as_of) in ("breached", "pending"):
            behind.add(deadline.child_ref)
    groups = {
        "key_stage": lambda c: key_stage(year_group(c.dob, as_of)),
        "year_group": lambda c: year_group_label(year_group(c.dob, as_of)),
        "sen_status": lambda c: c.sen_status, "legal_status": lambda c: c.legal_status,
        "placement_type": lambda c: c.placement_type or "not recorded",
        "area": lambda c: "in area" if c.in_area else "out of area",
        "school_ofsted": lambda c: ofsted.get(c.school_urn, "no school"),
    }
    breakdowns = {}
    for name, group_of in groups.items():
        total, current = Counter(group_of(c) for c in children), Counter(
            group_of(c) for c in children if c.ref not in behind)
        breakdowns[name] = {g: (n, current[g]) for g, n in total.items()}
    return len(children), sum(1 for c in children if c.ref not in behind), breakdowns


def test_the_roll_counted_in_groups_agrees_with_judging_each_child(engine, config):
    from pepflow.db import session_scope
    from pepflow.service.demo import create_demo_cohort
    from pepflow.reports.compliance_figures import compliance

    today = dt.date(2026, 11, 23)
    with session_scope(engine) as s:
        create_demo_cohort(s, config, today, children=80, schools=8)
    with session_scope(engine) as s:
        for as_of in (today, dt.date(2026, 10, 15), dt.date(2026, 1, 5)):
            report = compliance(s, config, dt.date(2025, 9, 1), as_of, as_of)
            children, current, breakdowns = _roll_child_by_child(s, as_of)
            assert (report["roll"]["children_on_roll"], report["roll"]["up_to_date_pep"]) == (children, current)
            if as_of == today:
                assert 0 < current < children  # the demo has children both up to date and behind
            assert {name: {g["group"]: (g["children"], g["up_to_date_pep"]) for g in rows}
                    for name, rows in report["breakdowns"].items()} == breakdowns


def test_qa_ratings_are_those_the_approval_events_gave(engine, config):
    """Ratings are counted from each PEP's approval, which must be the approval event's own."""
    from collections import Counter, defaultdict

    from sqlmodel import select

    from pepflow.db import session_scope
    from pepflow.db.models import Event
    from pepflow.service.demo import create_demo_cohort
    from pepflow.reports.compliance_figures import _term_label, compliance

    today = dt.date(2026, 11, 23)
    with session_scope(engine) as s:
        create_demo_cohort(s, config, today, children=80, schools=8)
    with session_scope(engine) as s:
        start = dt.date(2025, 9, 1)
        from_events: dict = defaultdict(Counter)
        for e in s.exec(select(Event).where(Event.name == "pep_approved", Event.effective_on >= start,
                                            Event.effective_on <= today)):
            from_events[_term_label(config, e.effective_on)][e.payload.get("rating") or "unknown"] += 1
        ratings = compliance(s, config, start, today, today)["qa_ratings_per_term"]
        assert ratings == {term: dict(sorted(c.items())) for term, c in sorted(from_events.items())}
        assert sum(sum(c.values()) for c in ratings.values()) > 10


def test_attendance_counts_each_child_once_by_their_latest_record_in_the_period(world, config):
    from pepflow.db import session_scope
    from pepflow.db.models import AttendanceRecord

    scenario(world, config)
    records = [("C100", "autumn 2 2025-26", "persistent_absence", "2025-12-19"),
               ("C100", "spring 1 2026-27", "good", "2026-02-13"),          # C100's latest: good
               ("C101", "spring 1 2025-26", "good", "2026-02-13"),
               ("C101", "spring 1 2025-26", "below_good", "2026-02-13"),    # same day, entered last
               ("C101", "summer 1 2025-26", "persistent_absence", "2026-09-30")]  # after the period
    with session_scope(world) as s:
        for ref, half_term, band, day in records:
            s.add(AttendanceRecord(child_ref=ref, half_term=half_term, percent=90.0, band=band, recorded_on=d(day)))
    with Session(world) as s:
        r = compliance(s, config, d("2025-09-01"), d("2026-08-31"), d("2026-08-31"))
        assert r["attendance_bands"] == {"below_good": 1, "good": 1}
        earlier = compliance(s, config, d("2025-09-01"), d("2026-08-31"), d("2026-01-05"))
        assert earlier["attendance_bands"] == {"persistent_absence": 1}
