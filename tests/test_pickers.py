"""Pickers instead of codes (issue 38 item 2): a school or a person is typed as part of a name,
then chosen from the matches; the reference is what is recorded.  No script is needed."""

from __future__ import annotations

import re

from sqlalchemy import select

from pepflow.cohort import year_group
from pepflow.db.connection import session_scope
from pepflow.db.models import Child, Person, School
from pepflow.reports.lookups import find_people, find_schools
from pepflow.rules.placement import age_range_misfit

from .support.web import signed_in_client
from .websupport import TODAY, csrf_of


def _date(prefix: str = "on") -> dict[str, str]:
    return {f"{prefix}-day": str(TODAY.day), f"{prefix}-month": str(TODAY.month), f"{prefix}-year": str(TODAY.year)}


def _a_child_and_another_school(site) -> tuple[str, str, str]:
    """A looked-after child with a school, and another school: (child ref, school name, URN)."""
    with session_scope(site.app.engine) as s:
        child = s.execute(select(Child).where(Child.looked_after, Child.school_urn.is_not(None))
                          .order_by(Child.ref)).scalars().first()
        school = s.execute(select(School).where(School.urn != child.school_urn).order_by(School.name)
                           ).scalars().first()
        return child.ref, school.name, school.urn


def test_a_school_or_person_is_found_by_any_words_of_its_name_or_its_reference(fresh_site):
    with session_scope(fresh_site.app.engine) as s:
        school = s.execute(select(School).order_by(School.urn)).scalars().first()
        first, *rest = school.name.split()
        found = find_schools(s, f"{first[:4].lower()} {rest[0][:3].upper()}")
        assert school.urn in [f.urn for f in found]
        assert find_schools(s, school.urn)[0].urn == school.urn  # the URN typed in full comes first
        assert find_schools(s, "100% _") == []  # wildcards are letters, not patterns
        carer = s.execute(select(Person).where(Person.role == "carer").order_by(Person.ref)).scalars().first()
        assert find_people(s, carer.ref.lower(), ("carer",))[0].ref == carer.ref
        assert carer.ref in [p.ref for p in find_people(s, carer.name.split()[-1], ("carer",))]
        assert find_people(s, carer.name, ("social_worker",)) == []  # only people of the field's roles


def test_a_school_move_is_recorded_by_choosing_the_school_by_name(fresh_site):
    client = signed_in_client(fresh_site, "vs_admin")
    ref, name, urn = _a_child_and_another_school(fresh_site)
    form = client.get(f"/children/{ref}/record?event=school_changed").text
    assert 'name="school_urn"' in form and "Type part of the school" in form
    typed = client.post(f"/children/{ref}/record", data={
        "csrf_token": csrf_of(form), "event": "school_changed", "school_urn": name.split()[0], **_date()})
    assert typed.status_code == 200 and "choose the school" in typed.text
    assert f'value="{urn}"' in typed.text and f"URN {urn}" in typed.text  # the choices, told apart by URN
    with session_scope(fresh_site.app.engine) as s:  # nothing recorded at the search step
        assert s.get(Child, ref).school_urn != urn
    chosen = client.post(f"/children/{ref}/record", follow_redirects=False, data={
        "csrf_token": csrf_of(typed.text), "event": "school_changed", "school_urn": urn, **_date()})
    assert chosen.status_code == 303
    with session_scope(fresh_site.app.engine) as s:
        assert s.get(Child, ref).school_urn == urn


def test_a_name_that_matches_nothing_is_named_in_the_error(fresh_site):
    client = signed_in_client(fresh_site, "vs_admin")
    with session_scope(fresh_site.app.engine) as s:
        ref = s.execute(select(Child.ref).where(Child.looked_after).order_by(Child.ref)).scalars().first()
    form = client.get(f"/children/{ref}/record?event=school_changed").text
    refused = client.post(f"/children/{ref}/record", data={
        "csrf_token": csrf_of(form), "event": "school_changed", "school_urn": "Nowhere Such", **_date()})
    assert refused.status_code == 400 and "No school matches ‘Nowhere Such’" in refused.text


def test_a_school_whose_ages_do_not_fit_the_child_is_flagged_when_offered_and_when_recorded(fresh_site):
    assert age_range_misfit(4, 11, 7) and not age_range_misfit(11, 16, 7) and age_range_misfit(11, 16, 12)
    assert not age_range_misfit(11, 18, 13) and not age_range_misfit(None, None, 3)
    client = signed_in_client(fresh_site, "vs_admin")
    with session_scope(fresh_site.app.engine) as s:
        child = next(c for c in s.execute(select(Child).where(Child.looked_after, Child.school_urn.is_not(None))
                                          .order_by(Child.ref)).scalars() if year_group(c.dob, TODAY) >= 7)
        school = s.execute(select(School).where(School.urn != child.school_urn).order_by(School.urn)
                           ).scalars().first()
        school.low_age, school.high_age, school.name = 4, 11, "Tiny Tots Infant and Junior"
        ref, urn = child.ref, school.urn
    form = client.get(f"/children/{ref}/record?event=school_changed").text
    typed = client.post(f"/children/{ref}/record", data={
        "csrf_token": csrf_of(form), "event": "school_changed", "school_urn": "tiny tots", **_date()})
    assert re.search(r"may not suit: its pupils are aged 4 to 11, and the child is in Year \d+", typed.text)
    done = client.post(f"/children/{ref}/record", data={
        "csrf_token": csrf_of(typed.text), "event": "school_changed", "school_urn": urn, **_date()})
    assert done.status_code == 200 and "Warning: Tiny Tots Infant and Junior may not suit" in done.text


def test_the_lookups_answer_matches_as_json_for_those_who_record_events_only(fresh_site):
    client = signed_in_client(fresh_site, "social_worker")
    with session_scope(fresh_site.app.engine) as s:
        school = s.execute(select(School).order_by(School.urn)).scalars().first()
        carer = s.execute(select(Person).where(Person.role == "carer").order_by(Person.ref)).scalars().first()
    found = client.get(f"/lookup/schools?q={school.name.split()[0][:4]}").json()
    assert {"ref": school.urn, "name": school.name} in [{"ref": m["ref"], "name": m["name"]} for m in found]
    assert client.get("/lookup/schools?q=a").json() == []  # two letters at least
    people = client.get(f"/lookup/people?event=care_placement_changed&field=carer_ref&q={carer.name.split()[-1]}").json()
    assert carer.ref in [m["ref"] for m in people] and all(m["detail"] == "Carer" for m in people)
    assert client.get("/lookup/people?event=care_placement_changed&field=la&q=ab").status_code == 404
    assert signed_in_client(fresh_site, "read_only").get("/lookup/schools?q=ab").status_code == 403


def test_a_match_chosen_as_it_was_typed_is_taken_without_the_search_step(fresh_site):
    client = signed_in_client(fresh_site, "vs_admin")
    ref, name, urn = _a_child_and_another_school(fresh_site)
    form = client.get(f"/children/{ref}/record?event=school_changed").text
    assert 'data-pepflow-lookup="/lookup/schools?q="' in form and '<script src="/static/pepflow.js"' in form
    done = client.post(f"/children/{ref}/record", follow_redirects=False, data={
        "csrf_token": csrf_of(form), "event": "school_changed", "school_urn": f"{name} (URN {urn})", **_date()})
    assert done.status_code == 303
    with session_scope(fresh_site.app.engine) as s:
        assert s.get(Child, ref).school_urn == urn
