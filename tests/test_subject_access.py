"""Subject access to a child's record on its statutory clock (issue 43 item 1): one calendar month
from receipt, the corresponding date or the month's last day; extended once, within the month, by
up to two months with a reason; answered in time or late."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from pepflow.db.models import SubjectAccessRequest
from pepflow.errors import InputError

from .support.cases import add_child, deadlines, event
from .conftest import d


def ask(world, config, on, **extra):
    values = dict(requester="Jo Parent", relationship="parent", identity_checked="passport seen at the office",
                  authority_checked="parental responsibility: birth certificate and court order seen")
    values.update(extra)
    return event(world, config, "C100", "subject_access_requested", on, today=on, role="vs_admin", **values)


def request(world):
    with Session(world) as s:
        return s.exec(select(SubjectAccessRequest)).one()


@pytest.fixture
def child(world, config):
    add_child(world, config, d("2025-12-18"))
    return "C100"


@pytest.mark.parametrize("received, due", [("2026-01-31", "2026-02-28"), ("2028-01-31", "2028-02-29"),
                                           ("2026-03-03", "2026-04-03"), ("2026-08-31", "2026-09-30")])
def test_a_request_is_due_one_calendar_month_after_receipt(world, config, child, received, due):
    ask(world, config, received)
    (clock,) = deadlines(world, child, "subject_access")
    assert (request(world).due_on, clock.due_on, clock.owner_role, clock.status) == (d(due), d(due), "vs_admin", "open")


def test_an_extension_is_once_within_the_month_by_up_to_two_months_with_a_reason(world, config, child):
    ask(world, config, "2026-01-31")
    number = request(world).id
    with pytest.raises(InputError):
        event(world, config, child, "subject_access_extended", "2026-02-10", today="2026-02-10", role="vs_admin",
              request=number, months=3, reason="complex")
    event(world, config, child, "subject_access_extended", "2026-02-10", today="2026-02-10", role="vs_admin",
          request=number, months=2, reason="complex: records from three councils")
    assert request(world).extended_to == d("2026-04-30")
    clocks = deadlines(world, child, "subject_access")
    assert [(c.status, c.due_on) for c in clocks] == [("cancelled", d("2026-02-28")), ("open", d("2026-04-30"))]
    with pytest.raises(InputError, match="a request is extended once"):
        event(world, config, child, "subject_access_extended", "2026-02-11", today="2026-02-11", role="vs_admin",
              request=number, months=1, reason="again")


def test_an_extension_after_the_month_is_refused(world, config, child):
    ask(world, config, "2026-01-05")
    with pytest.raises(InputError, match="within the first month"):
        event(world, config, child, "subject_access_extended", "2026-02-06", today="2026-02-06", role="vs_admin",
              request=request(world).id, months=1, reason="late")


def test_answered_in_time_or_late_the_clock_says_which(world, config, child):
    ask(world, config, "2026-01-05")
    event(world, config, child, "subject_access_answered", "2026-02-09", today="2026-02-09", role="vs_admin",
          request=request(world).id)
    (clock,) = deadlines(world, child, "subject_access")
    assert (clock.status, clock.days_late) == ("met_late", 4)
    with pytest.raises(InputError, match="was answered on 9 Feb 2026"):
        event(world, config, child, "subject_access_answered", "2026-02-10", today="2026-02-10", role="vs_admin",
              request=request(world).id)


def test_someone_asking_for_a_childs_record_must_show_their_authority_unless_they_are_the_child(world, config, child):
    with pytest.raises(InputError) as refused:
        ask(world, config, "2026-01-05", authority_checked="")
    assert refused.value.field == "authority_checked"
    ask(world, config, "2026-01-05", relationship="the_child", requester="The child", authority_checked="")
    with pytest.raises(InputError, match="Virtual School's to record|cannot record"):
        event(world, config, child, "subject_access_answered", "2026-01-06", today="2026-01-06",
              role="social_worker", request=request(world).id)


def test_the_compliance_page_counts_requests_in_time_late_and_overdue(world, config, child):
    from pepflow.reports.compliance_figures import compliance

    ask(world, config, "2026-01-05")
    ask(world, config, "2026-01-06")
    with Session(world) as s:
        first, second = s.exec(select(SubjectAccessRequest.id).order_by(SubjectAccessRequest.id)).all()
    event(world, config, child, "subject_access_answered", "2026-02-02", today="2026-02-02", role="vs_admin",
          request=first)
    with Session(world) as s:
        figures = compliance(s, config, d("2026-01-01"), d("2026-03-31"), as_of=d("2026-02-20"))["subject_access"]
    assert figures == {"received": 2, "extended": 0, "answered_in_time": 1, "answered_late": 0, "open": 1,
                       "overdue": 1}
