"""Reminders and escalations: the sweep, the outbox and delivery to a real SMTP server."""

from __future__ import annotations

import asyncio
import email
import email.policy
import datetime as dt
import threading

import pytest
from aiosmtpd.controller import Controller
from hypothesis import given, settings, strategies as st
from sqlmodel import Session, select

from pepflow.config import ConfigError, load_config
from pepflow.db import Event, Notification, Person, make_engine
from pepflow.db.connection import session_scope
from pepflow.errors import InputError
from pepflow.notify.mailers import FolderMailer, SMTPMailer, mailer_from_env
from pepflow.clock import SteppedClock as at
from pepflow.notify.outbox import dispatch, relay_status
from pepflow.notify.relay import describe as relay_describe
from pepflow.rules.escalation import decide, plan
from pepflow.notify.sweep import sweep

from .pgserver import free_port
from .conftest import ROOT, d
from .support.cases import add_child, event

NOW = dt.datetime(2026, 1, 12, 8, 0, tzinfo=dt.timezone.utc)


def text_of(envelope) -> str:
    """The plain-text body of a received message, decoded."""
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    return message.get_body(("plain",)).get_content()


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list = []
        self.peers: list = []  # the client's address and port: one per connection

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        self.peers.append(session.peer)
        return "250 OK"




@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


def mailer_for(controller) -> SMTPMailer:
    return SMTPMailer("127.0.0.1", controller.port, security="none", timeout=5)


def rows(engine, **where):
    with Session(engine) as s:
        query = select(Notification)
        for k, v in where.items():
            query = query.where(getattr(Notification, k) == v)
        return list(s.exec(query.order_by(Notification.id)))


def test_every_step_of_a_plan_is_on_a_working_day(cal, config):
    """Offsets are working days: a reminder never falls on a weekend or a bank holiday."""
    policy = config.notifications.for_kind("default")
    for due in (d("2025-12-27"), d("2026-01-01"), d("2026-05-04"), d("2026-08-31")):
        for step in plan(policy, due, cal):
            assert cal.is_working_day(step.on), (due, step)


@settings(max_examples=200, deadline=None)
@given(due=st.dates(min_value=dt.date(2024, 9, 1), max_value=dt.date(2027, 6, 30)))
def test_steps_are_working_days_for_any_due_date(cal, config, due):
    for step in plan(config.notifications.for_kind("default"), due, cal):
        assert cal.is_working_day(step.on)


def test_after_downtime_only_the_current_step_is_due_and_earlier_ones_are_stale(cal, config):
    steps = plan(config.notifications.for_kind("default"), d("2026-01-20"), cal)
    decision = decide(steps, "", d("2026-01-20"))
    assert decision.current.name == "remind_0"
    assert [s.name for s in decision.stale] == ["remind_5", "remind_1"]
    assert decision.next_on == d("2026-01-22")  # escalate_2: two working days overdue


def test_a_weekend_is_never_a_reminder_day(world, config):
    add_child(world, config, d("2025-12-18"))
    result = sweep(world, config, d("2026-01-10"))  # Saturday
    assert not result.working_day and rows(world) == []


def test_a_sweep_twice_writes_each_step_once(world, config):
    """Initial PEP due 6 Jan: on Tue 30 Dec the 5-working-day reminder goes to the social worker."""
    add_child(world, config, d("2025-12-18"))
    first = sweep(world, config, d("2025-12-30"))
    again = sweep(world, config, d("2025-12-30"))
    written = rows(world, status="pending")
    assert first.written == len(written) and again.written == 0
    initial = [r for r in written if r.payload["kind"] == "initial_pep"]
    assert [(r.recipient_ref, r.step) for r in initial] == [("SW1", "remind_5")]
    assert initial[0].payload["child_ref"] == "C100" and "first_name" not in initial[0].payload


def test_three_days_of_downtime_send_the_current_step_and_skip_the_stale(world, config):
    """Down from 1 to 6 Jan: on 6 Jan the on-the-day reminder goes; 5- and 1-day ones are skipped."""
    add_child(world, config, d("2025-12-18"))
    sweep(world, config, d("2025-12-30"))
    result = sweep(world, config, d("2026-01-06"))
    initial = [r for r in rows(world) if r.payload.get("kind") == "initial_pep"]
    assert {r.step: r.status for r in initial} == {
        "remind_5": "pending", "remind_1": "skipped", "remind_0": "pending"}
    assert any(s["step"] == "remind_1" for s in result.skipped)
    with Session(world) as s:
        audit = s.exec(select(Event).where(Event.name == "notification_skipped")).all()
    assert any(a.payload["step"] == "remind_1" and a.child_ref == "C100" for a in audit)


