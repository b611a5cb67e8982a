"""Input that cannot corrupt the records: each kind of bad value is refused with one clear
line naming where it is, exit code 1, and nothing written (tests/fuzz draws thousands more)."""

from __future__ import annotations

import pytest

from pepflow import values
from pepflow.errors import quoted

from .conftest import ROOT


DATA = ROOT / "tests" / "data"
TODAY = "2026-11-20"


@pytest.fixture
def cohort(cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'cohort.db'}"
    for kind in ("people", "schools", "children"):
        code, _, err = cli("--db", url, "--today", TODAY, "import", kind, str(DATA / f"{kind}.csv"))
        assert code == 0, err
    return url


def _import(cli, url, tmp_path, kind, content: bytes | str):
    file = tmp_path / f"bad-{kind}.csv"
    file.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return cli("--db", url, "--today", TODAY, "import", kind, str(file))


def _children(**changes) -> str:
    header, first, second = (DATA / "children.csv").read_text().splitlines()
    names, cells = header.split(","), first.split(",")
    for column, value in changes.items():
        if column not in names:
            names.append(column)
            cells.append("")
            second += ","
        cells[names.index(column)] = value
    return "\n".join([",".join(names), ",".join(cells), second]) + "\n"


def _event(cli, url, *args):
    return cli("--db", url, "--today", TODAY, "event", "C001", *args)


# ---- values ------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["Al\x00ex", "Alex\x1b[31m", "Al\u202eex", "A\nlex", "\x7f"])
def test_control_characters_are_refused_in_names(value):
    with pytest.raises(ValueError, match="contains"):
        values.text(value)


def test_free_text_may_hold_lines_and_tabs_but_no_other_control_character():
    assert values.free_text("First line\n\tthen the second") == "First line\n\tthen the second"
    with pytest.raises(ValueError, match="NUL byte"):
        values.free_text("a\x00b")


def test_only_ascii_digits_are_numbers_and_numbers_are_in_range():
    for bad in ("٥", "５", "⁵", "1e3", "0x10", "1_000", "12.5"):
        with pytest.raises(ValueError, match="digits 0-9"):
            values.whole_number(bad)
    with pytest.raises(ValueError, match="from 0 to 60"):
        values.HOURS_A_WEEK("9" * 30)
    assert values.POUNDS("£1,500") == 1500


def test_dates_may_be_written_either_way_and_an_impossible_one_says_why():
    assert values.date_value("01/09/2024") == values.date_value("2024-09-01")
    with pytest.raises(ValueError, match="February 2026 has 28 days"):
        values.date_value("2026-02-31")
    with pytest.raises(ValueError, match="written DD/MM/YYYY or YYYY-MM-DD"):
        values.date_value("٢٠٢٥-٠١-٠١")
    with pytest.raises(ValueError, match="outside the years"):
        values.date_value("0999-01-01")


def test_an_error_quotes_at_most_about_eighty_characters_of_a_value():
    shown = quoted("x" * 100_000)
    assert len(shown) < 120 and "100,000 characters" in shown


# ---- CSV files ---------------------------------------------------------------------------

def test_a_nul_byte_in_a_name_is_refused_naming_line_and_column(cli, cohort, tmp_path):
    code, _, err = _import(cli, cohort, tmp_path, "children", _children(first_name="Al\x00ex"))
    assert code == 1 and "line 2, column first_name: 'Al\\x00ex' contains a NUL byte" in err


def test_an_unbalanced_quote_is_refused_naming_the_line_where_it_opened(cli, cohort, tmp_path):
    people = (DATA / "people.csv").read_text().replace("SW1,social_worker,Sally", 'SW1,social_worker,"Sally', 1)
    code, out, err = _import(cli, cohort, tmp_path, "people", people)
    assert code == 1 and "line 4: a quoted value opens here" in err and out == ""


def test_a_value_longer_than_the_reader_allows_gets_the_same_clear_error(cli, cohort, tmp_path):
    code, _, err = _import(cli, cohort, tmp_path, "children", _children(last_name="y" * 140_000))
    assert code == 1 and "line 2, column last_name:" in err and "is 140,000 characters long; at most 200" in err
    assert max(len(line) for line in err.splitlines()) < 300


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le"])
def test_a_utf16_file_is_refused_asking_for_csv_utf8(cli, cohort, tmp_path, codec):
    code, _, err = _import(cli, cohort, tmp_path, "people", (DATA / "people.csv").read_text().encode(codec))
    assert code == 1 and "UTF-16" in err and "save it as CSV UTF-8" in err and "\x00" not in err


