"""Calendar arithmetic, pinned to real dates in the default calendar."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pepflow.calendars import Calendar, Term, add_months
from pepflow.errors import CalendarRangeError, InputError

from .conftest import d


def test_twenty_school_days_after_15_july_2026_lands_in_september(cal):
    """The clock stops over the summer holiday: 5 days in July, 15 in September."""
    assert cal.add(d("2026-07-15"), 20, "school") == d("2026-09-23")


def test_twenty_school_days_after_a_friday_in_july_is_a_school_day_in_september(cal):
    """The result is always a day of the unit."""
    result = cal.add(d("2026-07-17"), 20, "school")
    assert result == d("2026-09-25") and cal.is_school_day(result)


def test_early_may_bank_holiday_2026_is_not_a_school_day_even_in_term(cal):
    """Bank holidays in term (4 May 2026) are skipped by school-day clocks."""
    assert not cal.is_school_day(d("2026-05-04"))
    assert cal.add(d("2026-05-01"), 1, "school") == d("2026-05-05")
    assert cal.between(d("2026-04-30"), d("2026-05-06"), "school") == 3


def test_half_term_and_holidays_are_not_school_days(cal):
    """Half term (27-31 Oct 2025) and the Christmas holiday are not school days."""
    assert not cal.is_school_day(d("2025-10-27"))
    assert not cal.is_school_day(d("2025-12-22"))
    assert cal.is_school_day(d("2025-11-03"))
    assert cal.add(d("2025-10-24"), 1, "school") == d("2025-11-03")


def test_ten_working_days_after_18_december_2025_skip_christmas_and_new_year(cal):
    """25, 26 Dec and 1 Jan are bank holidays; weekends never count."""
    assert cal.add(d("2025-12-18"), 10, "working") == d("2026-01-06")
    assert cal.between(d("2025-12-18"), d("2026-01-06"), "working") == 10


def test_one_off_bank_holidays_are_not_working_days(cal):
    """The Queen's funeral (19 Sep 2022) and the Coronation (8 May 2023) were bank holidays."""
    assert not cal.is_working_day(d("2022-09-19"))
    assert not cal.is_working_day(d("2023-05-08"))
    assert cal.add(d("2022-09-16"), 1, "working") == d("2022-09-20")


def test_months_clamp_to_the_end_of_the_month(cal):
    """31 Jan + 1 month is the last day of February; 31 Aug + 3 months is 30 Nov."""
    assert cal.add(d("2026-01-31"), 1, "months") == d("2026-02-28")
    assert cal.add(d("2028-01-31"), 1, "months") == d("2028-02-29")
    assert cal.add(d("2025-08-31"), 3, "months") == d("2025-11-30")
    assert add_months(d("2026-12-15"), 6) == d("2027-06-15")


def test_calendar_days_and_weeks_count_weekends_and_holidays(cal):
    """The 7-day direction windows are calendar days: Christmas counts."""
    assert cal.add(d("2025-12-22"), 7, "calendar") == d("2025-12-29")
    assert cal.add(d("2025-12-22"), 1, "weeks") == d("2025-12-29")
    assert cal.between(d("2025-12-22"), d("2026-01-05"), "weeks") == 2


def test_sixth_school_day_beginning_with_a_monday_is_the_next_monday(cal):
    """'Beginning with' counts the start day as day 1."""
    assert cal.add(d("2026-03-02"), 6, "school", "beginning_with") == d("2026-03-09")
    assert cal.add(d("2026-03-02"), 6, "school", "after") == d("2026-03-10")


def test_sixth_day_of_suspension_from_thursday_12_february_2026_is_after_half_term(cal):
    """Thu 12 and Fri 13 Feb are days 1-2; half term 16-20 Feb; the 6th day is Thu 26 Feb."""
    assert cal.add(d("2026-02-12"), 6, "school", "beginning_with") == d("2026-02-26")


def test_terms_unit_counts_to_the_end_of_a_later_term(cal):
    """One term after a date in the autumn term is the last day of the spring term."""
    assert cal.add(d("2025-11-20"), 1, "terms") == d("2026-03-27")
    assert cal.term_of(d("2025-11-20")).label == "autumn 2025-26"
    assert cal.term_of(d("2025-12-25")) is None
    assert cal.current_or_next_term(d("2025-12-25")).label == "spring 2025-26"
    assert cal.between(d("2025-11-20"), d("2026-05-01"), "terms") == 2


