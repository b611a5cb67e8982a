"""Who may set each setting that carries someone else's decision: one table
(each setting's ``Param.decided_by``), checked by ``record_event`` for the web pages and the command
line alike.  A refused setting changes nothing and says whose decision it is."""

from __future__ import annotations

import pytest

from pepflow.engine.recording import record_event
from pepflow.db.connection import session_scope
from pepflow.errors import InputError
from pepflow.accounts.access import ROLES
from pepflow.engine.events import decision_parameters, registry
from pepflow.role_table import VIRTUAL_SCHOOL_ROLES

from .conftest import d
from .support.admissions import TODAY, admission_of, step



RECORDING_ROLES = [r for r in ROLES if ROLES[r].records_events]
DECISION_PARAMETERS = decision_parameters()
VIRTUAL_SCHOOL_EVENTS = {name for name, spec in registry().items() if spec.recorded_by == VIRTUAL_SCHOOL_ROLES}
VALUES = {"vsh_decision": "RI school agreed: the unit suits her; evidence on file", "nominated_officer": "VSH1"}


def propose(engine, config, role, **params):
    with session_scope(engine) as s:
        return record_event(s, config, "C100", "school_proposed", "2026-09-07", d(TODAY),
                            params={"school_urn": "200003", **params}, role=role)


@pytest.mark.parametrize("role", RECORDING_ROLES)
@pytest.mark.parametrize("event, parameter", sorted(DECISION_PARAMETERS))
def test_each_decision_setting_is_for_the_roles_the_table_names(schools, config, role, event, parameter):
    assert event == "school_proposed"
    step(schools, config, "admission_needed", "2026-09-07", reason="other")
    before = admission_of(schools).state
    allowed, whose = DECISION_PARAMETERS[(event, parameter)]
    if role in allowed:
        propose(schools, config, role, **{parameter: VALUES[parameter]})
        assert admission_of(schools).school_urn == "200003"
        return
    with pytest.raises(InputError, match=f"is {whose}, which only .* may record"):
        propose(schools, config, role, **{parameter: VALUES[parameter]})
    assert admission_of(schools).state == before


def test_the_vsh_decision_clears_the_requires_improvement_finding_only_for_the_vsh(schools, config):
    step(schools, config, "admission_needed", "2026-09-07", reason="other")
    with pytest.raises(InputError, match="the Virtual School Head's decision, which only the Virtual School Head "
                                         "may record; a social worker cannot set it"):
        propose(schools, config, "social_worker", vsh_decision=VALUES["vsh_decision"])
    outcome = propose(schools, config, "vsh", vsh_decision=VALUES["vsh_decision"])
    assert admission_of(schools).school_urn == "200003" and outcome.state_after


@pytest.mark.parametrize("event", sorted(VIRTUAL_SCHOOL_EVENTS))
def test_the_virtual_schools_events_are_refused_to_a_social_worker_on_the_command_line_too(schools, config, event):
    with session_scope(schools) as s:
        with pytest.raises(InputError, match="is the Virtual School's to record; a social worker cannot record it"):
            record_event(s, config, "C100", event, "2026-09-07", d(TODAY), by="SW1")


def test_the_command_line_asks_who_decided(schools, config, cli):
    url = schools.url.render_as_string(hide_password=False)
    step(schools, config, "admission_needed", "2026-09-07", reason="other")
    args = ("--db", url, "--today", TODAY, "event", "C100", "school_proposed", "--on", "2026-09-07",
            "--set", "school_urn=200003", "--set", f"vsh_decision={VALUES['vsh_decision']}")
    code, _, err = cli(*args)
    assert code == 1 and "--by" in err and "is recorded by Virtual School Head" in err
    code, _, err = cli(*args, "--by", "SW1")
    assert code == 1 and "a social worker cannot set it" in err
    code, out, err = cli(*args, "--by", "VSH1")
    assert code == 0, err


def test_the_web_form_offers_a_decision_only_to_whose_it_is_and_refuses_it_if_sent(fresh_site):
    from sqlalchemy import select

    from pepflow.db.models import Admission, School

    from .support.web import snapshot, signed_in_client
    from .websupport import TODAY as WEB_TODAY, csrf_of, visible_refs

    app = fresh_site.app
    ref = sorted(visible_refs(app, "social_worker"))[0]
    with session_scope(app.engine) as s:
        if s.execute(select(Admission.id).where(Admission.child_ref == ref, Admission.is_open)).first():
            record_event(s, app.config, ref, "admission_withdrawn", WEB_TODAY.isoformat(), WEB_TODAY,
                         params={"reason": "a move under way in the demo, set aside for this test"})
        record_event(s, app.config, ref, "admission_needed", WEB_TODAY.isoformat(), WEB_TODAY,
                     params={"reason": "other"})
        urn = s.execute(select(School.urn).order_by(School.urn)).scalars().first()
    form = f"/children/{ref}/record?event=school_proposed"
    assert 'name="vsh_decision"' in signed_in_client(fresh_site, "vsh").get(form).text
    worker = signed_in_client(fresh_site, "social_worker")
    page = worker.get(form)
    assert page.status_code == 200 and 'name="vsh_decision"' not in page.text
    before = snapshot(fresh_site, ref)
    refused = worker.post(f"/children/{ref}/record", data={
        "csrf_token": csrf_of(page.text), "event": "school_proposed", "on": WEB_TODAY.isoformat(),
        "school_urn": urn, "vsh_decision": "agreed"})
    assert refused.status_code == 400 and "only the Virtual School Head may record" in refused.text
    assert snapshot(fresh_site, ref) == before
    with session_scope(app.engine) as s:
        assert s.execute(select(Admission.school_urn).where(Admission.child_ref == ref, Admission.is_open)).scalar() is None
