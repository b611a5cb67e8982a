"""The PEP document as the council's configuration (issue 39 item 1): the shipped template loads,
its sections follow the child's age, EHCP and school, and a bad template is refused naming the
file, the section and the field."""

from __future__ import annotations

import shutil

import pytest

from pepflow.config import load_config, pep_template_in
from pepflow.errors import ConfigError
from pepflow.service.application import App

from .conftest import ROOT

SHIPPED = (ROOT / "config" / "pep.toml").read_text()


def test_the_shipped_template_gives_each_child_the_sections_of_their_age_and_school():
    template = load_config().pep_template
    school_age = [s.key for s in template.sections_for(7, ehcp=False, on_roll=True)]
    assert school_age[:2] == ["about_the_child", "contacts"] and "targets" in school_age
    assert "early_years" not in school_age and "ehcp" not in school_age and "not_on_roll" not in school_age
    assert "early_years" in [s.key for s in template.sections_for(0, ehcp=False, on_roll=True)]
    with_plan = [s.key for s in template.sections_for(10, ehcp=True, on_roll=False)]
    assert "ehcp" in with_plan and "not_on_roll" in with_plan and "setting" not in with_plan
    assert all(s.source for s in template.sections)  # each section says where councils' PEPs have it
    assert template.section("childs_voice").filled_by == ("designated_teacher", "social_worker")


def _council(tmp_path, text: str):
    (tmp_path / "pep.toml").write_text(text)
    return tmp_path


@pytest.mark.parametrize("change, where", [
    (lambda t: t.replace('owner = "social_worker"\nsource = "Gateshead core tabs', 'owner = "headteacher"\nsource = "Gateshead core tabs', 1),
     "entry 'sections.about_the_child'"),
    (lambda t: t.replace('key = "sdq_score"\n  label = "Latest SDQ score"\n  type = "number"', 'key = "sdq_score"\n  label = "Latest SDQ score"\n  type = "score"'),
     "entry 'sections.health', field 'fields.sdq_score.type'"),
    (lambda t: t.replace('  minimum = 0\n  maximum = 40\n  whole = true', '  minimum = 41\n  maximum = 40\n  whole = true'),
     "entry 'sections.health', field 'fields.sdq_score'"),
    (lambda t: t.replace('options = ["yes", "partly", "no"]', 'options = ["yes"]'),
     "entry 'sections.attainment', field 'fields.subjects.columns.on_track': a choice needs at least two options"),
    (lambda t: t.replace('prefill = "child.upn"', 'prefill = "child.shoe_size"'),
     "entry 'sections.about_the_child', field 'fields.upn'"),
    (lambda t: t.replace('key = "contacts"', 'key = "about_the_child"'), "two sections have the same key"),
    (lambda t: t.replace('post_16 = { from_year = 12, to_year = 14 }', ''), "variants must give"),
    (lambda t: t.replace('  key = "preferred_name"\n', '  key = "preferred_name"\n  colour = "blue"\n'),
     "entry 'sections.about_the_child', field 'fields.preferred_name.colour': unknown field"),
    (lambda t: t.replace('key = "care_plan_summary"', 'key = "Care Plan"'),
     "entry 'sections.about_the_child', field 'fields.Care Plan.key'"),
    (lambda t: t.split("[[sections]]")[0], "field 'sections': missing"),
    (lambda t: t.replace('carry_from = "targets.targets"', 'carry_from = "targets.nothing"'),
     "sections.last_terms_targets.fields.review: carry_from 'targets.nothing' is not a table of another section"),
    (lambda t: t.replace("[variants]", "[variants\n"), "not valid TOML"),
])
def test_a_bad_template_is_refused_naming_the_file_the_section_and_the_field(tmp_path, change, where):
    folder = _council(tmp_path, change(SHIPPED))
    with pytest.raises(ConfigError) as refused:
        pep_template_in(folder)
    assert where in str(refused.value) and "pep.toml" in str(refused.value), str(refused.value)


def test_a_councils_own_template_replaces_the_shipped_one_and_a_bad_one_stops_the_start(tmp_path):
    folder = _council(tmp_path, SHIPPED.replace('title = "The child\'s voice"', 'title = "My voice"'))
    assert pep_template_in(folder).section("childs_voice").title == "My voice"
    bad = tmp_path / "bad"
    bad.mkdir()
    shutil.copy(folder / "pep.toml", bad / "pep.toml")
    (bad / "pep.toml").write_text(SHIPPED.replace('type = "long_text"', 'type = "essay"', 1))
    with pytest.raises(ConfigError, match="essay"):
        App(database_url=f"sqlite:///{tmp_path / 'x.db'}", config_dir=str(bad)).config
