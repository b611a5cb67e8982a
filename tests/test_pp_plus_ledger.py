"""Pupil Premium Plus paid and accounted for (issue 40 items 3-5): payment batches for finance,
the year's ledger against a hand-worked example on a financial year that crosses two academic
years, a funded target's review tied to its money, and the commands."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlmodel import Session, select

from pepflow.config import load_config
from pepflow.db.connection import session_scope
from pepflow.db.models import Child, Event, Pep, PpPlusLine
from pepflow.errors import InputError
from pepflow.reports.pp_plus_ledger import ledger
from pepflow.service.pp_plus_payments import make_batch, mark_paid, payments, payments_csv

from .support.cases import add_child, event, fill_pep, save_targets
from .conftest import d

YEAR = """
[years."{year}"]
source = "Lincolnshire needs-based PP+; Essex 20% top-slice"
grant_per_child = 2630
{grant}
central_share_percent = 20
central_for = "tuition and training"
model = "needs"
per_term_cap = 1000
per_year_cap = 2500
approval_limits = {{ vs_officer = 1000, vsh = 100000 }}
categories = ["tuition", "mentoring", "equipment"]
"""
TARGETS = ("Read at age-related expectations", "Join a club at lunchtime")


@pytest.fixture
def needs(tmp_path):
    folder = tmp_path / "council"
    folder.mkdir()
    (folder / "pp_plus.toml").write_text(YEAR.format(year="2025-26", grant="") +
                                         YEAR.format(year="2026-27", grant="grant_received = 10520"), encoding="utf-8")
    return load_config(folder)


def ask(world, config, term, cost, category="tuition", target=1):
    event(world, config, "C100", "pp_plus_requested", "2026-01-06", role="designated_teacher", target=target,
          category=category, what=f"{category} for {term}", cost=cost, term=term, exit_plan="school-funded after")
    with Session(world) as s:
        return s.exec(select(PpPlusLine).order_by(PpPlusLine.id.desc())).first().id


def approve(world, config, line, **extra):
    event(world, config, "C100", "pp_plus_approved", "2026-01-07", role="vs_officer", line=line, **extra)


@pytest.fixture
def a_year_of_money(world, needs):
    """Lines in four terms: spring 2025-26 (financial year 2025-26); summer 2025-26, autumn 2026-27 and
    spring 2026-27 (all financial year 2026-27, across two academic years)."""
    add_child(world, needs, d("2025-12-18"))
    event(world, needs, "C100", "pep_meeting_held", "2026-01-05")
    save_targets(world, needs, "C100", "2026-01-05", *TARGETS)
    approve(world, needs, ask(world, needs, "spring 2025-26", 600))
    summer = ask(world, needs, "summer 2025-26", 500)
    approve(world, needs, summer)
    approve(world, needs, ask(world, needs, "autumn 2026-27", 400))
    ask(world, needs, "autumn 2026-27", 300, category="mentoring", target=2)  # waits for a decision
    approve(world, needs, ask(world, needs, "spring 2026-27", 250, category="mentoring", target=2), amount=200,
            reason="the spring term's club only")
    return summer


def test_the_ledger_of_a_financial_year_across_two_academic_years_matches_the_hand_worked_figures(
        world, needs, a_year_of_money):
    with session_scope(world) as s:
        batch = make_batch(s, "summer 2025-26", "user:vsa@example.org", d("2026-06-01"))
        mark_paid(s, batch.id, "FIN-2026-0042", d("2026-06-15"), "user:vsa@example.org", d("2026-07-01"))
    with session_scope(world) as s:
        figures = ledger(s, needs, "2026-27")
        earlier = ledger(s, needs, "2025-26")
    # 2026-27: grant entered £10,520; 20% kept centrally £2,104; committed autumn £400 + spring £200 (part);
    # paid summer £500; left 10,520 - 2,104 - 600 - 500 = £7,316; autumn's £300 still waits
    assert (figures["grant_received"], figures["grant_estimated"], figures["kept_centrally"]) == (10520, False, 2104)
    assert (figures["committed"], figures["paid"], figures["left"], figures["waiting_for_a_decision"]) == (
        600, 500, 7316, 300)
    assert figures["by_school"] == {"Riverside Primary (100001)": {"committed": 600, "paid": 500}}
    assert figures["by_category"] == {"mentoring": {"committed": 200, "paid": 0}, "tuition": {"committed": 400, "paid": 500}}
    assert figures["by_child"] == {"C100": {"committed": 600, "paid": 500}}
    # 2025-26: spring's £600 only; the grant estimated from the one child looked after on 1 April 2025: none
    assert (earlier["committed"], earlier["paid"], earlier["grant_estimated"], earlier["children_counted"]) == (
        600, 0, True, 0)


def test_the_grant_is_estimated_from_the_children_of_reception_to_year_11_looked_after_on_1_april(world, needs):
    for ref, dob in (("C1", "2015-10-01"), ("C2", "2010-01-01"), ("C3", "2007-01-01"), ("C4", "2022-01-01")):
        add_child(world, needs, d("2025-03-01"), ref=ref, entered="2025-03-01", dob=dob)
    with session_scope(world) as s:
        figures = ledger(s, needs, "2025-26")
    # Year 4 and Year 9 count; a post-16 child and a child of three do not
    assert (figures["children_counted"], figures["grant_received"], figures["kept_centrally"]) == (2, 5260, 1052)


def test_a_batch_takes_the_terms_payments_due_and_finance_marks_it_paid_with_their_reference(
        world, needs, a_year_of_money):
    with session_scope(world) as s:
        due = payments(s, term="autumn 2026-27", status="due")
        batch = make_batch(s, "Autumn 2026-27", "user:vsa@example.org", d("2026-09-01"))
        batch_id = batch.id
    assert [(r.amount, r.payee, r.child_ref) for r in due] == [("£400", "Riverside Primary", "C100")]
    with session_scope(world) as s, pytest.raises(InputError, match="has no payments due"):
        make_batch(s, "autumn 2026-27", "user:vsa@example.org", d("2026-09-02"))
    with session_scope(world) as s, pytest.raises(InputError, match="finance_reference|is needed"):
        mark_paid(s, batch_id, " ", d("2026-09-03"), "user:vsa@example.org", d("2026-09-03"))
    with session_scope(world) as s:
        mark_paid(s, batch_id, "FIN-9", d("2026-09-03"), "user:vsa@example.org", d("2026-09-03"))
    with session_scope(world) as s, pytest.raises(InputError, match="was marked paid on 2026-09-03"):
        mark_paid(s, batch_id, "FIN-10", d("2026-09-04"), "user:vsa@example.org", d("2026-09-04"))
    with session_scope(world) as s:
        rows = list(csv.DictReader(io.StringIO(payments_csv(payments(s, batch=batch_id)))))
        history = [e.name for e in s.exec(select(Event).where(Event.process == "pp_plus", Event.child_ref.is_(None)))]
    assert [(r["school_urn"], r["amount"], r["status"], r["finance_reference"], r["paid_on"]) for r in rows] == [
        ("100001", "400.00", "paid", "FIN-9", "2026-09-03")]
    assert history == ["pp_plus_batch_made", "pp_plus_batch_paid"]


def test_a_funded_targets_review_at_the_next_pep_is_tied_to_its_money(world, needs, a_year_of_money):
    from pepflow.states.pep_document import document, save_section

    fill_pep(world, needs, "C100", "2026-01-05")
    event(world, needs, "C100", "pep_submitted", "2026-01-08")
    event(world, needs, "C100", "pep_approved", "2026-01-12", role="vs_admin", rating="green")
    event(world, needs, "C100", "pep_meeting_held", "2026-04-21")
    section, field = needs.pep_template.review_table()
    with session_scope(world) as s:
        child = s.get(Child, "C100")
        pep = s.exec(select(Pep).where(Pep.child_ref == "C100", Pep.is_current)).first()
        view = next(v for v in document(s, needs, child, pep, d("2026-04-21")) if v.spec.key == section.key)
        carried = view.values[field.key]
        assert [r["target"] for r in carried] == list(TARGETS)  # carried from the last PEP's targets
        rows = [dict(carried[0], outcome="met", money_achieved="reading age up 14 months"),
                dict(carried[1], outcome="partly_met")]
        save_section(s, needs, child, pep, section.key, {field.key: rows}, "designated_teacher",
                     "user:dt1@example.org", view.version, now_at("2026-04-21"), d("2026-04-21"))
    with session_scope(world) as s:
        outcomes = {(x.term, x.outcome) for x in s.exec(select(PpPlusLine).where(PpPlusLine.status != "waiting"))}
        impact = ledger(s, needs, "2026-27")["impact"]
    assert ("summer 2025-26", "met") in outcomes and ("spring 2026-27", "partly_met") in outcomes
    assert impact["tuition"] == {"spent": 900, "targets_funded": 2, "met": 2, "partly_met": 0, "not_met": 0,
                                 "not_reviewed": 0}
    assert impact["mentoring"]["partly_met"] == 1


def now_at(day):
    import datetime as dt

    return dt.datetime.combine(d(day), dt.time(10), tzinfo=dt.timezone.utc)


def test_pp_plus_ledger_and_payments_commands(world, needs, a_year_of_money, cli, monkeypatch, db_url):
    monkeypatch.setenv("PEPFLOW_CONFIG", str(needs.directory))
    monkeypatch.setenv("PEPFLOW_DATABASE_URL", db_url)
    monkeypatch.setenv("PEPFLOW_TODAY", "2026-07-01")
    code, out, err = cli("pp-plus", "ledger", "--year", "2026-27", "--json")
    assert code == 0, err
    figures = json.loads(out)
    assert (figures["committed"], figures["paid"], figures["left"]) == (1100, 0, 7316)
    code, out, _ = cli("pp-plus", "ledger", "--year", "2026-27")
    assert "Kept centrally          £2,104 (20%: tuition and training)" in out and "Left                    £7,316" in out
    code, out, _ = cli("pp-plus", "payments", "--term", "autumn 2026-27", "--csv")
    assert code == 0 and out.splitlines()[1].split(",")[2:5] == ["100001", "Riverside Primary", "C100"]
    code, out, _ = cli("pp-plus", "batch", "--term", "autumn 2026-27")
    assert code == 0 and "1 payment(s), £400, autumn 2026-27" in out
    code, out, err = cli("pp-plus", "ledger", "--year", "2031-32")
    assert code == 1 and "2031-32" in err and "has no funding model" in err
    with Session(world) as s:
        downloads = s.exec(select(Event).where(Event.name == "pp_plus_payments_downloaded")).all()
    assert len(downloads) == 1 and downloads[0].payload["children"] == ["C100"]


def test_the_compliance_report_shows_spend_by_category_beside_the_funded_targets_met(world, needs, a_year_of_money):
    from pepflow.reports.compliance_figures import compliance

    with session_scope(world) as s:
        line = s.exec(select(PpPlusLine).where(PpPlusLine.term == "summer 2025-26")).one()
        line.outcome, line.outcome_on = "met", d("2026-04-21")
    with session_scope(world) as s:
        before = compliance(s, needs, d("2026-01-01"), d("2026-03-31"), as_of=d("2026-03-31"))["pp_plus_impact"]
        after = compliance(s, needs, d("2026-01-01"), d("2026-03-31"), as_of=d("2026-06-30"))["pp_plus_impact"]
    # decided on 7 January: £600 + £500 + £400 tuition, £200 mentoring; the summer line's review came in April
    assert before["tuition"] == {"spent": 1500, "targets_funded": 3, "met": 0, "partly_met": 0, "not_met": 0,
                                 "not_reviewed": 3}
    assert after["tuition"]["met"] == 1 and after["mentoring"]["spent"] == 200
