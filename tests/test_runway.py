"""Calendar runway: a calendar missing the school year that open deadlines or the next 90 days
need is found before anything fails, for VS admin (My work), at each sweep and in
``pepflow timescales``.  The shipped example calendar has term dates to July 2027."""

from __future__ import annotations

import datetime as dt

from pepflow.service.runway import gaps

from .conftest import d
from .support.web import signed_in_client


def test_no_warning_while_term_dates_cover_the_next_ninety_days(config):
    assert gaps(config, d("2026-12-01"), {}, {"default"}) == []


def test_the_next_school_year_is_asked_for_ninety_days_before_it_is_needed(config):
    found = gaps(config, d("2027-06-15"), {}, {"default"})
    assert [(g.calendar, g.school_year) for g in found] == [("default", "2027-28")]
    assert "the next 90 days (to 13 Sep 2027)" in found[0].sentence()


def test_an_open_deadline_in_a_year_without_term_dates_is_named(config):
    found = gaps(config, d("2026-12-01"), {"default": d("2027-10-04")}, {"default"})
    assert "open deadlines due up to 4 Oct 2027" in found[0].sentence()
    assert "add that year to config/calendars/default.toml" in found[0].sentence()


def test_timescales_warns_and_the_sweep_tells_vs_admin(cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'runway.db'}"
    code, _, err = cli("--db", url, "--today", "2027-06-15", "timescales")
    assert code == 0 and "Warning: Calendar 'default' has no term dates for 2027-28" in err
    assert not (tmp_path / "runway.db").exists()  # asking about rules makes no database
    code, _, err = cli("--db", url, "--today", "2027-06-15", "sweep")
    assert code == 1 and "no pepflow database at" in err  # nor does a sweep: a cron job with the wrong --db
    assert cli("--db", url, "db", "upgrade")[0] == 0
    code, out, _ = cli("--db", url, "--today", "2027-06-15", "sweep")
    assert code == 0 and "for VS admin: Calendar 'default' has no term dates for 2027-28" in out


def test_vs_admin_sees_the_missing_term_dates_on_my_work(fresh_site):
    client = signed_in_client(fresh_site, "vs_admin")
    assert "has no term dates" not in client.get("/my-work").text
    fresh_site.clock.instant = dt.datetime(2027, 6, 15, 12, tzinfo=dt.timezone.utc)
    client = signed_in_client(fresh_site, "vs_admin")
    page = client.get("/my-work").text
    assert "Calendar &#39;default&#39; has no term dates for 2027-28" in page or \
        "Calendar 'default' has no term dates for 2027-28" in page
