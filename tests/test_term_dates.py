"""Term dates from iCalendar files (pepflow/intake/term_dates.py, `pepflow calendar import/export`):
both published styles give back exactly the school days they describe."""

from __future__ import annotations

import datetime as dt

import pytest

from pepflow.day_index import england_bank_holidays
from pepflow.config import load_config
from pepflow.intake.term_dates import read_events, term_dates

YEAR = (dt.date(2025, 9, 1), dt.date(2026, 8, 31))


def _default():
    return load_config(None).calendar("default")


def _ics(events: list[tuple[dt.date, dt.date, str]]) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Example Council//Term dates//EN"]
    for n, (first, last, summary) in enumerate(events):
        lines += ["BEGIN:VEVENT", f"UID:{n}@example.gov.uk", "DTSTAMP:20260101T000000Z",
                  f"DTSTART;VALUE=DATE:{first:%Y%m%d}", f"DTEND;VALUE=DATE:{last + dt.timedelta(days=1):%Y%m%d}",
                  f"SUMMARY:{summary}", "END:VEVENT"]
    return ("\r\n".join(lines + ["END:VCALENDAR"]) + "\r\n").encode()


def _school_days(cal, first=YEAR[0], last=YEAR[1]) -> set[dt.date]:
    return set(cal.school_days(first, last))


def _one_event_a_school_day(cal) -> bytes:
    return _ics([(d, d, "School day") for d in sorted(_school_days(cal))])


def _holidays(cal) -> bytes:
    """The year as a council publishes holidays: the summers at either end, half terms and breaks,
    INSET days on their own."""
    school, banks = _school_days(cal), england_bank_holidays()
    first, last = min(school), max(school)
    off = [d for o in range(first.toordinal(), last.toordinal() + 1) if (d := dt.date.fromordinal(o)).weekday() < 5
           and d not in school and d not in banks]
    blocks: list[list[dt.date]] = []
    for d in off:
        if blocks and (d - blocks[-1][-1]).days <= 3:
            blocks[-1].append(d)
        else:
            blocks.append([d])
    events = [(dt.date(2025, 7, 23), first - dt.timedelta(days=1), "Summer holiday"),
              (last + dt.timedelta(days=1), dt.date(2026, 9, 2), "Summer holiday")]
    for block in blocks:
        events.append((block[0], block[-1], "INSET day" if len(block) == 1 else "Half term / holiday"))
    return _ics(events)


@pytest.mark.parametrize("style, make", [("school days", _one_event_a_school_day), ("holidays", _holidays)])
def test_both_published_styles_give_back_the_same_school_days(style, make):
    cal = _default()
    found = term_dates(read_events(make(cal)), england_bank_holidays())
    assert found.style == style
    assert found.school_days == _school_days(cal)
    assert [(t["year"], t["name"]) for t in found.terms] == [("2025-26", "autumn"), ("2025-26", "spring"),
                                                             ("2025-26", "summer")]
    assert all(t["half_term"] for t in found.terms)


def test_an_imported_calendar_file_counts_the_same_school_days(cli, tmp_path):
    council = tmp_path / "council"
    council.mkdir()
    ics = tmp_path / "terms.ics"
    ics.write_bytes(_holidays(_default()))
    code, out, err = cli("--config", str(council), "calendar", "import", "trust", str(ics))
    assert code == 0, err
    assert "3 terms (2025-26)" in out and (council / "calendars" / "trust.toml").exists()
    imported = load_config(str(council)).calendar("trust")
    assert _school_days(imported, dt.date(2025, 9, 1), dt.date(2026, 7, 31)) == _school_days(_default())
    code, out, err = cli("--config", str(council), "calendar", "terms", "--calendar", "trust")
    assert code == 0 and f"2025-26 {len(_school_days(_default()))}" in out


def test_a_schools_own_inset_days_are_added_from_its_own_file(cli, tmp_path):
    council = tmp_path / "council"
    council.mkdir()
    la = tmp_path / "la.ics"
    la.write_bytes(_one_event_a_school_day(_default()))
    assert cli("--config", str(council), "calendar", "import", "la", str(la))[0] == 0
    own_day = dt.date(2025, 11, 14)
    school = tmp_path / "school.ics"
    school.write_bytes(_ics([(d, d, "School day") for d in sorted(_school_days(_default())) if d != own_day]))
    code, out, err = cli("--config", str(council), "calendar", "import", "la", str(school), "--school", "100001")
    assert code == 0 and "Added 1 day(s) of school 100001's own" in out, err
    config = load_config(str(council))
    assert own_day in set(config.calendar("la").school_days(own_day, own_day))
    assert own_day not in set(config.calendar("la", "100001").school_days(own_day, own_day))


def test_export_writes_every_term_and_half_term_as_events(cli, tmp_path):
    out = tmp_path / "default.ics"
    code, said, err = cli("calendar", "export", "default", "--out", str(out))
    assert code == 0, err
    events = read_events(out.read_bytes())
    cal = _default()
    terms = [e for e in events if e.summary.endswith(tuple(t.academic_year for t in cal.terms))
             and "term" in e.summary.lower() and "Half" not in e.summary]
    assert [(e.first, e.last) for e in terms] == [(t.start, t.end) for t in cal.terms]