def test_escalation_goes_to_the_owners_manager_and_vs_admin(world, config):
    with session_scope(world) as s:
        s.add(Person(ref="VSA1", role="vs_admin", name="Admin", email="vsa1@example.org"))
    add_child(world, config, d("2025-12-18"))
    sweep(world, config, d("2026-01-08"))  # initial PEP 2 working days overdue
    initial = [r for r in rows(world, status="pending") if r.payload.get("kind") == "initial_pep"]
    assert {(r.recipient_ref, r.step) for r in initial} == {("TM1", "escalate_2"), ("VSA1", "escalate_2")}
    assert initial[0].payload["days_overdue"] == 2


def test_a_missing_email_becomes_an_item_for_vs_admin_not_a_crash(world, config):
    with session_scope(world) as s:
        s.add(Person(ref="VSA1", role="vs_admin", name="Admin", email="vsa1@example.org"))
        s.get(Person, "DT1").email = ""
    add_child(world, config, d("2025-12-18"))
    event(world, config, "C100", "pep_meeting_held", "2026-01-05")
    result = sweep(world, config, d("2026-01-12"))  # completion due on the day
    said = "no DT email for Riverside Primary (URN 100001) (Dee Teacher)"  # names, the URN beside the school's
    assert said in result.problems
    items = [r for r in rows(world) if r.step == "missing_contact"]
    assert [(r.recipient_ref, r.payload["what"]) for r in items] == [("VSA1", said)]


def test_messages_arrive_with_the_right_recipients_and_minimum_content(world, config, smtp):
    controller, inbox = smtp
    add_child(world, config, d("2025-12-18"))
    sweep(world, config, d("2025-12-30"))
    result = dispatch(world, config, mailer_for(controller), at(NOW))
    assert result.emails_sent == 1 and len(inbox.messages) == 1  # the social worker's reminder
    by_rcpt = {m.rcpt_tos[0]: text_of(m) for m in inbox.messages}
    body = by_rcpt["sw1@example.org"]
    assert "C100" in body and "6 Jan 2026" in body and "/children/C100" in body
    assert "C100 (Test Child)" in body  # the child's name beside the reference: the recipient may see it
    assert all(r.status == "sent" and r.message_id for r in rows(world) if r.recipient_ref)
    with Session(world) as s:
        emails = s.exec(select(Event).where(Event.name == "email_sent")).all()
        assert [(e.child_ref, len(e.payload["notifications"])) for e in emails] == [(None, 1)]


def test_a_digest_is_one_history_row_naming_its_reminders_and_each_child_still_shows_theirs(world, config, smtp):
    from pepflow.reports.listings import readable_history

    controller, inbox = smtp
    for ref in ("C100", "C101", "C102"):
        add_child(world, config, d("2025-12-18"), ref=ref)
    sweep(world, config, d("2025-12-30"))
    result = dispatch(world, config, mailer_for(controller), at(NOW))
    assert result.emails_sent == 1 and result.notifications_sent == 3  # the social worker's digest
    with Session(world) as s:
        emails = s.exec(select(Event).where(Event.name == "email_sent")).all()
        sent = {r.child_ref: r.id for r in rows(world) if r.status == "sent"}
        assert len(emails) == 1 and sorted(emails[0].payload["notifications"]) == sorted(sent.values())
        assert emails[0].payload["to"] == "SW1" and emails[0].child_ref is None
        for ref in ("C100", "C101", "C102"):
            reminders = [r for r in readable_history(s, ref) if r["event"] == "notification_sent"]
            assert [r["sentence"] for r in reminders] == ["Reminder sent to Sally Worker (social worker): initial PEP "
                                                          "due 6 Jan 2026"], reminders


