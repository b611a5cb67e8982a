"""Pupil Premium Plus as the council's funding model (issue 40 item 1): dated by financial year,
each model's rule (a flat amount on a QA grade, tiers, costed lines with a top-slice), the caps,
who may approve what, and a model the loader cannot make sense of refused naming the file, the
year and the field."""

from __future__ import annotations

import datetime as dt

import pytest

from pepflow.config import funding_model_in, load_config
from pepflow.config.pp_plus import financial_year_of, pence
from pepflow.errors import ConfigError
from pepflow.rules.pp_plus_rules import (ALLOWED, REFUSED, TO_VSH, central_share, flat_allowance, line_cost,
                                         may_fund, pounds, who_decides, within_caps)

from .conftest import ROOT

SHIPPED = (ROOT / "config" / "pp_plus.toml").read_text()
SCALE = ["green", "amber", "red"]


def _year(text: str, year: str):
    return funding_model_in(_council(text)).years[year]


def _council(text: str):
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp())
    (folder / "pp_plus.toml").write_text(text)
    return folder


NEEDS = SHIPPED.split('[years."2026-27"]')[0].replace('model = "flat"', 'model = "needs"').replace(
    'flat_per_term = 550\nflat_released_from = "amber"', "").replace('years."2025-26"', 'years."2024-25"')


def test_the_financial_year_runs_from_april_and_each_has_its_model():
    model = load_config().funding_model
    assert financial_year_of(dt.date(2026, 3, 31)) == "2025-26" and financial_year_of(dt.date(2026, 4, 1)) == "2026-27"
    assert model.for_day(dt.date(2026, 1, 15))[1].model == "flat" and model.for_day(dt.date(2026, 9, 1))[1].model == "tiers"
    with pytest.raises(ConfigError, match="no funding model for the financial year 2031-32"):
        model.for_day(dt.date(2031, 6, 1))


def test_a_flat_model_releases_the_terms_amount_on_a_good_enough_qa_grade():
    flat = load_config().funding_model.years["2025-26"]
    assert [flat_allowance(flat, grade, SCALE) for grade in SCALE] == [55000, 55000, 0]


def test_a_tiers_model_funds_only_its_amounts():
    tiers = load_config().funding_model.years["2026-27"]
    assert may_fund(tiers, pence(800), "tuition").outcome == ALLOWED
    refused = may_fund(tiers, pence(750), "tuition")
    assert refused.outcome == REFUSED and "£750 is not one of this year's amounts (£0, £400, £800, £1,500)" in refused.why


def test_a_needs_model_costs_lines_and_keeps_its_top_slice():
    needs = _year(NEEDS, "2024-25")
    assert needs.model == "needs"
    assert line_cost(hours=12, rate=50) == pence(600)  # 12 hours of 1:1 at £50 an hour (Lincolnshire)
    assert line_cost(hours=1.5, rate="32.50") == 4875 and line_cost(fixed="129.99") == 12999
    assert central_share(needs, 100) == pence(52600)  # 20% of 100 children's £2,630
    with pytest.raises(ValueError, match="hours: must be more than 0"):
        line_cost(hours=0, rate=50)


def test_refused_categories_are_never_funded():
    flat = load_config().funding_model.years["2025-26"]
    said = may_fund(flat, pence(100), "ehcp_needs")
    assert said.outcome == REFUSED and "needs in an EHCP is not funded" in said.why


def test_a_request_over_a_cap_is_refused_or_sent_to_the_vsh_as_the_council_set_with_the_figures():
    flat, tiers = (load_config().funding_model.years[y] for y in ("2025-26", "2026-27"))
    assert within_caps(flat, pence(500), 0, 0).outcome == ALLOWED
    over = within_caps(flat, pence(100), pence(500), pence(500))
    assert over.outcome == REFUSED and "the term's £600 would pass its cap of £550" in over.why
    assert within_caps(tiers, pence(800), 0, pence(1500)).outcome == TO_VSH


def test_each_role_approves_up_to_its_limit_and_the_vsh_above_it_and_for_their_categories():
    tiers = load_config().funding_model.years["2026-27"]
    assert who_decides(tiers, "vs_officer", pence(800), "tuition").outcome == ALLOWED
    over = who_decides(tiers, "vs_officer", pence(1500), "tuition")
    assert over.outcome == TO_VSH and "£1,500 is over the £800 a Virtual School officer may approve" in over.why
    assert who_decides(tiers, "vs_officer", pence(400), "trips").outcome == TO_VSH
    assert who_decides(tiers, "vsh", pence(1500), "trips").outcome == ALLOWED
    assert pounds(1250) == "£12.50" and pounds(150000) == "£1,500"


@pytest.mark.parametrize("change, where", [
    (lambda t: t.replace('model = "flat"', 'model = "lottery"'), "entry 'years.2025-26', field 'model'"),
    (lambda t: t.replace("per_term_cap = 550", "per_term_cap = 5500"), "per_term_cap (5500) is more than per_year_cap"),
    (lambda t: t.replace('refused_categories = ["ehcp_needs"]', 'refused_categories = ["pony"]', 1),
     "'pony' is not one of the categories"),
    (lambda t: t.replace("approval_limits = { vs_officer = 550,", "approval_limits = { headteacher = 550,", 1),
     "'headteacher' is not a Virtual School role"),
    (lambda t: t.replace("tiers = [0, 400, 800, 1500]", "tiers = [0, 400, 800, 2500]"),
     "entry 'years.2026-27': a tiers model needs two tiers or more, each from 0 to per_term_cap"),
    (lambda t: t.replace('flat_released_from = "amber"', ""), "a flat model needs flat_per_term and flat_released_from"),
    (lambda t: t.replace('[years."2025-26"]', '[years."2025-27"]'), "entry 'years.2025-27': must name a financial year"),
    (lambda t: t.replace("grant_per_child = 2630\ncentral_share_percent = 20\ncentral_for = \"Virtual School tuition",
                         "grant_per_child = 26.305\ncentral_share_percent = 20\ncentral_for = \"Virtual School tuition", 1),
     "must be pounds and pence"),
])
def test_a_model_the_loader_cannot_make_sense_of_is_refused_naming_the_file_the_year_and_the_field(change, where):
    with pytest.raises(ConfigError) as refused:
        funding_model_in(_council(change(SHIPPED)))
    assert where in str(refused.value) and "pp_plus.toml" in str(refused.value), str(refused.value)


def test_a_councils_year_replaces_the_shipped_one():
    council = SHIPPED.split('[years."2026-27"]')[0].replace("flat_per_term = 550", "flat_per_term = 500")
    assert _year(council, "2025-26").flat_per_term == 500 and _year(council, "2026-27").model == "tiers"