def test_making_a_social_worker_a_carer_is_refused_while_children_name_them(cli, cohort, tmp_path):
    people = (DATA / "people.csv").read_text().replace("SW1,social_worker,", "SW1,carer,")
    code, _, err = _import(cli, cohort, tmp_path, "people", people)
    assert code == 1 and "'SW1' cannot become a carer: children C001, C002 name them as social worker" in err


@pytest.mark.parametrize("changes, named", [
    ({"first_entered_care": "2010-01-01"}, "column first_entered_care: '2010-01-01' is before the date of birth"),
    ({"first_entered_care": "2026-01-05"}, "column first_entered_care: '2026-01-05' is after entered_care"),
    ({"carer_ref": "SW1"}, "column carer_ref: 'SW1' is a social_worker, expected carer"),
    ({"dob": "1960-01-01"}, "column dob: '1960-01-01' is more than 26 years ago"),
])
def test_childrens_dates_and_references_must_hang_together(cli, cohort, tmp_path, changes, named):
    code, _, err = _import(cli, cohort, tmp_path, "children", _children(**changes))
    assert code == 1 and named in err


def test_an_ofsted_date_in_the_future_is_refused(cli, cohort, tmp_path):
    schools = (DATA / "schools.csv").read_text().replace("2023-03-15", "2027-03-15")
    code, _, err = _import(cli, cohort, tmp_path, "schools", schools)
    assert code == 1 and "column ofsted_date: '2027-03-15' is in the future" in err


# ---- events ------------------------------------------------------------------------------

def test_leaving_care_before_birth_is_refused(cli, cohort):
    code, _, err = _event(cli, cohort, "left_care", "--on", "2000-01-01")
    assert code == 1 and "--on = '1 Jan 2000': is before C001's date of birth (1 Oct 2015)" in err


def test_an_event_before_the_child_entered_care_is_refused(cli, cohort):
    code, _, err = _event(cli, cohort, "pep_meeting_held", "--on", "2025-12-17")
    assert code == 1 and "is before C001 entered care on 18 Dec 2025" in err


@pytest.mark.parametrize("carer, problem", [("NOBODY", "is not a known person"),
                                             ("SW1", "is a social worker, not a carer")])
def test_a_carer_reference_must_name_a_carer(cli, cohort, carer, problem):
    code, _, err = _event(cli, cohort, "care_placement_changed", "--on", "2026-11-02", "--set", f"carer_ref={carer}")
    assert code == 1 and f"--set carer_ref = '{carer}': {problem}" in err


@pytest.mark.parametrize("hours, problem", [("9" * 30, "must be from 0 to 60"), ("٥", "digits 0-9")])
def test_hours_are_range_checked_and_in_ascii_digits(cli, cohort, hours, problem):
    code, _, err = _event(cli, cohort, "temporary_education_arranged", "--on", "2026-11-02", "--set", f"hours={hours}")
    assert code == 1 and problem in err and "unexpected" not in err


def test_a_mistyped_event_suggests_the_nearest_names_rather_than_listing_fifty(cli, cohort):
    code, _, err = _event(cli, cohort, "pep_meting_held", "--on", "2026-11-02")
    assert code == 1 and "did you mean pep_meeting_held" in err and len(err) < 200


# ---- configuration -----------------------------------------------------------------------

def test_a_control_character_in_configuration_is_refused(tmp_path):
    from pepflow.config import load_config
    from pepflow.errors import ConfigError

    (tmp_path / "pepflow.toml").write_text('[settings]\nauthority_name = "Example\\u0000Council"\n')
    with pytest.raises(ConfigError, match="entry 'settings', field 'authority_name'.*NUL byte"):
        load_config(tmp_path)


# ---- web forms ---------------------------------------------------------------------------

def test_a_web_form_refuses_a_control_character_beside_its_field_and_writes_nothing(fresh_site):
    from .support.web import child_in_state, snapshot, signed_in_client
    from .websupport import csrf_of

    ref = child_in_state(fresh_site, ("in_qa", "submitted"))
    client = signed_in_client(fresh_site, "vs_admin")
    token = csrf_of(client.get(f"/children/{ref}/record?event=pep_returned").text)
    before = snapshot(fresh_site, ref)
    refused = client.post(f"/children/{ref}/record", data={"csrf_token": token, "event": "pep_returned",
                                                           "on": "2026-11-20", "reason": "targets\x1b[2J not SMART"})
    assert refused.status_code == 400 and "the control character U+001B" in refused.text and 'href="#reason"' in refused.text
    assert snapshot(fresh_site, ref) == before
