"""Delegation (issue 39 item 5): a designated teacher gives a colleague at the same school their
PEP sections for named pupils until a day; the colleague sees only those pupils, fills in only the
DT's sections, and nothing once it ends or runs out; every gift and end is in the history."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from pepflow.accounts.local import add_user
from pepflow.db.connection import session_scope
from pepflow.db.models import Child, Event, UserAccount
from pepflow.errors import InputError, NotFound
from pepflow.service.delegations import delegate, dt_schools
from pepflow.web import views

from .support.web import pupil_with_a_pep_being_written, signed_in_client
from .websupport import EMAILS, PASSWORD, TODAY, csrf_of


def _teacher_and_colleague(site):
    with session_scope(site.app.engine) as s:
        teacher = s.execute(select(UserAccount).where(UserAccount.email == EMAILS["designated_teacher"])).scalar_one()
        school = dt_schools(s, teacher)[0]
        colleague = add_user(s, "senco@example.org", "school_colleague", PASSWORD, school_urn=school)
        return teacher.id, colleague.id, school


def test_a_colleague_sees_only_the_pupils_given_and_only_until_the_day(fresh_site):
    ref = pupil_with_a_pep_being_written(fresh_site, EMAILS["designated_teacher"])
    teacher_id, colleague_id, school = _teacher_and_colleague(fresh_site)
    with session_scope(fresh_site.app.engine) as s:
        teacher = s.get(UserAccount, teacher_id)
        other = s.execute(select(Child.ref).where(Child.school_urn == school, Child.ref != ref, Child.looked_after)
                          ).scalars().first()
        delegate(s, teacher, colleague_id, [ref], TODAY + dt.timedelta(days=7), TODAY, "user:dt01@example.org")
    with session_scope(fresh_site.app.engine) as s:
        colleague = s.get(UserAccount, colleague_id)
        assert views.visible_child(s, colleague, ref.lower(), TODAY).ref == ref
        with pytest.raises(NotFound):
            views.visible_child(s, colleague, other, TODAY)
        with pytest.raises(NotFound):  # the day after the last: it has run out
            views.visible_child(s, colleague, ref, TODAY + dt.timedelta(days=8))
        said = s.execute(select(Event.payload).where(Event.name == "pep_sections_delegated",
                                                     Event.child_ref == ref)).scalars().all()
    assert {"to": "senco@example.org", "until": (TODAY + dt.timedelta(days=7)).isoformat()} in said


def test_a_delegation_is_refused_for_another_schools_pupil_or_a_day_too_far(fresh_site):
    ref = pupil_with_a_pep_being_written(fresh_site, EMAILS["designated_teacher"])
    teacher_id, colleague_id, school = _teacher_and_colleague(fresh_site)
    with session_scope(fresh_site.app.engine) as s:
        teacher = s.get(UserAccount, teacher_id)
        elsewhere = s.execute(select(Child.ref).where(Child.school_urn != school)).scalars().first()
        with pytest.raises(InputError, match="is not a looked-after pupil at your school"):
            delegate(s, teacher, colleague_id, [elsewhere], TODAY, TODAY, "x")
        with pytest.raises(InputError, match="must be from today to a year ahead"):
            delegate(s, teacher, colleague_id, [ref], TODAY + dt.timedelta(days=400), TODAY, "x")


def test_on_the_web_the_colleague_fills_in_the_dts_sections_and_nothing_else(fresh_site):
    ref = pupil_with_a_pep_being_written(fresh_site, EMAILS["designated_teacher"])
    _teacher_and_colleague(fresh_site)
    teacher = signed_in_client(fresh_site, "designated_teacher")
    page = teacher.get("/delegations").text
    assert "senco@example.org" in page
    option = re.search(r'<option value="(\d+)"[^>]*>senco@example.org</option>', page).group(1)
    given = teacher.post("/delegations", data={"csrf_token": csrf_of(page), "colleague": option, "pupils": [ref],
                                               "until": (TODAY + dt.timedelta(days=14)).strftime("%d/%m/%Y")})
    assert "Given: your PEP sections for 1 pupil." in given.text
    colleague = signed_in_client(fresh_site, "senco@example.org")
    listed = colleague.get("/children").text
    assert ref in listed and "My pupils" in listed
    form = colleague.get(f"/children/{ref}/pep/childs_voice").text
    saved = colleague.post(f"/children/{ref}/pep/childs_voice", follow_redirects=False, data={
        "csrf_token": csrf_of(form), "version": re.search(r'name="version" value="(\d+)"', form).group(1),
        "views": "I like drawing", "attended": "yes"})
    assert saved.status_code == 303
    assert 'name="carers"' not in colleague.get(f"/children/{ref}/pep/contacts").text  # the social worker's
    assert colleague.get(f"/children/{ref}/record?event=pep_submitted").status_code in (403, 404)
    number = re.search(r'action="/delegations/(\d+)/end"', teacher.get("/delegations").text).group(1)
    teacher.post(f"/delegations/{number}/end", data={"csrf_token": csrf_of(page)})
    assert colleague.get(f"/children/{ref}/pep").status_code == 404