def test_a_council_whose_email_leaves_its_network_sends_the_case_reference_only(world, tmp_path):
    shipped = (ROOT / "config" / "notifications.toml").read_text()
    (tmp_path / "notifications.toml").write_text(shipped.replace("include_child_name = true", "include_child_name = false"))
    config = load_config(tmp_path)
    add_child(world, config, d("2025-12-18"))
    sweep(world, config, d("2025-12-30"))
    payloads = [r.payload for r in rows(world) if r.recipient_ref]
    assert payloads and all("child_name" not in p for p in payloads)


def test_a_relay_that_is_down_pauses_delivery_without_charging_the_email_then_it_goes_once(world, config):
    """None lost, none twice: the relay refused the connection, so delivery waits (60 s,
    then doubling) and the email is not charged an attempt; when it is back, it goes."""
    port = free_port()
    add_child(world, config, d("2025-12-18"))
    sweep(world, config, d("2025-12-30"))
    down = dispatch(world, config, SMTPMailer("127.0.0.1", port, security="none", timeout=2), at(NOW))
    assert down.emails_sent == 0 and down.paused_until == NOW + dt.timedelta(seconds=60)
    assert "refused the connection" in down.relay_error
    assert all(r.attempts == 0 and r.status == "pending" for r in rows(world, status="pending"))
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        mailer = SMTPMailer("127.0.0.1", port, security="none", timeout=5)
        paused = dispatch(world, config, mailer, at(NOW + dt.timedelta(seconds=30)))
        later = dispatch(world, config, mailer, at(NOW + dt.timedelta(minutes=5)))
        again = dispatch(world, config, mailer, at(NOW + dt.timedelta(minutes=10)))
    finally:
        controller.stop()
    assert paused.claimed == 0 and paused.paused_until is not None
    assert later.emails_sent == 1 and again.claimed == 0 and len(inbox.messages) == 1
    assert relay_status(world, config, NOW + dt.timedelta(minutes=10)).down is False


def test_an_email_not_delivered_within_72_hours_fails_and_vs_admin_is_told(world, config):
    with session_scope(world) as s:
        s.add(Person(ref="VSA1", role="vs_admin", name="Admin", email="vsa1@example.org"))
    add_child(world, config, d("2025-12-18"))
    sweep(world, config, d("2025-12-30"))
    mailer = SMTPMailer("127.0.0.1", free_port(), security="none", timeout=1)
    clock = at(NOW)
    while clock.now() <= NOW + dt.timedelta(hours=73):  # a try each hour for 73 hours
        dispatch(world, config, mailer, clock)
        clock.advance(dt.timedelta(hours=1))
    failed = rows(world, status="failed")
    assert [r.recipient_ref for r in failed] == ["SW1"]
    assert "not delivered within 72 hours" in failed[0].last_error and failed[0].attempts == 0
    told = rows(world, step="delivery_failed")
    assert [r.recipient_ref for r in told] == ["VSA1"] and "SW1" in told[0].payload["what"]
    status = relay_status(world, config, clock.now())
    assert status.alert and "has not accepted email for 74 h 0 min" in relay_describe(status, clock.now())