def test_dates_outside_the_configured_years_name_the_calendar_and_year(cal):
    """No silent guess: the error says which calendar needs which year."""
    with pytest.raises(CalendarRangeError, match=r"'default'.*2027-28"):
        cal.add(d("2027-07-01"), 20, "school")
    with pytest.raises(CalendarRangeError, match=r"2023-24"):
        cal.is_school_day(d("2024-03-01"))
    with pytest.raises(CalendarRangeError, match=r"2028-29"):
        cal.between(d("2026-09-10"), d("2028-10-01"), "school")


def test_unknown_unit_is_refused_with_its_name(cal):
    with pytest.raises(InputError, match="fortnights"):
        cal.add(d("2026-01-05"), 1, "fortnights")


def test_a_schools_own_inset_day_is_not_a_school_day_there_only(cal):
    """Per-school INSET days apply to that school's calendar, not the LA's."""
    with_inset = Calendar("x", cal.terms, school_overrides={
        "123456": (frozenset({d("2026-09-07")}), frozenset())})
    school = with_inset.for_school("123456")
    assert with_inset.is_school_day(d("2026-09-07"))
    assert not school.is_school_day(d("2026-09-07"))
    assert school.add(d("2026-09-04"), 1, "school") == d("2026-09-08")


def test_council_closure_is_neither_a_working_nor_a_school_day():
    term = Term("2025-26", "autumn", d("2025-09-03"), d("2025-12-19"))
    council = Calendar("c", [term], closures=frozenset({d("2025-12-19")}))
    assert not council.is_working_day(d("2025-12-19"))
    assert not council.is_school_day(d("2025-12-19"))


def test_batch_add_matches_one_date_at_a_time(cal):
    """The vectorised API gives exactly the one-date answers."""
    rng = np.random.default_rng(7)
    start = np.datetime64("2024-09-01")
    days = start + rng.integers(0, 900, size=2000).astype("timedelta64[D]")
    batch = cal.add_many(days, 20, "school")
    for day, got in zip(days[:300], batch[:300]):
        assert got.astype(object) == cal.add(day.astype(object), 20, "school")
        assert got.astype(object) == cal.add_school_days(day.astype(object), 20)


def test_batch_add_reports_the_first_date_beyond_the_calendar(cal):
    days = np.array(["2025-01-10", "2027-07-10"], dtype="datetime64[D]")
    with pytest.raises(CalendarRangeError, match="2027-28"):
        cal.add_many(days, 20, "school")


dates = st.dates(min_value=dt.date(2024, 9, 4), max_value=dt.date(2026, 8, 31))


@settings(max_examples=300, deadline=None)
@given(day=dates, n=st.integers(min_value=0, max_value=120),
       unit=st.sampled_from(["school", "working", "calendar", "weeks", "months"]),
       counting=st.sampled_from(["after", "beginning_with"]))
def test_add_and_between_agree(cal, day, n, unit, counting):
    """between(D, add(D, n)) == n, and the result of a day-unit clock is a day of that unit."""
    result = cal.add(day, n, unit, counting)
    start = day - dt.timedelta(days=1) if counting == "beginning_with" else day
    if unit in ("school", "working") and n == 0:
        # zero days: the start itself if it is a day of the unit, else the next one
        assert cal.is_day(result, unit) and result >= start
        assert cal.between(start, result, unit) == (0 if result == start else 1)
        return
    assert cal.between(start, result, unit) == n
    if unit in ("school", "working"):
        assert cal.is_day(result, unit)
        assert result > start


@settings(max_examples=100, deadline=None)
@given(day=dates, n=st.integers(min_value=0, max_value=3))
def test_terms_add_and_between_agree(cal, day, n):
    assert cal.between(day, cal.add(day, n, "terms"), "terms") == n


def test_the_bank_holidays_pepflow_reads_are_those_of_england_and_wales():
    """The file pepflow reads at start-up (tools/bank_holidays.py writes it) equals what the
    holidays library computes, the one-off days of 2022 and 2023 included."""
    import importlib.util
    from pathlib import Path

    from pepflow.day_index import england_bank_holidays

    spec = importlib.util.spec_from_file_location(
        "bank_holidays", Path(__file__).resolve().parent.parent / "tools" / "bank_holidays.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    assert sorted(d.isoformat() for d in england_bank_holidays()) == tool.computed()
    assert {d("2022-09-19"), d("2023-05-08"), d("2026-12-28")} <= england_bank_holidays()
