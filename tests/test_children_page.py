"""Finding a child by name (issue 38 item 1): the Virtual School searches every child by part of
a name, a reference in any case, a UPN or a date of birth as the pages print it; a social worker
sees "My children" (their caseload) and a designated teacher "My pupils", and no one finds a
child outside what they may see."""

from __future__ import annotations

import re

from sqlalchemy import select

from pepflow.calendars import format_day
from pepflow.db.connection import session_scope
from pepflow.db.models import Child

from .support.web import signed_in_client
from .websupport import visible_refs


def _found(html: str) -> list[str]:
    return re.findall(r'href="/children/([A-Za-z0-9]+)"', html)


def _a_child(site) -> Child:
    with session_scope(site.app.engine) as s:
        child = s.execute(select(Child).where(Child.looked_after, Child.upn != "").order_by(Child.ref)).scalars().first()
        s.expunge(child)
        return child


def test_the_virtual_school_finds_a_child_by_part_of_a_name_whatever_its_case(fresh_site):
    child = _a_child(fresh_site)
    page = signed_in_client(fresh_site, "vs_admin").get("/children", params={"q": child.last_name[:3].lower()})
    assert page.status_code == 200 and child.ref in _found(page.text)
    assert f"{child.first_name} {child.last_name}" in page.text
    both = signed_in_client(fresh_site, "vs_admin").get(
        "/children", params={"q": f"{child.first_name[:2].upper()} {child.last_name}"})
    assert child.ref in _found(both.text)


def test_a_child_is_found_by_reference_upn_and_date_of_birth_as_the_pages_print_it(fresh_site):
    child = _a_child(fresh_site)
    client = signed_in_client(fresh_site, "vsh")
    for q in (child.ref.lower(), child.upn.lower(), child.dob.strftime("%d/%m/%Y"), format_day(child.dob)):
        page = client.get("/children", params={"q": q})
        assert child.ref in _found(page.text), q


def test_a_mistyped_reference_is_answered_with_did_you_mean(fresh_site):
    child = _a_child(fresh_site)
    typo = child.ref[0] + "0" + child.ref[1:]  # one 0 too many: C00001 typed as C000001
    page = signed_in_client(fresh_site, "vs_admin").get("/children", params={"q": typo})
    assert "<strong>0</strong> children" in page.text
    assert re.search(r"Did you mean <a [^>]*>" + child.ref + "</a>", page.text)


def test_a_social_worker_sees_my_children_and_a_designated_teacher_my_pupils_and_no_one_else(fresh_site):
    for role, title in (("social_worker", "My children"), ("designated_teacher", "My pupils")):
        client = signed_in_client(fresh_site, role)
        page = client.get("/children", params={"looked_after": "all"})
        assert page.status_code == 200 and f"<h1 class=\"govuk-heading-l\">{title}</h1>" in page.text
        assert re.search(rf'href="/children"[^>]*>(<strong[^>]*>)?{title}<', page.text)  # the menu says the same
        assert set(_found(page.text)) <= visible_refs(fresh_site.app, role)
        outside = sorted(visible_refs(fresh_site.app, "vsh") - visible_refs(fresh_site.app, role))[0]
        assert outside not in _found(client.get("/children", params={"q": outside}).text)


def test_filters_narrow_the_list_to_one_school(fresh_site):
    child = _a_child(fresh_site)
    page = signed_in_client(fresh_site, "vs_officer").get("/children", params={"school": child.school_urn})
    with session_scope(fresh_site.app.engine) as s:
        at_school = set(s.execute(select(Child.ref).where(Child.school_urn == child.school_urn,
                                                          Child.looked_after)).scalars())
    assert set(_found(page.text)) == at_school


def test_a_case_page_opens_from_a_reference_in_any_case(fresh_site):
    client = signed_in_client(fresh_site, "vs_admin")
    assert client.get("/children/c00001").status_code == 200
    assert "C00001" in client.get("/children/c00001").text