def test_two_sweeps_and_two_dispatchers_at_once_make_no_duplicates(world, config, smtp):
    controller, inbox = smtp
    for i in range(20):
        add_child(world, config, d("2025-12-18"), ref=f"C{i:03d}")
    errors: list[Exception] = []

    def run(fn):
        try:
            fn()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(lambda: sweep(world, config, d("2025-12-30")),))
               for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors
    keys = [r.key for r in rows(world)]
    assert len(keys) == len(set(keys)) == 20  # 20 children x the social worker's reminder
    threads = [threading.Thread(target=run, args=(lambda: dispatch(world, config, mailer_for(controller), at(NOW)),))
               for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert not errors
    items = sum(text_of(m).count("Open the case") for m in inbox.messages)
    assert items == 20 and all(r.status == "sent" for r in rows(world))


def test_folder_delivery_writes_one_file_per_message_id(world, config, tmp_path):
    add_child(world, config, d("2025-12-18"))
    sweep(world, config, d("2025-12-30"))
    dispatch(world, config, FolderMailer(tmp_path / "out"), at(NOW))
    files = sorted((tmp_path / "out").glob("*.eml"))
    assert len(files) == 1 and "Message-ID: <pepflow." in files[0].read_text()


def test_a_council_can_override_the_email_template(world, tmp_path, smtp):
    controller, inbox = smtp
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates/digest.txt.j2").write_text("Council text: {{ items|length }} for you.\n")
    config = load_config(tmp_path)
    add_child(world, config, d("2025-12-18"))
    sweep(world, config, d("2025-12-30"))
    dispatch(world, config, mailer_for(controller), at(NOW))
    assert all("Council text: 1 for you." in text_of(m) for m in inbox.messages)


def test_an_email_that_cannot_be_written_waits_to_retry_and_the_others_are_sent(world, tmp_path, smtp):
    controller, inbox = smtp
    (tmp_path / "notifications.toml").write_text("[delivery]\ndigest = false\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates/digest.txt.j2").write_text(  # a council template with a mistake for one case
        '{% for item in items %}{% if item.child_ref == "C200" %}{{ no_such_value }}{% endif %}'
        'Case {{ item.child_ref }}{% endfor %}\n')
    config = load_config(tmp_path)
    add_child(world, config, d("2025-12-18"))
    add_child(world, config, d("2025-12-18"), ref="C200")
    sweep(world, config, d("2025-12-30"))
    result = dispatch(world, config, mailer_for(controller), at(NOW))
    assert result.emails_sent >= 1 and result.failed_for_now >= 1
    assert inbox.messages and all("C200" not in text_of(m) for m in inbox.messages)
    waiting = rows(world, status="pending")
    assert waiting and all(r.child_ref == "C200" and r.attempts == 1 and "no_such_value" in r.last_error
                           for r in waiting)
    assert all(r.child_ref == "C100" for r in rows(world, status="sent"))


def test_bad_notification_policy_names_the_field(tmp_path):
    (tmp_path / "notifications.toml").write_text(
        '[policy.pep_qa]\nescalations = [{ after = 2, to = ["the_mayor"] }]\n')
    with pytest.raises(ConfigError, match=r"policy.pep_qa.*escalations.to.*the_mayor"):
        load_config(tmp_path)


@pytest.mark.parametrize("text, message", [
    ('[notices.left_care]\nto = ["vsh"]\n', r"notices.left_care.*only these events can send a notice"),
    ('[notices.suspension_started]\nto = ["carer"]\n', r"notices.suspension_started.*to.*carer"),
    ('[notices.suspension_started]\nto = []\n', r"notices.suspension_started.*to"),
    ('[delivery]\nmax_attempts = 6\n', r"max_attempts is no longer used.*give_up_after_hours"),
    ('[delivery]\nlease_seconds = 5\n', r"delivery.*lease_seconds"),
    ('[delivery]\nretry_after_seconds = 600\nretry_max_seconds = 60\n', r"retry_max_seconds must be at least"),
])
def test_a_bad_notice_or_delivery_setting_names_the_entry_and_the_field(tmp_path, text, message):
    (tmp_path / "notifications.toml").write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_config(tmp_path)


def test_the_service_starts_sweeps_and_stops_cleanly(tmp_path, monkeypatch):
    from pepflow.service.application import App
    from pepflow.service.scheduler import run_service
    from pepflow.service.use_cases import run_demo

    monkeypatch.chdir(tmp_path)
    app = App(database_url=f"sqlite:///{tmp_path / 'svc.db'}", today_override="2026-11-23")
    run_demo(app, children=30, schools=4, reset=True)
    stop = threading.Event()
    thread = threading.Thread(target=run_service, args=(app, stop))
    thread.start()
    asyncio.run(asyncio.sleep(1.5))
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive()
    assert list((tmp_path / "outbox").glob("*.eml"))  # the catch-up sweep and dispatch ran
    from pepflow.audit.checkpoints import read

    _, checkpoints = read(app.engine)  # the catch-up sweep checkpointed the history
    assert checkpoints and checkpoints[-1].rows > 0 and checkpoints[-1].signed


def test_simulating_a_fortnight_records_events_sends_reminders_and_summarises(tmp_path, cli):
    url = f"sqlite:///{tmp_path / 'sim.db'}"
    assert cli("--db", url, "--today", "2026-09-01", "demo", "--children", "60", "--schools", "6")[0] == 0
    code, out, err = cli("--db", url, "--today", "2026-09-30", "simulate", "--from", "2026-09-02",
                         "--to", "2026-09-15")
    assert code == 0, err
    assert "Simulated 14 days (10 working days)" in out
    assert "Reminders by recipient role:" in out and "Deadlines met on time:" in out
    emails = int(out.split("events recorded; ")[1].split()[0])
    assert emails > 0 and len(list((tmp_path / "outbox-simulation").glob("*.eml"))) == emails


def _history_rows(url: str) -> int:
    from sqlalchemy import text

    engine = make_engine(url, create=False)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM event")).scalar()
    engine.dispose()
    return rows


def test_simulate_runs_on_a_copy_and_leaves_the_database_and_its_outbox_alone(tmp_path, cli):
    url = f"sqlite:///{tmp_path / 'live.db'}"
    assert cli("--db", url, "--today", "2026-09-01", "demo", "--children", "30", "--schools", "4")[0] == 0
    before = _history_rows(url)
    code, out, err = cli("--db", url, "--today", "2026-09-30", "simulate", "--from", "02/09/2026",
                         "--to", "15/09/2026")
    assert code == 0, err
    assert f"Simulating on a copy of the database: {tmp_path / 'live-simulation.db'}" in out
    assert _history_rows(url) == before and not (tmp_path / "outbox").exists()
    assert _history_rows(f"sqlite:///{tmp_path / 'live-simulation.db'}") > before
    code, out, err = cli("--db", url, "--today", "2026-09-30", "simulate", "--from", "2026-09-02",
                         "--to", "2026-09-15", "--in-place")
    assert code == 0, err
    assert _history_rows(url) > before and list((tmp_path / "outbox").glob("*.eml"))


def test_simulate_on_postgresql_needs_in_place(cli, postgres_server):
    url = postgres_server.new_database()
    code, _, err = cli("--db", url, "--today", "2026-09-30", "simulate", "--from", "2026-09-02",
                       "--to", "2026-09-15")
    assert code == 1 and "--in-place" in err and "live cases" in err


def test_sweep_dry_run_prints_what_would_be_sent_and_writes_nothing(tmp_path, cli):
    url = f"sqlite:///{tmp_path / 'dry.db'}"
    cli("--db", url, "--today", "2026-11-23", "demo", "--children", "40", "--schools", "5")
    code, out, _ = cli("--db", url, "--today", "2026-11-23", "sweep", "--dry-run")
    assert code == 0 and "would be written" in out and " to " in out
    code, out, _ = cli("--db", url, "outbox", "--pending")
    assert all(" Notice " in line for line in out.splitlines()[2:])  # the demo's exclusion notices, no reminder
    code, out, _ = cli("--db", url, "--today", "2026-11-21", "sweep")
    assert "21 Nov 2026 is not a working day" in out


def test_the_command_line_sweeps_a_day_once_and_tells_vs_admin_the_relay_is_down(tmp_path, cli, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    cli("--db", url, "--today", "2026-11-23", "demo", "--children", "40", "--schools", "5")
    code, out, _ = cli("--db", url, "--today", "2026-11-23", "sweep")
    assert code == 0 and "notification(s) written" in out
    code, out, _ = cli("--db", url, "--today", "2026-11-23", "sweep")
    assert code == 0 and "23 Nov 2026 was already swept" in out and "A day is swept once" in out
    monkeypatch.setenv("PEPFLOW_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("PEPFLOW_SMTP_PORT", str(free_port()))  # nobody listens there
    monkeypatch.setenv("PEPFLOW_SMTP_SECURITY", "none")
    code, out, err = cli("--db", url, "--today", "2026-11-23", "dispatch")
    assert code == 0 and "0 email(s) sent" in out and "the mail relay refused the connection" in err
    assert "none is lost" in err
    code, out, _ = cli("--db", url, "--today", "2026-11-23", "dispatch")
    assert "Nothing sent: delivery is paused" in out
    code, out, _ = cli("--db", url, "--today", "2026-11-24", "outbox", "--pending")
    assert out.startswith("For VS admin: The mail relay has not accepted email for 24 h 0 min")


def test_without_an_smtp_host_emails_go_to_the_folder(tmp_path):
    mailer = mailer_from_env(str(tmp_path / "out"), {})
    assert isinstance(mailer, FolderMailer) and mailer.folder == tmp_path / "out"


def test_smtp_settings_come_from_the_environment():
    mailer = mailer_from_env("out", {"PEPFLOW_SMTP_HOST": "relay.council.gov.uk", "PEPFLOW_SMTP_SECURITY": "TLS",
                                     "PEPFLOW_SMTP_USERNAME": "pepflow", "PEPFLOW_SMTP_PASSWORD": "s3cret",
                                     "PEPFLOW_SMTP_CONNECTIONS": "2"})
    assert isinstance(mailer, SMTPMailer)
    assert (mailer.host, mailer.port, mailer.security, mailer.username, mailer.password, mailer.connections) == (
        "relay.council.gov.uk", 465, "tls", "pepflow", "s3cret", 2)
    default = mailer_from_env("out", {"PEPFLOW_SMTP_HOST": "relay"})
    assert (default.port, default.security, default.connections) == (587, "starttls", 4)


@pytest.mark.parametrize("name, value", [
    ("PEPFLOW_SMTP_SECURITY", "ssl"), ("PEPFLOW_SMTP_PORT", "smtp"), ("PEPFLOW_SMTP_PORT", "70000"),
    ("PEPFLOW_SMTP_CONNECTIONS", "0"), ("PEPFLOW_SMTP_CONNECTIONS", "21"), ("PEPFLOW_SMTP_CONNECTIONS", "four")])
def test_a_bad_smtp_setting_names_the_variable_and_its_value(name, value):
    with pytest.raises(InputError) as caught:
        mailer_from_env("out", {"PEPFLOW_SMTP_HOST": "relay", name: value})
    assert caught.value.field == name and caught.value.value == value


@pytest.mark.parametrize("connections", [1, 3])
def test_dispatch_sends_over_as_many_connections_as_configured(world, tmp_path, smtp, connections):
    controller, inbox = smtp
    (tmp_path / "notifications.toml").write_text("[delivery]\ndigest = false\n")  # an email per item
    config = load_config(tmp_path)
    for i in range(6):
        add_child(world, config, d("2025-12-18"), ref=f"C3{i:02d}")
    sweep(world, config, d("2025-12-30"))
    mailer = mailer_for(controller)
    mailer.connections = connections
    result = dispatch(world, config, mailer, at(NOW))
    assert result.emails_sent == len(inbox.messages) >= 6
    assert len(set(inbox.peers)) == connections
    assert not rows(world, status="sending") and not rows(world, status="pending")


# ---- where the email folder is ------------------------------------------------------------

def test_the_shipped_email_folder_is_beside_the_sqlite_database_not_where_the_command_runs(tmp_path,
                                                                                        monkeypatch):
    from pepflow.service.application import App

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    app = App(database_url=f"sqlite:///{tmp_path / 'data' / 'pepflow.db'}")
    assert app.outbox_folder() == tmp_path / "data" / "outbox"


def test_a_relative_email_folder_in_a_councils_configuration_is_inside_that_folder(tmp_path, monkeypatch):
    from pepflow.service.application import App

    council = tmp_path / "council"
    council.mkdir()
    (council / "notifications.toml").write_text('[delivery]\nfolder = "emails"\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    app = App(database_url=f"sqlite:///{tmp_path / 'pepflow.db'}", config_dir=str(council))
    assert app.outbox_folder() == council / "emails"
    (council / "notifications.toml").write_text(f'[delivery]\nfolder = "{tmp_path / "mail"}"\n', encoding="utf-8")
    assert App(database_url="sqlite:///x.db", config_dir=str(council)).outbox_folder() == tmp_path / "mail"


def test_dispatch_writes_emails_beside_the_database_whatever_the_working_folder(cli, tmp_path):
    db = tmp_path / "data" / "pepflow.db"
    db.parent.mkdir()
    code, _, err = cli("--db", f"sqlite:///{db}", "--today", "2026-11-23", "demo", "--children", "20",
                       "--schools", "4")
    assert code == 0, err
    for command in ("sweep", "dispatch"):
        code, out, err = cli("--db", f"sqlite:///{db}", "--today", "2026-11-23", command)
        assert code == 0, err
    assert list((tmp_path / "data" / "outbox").glob("*.eml")) and not (tmp_path / "outbox").exists()