def test_import_refuses_the_shipped_folder_and_a_file_that_is_not_icalendar(cli, tmp_path):
    ics = tmp_path / "terms.ics"
    ics.write_bytes(_holidays(_default()))
    code, _, err = cli("calendar", "import", "trust", str(ics))
    assert code == 1 and "--config" in err and "never written to" in err
    council = tmp_path / "council"
    council.mkdir()
    bad = tmp_path / "terms.pdf"
    bad.write_bytes(b"%PDF-1.4 not a calendar")
    code, _, err = cli("--config", str(council), "calendar", "import", "trust", str(bad))
    assert code == 1 and "terms.pdf" in err and "not an iCalendar file" in err
    code, _, err = cli("--config", str(council), "calendar", "import", "Trust Dates", str(ics))
    assert code == 1 and "lower-case" in err
    assert not (council / "calendars" / "trust.toml").exists()


# ---- iCalendar as councils and academies publish it (issue 35) --------------------------------

def _raw_ics(*vevents: str) -> bytes:
    body = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Academy Trust//Term dates//EN"]
    for n, lines in enumerate(vevents):
        body += ["BEGIN:VEVENT", f"UID:{n}@trust.example", "DTSTAMP:20260101T000000Z", *lines.split("|"), "END:VEVENT"]
    return ("\r\n".join(body + ["END:VCALENDAR"]) + "\r\n").encode()


def test_a_two_week_october_half_term_is_a_half_term_not_a_new_term():
    cal = _default()
    school = sorted(d for d in _school_days(cal) if not dt.date(2025, 10, 20) <= d <= dt.date(2025, 10, 31))
    found = term_dates(read_events(_ics([(d, d, "School day") for d in school])), england_bank_holidays())
    autumn = [t for t in found.terms if t["name"] == "autumn"]
    assert len(autumn) == 1 and autumn[0]["half_term"] == (dt.date(2025, 10, 20), dt.date(2025, 10, 31))


def test_an_exported_calendar_imports_again_as_the_same_calendar(cli, tmp_path):
    out = tmp_path / "default.ics"
    assert cli("calendar", "export", "default", "--out", str(out))[0] == 0
    found = term_dates(read_events(out.read_bytes()), england_bank_holidays())
    cal = _default()
    first, last = cal.terms[0].start, cal.terms[-1].end
    assert found.school_days == set(cal.school_days(first, last))
    assert [(t["start"], t["end"], t["half_term"]) for t in found.terms] == [
        (t.start, t.end, t.half_term) for t in cal.terms]


def test_school_days_count_from_the_last_days_of_the_summer_holiday_before_the_first_term():
    cal = _default()
    first = cal.terms[0].start
    holiday = first - dt.timedelta(days=3)
    assert cal.add(holiday, 1, "school") == cal.add(first, 0, "school")


def test_a_yearly_holiday_written_once_is_read_for_every_year():
    found = read_events(_raw_ics(
        "DTSTART;VALUE=DATE:20260901|DTEND;VALUE=DATE:20280722|SUMMARY:Academic years",
        "DTSTART;VALUE=DATE:20261026|DTEND;VALUE=DATE:20261031|RRULE:FREQ=YEARLY;COUNT=2|SUMMARY:Half term",
        "DTSTART;VALUE=DATE:20261221|DTEND;VALUE=DATE:20270102|RRULE:FREQ=YEARLY|EXDATE;VALUE=DATE:20271221"
        "|SUMMARY:Christmas holiday"))
    half_terms = [(e.first, e.last) for e in found if e.summary == "Half term"]
    assert half_terms == [(dt.date(2026, 10, 26), dt.date(2026, 10, 30)), (dt.date(2027, 10, 26), dt.date(2027, 10, 30))]
    christmas = [e.first for e in found if e.summary == "Christmas holiday"]
    assert christmas == [dt.date(2026, 12, 21)]  # 2027 taken out by EXDATE; the file ends in July 2028


def test_a_school_day_written_as_a_utc_time_is_its_day_in_london():
    [event] = read_events(_raw_ics("DTSTART:20270901T230000Z|DTEND:20270902T230000Z|SUMMARY:School day"))
    assert (event.first, event.last) == (dt.date(2027, 9, 2), dt.date(2027, 9, 2))
    [event] = read_events(_raw_ics("DTSTART;TZID=Europe/London:20270902T083000|DTEND;TZID=Europe/London:"
                                   "20270902T153000|SUMMARY:School day"))
    assert (event.first, event.last) == (dt.date(2027, 9, 2), dt.date(2027, 9, 2))


def test_inset_days_next_to_a_terms_first_day_stay_in_the_term_and_bank_holidays_are_named():
    cal = _default()
    events = read_events(_holidays(cal))
    first_term = cal.terms[0]
    before = first_term.start - dt.timedelta(days=1)
    while before.weekday() >= 5:
        before -= dt.timedelta(days=1)
    # the day before the first term becomes an INSET day, not holiday: the term starts a day earlier
    shifted = [e if not (e.summary == "Summer holiday" and e.last >= before and e.first < first_term.start)
               else type(e)(e.first, before - dt.timedelta(days=1), e.summary) for e in events]
    shifted.append(type(events[0])(before, before, "INSET day"))
    shifted.append(type(events[0])(dt.date(2026, 5, 4), dt.date(2026, 5, 4), "Early May bank holiday"))
    found = term_dates(sorted(shifted, key=lambda e: (e.first, e.last)), england_bank_holidays())
    assert found.terms[0]["start"] == before and before in found.inset_days
    assert any("bank holiday" in note for note in found.notes)
