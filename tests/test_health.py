"""Health, readiness and metrics: what a council's monitoring reads, and that it names no one."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from pepflow.db.migrate import HEAD
from pepflow.notify.sweep import sweep
from pepflow.web.app import create_app

from .websupport import TODAY, build_site, sign_in


def _site(tmp_path):
    return build_site(f"sqlite:///{tmp_path / 'web.db'}", children=20, schools=4)


def test_healthz_answers_without_signing_in(tmp_path):
    client = TestClient(create_app(_site(tmp_path).app))
    response = client.get("/healthz")
    assert response.status_code == 200 and response.text == "ok\n"


def test_readyz_reports_the_schema_the_last_sweep_and_the_outbox(tmp_path):
    site = _site(tmp_path)
    sweep(site.app.engine, site.app.config, TODAY, clock=site.clock)
    body = TestClient(create_app(site.app)).get("/readyz")
    assert body.status_code == 200
    state = body.json()
    assert state["ready"] is True and state["schema"] == HEAD and state["problems"] == []
    assert state["last_sweep"]["on"] == TODAY.isoformat() and state["last_sweep"]["rows"] > 0
    assert state["outbox"]["by_status"]["pending"] > 0 and state["outbox"]["oldest_pending_seconds"] >= 0
    assert state["relay"] == {"down_since": None, "alert": False}


def test_readyz_is_503_with_the_reason_when_the_schema_is_not_current(tmp_path):
    site = _site(tmp_path)
    with site.app.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0005_school_register'"))
    response = TestClient(create_app(site.app)).get("/readyz")
    assert response.status_code == 503
    assert "run pepflow db upgrade" in response.json()["problems"][0]


def test_metrics_give_the_service_state_and_latency_by_route_template_without_references(tmp_path):
    site = _site(tmp_path)
    sweep(site.app.engine, site.app.config, TODAY, clock=site.clock)
    client = TestClient(create_app(site.app))
    sign_in(client, "vs_admin")
    from pepflow.db.connection import session_scope
    from pepflow.db.models import Child
    from sqlmodel import select

    with session_scope(site.app.engine) as s:
        ref = s.exec(select(Child.ref)).first()
    assert client.get(f"/children/{ref}").status_code == 200
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain")
    text_ = metrics.text
    for name in ("pepflow_ready 1.0", 'pepflow_notifications{status="pending"}', "pepflow_sweep_last_duration_seconds",
                 'pepflow_sweep_last_rows{what="written"}', "pepflow_oldest_pending_email_age_seconds",
                 "pepflow_history_rows_total", "pepflow_relay_down 0.0"):
        assert name in text_, name
    assert 'pepflow_request_duration_seconds_count{method="GET",route="/children/{ref}",status="2xx"} 1.0' in text_
    assert ref not in text_  # no child's reference, nor anyone's email address
    assert "@" not in text_


def test_json_logs_carry_the_request_id_route_and_account_and_no_email(tmp_path, capsys):
    import json
    import logging

    from pepflow.logs import configure

    site = _site(tmp_path)
    client = TestClient(create_app(site.app))
    sign_in(client, "vs_admin")
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        capsys.readouterr()
        configure("json")
        response = client.get("/my-work", headers={"X-Request-ID": "abc-123"})
        bad = client.get("/healthz", headers={"X-Request-ID": "no spaces\nor lines"})
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
        logging.getLogger("pepflow.web.access").setLevel(logging.WARNING)
    assert response.headers["X-Request-ID"] == "abc-123"
    assert bad.headers["X-Request-ID"] != "no spaces\nor lines" and len(bad.headers["X-Request-ID"]) == 32
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "pepflow.web.access"]
    mine = next(line for line in access if line["request_id"] == "abc-123")
    assert mine["route"] == "/my-work" and isinstance(mine["account"], int) and mine["level"] == "INFO"
    assert "GET /my-work 200" in mine["message"]
    assert not any("@" in json.dumps(line) for line in lines)


def test_a_bad_log_format_is_refused_naming_the_variable(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("PEPFLOW_LOG_FORMAT", "xml")
    code, _, err = cli("--db", f"sqlite:///{tmp_path / 'x.db'}", "run", "--role", "worker")
    assert code == 1 and "PEPFLOW_LOG_FORMAT = 'xml': must be text or json" in err
    monkeypatch.delenv("PEPFLOW_LOG_FORMAT")
    code, _, err = cli("--db", f"sqlite:///{tmp_path / 'x.db'}", "run", "--role", "cook")
    assert code == 1 and "--role = 'cook': must be all, web or worker" in err


def test_a_worker_sweeps_without_pages_and_a_web_process_serves_pages_without_sweeping(tmp_path):
    """Process roles, as real processes on one database: ``--role web`` answers /readyz and never
    sweeps; ``--role worker`` sweeps the day and listens on no port."""
    import subprocess
    import sys
    import urllib.request

    from sqlmodel import Session, select

    from pepflow.db import make_engine
    from pepflow.db.models import SweepRun

    from .conftest import ROOT
    from .faults.harness import DEMO_DAY, demo_database, free_port, python_env, wait_for

    url = f"sqlite:///{tmp_path / 'roles.db'}"
    demo_database(url)
    port = free_port()
    base = [sys.executable, "-m", "pepflow.cli", "--db", url, "--today", DEMO_DAY.isoformat(), "run", "--port", str(port)]
    env = {**python_env(), "PEPFLOW_LOG_FORMAT": "json"}

    def swept() -> int:
        with Session(make_engine(url)) as s:
            return len(s.exec(select(SweepRun)).all())

    web = subprocess.Popen([*base, "--role", "web"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        def answers() -> bool:
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2).status == 200
            except OSError:
                return False
        wait_for(answers, timeout=30)
        assert swept() == 0
    finally:
        web.terminate()
        web.wait(10)
    worker = subprocess.Popen([*base, "--role", "worker"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: swept() == 1, timeout=30)
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            serving = True
        except OSError:
            serving = False
        assert not serving
    finally:
        worker.terminate()
        _, err = worker.communicate(timeout=20)
    assert '"logger": "pepflow.run"' in err  # its log lines are JSON


def test_a_service_run_as_of_another_date_lets_time_pass():
    """``pepflow run --today``: the day is the one given, but leases and retries need time to pass."""
    import datetime as dt
    import time

    from pepflow.clock import LONDON, PassingClock

    clock = PassingClock(dt.date(2026, 12, 1))
    first = clock.now()
    assert clock.today() == dt.date(2026, 12, 1)
    assert first.astimezone(LONDON).hour == 12
    time.sleep(0.02)
    assert clock.now() > first
