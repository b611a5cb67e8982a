"""No Python value and no code reaches a person (issue 20): every page, email and report of
the demo is read as text and searched for ``None``, ``{``, ``[`` and snake_case codes."""

from __future__ import annotations

import html
import re
from email import message_from_bytes
from email.policy import default as email_policy

import pytest
from sqlalchemy import select

from pepflow.db.connection import session_scope
from pepflow.db.models import Pep
from pepflow.engine.offered import events_open_to
from pepflow.notify.mailers import FolderMailer
from pepflow.notify.outbox import dispatch
from pepflow.reports.html import render
from pepflow.reports.text import as_table
from pepflow.reports.compliance_figures import compliance
from pepflow.notify.sweep import sweep
from pepflow.db.models import Child

from .support.web import signed_in_client
from .websupport import TODAY, build_site

CODE = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")  # pep_review, met_late, vs_admin
PYTHON = re.compile(r"\bNone\b|[{}\[\]]")


def visible_text(page: str) -> str:
    """What a person reads: the text outside tags, scripts, styles and charts' markup."""
    page = re.sub(r"<(script|style|svg)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def problems_in(where: str, text: str) -> list[str]:
    found = [f"{where}: {m.group(0)!r} in …{text[max(0, m.start() - 40):m.end() + 40]!r}…"
             for pattern in (PYTHON, CODE) for m in pattern.finditer(text)]
    return found[:5]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    site = build_site(f"sqlite:///{folder / 'demo.db'}", children=80, schools=10)
    app = site.app
    sweep(app.engine, app.config, TODAY, clock=app.clock)
    mailer = FolderMailer(folder / "outbox")
    dispatch(app.engine, app.config, mailer, app.clock)
    return site, folder


def test_no_page_shows_a_python_value_or_a_code(demo):
    site, _ = demo
    problems: list[str] = []
    client = signed_in_client(site, "vs_admin")
    with session_scope(site.app.engine) as s:
        refs = s.execute(select(Pep.child_ref).where(Pep.is_current).order_by(Pep.state, Pep.child_ref)).scalars().all()
        cases = sorted(set(refs))[::8]
        forms = {(c.ref, e.name) for c in s.execute(select(Child).where(Child.ref.in_(cases))).scalars()
                 for e in events_open_to(s, c, TODAY) if e.spec.may_be_recorded_by("vs_admin")}
    paths = ["/my-work?within=all", "/peps/overdue", "/admissions?show=all", "/exclusions?show=all",
             "/compliance", "/compliance/annual", "/outbox?status=all", "/outbox", "/people"] + [f"/children/{ref}" for ref in cases] \
        + [f"/children/{ref}/record?event={event}" for ref, event in sorted(forms)] \
        + [f"/children/{ref}/pep" for ref in cases[:3]] \
        + [f"/children/{cases[0]}/pep/{key}" for key in ("about_the_child", "targets", "meeting", "contacts")]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        problems += problems_in(path, visible_text(response.text))
    assert not problems, "\n".join(problems)


def test_no_email_shows_a_python_value_or_a_code(demo):
    _, folder = demo
    emails = sorted((folder / "outbox").glob("*.eml"))
    assert emails
    problems: list[str] = []
    for path in emails:
        message = message_from_bytes(path.read_bytes(), policy=email_policy)
        text = message.get_body(("plain",)).get_content()
        body = visible_text(message.get_body(("html",)).get_content())
        for part in (message["Subject"], text, body):
            problems += problems_in(path.name, re.sub(r"https?://\S+", " ", part))
    assert not problems, "\n".join(problems)


def test_no_report_shows_a_python_value_or_a_code(demo):
    site, _ = demo
    app = site.app
    with session_scope(app.engine) as s:
        report = compliance(s, app.config, TODAY.replace(month=9, day=1), TODAY, TODAY)
    problems = problems_in("text report", as_table(report))
    problems += problems_in("annual report", visible_text(render(report)))
    assert not problems, "\n".join(problems)


def test_one_deadline_kind_and_one_event_read_the_same_on_the_page_in_the_email_and_on_the_command_line(demo, cli):
    site, folder = demo
    from pepflow.vocabulary import event_label, kind_label

    emails = [message_from_bytes(p.read_bytes(), policy=email_policy) for p in sorted((folder / "outbox").glob("*.eml"))]
    texts = [m.get_body(("plain",)).get_content() for m in emails]
    with session_scope(site.app.engine) as s:
        from pepflow.db.models import Deadline, Notification

        ref, kind = s.execute(select(Notification.child_ref, Deadline.kind).join(
            Deadline, Deadline.id == Notification.deadline_id).where(Notification.status == "sent")
            .order_by(Notification.id)).first()
        held = s.execute(select(Pep.child_ref).where(Pep.meeting_held_on.is_not(None)).order_by(Pep.child_ref)
                         ).scalars().first()
    label = kind_label(kind)
    assert any(re.search(rf"Case {ref} \([^)]*\): {re.escape(label)}", text) for text in texts)  # the email
    page = visible_text(signed_in_client(site, "vs_admin").get(f"/children/{ref}").text)
    assert label in page  # the case page's open deadlines
    code, out, _ = cli("--db", site.app.url, "--today", TODAY.isoformat(), "deadlines", "--child", ref)
    assert code == 0 and label in out  # the command line
    event = event_label("pep_meeting_held")
    assert event in visible_text(signed_in_client(site, "vs_admin").get(f"/children/{held}").text)
    code, out, _ = cli("--db", site.app.url, "history", held)
    assert code == 0 and f"  {event} " in out


def _people_and_schools(site) -> tuple[dict[str, str], dict[str, str]]:
    from pepflow.db.models import Person, School

    with session_scope(site.app.engine) as s:
        people = dict(s.execute(select(Person.ref, Person.name)).all())
        schools = dict(s.execute(select(School.urn, School.name)).all())
    return people, schools


def codes_without_names(where: str, text: str, people: dict[str, str], schools: dict[str, str]) -> list[str]:
    """Each person's reference or school's URN in ``text`` whose name is not there beside it
    (within the same line or table row): a reader who may see the name was shown a code."""
    found = []
    for line in text.splitlines():
        for token in set(re.findall(r"\b[A-Z]{2,4}\d{1,3}\b|\b\d{6}\b", line)):
            name = people.get(token) or schools.get(token)
            if name and name not in line:
                found.append(f"{where}: {token!r} without {name!r} in {line.strip()[:160]!r}")
    return found


def test_no_page_email_or_csv_shows_a_person_or_school_only_by_its_code(demo):
    """Names, not codes (issue 38): wherever a person or school appears on the demo's pages,
    CSVs and emails, its name is there (a school's URN may stand beside its name)."""
    site, folder = demo
    people, schools = _people_and_schools(site)
    problems: list[str] = []
    client = signed_in_client(site, "vs_admin")
    with session_scope(site.app.engine) as s:
        cases = s.execute(select(Child.ref).order_by(Child.ref)).scalars().all()[::10]
    pages = ["/my-work?within=all", "/peps/overdue", "/admissions?show=all", "/exclusions?show=all",
             "/children", "/decisions", "/outbox?status=all"] + [f"/children/{ref}" for ref in cases]
    for path in pages:
        page = client.get(path).text
        # a table row or a list item is one line of reading: the name must be in the same one
        rows = re.split(r"</tr>|</li>|</dd>|</p>", page)
        problems += codes_without_names(path, "\n".join(" ".join(visible_text(r).split()) for r in rows),
                                        people, schools)
    for path in ("/my-work?within=all", "/peps/overdue", "/admissions?show=all", "/exclusions?show=all"):
        problems += codes_without_names(f"{path} CSV", client.get(path + "&format=csv").text, people, schools)
    for eml in sorted((folder / "outbox").glob("*.eml")):
        message = message_from_bytes(eml.read_bytes(), policy=email_policy)
        problems += codes_without_names(eml.name, message.get_body(("plain",)).get_content(), people, schools)
    assert not problems, "\n".join(problems[:20])
