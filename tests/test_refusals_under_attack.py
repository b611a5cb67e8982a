"""What a signed-in user or a crafted file could do to the pages and imports, each refused
plainly (issue 36, item 5): long passwords, guessing the current password, banners from the
address, a record form shown again, ids out of range, an oversized GIAS cell, an XML document
type, an empty return."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from pepflow.db import session_scope
from pepflow.db.models import Event
from pepflow.accounts.passwords import check_new_password

from .conftest import ROOT
from .support.web import child_in_state, client_for, signed_in_client
from .websupport import EMAILS, PASSWORD, csrf_of, sign_in

LONG = "violet harbour lantern " * 8  # 184 characters


def _change(client, current: str, new: str):
    page = client.get("/account/password").text
    return client.post("/account/password", data={"csrf_token": csrf_of(page), "current_password": current,
                                                  "new_password": new, "confirm_password": new})


def test_a_password_of_up_to_200_characters_is_judged_not_a_crash():
    check_new_password(LONG[:200])
    check_new_password(("correct horse battery staple " * 7)[:200])
    with pytest.raises(Exception, match="at most 200 characters"):
        check_new_password("a" * 201)


def test_a_long_password_is_set_on_the_web_and_from_the_command_line(fresh_site, cli, monkeypatch):
    client = signed_in_client(fresh_site, "iro")
    assert _change(client, PASSWORD, LONG).status_code == 200
    assert sign_in(client_for(fresh_site), "iro", password=LONG).status_code == 303
    monkeypatch.setattr("sys.stdin", io.StringIO(LONG + "\n"))
    code, _, err = cli("--db", fresh_site.app.url, "user", "set-password", "--email", EMAILS["read_only"])
    assert code == 0, err


def test_guesses_at_the_current_password_are_throttled_like_sign_in(fresh_site):
    client = signed_in_client(fresh_site, "iro")
    answers = [_change(client, f"guess number {n} for you", "violet harbour lantern").status_code for n in range(8)]
    assert answers[:5] == [400] * 5 and 429 in answers[5:]
    refused = _change(client, PASSWORD, "violet harbour lantern")  # even the right one, during the wait
    assert refused.status_code == 429 and "too many wrong passwords" in refused.text
    fresh_site.clock.advance(minutes=20)
    assert _change(client, PASSWORD, "violet harbour lantern").status_code == 200


def test_a_success_banner_never_takes_its_words_from_the_address(fresh_site):
    client = signed_in_client(fresh_site, "vs_admin")
    page = client.get("/outbox?retried=ANY+TEXT+AT+ALL")
    assert page.status_code == 200 and "ANY TEXT AT ALL" not in page.text


def test_an_email_number_out_of_range_is_a_400_page(fresh_site):
    client = signed_in_client(fresh_site, "vs_admin")
    page = client.get("/outbox").text
    answer = client.post("/outbox/retry", data={"csrf_token": csrf_of(page), "id": "9" * 20})
    assert answer.status_code == 400 and "is not the number of an email" in answer.text


def test_a_record_form_shown_again_with_errors_is_recorded_as_a_view_of_the_child(fresh_site):
    ref = child_in_state(fresh_site, ("in_qa", "submitted"))
    client = signed_in_client(fresh_site, "vs_admin")
    form = client.get(f"/children/{ref}/record?event=pep_returned")
    assert form.status_code == 200

    def views() -> int:
        with session_scope(fresh_site.app.engine) as s:
            return s.execute(select(func.count()).select_from(Event).where(
                Event.name == "record_form_viewed", Event.child_ref == ref)).scalar_one()

    before = views()
    again = client.post(f"/children/{ref}/record", data={"csrf_token": csrf_of(form.text), "event": "pep_returned",
                                                         "on": ""})
    assert again.status_code == 400 and "Enter the date it happened" in again.text
    assert views() == before + 1


def test_a_gias_cell_beyond_the_csv_modules_limit_is_named(cli, tmp_path):
    from pepflow.values import CSV_FIELD_LIMIT

    from .support.gias_files import gias_file
    db = f"sqlite:///{tmp_path / 'g.db'}"
    long_name = gias_file(tmp_path, ["100001,881,Essex,2001,\"" + "x" * 200_000 + "\",1,Community school,1,Open,2,"
                                     "Primary,4,11,"])
    code, _, err = cli("--db", db, "--today", "2026-01-10", "import", "schools", str(long_name), "--gias")
    assert code == 1 and "column EstablishmentName" in err and "at most 200" in err and "unexpected" not in err
    beyond = gias_file(tmp_path, ["100001,881,Essex,2001,\"" + "x" * (CSV_FIELD_LIMIT + 1) + "\",1,Community "
                                  "school,1,Open,2,Primary,4,11,"])
    code, _, err = cli("--db", db, "--today", "2026-01-10", "import", "schools", str(beyond), "--gias")
    assert code == 1 and "cannot be read as CSV" in err and "unexpected" not in err


def test_an_ssda903_xml_with_an_external_document_type_is_refused(cli, tmp_path):
    xml = tmp_path / "r.xml"
    xml.write_text('<?xml version="1.0"?><!DOCTYPE EXPSSDA903 SYSTEM "http://example.org/ssda903.dtd">'
                   "<EXPSSDA903><CHILD><HEADER><CHILDID>K1</CHILDID></HEADER></CHILD></EXPSSDA903>")
    code, _, err = cli("--db", f"sqlite:///{tmp_path / 'r.db'}", "--today", "2026-11-20", "import", "ssda903",
                       str(xml), "--extract-date", "15/11/2026")
    assert code == 1 and "document type" in err


def test_an_empty_ssda903_return_is_warned_of(cli, tmp_path):
    xml = tmp_path / "r.xml"
    xml.write_text('<?xml version="1.0"?><EXPSSDA903></EXPSSDA903>')
    db = f"sqlite:///{tmp_path / 'r.db'}"
    assert cli("--db", db, "--today", "2026-11-20", "import", "people",
               str(ROOT / "tests" / "data" / "people.csv"))[0] == 0
    code, out, err = cli("--db", db, "--today", "2026-11-20", "import", "ssda903", str(xml),
                         "--extract-date", "15/11/2026")
    assert "no child was read" in out + err
